import Foundation
import Glibc
import Testing
@testable import MendKit

// setrlimit is process-wide and these tests share one process: nothing here applies ulimit.set
// (only plans of it). Tests/mendTests/UlimitCommandTests.swift drives the binary for that.


/// This process's limits, straight from getrlimit.
private func limits(_ kind: UlimitKind) throws -> LimitPair {
    try UlimitResource().current(kind, on: Host.local)
}

private let managed = "/etc/security/limits.d/90-mend.conf"
private let header = "# Managed by mend (ulimit.persist): its lines are replaced in place.\n"

@Suite struct UlimitKindTests {
    /// Every RLIMIT number is right: getrlimit gives what the kernel lists for this process.
    @Test func theTableMatchesProcSelfLimits() throws {
        let text = try String(contentsOfFile: "/proc/self/limits", encoding: .utf8)
        let rows = LimitFiles.parseProcLimits(text)
        #expect(rows.map(\.0.name) == UlimitKind.all.map(\.name))
        for (kind, pair) in rows {
            #expect(try limits(kind) == pair, "\(kind.name)")
        }
        #expect(UlimitKind.all.count == 15)
    }

    @Test func namesAreLookedUpLeniently() {
        #expect(UlimitKind.lookUp("nofile")?.systemd == "LimitNOFILE")
        #expect(UlimitKind.lookUp("NOFILE")?.name == "nofile")
        #expect(UlimitKind.lookUp("RLIMIT_NPROC")?.name == "nproc")
        #expect(UlimitKind.lookUp("LimitMEMLOCK")?.name == "memlock")
        #expect(UlimitKind.lookUp("files") == nil)
    }

    @Test func limitValuesParse() throws {
        #expect(try LimitValue.parse(.int(1024), "x") == .finite(1024))
        #expect(try LimitValue.parse(.string("unlimited"), "x") == .unlimited)
        #expect(try LimitValue.parse(.string("infinity"), "x") == .unlimited)
        #expect(try LimitValue.parse(.string("65_536"), "x") == .finite(65536))
        #expect(try LimitValue.parse(.size(64 << 20), "x") == .finite(64 << 20))
        for bad: Value in [.int(-1), .string("lots"), .bool(true), .float(1.5)] {
            #expect(throws: MendError.self) { _ = try LimitValue.parse(bad, "x") }
        }
        #expect(LimitValue.finite(5) < .unlimited && !(LimitValue.unlimited < .finite(5)))
        #expect(LimitValue(rlim: UInt64(rlim_t.max)) == .unlimited)
    }

    @Test func statesOfOtherProcessesAreAlreadyUndone() {
        let resource = UlimitResource()
        let a: JSON = .object([("soft", .int(1024)), ("hard", .int(4096)), ("pid", .int(10))])
        let b: JSON = .object([("soft", .int(2048)), ("hard", .int(4096)), ("pid", .int(10))])
        let other: JSON = .object([("soft", .int(2048)), ("hard", .string("unlimited")), ("pid", .int(11))])
        #expect(!resource.same(a, b))
        #expect(resource.same(a, a))
        #expect(resource.same(a, other), "the limits of a process that has ended need no undo")
        #expect(resource.reportValue(other) == .object([("soft", .int(2048)), ("hard", .string("unlimited"))]))
        #expect(Registry.standard().resources["ulimit"] is UlimitResource)
        #expect(Registry.standard().resources["systemd.dropin"] is SystemdDropinResource)
    }
}

@Suite struct UlimitNamespaceTests {
    @Test func getIsThisProcesssLimit() throws {
        try withScratch { dir in
            let (report, output) = try run(#"print(ulimit.get("nofile").soft, ulimit.get("nofile").hard, ulimit.get("cpu"))"#, in: dir)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            let nofile = try limits(try #require(UlimitKind.lookUp("nofile")))
            let cpu = try limits(try #require(UlimitKind.lookUp("cpu")))
            #expect(output.out == "\(nofile.soft.text) \(nofile.hard.text) \(cpu.value.literal)\n")
        }
    }

    @Test func aPlanOfSetChangesOnlyTheOverlay() throws {
        try withScratch { dir in
            let kind = try #require(UlimitKind.lookUp("nofile"))
            let before = try limits(kind)
            let (report, output) = try run("""
                step "limits" {
                  print(ulimit.set("nofile", 100, 200))
                  print(ulimit.get("nofile"))
                  print(ulimit.set("nofile", 100, 200))
                  print(ulimit.set("core", "unlimited"))
                  print(ulimit.get("core"))
                }
                """, in: dir, plan: true)
            #expect(report.status == .wouldChange, "\(failure(report) ?? "")")
            #expect(output.out == "true\n{soft: 100, hard: 200}\nfalse\ntrue\n{soft: \"unlimited\", hard: \"unlimited\"}\n")
            #expect(try limits(kind) == before)
            let change = try #require(report.steps.first?.changes.first)
            #expect(change.kind == "ulimit" && change.target == "nofile")
            #expect(change.after == .object([("soft", .int(100)), ("hard", .int(200))]))
            #expect(change.before == .object([("soft", before.soft.json), ("hard", before.hard.json)]))
        }
    }

    @Test func badArgumentsAreClearErrors() throws {
        try withScratch { dir in
            let cases: [(String, String)] = [
                (#"ulimit.get("nofiles")"#, "ulimit.get: unknown resource \"nofiles\" (did you mean 'nofile'?); resources: "
                    + UlimitKind.all.map(\.name).joined(separator: ", ")),
                (#"ulimit.set("nofile", 200, 100)"#, "ulimit.set: the soft limit (200) is above the hard limit (100)"),
                (#"ulimit.set("nofile", -1)"#, "ulimit.set: 'soft' must be a non-negative int, a size or \"unlimited\", got -1"),
                (#"ulimit.set("nofile", 1, "lots")"#, "ulimit.set: 'hard' must be a non-negative int, a size or \"unlimited\", got \"lots\""),
                (#"ulimit.persist("nofile")"#, "ulimit.persist: give soft:, hard: or both"),
                (#"ulimit.persist("nprocs", soft: 1)"#, "ulimit.persist: unknown resource \"nprocs\" (did you mean 'nproc'?); resources: "
                    + UlimitKind.all.map(\.name).joined(separator: ", ")),
                (#"ulimit.persist("nofile", soft: 10, hard: 5)"#, "ulimit.persist: the soft limit (10) is above the hard limit (5)"),
                (#"ulimit.persist("nofile", soft: 10, domain: "a b")"#,
                 "ulimit.persist: the domain must be one word such as \"*\", \"node\" or \"@node\", got \"a b\""),
                (#"ulimit.persist("memlock", soft: 1000)"#,
                 "ulimit.persist: 'soft': limits.conf counts memlock in KiB, so give a multiple of 1KiB (e.g. 64MiB), got 1000"),
                (#"ulimit.persist("nice", soft: 30)"#, "ulimit.persist: 'soft' must be a nice level from -20 to 19, got 30"),
                (#"ulimit.unit("../x", "nofile", 1)"#, "ulimit.unit: \"../x\" is not a unit name such as \"node.service\""),
                (#"ulimit.unit("node", "nofile", "1:2:3")"#, "ulimit.unit: 'value' must be one limit or \"SOFT:HARD\", got \"1:2:3\""),
                (#"ulimit.unit("node", "nofile", "9:1")"#, "ulimit.unit: 'value': the soft limit (9) is above the hard limit (1)"),
                (#"ulimit.of(0)"#, "ulimit.of: 'pid' must be a process id (a positive int) or \"self\", got int"),
                (#"ulimit.of(4242)"#, "ulimit.of: no process 4242 (/proc/4242/limits does not exist)"),
            ]
            for (call, message) in cases {
                let (report, _) = try run("step \"x\" {\n  \(call)\n}\n", in: dir, plan: true)
                #expect(report.exitCode == 1, "\(call)")
                #expect(failure(report) == message)
            }
        }
    }

    /// pam_limits splits a limits.d line into words at white space and ends it at `#`, so a domain is
    /// one word without control characters (a newline would add a line of its own); systemd reads a
    /// drop-in directory only under a valid unit name (ASCII letters, digits and `:-_.\@`); a NUL
    /// byte would cut either short.
    @Test func namesTheToolsWouldReadDifferentlyAreRefused() throws {
        try withScratch { dir in
            let cases: [(String, String)] = [
                (#"ulimit.persist("nofile", soft: 10, domain: "node\n* hard nofile unlimited")"#,
                 #"ulimit.persist: 'domain' contains a control character (\n at offset 4)"#),
                (#"ulimit.persist("nofile", soft: 10, domain: "node\u{b}x")"#,
                 #"ulimit.persist: 'domain' contains a control character (\u{B} at offset 4)"#),
                (#"ulimit.persist("nofile", soft: 10, domain: "no\u{0}de")"#,
                 #"ulimit.persist: 'domain' contains a NUL byte (\0 at offset 2)"#),
                (#"ulimit.persist("nofile", soft: 10, domain: "node#x")"#,
                 "ulimit.persist: the domain must be one word such as \"*\", \"node\" or \"@node\", got \"node#x\""),
                (#"ulimit.unit("node\u{0}", "nofile", 1)"#, #"ulimit.unit: 'unit' contains a NUL byte (\0 at offset 4)"#),
                (#"ulimit.unit("no\rde", "nofile", 1)"#, #"ulimit.unit: 'unit' contains a control character (\r at offset 2)"#),
                (#"ulimit.unit("nodé", "nofile", 1)"#, "ulimit.unit: \"nodé\" is not a unit name such as \"node.service\""),
            ]
            for (call, message) in cases {
                let (report, _) = try run("step \"x\" {\n  \(call)\n}\n", in: dir)
                #expect(report.exitCode == 1, "\(call)")
                #expect(failure(report) == message)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
            let (fine, _) = try run(#"step "x" { ulimit.unit("getty@tty1", "nofile", 1024) }"#, in: dir)
            #expect(fine.exitCode == 0, "\(failure(fine) ?? "")")
            #expect(dir.exists("/etc/systemd/system/getty@tty1.service.d"))
        }
    }

    @Test func ofReadsProcPidLimitsUnderTheRoot() throws {
        for host in FixtureRoot.hosts {
            try FixtureRoot.with(host) { dir in
                let (report, output) = try run("""
                    let l = ulimit.of(1)
                    print(l.nofile)
                    print(l.stack, l.cpu.soft, l.nice)
                    print(keys(l))
                    """, in: dir)
                #expect(report.exitCode == 0, "\(failure(report) ?? "")")
                #expect(output.out == """
                    {soft: 1024, hard: 524288}
                    {soft: 8388608, hard: "unlimited"} unlimited {soft: 0, hard: 0}
                    ["cpu", "fsize", "data", "stack", "core", "rss", "nproc", "nofile", "memlock", "as", "locks", "sigpending", "msgqueue", "nice", "rtprio"]

                    """, "\(host)")
            }
        }
    }

    @Test func ofSelfReadsThisProcessOnTheLiveHost() throws {
        let interpreter = Interpreter(output: EngineTestOutput())
        let value = try interpreter.evaluate(#"ulimit.of("self").nofile.soft == ulimit.get("nofile").soft"#, name: "<test>")
        guard case .bool(true) = value else { Issue.record("got \(value.literal)"); return }
    }

    // MARK: persist

    @Test func persistWritesTheManagedFileAndIsIdempotent() throws {
        try FixtureRoot.with("ubuntu-22.04") { dir in
            let legacy = try #require(dir.bytes("/etc/security/limits.d/50-legacy.conf"))
            let limitsConf = try #require(dir.bytes("/etc/security/limits.conf"))
            let source = """
                step "limits for logins" {
                  ulimit.persist("nofile", soft: 65536, hard: 131072)
                  ulimit.persist("nproc", soft: 8192, hard: 16384, domain: "node")
                  ulimit.persist("memlock", soft: 64MiB, hard: "unlimited", domain: "@node")
                }
                """
            let (first, _) = try run(source, in: dir)
            #expect(first.status == .changed, "\(failure(first) ?? "")")
            #expect(dir.read(managed) == header + """
                * soft nofile 65536
                * hard nofile 131072
                node soft nproc 8192
                node hard nproc 16384
                @node soft memlock 65536
                @node hard memlock unlimited

                """)
            #expect(first.steps.first?.changes.map(\.kind) == ["file", "file", "file"])
            #expect(first.steps.first?.changes.first?.note == "created (mode 0644)")
            let (second, _) = try run(source, in: dir)
            #expect(second.status == .ok && second.steps.first?.changes.isEmpty == true)
            // The malformed lines of the other file, and limits.conf, stay byte for byte.
            #expect(dir.bytes("/etc/security/limits.d/50-legacy.conf") == legacy)
            #expect(dir.bytes("/etc/security/limits.conf") == limitsConf)
        }
    }

    @Test func persistReplacesLinesInPlaceWithoutDuplicates() throws {
        try FixtureRoot.with("centos-7") { dir in
            try dir.write(managed, """
                # kept
                * soft nofile 1024 # old value
                node hard nofile 10
                * soft nofile 2048
                * - nproc 100
                this line is malformed
                """ + "\n")
            let (report, output) = try run("""
                step "edit" {
                  print(ulimit.persist("nofile", soft: 65536))
                  print(ulimit.persist("nproc", soft: 4096))
                  print(ulimit.persist("nofile", soft: 65536))
                }
                """, in: dir)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(output.out == "true\ntrue\nfalse\n")
            #expect(dir.read(managed) == """
                # kept
                * soft nofile 65536 # old value
                node hard nofile 10
                * soft nproc 4096
                * hard nproc 100
                this line is malformed

                """)
        }
    }

    @Test func persistIsUndoneExactly() throws {
        try FixtureRoot.with("ubuntu-22.04") { dir in
            let before = FixtureRoot.snapshot(dir.path)
            let (report, _) = try run("""
                step "persist" {
                  ulimit.persist("nofile", soft: 65536, hard: 65536)
                  ulimit.unit("node", "nofile", 65536)
                }
                step "fails" { fail("on purpose") }
                """, in: dir)
            #expect(report.status == .rolledBack, "\(failure(report) ?? "")")
            #expect(FixtureRoot.snapshot(dir.path) == before)
            #expect(!dir.exists(managed) && !dir.exists("/etc/systemd/system/node.service.d"))
        }
    }

    @Test func aPlanOfPersistShowsTheFileAndWritesNothing() throws {
        try FixtureRoot.with("alpine-3.19") { dir in
            let before = FixtureRoot.snapshot(dir.path)
            let (report, output) = try run("""
                step "persist" {
                  ulimit.persist("nofile", soft: 65536, hard: 65536)
                  print(file.read("/etc/security/limits.d/90-mend.conf"))
                }
                """, in: dir, plan: true)
            #expect(report.status == .wouldChange, "\(failure(report) ?? "")")
            #expect(output.out == header + "* soft nofile 65536\n* hard nofile 65536\n\n")
            #expect(FixtureRoot.snapshot(dir.path) == before)
        }
    }

    @Test func limitsLinesEdit() {
        let text = "* hard core 0\n"
        #expect(LimitFiles.editLimits(text, domain: "*", item: "core", settings: [("soft", "0")]) == "* hard core 0\n* soft core 0\n")
        #expect(LimitFiles.editLimits("", domain: "*", item: "core", settings: [("hard", "0")]) == header + "* hard core 0\n")
        // A last line without its newline gets one; tabs separate fields too.
        #expect(LimitFiles.editLimits("*\tsoft\tcore\t5", domain: "*", item: "core", settings: [("soft", "0")]) == "* soft core 0\n")
        // Another domain's line is not ours to change.
        #expect(LimitFiles.editLimits("node soft core 5\n", domain: "*", item: "core", settings: [("soft", "0")])
            == "node soft core 5\n* soft core 0\n")
    }

    // MARK: unit

    @Test func unitWritesADropInAndKeepsItsOtherSettings() throws {
        try FixtureRoot.with("ubuntu-22.04") { dir in
            let path = "/etc/systemd/system/node.service.d/90-mend-limits.conf"
            let (first, output) = try run("""
                step "unit limits" {
                  print(ulimit.unit("node", "nofile", 131072))
                  print(ulimit.unit("node.service", "nproc", "unlimited"))
                  print(ulimit.unit("node", "nofile", 131072))
                  print(ulimit.unit("app@.service", "memlock", "64:unlimited"))
                }
                """, in: dir)
            #expect(first.exitCode == 0, "\(failure(first) ?? "")")
            #expect(output.out == "true\ntrue\nfalse\ntrue\n")
            #expect(dir.read(path) == "[Service]\nLimitNOFILE=131072\nLimitNPROC=infinity\n")
            #expect(dir.read("/etc/systemd/system/app@.service.d/90-mend-limits.conf") == "[Service]\nLimitMEMLOCK=64:infinity\n")
            let changes = try #require(first.steps.first?.changes)
            #expect(changes.map(\.kind) == ["systemd.dropin", "systemd.dropin", "systemd.dropin"])
            #expect(changes.first?.target == path)
            #expect(changes.first?.note == "created (mode 0644); daemon-reload left to the host (--root)")
            #expect(changes[1].note == "content changed; daemon-reload left to the host (--root)")

            try dir.write(path, """
                [Unit]
                Description=hand-written
                LimitNOFILE=1

                [Service]
                # the operator's
                LimitNOFILE = 1024
                Environment=A=1
                LimitNOFILE=2048

                """)
            let (second, _) = try run(#"step "again" { ulimit.unit("node", "nofile", 65536); ulimit.unit("node", "core", 0) }"#, in: dir)
            #expect(second.exitCode == 0, "\(failure(second) ?? "")")
            #expect(dir.read(path) == """
                [Unit]
                Description=hand-written
                LimitNOFILE=1

                [Service]
                # the operator's
                LimitNOFILE=65536
                Environment=A=1
                LimitCORE=0

                """)
        }
    }

    @Test func dropInEdits() {
        #expect(LimitFiles.editDropIn("", key: "LimitNOFILE", value: "1") == "[Service]\nLimitNOFILE=1\n")
        #expect(LimitFiles.editDropIn("[Unit]\nAfter=x", key: "LimitNOFILE", value: "1")
            == "[Unit]\nAfter=x\n\n[Service]\nLimitNOFILE=1\n")
        #expect(LimitFiles.editDropIn("[Service]\nLimitNPROC=5\n\n[Install]\nWantedBy=y\n", key: "LimitNOFILE", value: "1")
            == "[Service]\nLimitNPROC=5\nLimitNOFILE=1\n\n[Install]\nWantedBy=y\n")
        #expect(LimitFiles.editDropIn("[Service]\n", key: "LimitNOFILE", value: "1") == "[Service]\nLimitNOFILE=1\n")
    }

    @Test func noReloadUnderARoot() throws {
        try FixtureRoot.with("ubuntu-22.04") { dir in
            // The fixture's /run/systemd/system says systemd runs there, but that systemd is not this one.
            let host = MendKit.Host(root: dir.path)
            #expect(SystemdDropinResource.systemdRuns(on: host))
            #expect(!SystemdDropinResource.reloads(on: host))
            #expect(SystemdDropinResource.reloadNote(on: host) == "daemon-reload left to the host (--root)")
        }
        try withScratch { dir in
            #expect(!SystemdDropinResource.systemdRuns(on: MendKit.Host(root: dir.path)))
        }
        let live = MendKit.Host()
        var s = stat()
        let running = lstat("/run/systemd/system", &s) == 0 && s.st_mode & S_IFMT == S_IFDIR
        #expect(SystemdDropinResource.reloads(on: live) == running)
        #expect(SystemdDropinResource.reloadNote(on: live)
            == (running ? "then systemctl daemon-reload" : "systemd is not running: no daemon-reload"))
    }
}

/// The drop-in's `systemctl daemon-reload` is a command of the host: a runner that answers it
/// shows it, and its failure is the write's.
@Suite struct SystemdReloadTests {
    @Test func theReloadGoesThroughTheHostAndItsFailureIsReported() throws {
        let runner = AnsweringRunner { _ throws(ProcessError) in ProcessResult(status: 1, stderr: Array("Access denied\n".utf8)) }
        let host = MendKit.Host(processes: runner)
        do {
            try SystemdDropinResource.daemonReload(on: host)
            Issue.record("a failed reload must be an error")
        } catch let error as HostError {
            #expect(error.message == "systemctl daemon-reload failed (status 1): Access denied")
        }
        #expect(runner.requests.map(\.argv) == [["systemctl", "daemon-reload"]])
    }
}
