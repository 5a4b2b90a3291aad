import Testing

/// The net and proc namespaces on the live system, in a network namespace of the test's own
/// (listeners, a backlog that overflows, a TLS server on its loopback), compared with what ss,
/// nstat, ls and openssl say. Processes the scripts start are killed by PID at the end.
@Suite("net and proc: the live system against ss, nstat, ls and openssl", .serialized)
struct NetProcTests {
    /// Runs `script` (sh) in a fresh network namespace with its loopback up, `$D` the test's
    /// directory, `start CMD…` starting a background process killed at the end, and `ev SNIPPET`
    /// printing what mend evaluates on one line.
    static func run(_ script: String) throws -> (String, TemporaryDirectory) {
        for tool in ["ss", "nstat", "openssl", "curl", "python3", "ip"] where (try? system("command -v \(tool) >/dev/null 2>&1")) != 0 {
            throw TestFailure(description: "the net tests need \(tool) (scripts/test installs iproute2, openssl, curl and python3)")
        }
        let dir = try TemporaryDirectory()
        let result = try NetworkNamespace.run("""
            D=\(shellQuote(dir.path))
            PIDS=""
            cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
            trap cleanup EXIT
            ip link set lo up
            ev() { "$MEND" eval "$1" 2>&1 | tr '\\n' ' '; echo; }
            listen() { python3 -c "import socket, time
            s = socket.socket(socket.AF_INET6 if ':' in '$1' else socket.AF_INET)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('$1', $2)); s.listen($3); open('$D/ready-$2', 'w').close(); time.sleep(120)" & PIDS="$PIDS $!"
              i=0; while [ ! -e "$D/ready-$2" ] && [ $i -lt 200 ]; do i=$((i+1)); sleep 0.05; done; }

            """ + script, in: dir)
        return (result.stdout + result.stderr, dir)
    }

    /// `address port pid` of each listener as ss prints them (`ss -Hltnp`).
    static func ssListeners(_ lines: String) -> Set<String> {
        Set(lines.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[0] == "LISTEN", let colon = fields[3].lastIndex(of: ":"),
                  let pid = fields[5].split(separator: "pid=").last?.prefix(while: { $0.isNumber }) else { return nil }
            var address = String(fields[3][..<colon])
            if address.hasPrefix("[") { address = String(address.dropFirst().dropLast()) }
            if address == "*" { address = "::" }
            return "\(address) \(fields[3][fields[3].index(after: colon)...]) \(pid)"
        })
    }

    @Test("net.listening and net.exposed agree with ss -ltnp for loopback and wildcard listeners")
    func listenersAgreeWithSs() throws {
        let (out, _) = try Self.run("""
            listen 127.0.0.1 8545 16; listen 0.0.0.0 30303 16; listen ::1 8546 16; listen :: 9000 16
            echo "mend.begin"
            "$MEND" eval 'for s in net.listening() { print(s.address, s.port, s.pid, s.process) }'
            echo "mend.end"
            echo "ss.begin"; ss -Hltnp; echo "ss.end"
            echo "exposed=$(ev 'print(net.exposed(8545), net.exposed(30303), net.exposed(8546), net.exposed(9000), net.exposed(9999))')"
            echo "connect.open=$(ev 'let r = net.connect("127.0.0.1", 8545, timeout: 1s)
            print(r.ok, r.latency > 0s, r.latency < 1s, r.error)')"
            echo "connect.closed=$(ev 'let r = net.connect("127.0.0.1", 8547, timeout: 1s)
            print(r.ok, r.latency, r.error)')"
            """)
        func between(_ a: String, _ b: String) -> String {
            guard let start = out.range(of: a + "\n"), let end = out.range(of: b, range: start.upperBound..<out.endIndex) else { return "" }
            return String(out[start.upperBound..<end.lowerBound])
        }
        let mendLines = between("mend.begin", "mend.end").split(separator: "\n")
        let mend = Set(mendLines.map { $0.split(separator: " ").prefix(3).joined(separator: " ") })
        let ss = Self.ssListeners(between("ss.begin", "ss.end"))
        #expect(ss.count == 4, "\(out)")
        #expect(mend == ss, "mend: \(mend.sorted())\nss: \(ss.sorted())\n\(out)")
        #expect(mendLines.allSatisfy { $0.hasSuffix(" python3") }, "\(out)")
        #expect(marker("exposed", in: out) == "false true false true false ", "\(out)")
        #expect(marker("connect.open", in: out) == "true true true nil ", "\(out)")
        #expect(marker("connect.closed", in: out) == "false nil cannot connect to 127.0.0.1 port 8547: Connection refused ", "\(out)")
    }

    @Test("net.counter(\"ListenOverflows\") equals nstat's TcpExtListenOverflows after a backlog overflows")
    func listenOverflowsAgreeWithNstat() throws {
        let (out, _) = try Self.run("""
            listen 127.0.0.1 7000 0
            # Nothing accepts: past the backlog the kernel drops the handshakes and counts them.
            python3 -c "import socket, time
            socks = []
            for i in range(8):
                s = socket.socket(); s.setblocking(False)
                try: s.connect(('127.0.0.1', 7000))
                except BlockingIOError: pass
                socks.append(s)
            time.sleep(1.5)" 
            echo "nstat=$(nstat -azs TcpExtListenOverflows | awk '$1 == "TcpExtListenOverflows" { print $2 }')"
            echo "mend=$(ev 'print(net.counter("ListenOverflows"), net.counter("TcpExt.ListenOverflows") == net.counter("TcpExtListenOverflows"))')"
            echo "nstat.after=$(nstat -azs TcpExtListenOverflows | awk '$1 == "TcpExtListenOverflows" { print $2 }')"
            """)
        let nstat = Int(marker("nstat", in: out) ?? "") ?? -1
        #expect(nstat > 0, "the backlog overflowed: \(out)")
        #expect(marker("nstat.after", in: out) == marker("nstat", in: out), "nothing changed between the readings: \(out)")
        #expect(marker("mend", in: out) == "\(nstat) true ", "\(out)")
    }

    @Test("proc.info(pid).fds equals ls /proc/PID/fd | wc -l; proc.find finds the process; maps and limits agree")
    func procInfoAgreesWithLs() throws {
        let (out, _) = try Self.run("""
            sleep 60 3</dev/null 4<"$D" 5</dev/null 7</dev/null & P=$!; PIDS="$PIDS $P"
            sleep 0.2
            echo "ls=$(ls /proc/$P/fd | wc -l)"
            echo "maps=$(wc -l < /proc/$P/maps)"
            echo "nofile=$(awk '/^Max open files/ { print $4 }' /proc/$P/limits)"
            echo "mend=$(ev "let i = proc.info($P)
            print(i.fds, proc.fds($P), i.maps == proc.maps($P), i.maps, i.name, i.state, i.threads, i.cmdline, i.limits.nofile.soft, $P in proc.find(\\"sleep\\"))")"
            """)
        let ls = marker("ls", in: out) ?? "?", maps = marker("maps", in: out) ?? "?", nofile = marker("nofile", in: out) ?? "?"
        #expect(Int(ls) ?? 0 >= 7, "\(out)")
        #expect(marker("mend", in: out) == "\(ls) \(ls) true \(maps) sleep S 1 [\"sleep\", \"60\"] \(nofile) true ", "\(out)")
    }

    @Test("net.tls against openssl s_server on loopback: protocol and cipher as s_client sees them, verified only with ca:")
    func tlsAgainstSServer() throws {
        let (out, _) = try Self.run("""
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/key.pem" -out "$D/cert.pem" -days 30 \\
              -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1
            openssl s_server -accept 127.0.0.1:8443 -cert "$D/cert.pem" -key "$D/key.pem" -www >/dev/null 2>&1 & PIDS="$PIDS $!"
            i=0; while ! ss -Hltn | grep -q ':8443 ' && [ $i -lt 200 ]; do i=$((i+1)); sleep 0.05; done
            echo "sclient=$(openssl s_client -connect 127.0.0.1:8443 </dev/null 2>/dev/null | sed -n 's/^New, \\(.*\\), Cipher is \\(.*\\)$/\\1 \\2/p')"
            echo "enddate=$(openssl x509 -in "$D/cert.pem" -noout -enddate)"
            echo "plain=$(ev 'let t = net.tls("127.0.0.1", 8443, timeout: 3s)
            print(t.protocol, t.cipher, t.verified, t.verify_error, t.handshake > 0s, t.handshake < 1s, t.not_after)')"
            echo "ca=$(ev "let t = net.tls(\\"127.0.0.1\\", 8443, ca: \\"$D/cert.pem\\")
            print(t.verified, t.verify_error)")"
            echo "name=$(ev "let t = net.tls(\\"127.0.0.1\\", 8443, server_name: \\"localhost\\", ca: \\"$D/cert.pem\\")
            print(t.verified)")"
            echo "wrongname=$(ev "let t = net.tls(\\"127.0.0.1\\", 8443, server_name: \\"node.example\\", ca: \\"$D/cert.pem\\")
            print(t.verified, t.verify_error)")"
            echo "closed=$(ev 'net.tls("127.0.0.1", 8444, timeout: 2s)')"
            """)
        let session = try #require(marker("sclient", in: out), "\(out)")
        #expect(session.hasPrefix("TLSv1."), "\(out)")
        let enddate = try #require(marker("enddate", in: out).flatMap(Tls.iso), "\(out)")
        #expect(marker("plain", in: out) == "\(session) false self-signed certificate true true \(enddate) ", "\(out)")
        #expect(marker("ca", in: out) == "true nil ", "\(out)")
        #expect(marker("name", in: out) == "true ", "\(out)")
        #expect(marker("wrongname", in: out) == "false hostname mismatch ", "\(out)")
        #expect(marker("closed", in: out)?.contains("net.tls: no TLS handshake with 127.0.0.1:8444: connection refused (nothing listens there)") == true, "\(out)")
    }

    @Test("proc.sample and proc.growth: a process opening files in a loop grows, a quiet one does not")
    func growthOfALeak() throws {
        let (out, _) = try Self.run("""
            python3 -c "import time
            kept = []
            while True:
                kept.append(open('/dev/null')); time.sleep(0.02)" & L=$!; PIDS="$PIDS $L"
            sleep 60 & S=$!; PIDS="$PIDS $S"
            sleep 0.3
            echo "leak=$(ev "let s = proc.sample(fn() => proc.fds($L), every: 200ms, for: 1s)
            print(len(s), s[5].value > s[0].value, proc.growth(s) > 0.3)")"
            echo "quiet=$(ev "let s = proc.sample(fn() => proc.fds($S), every: 200ms, for: 1s)
            print(len(s), proc.growth(s), s[5].at >= 1s, s[5].at < 1200ms)")"
            printf 'step "sampling" timeout 500ms {\n  proc.sample(fn() => 1, every: 1s, for: 60s)\n}\n' > "$D/timeout.mend"
            T0=$(date +%s%N); "$MEND" run "$D/timeout.mend" --state-dir "$D/state" > "$D/timeout.out" 2>&1
            echo "timeout.status=$? timeout.ms=$(( ($(date +%s%N) - T0) / 1000000 ))"; cat "$D/timeout.out"
            """)
        #expect(marker("leak", in: out) == "6 true true ", "\(out)")
        #expect(marker("quiet", in: out) == "6 0.0 true true ", "\(out)")
        let status = marker("timeout.status", in: out) ?? ""
        #expect(status.hasPrefix("1 timeout.ms="), "the step's timeout ends the sampling: \(out)")
        #expect((Int(status.split(separator: "=").last ?? "") ?? 9999) < 1500, "\(out)")
        #expect(out.contains("the step ran longer than its timeout of 500ms"), "\(out)")
    }
}

/// openssl x509 -enddate's date as net.tls gives it.
private enum Tls {
    static func iso(_ enddate: String) -> String? {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let words = enddate.replacingOccurrences(of: "notAfter=", with: "").split(separator: " ")
        guard words.count == 5, let m = months.firstIndex(of: String(words[0])), let d = Int(words[1]) else { return nil }
        return "\(words[3])-\(m < 9 ? "0" : "")\(m + 1)-\(d < 10 ? "0" : "")\(d)T\(words[2])Z"
    }
}
