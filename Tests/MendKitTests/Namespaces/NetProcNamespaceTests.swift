import Foundation
import Glibc
import Testing
@testable import MendKit

@Suite struct SocketTableTests {
    @Test func addressesAsTheKernelPrintsThem() {
        #expect(SocketTable.address(hex: "00000000") == "0.0.0.0")
        #expect(SocketTable.address(hex: "0100007F") == "127.0.0.1")
        #expect(SocketTable.address(hex: "0100A8C0") == "192.168.0.1")
        #expect(SocketTable.address(hex: "00000000000000000000000000000000") == "::")
        #expect(SocketTable.address(hex: "00000000000000000000000001000000") == "::1")
        #expect(SocketTable.address(hex: "0000000000000000FFFF00000100007F") == "::ffff:127.0.0.1")
        // 2001:db8::8a2e:370:7334, each 32-bit word in the machine's (little-endian) order.
        #expect(SocketTable.address(hex: "B80D0120000000002E8A000034737003") == "2001:db8::8a2e:370:7334")
        // fe80::1:0:0:1 — the longer zero run is the one compressed.
        #expect(SocketTable.address(hex: "000080FE000000000000010001000000") == "fe80::1:0:0:1")
        #expect(SocketTable.address(hex: "0100007") == nil)
        #expect(SocketTable.address(hex: "0100007G") == nil)
    }

    @Test func tablesParseAndLoopbackIsKnown() {
        let text = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000:765F 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1001        0 31001 1 0 100 0 0 10 0
               1: 0100007F:2161 0100007F:B2D4 01 00000000:00000000 00:00000000 00000000  1001        0 31010 1 0 100 0 0 10 0
               2: garbage
            """
        let sockets = SocketTable.parse(text)
        #expect(sockets == [SocketTable.Socket(address: "0.0.0.0", port: 30303, state: 0x0A, inode: 31001),
                            SocketTable.Socket(address: "127.0.0.1", port: 8545, state: 0x01, inode: 31010)])
        #expect(!sockets[0].isLoopback && sockets[1].isLoopback)
        #expect(SocketTable.Socket(address: "::ffff:127.0.0.1", port: 1, state: 7, inode: 1).isLoopback)
        #expect(!SocketTable.Socket(address: "::", port: 1, state: 7, inode: 1).isLoopback)
    }
}

@Suite struct NetCountersTests {
    @Test func pairsOfLinesAndNames() throws {
        let counters = NetCounters.parse("""
            TcpExt: SyncookiesSent ListenOverflows ListenDrops
            TcpExt: 0 17 18
            Tcp: RtoAlgorithm MaxConn ActiveOpens
            Tcp: 1 -1 5321
            Udp: InErrors
            Udp: 3
            Icmp: InErrors
            Icmp: 4
            Broken: A B
            Broken: 1
            """)
        #expect(counters.count == 8)
        #expect(try NetCounters.find("ListenOverflows", in: counters, for: "t").value == 17)
        #expect(try NetCounters.find("TcpExt.ListenDrops", in: counters, for: "t").value == 18)
        #expect(try NetCounters.find("TcpExtListenDrops", in: counters, for: "t").value == 18)
        #expect(try NetCounters.find("Tcp.MaxConn", in: counters, for: "t").value == -1)
        #expect(try NetCounters.find("Udp.InErrors", in: counters, for: "t").value == 3)
        #expect(throws: MendError.self) { try NetCounters.find("A", in: counters, for: "t") }
        do {
            _ = try NetCounters.find("InErrors", in: counters, for: "net.counter")
            Issue.record("an ambiguous name is an error")
        } catch let error as MendError {
            #expect(error.message == "net.counter: \"InErrors\" is a counter of several groups; name one of Udp.InErrors, Icmp.InErrors")
        }
        do {
            _ = try NetCounters.find("ListenOverflow", in: counters, for: "net.counter")
            Issue.record("an unknown name is an error")
        } catch let error as MendError {
            #expect(error.message.hasSuffix("(did you mean 'ListenOverflows'?)"), "\(error.message)")
        }
    }
}

@Suite struct TlsOutputTests {
    @Test func sessionOfOpenSSL3AndOf102() throws {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
        let three = try #require(Tls.parseSession("""
            CONNECTED(00000003)
            Server certificate
            \(pem)
            subject=CN = localhost
            New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384
            Verify return code: 18 (self-signed certificate)
            """))
        #expect(three == Tls.Session(proto: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", verifyCode: 18,
                                     verifyText: "self-signed certificate", certificate: pem + "\n"))
        let old = try #require(Tls.parseSession("""
            \(pem)
            New, TLSv1/SSLv3, Cipher is ECDHE-RSA-AES256-GCM-SHA384
            SSL-Session:
                Protocol  : TLSv1.2
                Cipher    : ECDHE-RSA-AES256-GCM-SHA384
                Verify return code: 0 (ok)
            """))
        #expect(old.proto == "TLSv1.2" && old.cipher == "ECDHE-RSA-AES256-GCM-SHA384" && old.verifyCode == 0)
        #expect(Tls.parseSession("CONNECTED(00000003)\nNew, (NONE), Cipher is (NONE)\nVerify return code: 0 (ok)\n") == nil)
    }

    @Test func datesAndTimes() {
        #expect(Tls.isoDate("notAfter=Jan  5 03:56:01 2027 GMT\n") == "2027-01-05T03:56:01Z")
        #expect(Tls.isoDate("notAfter=Dec 31 23:59:59 2030 GMT") == "2030-12-31T23:59:59Z")
        #expect(Tls.isoDate("notAfter=soon") == nil)
        #expect(Tls.handshake("0.000205 0.005012") == 4_807_000)
        #expect(Tls.handshake("0.000000 0.000000") == nil)
        #expect(Tls.isAddress("127.0.0.1") && Tls.isAddress("::1") && !Tls.isAddress("localhost") && !Tls.isAddress("1.2.3.example"))
    }
}

@Suite struct NetProcNamespaceTests {
    @Test func everyFixtureHostListsTheNodesSockets() throws {
        for host in FixtureRoot.hosts {
            try FixtureRoot.with(host) { dir in
                let (report, output) = try run("""
                    for s in net.listening() { print(s.address, s.port, s.pid, s.process) }
                    print(net.listening(8545))
                    for s in net.listening(proto: "udp") { print(s.address, s.port, s.process) }
                    print(net.exposed(8545), net.exposed(30303), net.exposed(8546), net.exposed(30303, proto: "udp"), net.exposed(123, proto: "udp"))
                    print(net.counter("ListenOverflows"), net.counter("Tcp.ActiveOpens"))
                    print(proc.find("node"), proc.fds(4242), proc.maps(4242))
                    """, in: dir)
                #expect(report.exitCode == 0, "\(host): \(failure(report) ?? "")")
                #expect(output.out == """
                    0.0.0.0 22 nil nil
                    :: 22 nil nil
                    127.0.0.1 8545 4242 node
                    ::1 8546 4242 node
                    0.0.0.0 30303 4242 node
                    0.0.0.0 30304 4242 node
                    [{address: "127.0.0.1", port: 8545, pid: 4242, process: "node"}]
                    127.0.0.1 123 nil
                    ::ffff:127.0.0.1 323 nil
                    0.0.0.0 30303 node
                    false true false true false
                    17 5321
                    [4242] 12 11

                    """, "\(host)")
            }
        }
    }

    @Test func aProcessWhoseFdsCannotBeReadHasNoPid() throws {
        try FixtureRoot.with("ubuntu-22.04") { dir in
            // As root the mode does not stop reading: take the fd directory away instead, which is
            // what an unreadable one gives (entries cannot be listed).
            let fd = dir.path + "/proc/4242/fd"
            #expect(rename(fd, fd + ".hidden") == 0)
            let (report, output) = try run("""
                print(net.listening(30303))
                print(proc.info(4242).fds)
                """, in: dir)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(output.out == "[{address: \"0.0.0.0\", port: 30303, pid: nil, process: nil}]\nnil\n")
        }
    }

    @Test func infoOfTheNodeAndAMissingPid() throws {
        try FixtureRoot.with("centos-7") { dir in
            let (report, output) = try run("""
                let n = proc.info(4242)
                print(n.pid, n.name, n.state, n.threads, n.fds, n.maps, n.rss, len(n.cmdline), n.cmdline[9])
                print(n.limits.nofile, n.limits.cpu, n.limits.stack)
                try { proc.info(999) } catch e { print(e.message) }
                try { proc.fds(999) } catch e { print(e.message) }
                try { proc.info(-1) } catch e { print(e.message) }
                """, in: dir)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(output.out == """
                4242 node S 24 12 11 1.75GiB 15 8545
                {soft: 65536, hard: 65536} {soft: "unlimited", hard: "unlimited"} {soft: 8388608, hard: "unlimited"}
                proc.info: no process 999 (/proc/999 does not exist)
                proc.fds: no process 999 (/proc/999 does not exist)
                proc.info: 'pid' must be a process id (a positive int), got int

                """)
        }
    }

    @Test func growthAndSampleArguments() throws {
        try FixtureRoot.with("alpine-3.19") { dir in
            let (report, output) = try run("""
                print(proc.growth([{at: 0s, value: 200}, {at: 30s, value: 150}, {at: 1m, value: 100}]))
                print(proc.growth([{at: 0s, value: 1GiB}, {at: 10m, value: 1.5GiB}]))
                for bad in [[], [{at: 0s, value: 0}, {at: 1m, value: 5}], [{at: 1s, value: 1}, {at: 1s, value: 2}], [{at: 0s, value: "x"}, {at: 1s, value: 1}]] {
                  try { proc.growth(bad) } catch e { print(e.message) }
                }
                try { proc.sample(fn() => 1, every: 2s, for: 1s) } catch e { print(e.message) }
                let s = proc.sample(fn() => proc.maps(4242), every: 20ms, for: 60ms)
                print(len(s), s[0].at < 20ms, s[3].at >= 60ms, s[3].value)
                """, in: dir)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(output.out == """
                -50.0
                5.0
                proc.growth: needs at least two samples, got 0
                proc.growth: the first value is 0, so there is no percentage of it to grow by
                proc.growth: no time passed between the first and the last sample
                proc.growth: the value of sample 0 must be an int, a float or a size, got string
                proc.sample: for (1s) must be at least every (2s)
                4 true true 11

                """)
        }
    }

    @Test func argumentsAreChecked() throws {
        try FixtureRoot.with("ubuntu-22.04") { dir in
            let (report, output) = try run("""
                try { net.listening(0) } catch e { print(e.message) }
                try { net.listening(proto: "sctp") } catch e { print(e.message) }
                try { net.connect("-oProxyCommand=x", 22) } catch e { print(e.message) }
                try { net.tls("user@127.0.0.1", 443) } catch e { print(e.message) }
                try { net.connect("127.0.0.1", 22, timeout: 0s) } catch e { print(e.message) }
                try { net.tls("127.0.0.1", 443, ca: "-x") } catch e { print(e.message) }
                try { proc.find("a/b") } catch e { print(e.message) }
                """, in: dir)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(output.out == """
                net.listening: port must be 1–65535, got 0
                net.listening: proto must be "tcp" or "udp", got "sctp"
                net.connect: 'host' must be a host name or an address, got "-oProxyCommand=x"
                net.tls: 'host' must be a host name or an address, got "user@127.0.0.1"
                net.connect: timeout must be positive, got 0s
                net.tls: 'ca' must not be empty or start with "-", got "-x"
                proc.find: 'name' must be a command name without "/", got "a/b"

                """)
        }
    }
}
