import Glibc
import MendKit
import Testing

/// `ulimit` through the `mend` binary: setrlimit is process-wide, so a limit is only ever set in a
/// child process, never in the test runner. The shell's `ulimit` is the reference.
@Suite("ulimit, end to end")
struct UlimitCommandTests {
    /// The test runner's nofile limits; every child starts with them.
    static func nofile() -> (soft: UInt64, hard: UInt64) {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        return (UInt64(limit.rlim_cur), UInt64(limit.rlim_max))
    }

    /// Runs a shell script; stdout and stderr as text.
    static func shell(_ script: String) throws -> MendBinary.Result {
        let dir = try TemporaryDirectory()
        let out = dir.path + "/stdout", err = dir.path + "/stderr"
        let status = try system("(\(script)) >\(shellQuote(out)) 2>\(shellQuote(err)) </dev/null")
        return MendBinary.Result(status: status, stdout: try readFile(out), stderr: try readFile(err))
    }

    @Test func getEqualsTheShellsUlimit() throws {
        let mend = shellQuote(MendBinary.path)
        let get = shellQuote(#"ulimit.get("nofile")"#)
        // As started, and with the soft limit lowered in the shell: mend inherits what the shell has.
        for prefix in ["", "ulimit -Sn 100; "] {
            let r = try Self.shell("\(prefix)ulimit -n; ulimit -Hn; \(mend) eval \(get).soft; \(mend) eval \(get).hard")
            #expect(r.status == 0, "\(r.stderr)")
            let lines = r.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 4, "\(r.stdout)")
            #expect(lines.count == 4 && lines[0] == lines[2] && lines[1] == lines[3], "shell vs mend: \(lines)")
            if !prefix.isEmpty { #expect(lines.first == "100") }
        }
    }

    @Test func commandsOfTheRunInheritASetLimit() throws {
        let (_, hardNow) = Self.nofile()
        // Without root the hard limit can only go down: stay within the current one.
        let hard = geteuid() == 0 ? 8192 : min(8192, hardNow)
        let soft = min(4096, hard)
        let dir = try TemporaryDirectory()
        let file = dir.path + "/limits.mend"
        try writeFile(file, """
            step "open files for the node" {
              ulimit.set("nofile", \(soft), \(hard))
              print(run("sh", "-c", "ulimit -n").stdout.trim())
              print(run("sh", "-c", "ulimit -Hn").stdout.trim())
              print(ulimit.get("nofile"))
            }

            """)
        let r = try MendBinary.run(["run", file, "--state-dir", dir.path + "/state", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "\(soft)\n\(hard)\n{soft: \(soft), hard: \(hard)}\n")
        let report = try #require(JSON.parse(r.stdout))
        let change = report["steps"]?.array?.first?["changes"]?.array?.first
        #expect(change?["kind"] == .string("ulimit") && change?["target"] == .string("nofile"))
        #expect(change?["after"] == .object([("soft", .int(Int(soft))), ("hard", .int(Int(hard)))]))
    }

    @Test func theExampleOfTheIssuePrints4096() throws {
        let (_, hardNow) = Self.nofile()
        try #require(geteuid() == 0 || hardNow >= 8192, "needs root or a hard nofile limit of at least 8192, have \(hardNow)")
        let dir = try TemporaryDirectory()
        let file = dir.path + "/issue.mend"
        try writeFile(file, """
            step "limits" { ulimit.set("nofile", 4096, 8192); print(run("sh","-c","ulimit -n").stdout) }

            """)
        let r = try MendBinary.run(["run", file, "--state-dir", dir.path + "/state", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "4096\n\n")
    }

    @Test func undoRestoresTheLimitForLaterCommands() throws {
        let (softNow, hardNow) = Self.nofile()
        // The hard limit stays: without root, one lowered could not be raised again.
        let soft = softNow == min(4096, hardNow) ? softNow / 2 : min(4096, hardNow)
        let dir = try TemporaryDirectory()
        let file = dir.path + "/undo.mend"
        try writeFile(file, """
            step "raise" {
              ulimit.set("nofile", \(soft), \(hardNow))
              print(run("sh", "-c", "ulimit -n").stdout.trim())
            } rollback {
              print(run("sh", "-c", "ulimit -n; ulimit -Hn").stdout.trim())
            }
            step "fails" { fail("on purpose") }

            """)
        let r = try MendBinary.run(["run", file, "--state-dir", dir.path + "/state", "--format", "json"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("\(soft)\n\(softNow)\n\(hardNow)\n"), "\(r.stderr)")
        #expect(JSON.parse(r.stdout)?["status"] == .string("rolled_back"))
    }

    @Test func raisingTheHardLimitWithoutPrivilegesIsExit77() throws {
        let fixture = try EngineFixture()
        let (_, hardNow) = Self.nofile()
        let file = try fixture.runbook("raise.mend", """
            step "beyond the hard limit" { ulimit.set("nofile", \(hardNow), \(hardNow + 1)) }

            """)
        #expect(mkdir(fixture.statePath, 0o700) == 0)
        var prefix: [String] = []
        if geteuid() == 0 {
            // As root the raise would work: drop to nobody, who must reach the runbook and own the state dir.
            #expect(chmod(fixture.path, 0o755) == 0)
            #expect(chown(fixture.statePath, 65534, 65534) == 0)
            prefix = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        }
        let r = try fixture.run(prefix + [MendBinary.path, "run", file] + fixture.state)
        #expect(r.status == 77, "stdout: \(r.stdout) stderr: \(r.stderr)")
        #expect(r.stderr.contains("cannot set ulimit nofile to soft \(hardNow), hard \(hardNow + 1): Operation not permitted"),
                "\(r.stderr)")
    }

    @Test func aPlanOverTheUbuntuFixtureShowsEveryKindOfChange() throws {
        let dir = try TemporaryDirectory()
        let root = try FixtureHost.ubuntu.copy(into: dir.path)
        let before = try TreeSnapshot.of(root)
        let file = dir.path + "/plan.mend"
        try writeFile(file, """
            step "limits" {
              ulimit.set("nofile", 1000, 2000)
              ulimit.persist("nofile", soft: 65536, hard: 65536)
              ulimit.unit("node", "nofile", 65536)
            }

            """)
        let r = try MendBinary.run(["plan", file, "--root", root, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let changes = JSON.parse(r.stdout)?["steps"]?.array?.first?["changes"]?.array ?? []
        #expect(changes.map { $0["kind"]?.string ?? "?" } == ["ulimit", "file", "systemd.dropin"])
        #expect(changes.last?["note"] == .string("created (mode 0644); daemon-reload left to the host (--root)"))
        #expect(changes.last?["after"] == .string("[Service]\nLimitNOFILE=65536\n"))
        #expect(try TreeSnapshot.of(root) == before)
    }
}
