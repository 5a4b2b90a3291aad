import Glibc
import MendKit
import Testing

/// End-to-end acceptance tests of the runbook engine (issue 3): they drive the real `mend` binary
/// over a fixture `--root`, always with a `--state-dir` inside the test's own temporary directory,
/// and compare a snapshot of the whole root tree (paths, modes, owners, contents, link targets)
/// before and after. The helpers are at the bottom of the file.
@Suite("runbook engine, end to end")
struct RunbookEngineTests {
    /// Three steps: the first two change the fixture (a mode change, a write through a symbolic
    /// link, a file under new directories, a rewritten 0600 file, a removed binary file); the
    /// third fails on purpose. Step 1's assert holds in a run and in a plan (the overlay).
    static let threeSteps = """
        runbook "acceptance: three steps"

        step "rewrite the config" {
          file.write("/etc/app.conf", "port = 9000\\n", mode: 0o600, owner: "node:node")
          assert file.read("/etc/app.conf") == "port = 9000\\n", "the write is visible to a later read"
          file.write("/etc/link", "through the link\\n")
        }

        step "new and removed files" {
          file.write("/etc/app.d/extra/new.conf", "created\\n")
          file.write("/etc/keys/secret.key", "rotated\\n")
          file.remove("/etc/blob.bin")
        }

        step "verify" {
          assert file.read("/etc/app.conf") == "port = 9001\\n", "the port did not change"
        }

        """

    // MARK: 1. Rollback of a failed run

    @Test func aFailedThirdStepRestoresEveryFileByteForByte() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("three.mend", Self.threeSteps)
        let before = try TreeSnapshot.of(fixture.root)
        let owner = try fixture.owner("etc/app.conf")

        let r = try fixture.mend(["run", file, "--format", "json"] + fixture.rootAndState)
        #expect(r.status == 1, "stderr: \(r.stderr)")
        #expect(try TreeSnapshot.of(fixture.root) == before, "every file back with its content, mode and owner")
        #expect(try fixture.owner("etc/app.conf") == owner)
        // The snapshot covers these too; spelled out, a failure says which promise broke.
        #expect(fixture.linkTarget("etc/link") == "motd", "the symbolic link is still a link")
        #expect(try fixture.bytes("etc/blob.bin") == EngineFixture.blob)
        #expect(try fixture.mode("etc/app.conf") == 0o640)
        #expect(!fixture.exists("etc/app.d"), "the directories made for the new file are gone with it")

        let report = try parseReport(r)
        #expect(report["status"]?.string == "rolled_back")
        #expect(report["mode"]?.string == "apply")
        #expect(steps(report).map { $0["status"]?.string } == ["rolled_back", "rolled_back", "failed"])
        let error = steps(report).last?["error"]
        #expect(error?["message"]?.string?.hasPrefix("the port did not change — left \"port = 9000\\n\"") == true,
                "message: \(String(describing: error))")
        let location = sourceLocation(of: "assert file.read(\"/etc/app.conf\") == \"port = 9001", in: Self.threeSteps, file: file)
        #expect(error?["location"]?.string == location)
        #expect(r.stderr.contains("\(location): error: the port did not change"), "the full diagnostic goes to stderr")
        let first = steps(report).first?["changes"]?.array?.first?["note"]?.string
        // As root the write also changed the owner (node is uid 1234 then), so undo had to restore it.
        let expectedNote = "content changed, mode 0640 → 0600" + (geteuid() == 0 ? ", owner 0:0 → 1234:1234" : "")
        #expect(first == expectedNote)
        for step in steps(report).prefix(2) {
            #expect(step["changes"]?.array?.allSatisfy { $0["applied"]?.bool == true && $0["undone"]?.bool == true } == true)
        }
    }

    // MARK: 2. Plans touch nothing

    @Test(arguments: [["plan"], ["run", "--dry-run"]])
    func aPlanChangesNothingAndShowsEveryChange(command: [String]) throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("three.mend", Self.threeSteps)
        let before = try TreeSnapshot.of(fixture.root)

        let r = try fixture.mend(command + [file, "--format", "json"] + fixture.rootAndState)
        #expect(r.status == 1, "the plan fails at step 3, as the run would: \(r.stderr)")
        #expect(try TreeSnapshot.of(fixture.root) == before)
        #expect(!pathExists(fixture.statePath), "a plan takes no lock and writes no journal")

        let report = try parseReport(r)
        #expect(report["mode"]?.string == "dry-run")
        #expect(report["status"]?.string == "failed")
        #expect(report["run_id"] == .null)
        #expect(steps(report).map { $0["status"]?.string } == ["would_change", "would_change", "failed"],
                "step 1's assert after a planned write holds")
        #expect(steps(report).last?["error"]?["message"]?.string?.contains("left \"port = 9000\\n\"") == true,
                "step 3 reads the planned content")
        let changes = steps(report).flatMap { $0["changes"]?.array ?? [] }
        let blob = EngineFixture.blob
        let expected: [(String, JSON, JSON)] = [
            ("/etc/app.conf", .string("port = 8080\n"), .string("port = 9000\n")),
            ("/etc/link", .string("Welcome\n"), .string("through the link\n")),
            ("/etc/app.d/extra/new.conf", .null, .string("created\n")),
            ("/etc/keys/secret.key", .string("secret\n"), .string("rotated\n")),
            ("/etc/blob.bin", .object([("sha256", .string(SHA256.hex(blob))), ("bytes", .int(blob.count))]), .null),
        ]
        #expect(changes.count == expected.count)
        for (change, (target, before, after)) in zip(changes, expected) {
            #expect(change["kind"]?.string == "file")
            #expect(change["target"]?.string == target)
            #expect(change["before"] == before, "\(target)")
            #expect(change["after"] == after, "\(target)")
            #expect(change["applied"]?.bool == false)
        }

        // The text form of the same plan shows diffs and touches nothing either.
        let text = try fixture.mend(command + [file] + fixture.rootAndState)
        #expect(text.status == 1)
        #expect(text.stdout.contains("      -port = 8080\n      +port = 9000\n"))
        #expect(text.stdout.contains("      --- /dev/null\n      +++ b/etc/app.d/extra/new.conf\n"))
        #expect(text.stdout.contains("plan: failed — 1 failed, 2 would change"))
        #expect(try TreeSnapshot.of(fixture.root) == before)
        #expect(!pathExists(fixture.statePath))
    }

    // MARK: 3. SIGKILL, then `mend rollback`

    @Test func aKilledRunIsUndoneFromItsJournal() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("killed.mend", Self.writeAThenBThenWait)
        let before = try TreeSnapshot.of(fixture.root)

        let run = try fixture.start(["run", file] + fixture.rootAndState)
        #expect(pollUntil { (try? fixture.text("etc/b.conf")) == "B2\n" }, "step 2 never wrote B")
        #expect(try fixture.text("etc/a.conf") == "A2\n")
        // B is on disk a moment before its `applied` mark is in the journal, and `mend runs` counts
        // only marked changes: wait for the mark, so that the count below is certain.
        #expect(pollUntil { fixture.journal().contains(#"{"type":"applied","seq":2}"#) }, "B never marked applied")
        run.signal(SIGKILL)
        #expect(try run.wait().status == 128 + SIGKILL)

        let runId = try #require(fixture.runIds().first)
        #expect(fixture.runIds() == [runId])
        let listed = try fixture.mend(["runs"] + fixture.state)
        #expect(listed.status == 0)
        #expect(runsRow(listed.stdout, runId: runId) == ["interrupted", "2"], "runs: \(listed.stdout)")

        let rollback = try fixture.mend(["rollback", "last"] + fixture.state)
        #expect(rollback.status == 0, "stdout: \(rollback.stdout) stderr: \(rollback.stderr)")
        #expect(rollback.stdout.contains("rolling back run \(runId)\n  ↺ file /etc/b.conf\n  ↺ file /etc/a.conf\n"),
                "newest first: \(rollback.stdout)")
        #expect(try TreeSnapshot.of(fixture.root) == before)

        let after = try fixture.mend(["runs"] + fixture.state)
        #expect(runsRow(after.stdout, runId: runId) == ["rolled back by mend rollback", "0"], "runs: \(after.stdout)")
    }

    /// Step 1 changes A; step 2 changes B and then waits a minute (for a signal).
    static let writeAThenBThenWait = """
        runbook "A then B"
        step "write A" { file.write("/etc/a.conf", "A2\\n") }
        step "write B, then wait" {
          file.write("/etc/b.conf", "B2\\n")
          sleep(60s)
        }

        """

    // MARK: 4. SIGTERM and SIGINT

    @Test(arguments: [(SIGTERM, "json"), (SIGINT, "json"), (SIGTERM, "text"), (SIGINT, "text")])
    func aSignalStopsTheRunAndRollsItBack(signal: Int32, format: String) throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("signalled.mend", Self.writeAThenBThenWait)
        let before = try TreeSnapshot.of(fixture.root)
        let name = signal == SIGTERM ? "SIGTERM" : "SIGINT"

        let run = try fixture.start(["run", file, "--format", format] + fixture.rootAndState)
        #expect(pollUntil { (try? fixture.text("etc/b.conf")) == "B2\n" }, "step 2 never wrote B")
        run.signal(signal)
        let r = try run.wait()
        #expect(r.status == 1, "stderr: \(r.stderr)")
        #expect(try TreeSnapshot.of(fixture.root) == before)
        #expect(r.stderr.contains("error: interrupted by \(name)"))
        if format == "json" {
            let report = try parseReport(r)
            #expect(report["status"]?.string == "rolled_back")
            #expect(steps(report).map { $0["status"]?.string } == ["rolled_back", "failed"])
            #expect(steps(report).last?["error"]?["message"]?.string == "interrupted by \(name)")
        } else {
            #expect(r.stdout.contains("✗ 2. write B, then wait  failed"))
            #expect(r.stdout.contains("    error: interrupted by \(name) ("))
            #expect(r.stdout.contains("rolling back\n"))
            #expect(r.stdout.contains(": rolled back — 1 failed, 1 rolled back"))
        }
        let runId = try #require(fixture.runIds().first)
        #expect(runsRow(try fixture.mend(["runs"] + fixture.state).stdout, runId: runId) == ["rolled_back", "0"])
    }

    // MARK: 5. The lock

    @Test func aSecondRunWithTheSameStateDirectoryGetsExit75() throws {
        let fixture = try EngineFixture()
        // Holds the lock until the test creates /release (or a minute passes).
        let holder = try fixture.runbook("holder.mend", """
            step "hold the lock" {
              file.write("/etc/a.conf", "held\\n")
              for i in range(1200) {
                if file.exists("/release") { break }
                sleep(50ms)
              }
            }

            """)
        let second = try fixture.runbook("second.mend", "step \"write B\" { file.write(\"/etc/b.conf\", \"B2\\n\") }\n")

        let first = try fixture.start(["run", holder] + fixture.rootAndState)
        #expect(pollUntil { (try? fixture.text("etc/a.conf")) == "held\n" }, "the first run never started its step")
        let runId = try #require(fixture.runIds().first)

        let blocked = try fixture.mend(["run", second] + fixture.rootAndState)
        #expect(blocked.status == 75)
        #expect(blocked.stderr.contains("another mend run holds the lock (pid \(first.pid), run \(runId))"),
                "stderr: \(blocked.stderr)")
        #expect(try fixture.text("etc/b.conf") == "B1\n", "the blocked run changed nothing")
        #expect(fixture.runIds() == [runId], "the blocked run keeps no journal")
        let rollback = try fixture.mend(["rollback", "last"] + fixture.state)
        #expect(rollback.status == 75, "mend rollback takes the lock too")

        try writeFile(fixture.root + "/release", "")
        let finished = try first.wait()
        #expect(finished.status == 0, "stderr: \(finished.stderr)")
        #expect(finished.stdout.contains("● 1. hold the lock  changed"))
        #expect(try fixture.text("etc/a.conf") == "held\n")
        #expect(try fixture.mend(["run", second] + fixture.rootAndState).status == 0, "the lock is free again")
    }

    // MARK: 6. require

    @Test func aFailedRequireRunsNoStepAndWritesNoJournal() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("require.mend", """
            require file.exists("/etc/app.conf"), "the config is there"
            require file.exists("/etc/never"), "the never file is there"
            step "would write" { file.write("/etc/a.conf", "changed\\n") }

            """)
        let before = try TreeSnapshot.of(fixture.root)

        let text = try fixture.mend(["run", file] + fixture.rootAndState)
        #expect(text.status == 4)
        #expect(!text.stdout.contains("would write"))
        #expect(text.stdout.contains("precondition failed"))
        #expect(text.stderr.contains("error: the never file is there"))
        let json = try fixture.mend(["run", file, "--format", "json"] + fixture.rootAndState)
        #expect(json.status == 4)
        let report = try parseReport(json)
        #expect(report["status"]?.string == "precondition_failed")
        #expect(steps(report).isEmpty)
        #expect(try TreeSnapshot.of(fixture.root) == before)
        #expect(fixture.runIds().isEmpty, "no journal")
    }

    // MARK: 7. confirm

    @Test func anUnansweredConfirmFailsTheStepAndRollsBack() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("confirm.mend", """
            step "first" { file.write("/etc/b.conf", "B2\\n") }
            step "held" confirm 2s { file.write("/etc/a.conf", "A2\\n") }

            """)
        let before = try TreeSnapshot.of(fixture.root)

        let r = try fixture.mend(["run", file, "--format", "json"] + fixture.rootAndState)
        #expect(r.status == 1, "stderr: \(r.stderr)")
        let report = try parseReport(r)
        #expect(steps(report).map { $0["status"]?.string } == ["rolled_back", "failed"])
        #expect(steps(report).last?["error"]?["message"]?.string == "not confirmed within 2s")
        #expect(try TreeSnapshot.of(fixture.root) == before)
        #expect(try fixture.mend(["confirm"] + fixture.state).status == 1, "nothing waits any more")
    }

    @Test func mendConfirmFromAnotherProcessKeepsTheChange() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("confirm.mend", "step \"held\" confirm 60s { file.write(\"/etc/a.conf\", \"A2\\n\") }\n")
        let idle = try fixture.mend(["confirm"] + fixture.state)
        #expect(idle.status == 1)
        #expect(idle.stderr.contains("no step is waiting for a confirmation"))

        let run = try fixture.start(["run", file] + fixture.rootAndState)
        var confirmed: MendBinary.Result?
        #expect(try pollUntil {
            let r = try fixture.mend(["confirm"] + fixture.state)
            if r.status == 0 { confirmed = r }
            return r.status == 0
        }, "mend confirm never found the waiting step")
        #expect(confirmed?.stdout.hasPrefix("confirmed step 1 \"held\" of run ") == true)
        let r = try run.wait()
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("waiting 1m0s for `mend confirm`"))
        #expect(try fixture.text("etc/a.conf") == "A2\n", "the confirmed change is kept")
    }

    // MARK: 8. Step timeouts

    /// What step 2 does after its change until its 300 ms timeout stops it. `PIDFILE` is replaced
    /// by a path where the shell leaves its pid, to check that the command was killed.
    @Test(arguments: ["while true { }", "run(\"sleep\", \"30\")", "sleep(30s)", "sh(\"echo $$ > PIDFILE; exec sleep 30\")"])
    func aStepTimeoutFailsTheStepAndRollsBack(body: String) throws {
        let fixture = try EngineFixture()
        let pidFile = fixture.path + "/command.pid"
        let file = try fixture.runbook("timeout.mend", """
            step "one" { file.write("/etc/a.conf", "A2\\n") }
            step "two" timeout 300ms {
              file.write("/etc/b.conf", "B2\\n")
              \(body.replacingOccurrences(of: "PIDFILE", with: pidFile))
            } rollback {
              log("step 2 compensated")
            }

            """)
        let before = try TreeSnapshot.of(fixture.root)

        let r = try fixture.mend(["run", file, "--format", "json"] + fixture.rootAndState)
        #expect(r.status == 1, "stderr: \(r.stderr)")
        #expect(try TreeSnapshot.of(fixture.root) == before)
        let report = try parseReport(r)
        #expect(report["status"]?.string == "rolled_back")
        #expect(steps(report).map { $0["status"]?.string } == ["rolled_back", "failed"])
        let two = steps(report).last
        #expect(two?["error"]?["message"]?.string == "the step ran longer than its timeout of 300ms")
        #expect(two?["log"]?.array?.contains { $0.string?.hasSuffix("step 2 compensated") == true } == true,
                "the rollback block ran")
        // The shell may be killed before it writes its pid; when it did, it must be gone.
        if let text = try? readFile(pidFile), let pid = Int32(text.filter { !$0.isWhitespace }) {
            #expect(pollUntil { !isAlive(pid) }, "the timed-out command was killed")
        }
    }

    // MARK: 9. Exit codes (docs/runbooks.md)

    @Test func exitCodesZeroAndTwo() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("converge.mend", "step \"motd\" { file.write(\"/etc/motd\", \"Managed\\n\") }\n")
        let detailed = fixture.rootAndState + ["--detailed-exitcode"]

        #expect(try fixture.mend(["plan", file] + detailed).status == 2, "a plan with pending changes")
        #expect(try fixture.mend(["plan", file] + fixture.rootAndState).status == 0, "without the flag")
        #expect(try fixture.mend(["run", file] + detailed).status == 2, "a run that changed something")
        #expect(try fixture.text("etc/motd") == "Managed\n")
        let again = try fixture.mend(["run", file] + detailed)
        #expect(again.status == 0, "a second identical run changes nothing")
        #expect(again.stdout.contains("✓ 1. motd  ok"))
        #expect(try fixture.mend(["plan", file] + detailed).status == 0, "nothing pending")
    }

    @Test func exitCodeOneForAFailedAssertAndAFailedCheck() throws {
        let fixture = try EngineFixture()
        let assertion = try fixture.runbook("assert.mend", """
            step "write" { file.write("/etc/a.conf", "A2\\n") }
            step "assert" { assert 1 + 1 == 3 }

            """)
        let r = try fixture.mend(["run", assertion] + fixture.rootAndState)
        #expect(r.status == 1)
        #expect(r.stderr.contains("error: assert failed: 1 + 1 == 3 — left 2, right 3"))
        #expect(try fixture.text("etc/a.conf") == "A1\n", "rolled back")

        // A failed check fails the run but rolls nothing back.
        let check = try fixture.runbook("check.mend", """
            step "write" { file.write("/etc/b.conf", "B2\\n") }
            check file.exists("/etc/never"), "the never file is there"

            """)
        let c = try fixture.mend(["run", check, "--format", "json"] + fixture.rootAndState)
        #expect(c.status == 1)
        let report = try parseReport(c)
        #expect(report["status"]?.string == "failed")
        #expect(steps(report).map { $0["status"]?.string } == ["changed"])
        #expect(report["checks"]?.array?.first?["ok"]?.bool == false)
        #expect(try fixture.text("etc/b.conf") == "B2\n", "a failed check triggers no rollback")
    }

    @Test func exitCodeThreeWinsOverOneWhenTheRollbackIsIncomplete() throws {
        let fixture = try EngineFixture()
        // A command cannot be undone, and its step has no rollback block.
        let command = try fixture.runbook("command.mend", """
            step "command" {
              file.write("/etc/a.conf", "A2\\n")
              run("true")
            }
            step "fails" { assert false, "stop" }

            """)
        let r = try fixture.mend(["run", command, "--format", "json"] + fixture.rootAndState)
        #expect(r.status == 3, "3 wins over the 1 of the failed step")
        var report = try parseReport(r)
        #expect(report["status"]?.string == "rollback_incomplete")
        #expect(report["rollback_errors"]?.array?.first?["target"]?.string == "true")
        #expect(report["rollback_errors"]?.array?.first?["message"]?.string?.contains("has no rollback block") == true)
        #expect(try fixture.text("etc/a.conf") == "A1\n", "the file change is still undone")

        // A rollback block that itself fails.
        let block = try fixture.runbook("block.mend", """
            step "compensated" { file.write("/etc/b.conf", "B2\\n") } rollback { fail("cannot compensate") }
            step "fails" { assert false, "stop" }

            """)
        let b = try fixture.mend(["run", block, "--format", "json"] + fixture.rootAndState)
        #expect(b.status == 3)
        report = try parseReport(b)
        #expect(report["status"]?.string == "rollback_incomplete")
        #expect(report["rollback_errors"]?.array?.first?["target"]?.string == "rollback block of step 1 \"compensated\"")
        #expect(report["rollback_errors"]?.array?.first?["message"]?.string?.hasPrefix("cannot compensate") == true)
        #expect(try fixture.text("etc/b.conf") == "B1\n", "the rest of the rollback still ran")
    }

    @Test func exitCode64ForUsageErrors() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("params.mend", """
            param count = 1
            step "s" { file.write("/etc/a.conf", "${count}\\n") }

            """)
        let broken = try fixture.runbook("broken.mend", "print(1\n")
        let cases: [([String], String)] = [
            (["run", file, "--param", "nope=1"], "unknown param 'nope'"),
            (["run", file, "--param", "count=many"], "expected an int, got \"many\""),
            (["run", file, "--from", "0"], "--from counts steps from 1, got 0"),
            (["run", fixture.path + "/missing.mend"], "cannot read \(fixture.path)/missing.mend"),
            (["run", file, "--root", fixture.path + "/no-such-dir"], "--root \(fixture.path)/no-such-dir: no such directory"),
            (["plan", file, "--param-file", fixture.path + "/no-such-file"], "no-such-file"),
            // 64 wins over 65.
            (["run", broken, "--root", fixture.path + "/no-such-dir"], "no such directory"),
        ]
        let before = try TreeSnapshot.of(fixture.root)
        for (arguments, message) in cases {
            let r = try fixture.mend(arguments + ["--state-dir", fixture.statePath])
            #expect(r.status == 64, "\(arguments) → \(r.status): \(r.stderr)")
            #expect(r.stderr.contains(message), "\(arguments): \(r.stderr)")
            #expect(r.stdout.isEmpty, "nothing runs before a usage error is reported")
        }
        #expect(try TreeSnapshot.of(fixture.root) == before)
        #expect(!pathExists(fixture.statePath))
    }

    @Test func exitCode65ForARunbookThatDoesNotParseOrCheck() throws {
        let fixture = try EngineFixture()
        let syntax = try fixture.runbook("syntax.mend", "step \"s\" { file.write(\"/etc/a.conf\", \"x\\n\"\n")
        let outside = try fixture.runbook("outside.mend", "file.write(\"/etc/a.conf\", \"x\\n\")\nstep \"s\" { }\n")
        for (file, message) in [(syntax, "syntax.mend:"), (outside, "outside.mend:1:1: error: 'file.write' changes the host")] {
            let r = try fixture.mend(["run", file] + fixture.rootAndState)
            #expect(r.status == 65, "\(file): \(r.stderr)")
            #expect(r.stderr.contains(message), "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        #expect(try fixture.text("etc/a.conf") == "A1\n")
        #expect(!pathExists(fixture.statePath))
    }

    @Test func exitCode75WhileTheLockIsHeldAndFourWinsOverIt() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("write.mend", "step \"s\" { file.write(\"/etc/a.conf\", \"A2\\n\") }\n")
        let require = try fixture.runbook("require.mend", """
            require false, "never"
            step "s" { file.write("/etc/a.conf", "A2\\n") }

            """)
        // This process plays the holder: an flock on the state directory's lock file.
        #expect(mkdir(fixture.statePath, 0o700) == 0)
        let fd = open(fixture.statePath + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        _ = "4242 20260101-000000-abcdef\n".withCString { write(fd, $0, strlen($0)) }

        let r = try fixture.mend(["run", file] + fixture.rootAndState)
        #expect(r.status == 75)
        #expect(r.stderr.contains("another mend run holds the lock (pid 4242, run 20260101-000000-abcdef)"))
        #expect(try fixture.text("etc/a.conf") == "A1\n")
        #expect(try fixture.mend(["run", require] + fixture.rootAndState).status == 4, "4 comes before 75")
    }

    @Test func exitCode77WhenAChangeNeedsPrivilegesTheRunLacks() throws {
        let fixture = try EngineFixture()
        let asRoot = geteuid() == 0
        // The runner (uid 65534 when we are root, else us) may write under /srv, not under /etc.
        let runner: (uid: UInt32, gid: UInt32) = asRoot ? (65534, 65534) : (getuid(), getgid())
        try fixture.makeDirectory("srv", mode: 0o755)
        try fixture.makeDirectory("srv/app", mode: 0o755)
        try fixture.makeFile("srv/app/app.conf", "app1\n", mode: 0o644)
        try fixture.makeFile("etc/hosts", "127.0.0.1 localhost\n", mode: 0o644)
        let file = try fixture.runbook("privileged.mend", """
            step "app config" { file.write("/srv/app/app.conf", "app2\\n") }
            step "hosts" { file.write("/etc/hosts", "10.0.0.1 node\\n") }

            """)
        #expect(mkdir(fixture.statePath, 0o700) == 0)
        var prefix: [String] = []
        if asRoot {
            // The runner must reach the runbook and the fixture through the temporary directory.
            #expect(chmod(fixture.path, 0o755) == 0)
            for path in ["/srv", "/srv/app", "/srv/app/app.conf"].map({ fixture.root + $0 }) + [fixture.statePath] {
                #expect(chown(path, runner.uid, runner.gid) == 0)
            }
            prefix = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        } else {
            #expect(chmod(fixture.root + "/etc", 0o555) == 0)
        }
        defer { _ = chmod(fixture.root + "/etc", 0o755) }
        let before = try TreeSnapshot.of(fixture.root)

        let r = try fixture.run(prefix + [MendBinary.path, "run", file] + fixture.rootAndState)
        #expect(r.status == 77, "stdout: \(r.stdout) stderr: \(r.stderr)")
        #expect(r.stderr.contains("error: cannot write /etc/hosts: Permission denied"), "the message names the path: \(r.stderr)")
        #expect(r.stdout.contains("↺ 1. file /srv/app/app.conf"), "step 1 was rolled back")
        #expect(try TreeSnapshot.of(fixture.root) == before)
        #expect(try fixture.owner("srv/app/app.conf") == runner)
    }

    @Test func aPlanWithoutReadAccessPlansOverTheContentAsUnknown() throws {
        let fixture = try EngineFixture()
        let asRoot = geteuid() == 0
        // Only root may read the file (as root the plan runs as nobody; otherwise the file has mode 0).
        try fixture.makeFile("etc/token.conf", "old\n", mode: asRoot ? 0o600 : 0)
        defer { _ = chmod(fixture.root + "/etc/token.conf", 0o600) }
        let file = try fixture.runbook("unknown.mend", """
            step "replace" { file.write("/etc/token.conf", "new\\n") }
            step "verify" { assert file.read("/etc/token.conf") == "new\\n" }

            """)
        let prefix = asRoot ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
        if asRoot { #expect(chmod(fixture.path, 0o755) == 0) }
        let before = try TreeSnapshot.of(fixture.root)

        let r = try fixture.run(prefix + [MendBinary.path, "plan", file, "--root", fixture.root, "--format", "json"])
        #expect(r.status == 0, "stdout: \(r.stdout) stderr: \(r.stderr)")
        let change = try #require(steps(try parseReport(r)).first?["changes"]?.array?.first)
        #expect(change["before"]?["unknown"]?.string?.contains("Permission denied") == true, "\(change)")
        #expect(change["after"]?.string == "new\n")
        #expect(try TreeSnapshot.of(fixture.root) == before)

        // What needs the content itself fails, naming the file.
        let line = try fixture.runbook("line.mend", "step \"edit\" { file.line(\"/etc/token.conf\", \"x = 1\") }\n")
        let edit = try fixture.run(prefix + [MendBinary.path, "plan", line, "--root", fixture.root])
        #expect(edit.status == 77, "stdout: \(edit.stdout) stderr: \(edit.stderr)")
        #expect(edit.stderr.contains("cannot read /etc/token.conf: Permission denied"), "\(edit.stderr)")
    }

    // MARK: 10. Secrets

    @Test func aSecretNeverShowsInAnyOutputButIsJournalled() throws {
        let fixture = try EngineFixture()
        // The quote and the backslash make a string literal show it escaped (`Sx9q\"\\zk7w`): masked too.
        let secret = "Sx9q\"\\zk7w"
        let file = try fixture.runbook("secret.mend", """
            runbook "secrets stay secret"
            secret param token = ""

            step "install ${token}" {
              file.write("/etc/token.conf", "token = ${token}\\n", mode: 0o600)
              print("printing ${token}")
              log("logging ${token}")
              try { fail("caught ${token}") } catch e { log(e.message) }
            }

            step "use it" {
              check file.read("/etc/token.conf") == "token = \\n", "check of ${token}"
              assert file.read("/etc/token.conf") == "", "the service rejected ${token}"
            }

            """)
        let paramFile = fixture.path + "/params"
        try writeFile(paramFile, "# the token\ntoken = \(secret)\n")
        let sources: [(label: String, arguments: [String], environment: [String: String])] = [
            ("MEND_PARAM_TOKEN", [], ["MEND_PARAM_TOKEN": secret]),
            ("--param-file", ["--param-file", paramFile], [:]),
        ]
        for source in sources {
            for command in ["run", "plan"] {
                for format in ["text", "json", "junit", "markdown"] {
                    let label = "\(source.label) \(command) --format \(format)"
                    let r = try fixture.mend([command, file, "--format", format] + source.arguments + fixture.rootAndState,
                                             environment: source.environment)
                    #expect(r.status == 1, "\(label): \(r.stderr)")
                    let all = r.stdout + r.stderr
                    // Any rendering of the secret (raw, escaped for a literal, JSON or XML) keeps these.
                    #expect(!all.contains("Sx9q") && !all.contains("zk7w"), "\(label) leaks the secret:\n\(all)")
                    #expect(all.contains("install ••••"), "\(label): the step name is masked, not dropped")
                    for shown in ["printing ••••", "logging ••••", "caught ••••"] {
                        #expect(all.contains(shown), "\(label): \(shown)")
                    }
                    #expect(all.contains("the service rejected ••••"), "\(label)")
                    if format == "json" {
                        #expect(try parseReport(r)["params"]?["token"]?.string == "••••")
                    }
                    if format == "text", command == "plan" {
                        #expect(r.stdout.contains("      +token = ••••\n"), "the diff is masked: \(r.stdout)")
                    }
                }
            }
        }
        // Runs journal the real value (undo needs it), in a directory only root can read.
        let runs = fixture.runIds()
        #expect(runs.count == 8)
        #expect(try fileMode(fixture.statePath) == 0o700)
        #expect(try fileMode(fixture.statePath + "/runs") == 0o700)
        for id in runs {
            let journal = fixture.statePath + "/runs/\(id).journal"
            #expect(try fileMode(journal) == 0o600)
            #expect(try readFile(journal).contains(#"token = Sx9q\"\\zk7w"#))
        }
    }

    // MARK: 11. Step selection

    /// A selection on the command line and the statuses and skip reasons it gives the four steps.
    struct Selection: Sendable, CustomTestStringConvertible {
        let arguments: [String]
        let statuses: [String]
        let reasons: [String?]
        var testDescription: String { arguments.joined(separator: " ") }
    }

    @Test(arguments: [
        Selection(arguments: ["--step", "beta"], statuses: ["skipped", "skipped", "changed", "skipped"],
                  reasons: [notSelectedByStep, notSelectedByStep, nil, "when false"]),
        Selection(arguments: ["--step", "alpha*"], statuses: ["changed", "changed", "skipped", "skipped"],
                  reasons: [nil, nil, notSelectedByStep, "when false"]),
        Selection(arguments: ["--step", "alpha ?ne", "--step", "beta"], statuses: ["changed", "skipped", "changed", "skipped"],
                  reasons: [nil, notSelectedByStep, nil, "when false"]),
        Selection(arguments: ["--from", "3"], statuses: ["skipped", "skipped", "changed", "skipped"],
                  reasons: ["before --from 3", "before --from 3", nil, "when false"]),
        Selection(arguments: [], statuses: ["changed", "changed", "changed", "skipped"],
                  reasons: [nil, nil, nil, "when false"]),
    ])
    func stepSelection(selection: Selection) throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("selection.mend", """
            print("top-level start")
            step "alpha one" { file.write("/etc/s1", "1\\n") }
            step "alpha two" { file.write("/etc/s2", "2\\n") }
            step "beta" { file.write("/etc/s3", "3\\n") }
            step "gated" when false { file.write("/etc/s4", "4\\n") }
            print("top-level end")

            """)
        let r = try fixture.mend(["run", file, "--format", "json"] + selection.arguments + fixture.rootAndState)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stderr == "top-level start\ntop-level end\n", "top-level code always runs")
        let report = try parseReport(r)
        #expect(steps(report).map { $0["index"]?.int } == [1, 2, 3, 4], "numbered as they are reached, selected or not")
        #expect(steps(report).map { $0["status"]?.string } == selection.statuses)
        #expect(steps(report).map { $0["skipped_reason"]?.string } == selection.reasons)
        for (k, status) in selection.statuses.enumerated() {
            #expect(fixture.exists("etc/s\(k + 1)") == (status == "changed"), "step \(k + 1)")
        }
    }

    // MARK: 12. --no-rollback, `mend rollback` and drift

    @Test func noRollbackLeavesChangesForMendRollback() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("three.mend", Self.threeSteps)
        let before = try TreeSnapshot.of(fixture.root)

        let r = try fixture.mend(["run", file, "--no-rollback"] + fixture.rootAndState)
        #expect(r.status == 1)
        #expect(!r.stdout.contains("rolling back"))
        #expect(try fixture.text("etc/app.conf") == "port = 9000\n", "left as the failure found it")
        #expect(try fixture.text("etc/app.d/extra/new.conf") == "created\n")
        #expect(!fixture.exists("etc/blob.bin"))
        let runId = try #require(fixture.runIds().first)
        #expect(runsRow(try fixture.mend(["runs"] + fixture.state).stdout, runId: runId) == ["failed", "5"])

        let rollback = try fixture.mend(["rollback", "last"] + fixture.state)
        #expect(rollback.status == 0, "\(rollback.stdout) \(rollback.stderr)")
        #expect(rollback.stdout.contains("↺ file /etc/app.d/extra/new.conf"))
        #expect(try TreeSnapshot.of(fixture.root) == before)
        #expect(fixture.linkTarget("etc/link") == "motd")

        let again = try fixture.mend(["rollback", "last"] + fixture.state)
        #expect(again.status == 0)
        #expect(again.stdout == "rolling back run \(runId)\n  nothing to undo\nrolled back\n")
        #expect(try TreeSnapshot.of(fixture.root) == before)
    }

    @Test func rollbackSkipsAFileChangedSinceTheRunUnlessForced() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("drift.mend", """
            step "write A" { file.write("/etc/a.conf", "A2\\n") }
            step "write B" { file.write("/etc/b.conf", "B2\\n") }
            step "fail" { assert false, "stop" }

            """)
        let before = try TreeSnapshot.of(fixture.root)
        #expect(try fixture.mend(["run", file, "--no-rollback"] + fixture.rootAndState).status == 1)
        try fixture.makeFile("etc/a.conf", "edited by hand\n", mode: 0o644)

        let skipped = try fixture.mend(["rollback", "last"] + fixture.state)
        #expect(skipped.status == 3)
        #expect(skipped.stdout.contains("! file /etc/a.conf: changed since the run; --force restores"), "\(skipped.stdout)")
        #expect(skipped.stdout.contains("↺ file /etc/b.conf"))
        #expect(skipped.stdout.hasSuffix("rollback incomplete\n"))
        #expect(try fixture.text("etc/a.conf") == "edited by hand\n", "the hand edit is kept")
        #expect(try fixture.text("etc/b.conf") == "B1\n")

        let forced = try fixture.mend(["rollback", "last", "--force"] + fixture.state)
        #expect(forced.status == 0, "\(forced.stdout)")
        #expect(forced.stdout.contains("↺ file /etc/a.conf"))
        #expect(try TreeSnapshot.of(fixture.root) == before)
    }

    // MARK: 13. Commands, plans and rollback blocks

    @Test func commandsRunInARunAndOnlyReadonlyOnesInAPlan() throws {
        let fixture = try EngineFixture()
        let marker = fixture.path + "/ran", readonlyMarker = fixture.path + "/ran-readonly"
        let file = try fixture.runbook("commands.mend", """
            step "commands" {
              let r = run("touch", "\(marker)")
              print("ran: ${r.ran}")
              sh("touch '\(readonlyMarker)'", readonly: true)
            }

            """)
        let plan = try fixture.mend(["plan", file, "--format", "json"] + fixture.rootAndState)
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(!pathExists(marker), "a command does not run in a plan")
        #expect(pathExists(readonlyMarker), "a readonly command runs in a plan")
        #expect(plan.stderr == "ran: false\n")
        let change = steps(try parseReport(plan)).first?["changes"]?.array?.first
        #expect(change?["kind"]?.string == "run")
        #expect(change?["target"]?.string == "touch \(marker)")
        #expect(change?["after"]?.string == "not run in a plan")
        #expect(steps(try parseReport(plan)).first?["changes"]?.array?.count == 1, "readonly commands are no changes")

        let run = try fixture.mend(["run", file] + fixture.rootAndState)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(pathExists(marker))
        #expect(run.stdout.contains("ran: true\n"))
        #expect(run.stdout.contains("    run touch \(marker): ran\n"))
    }

    @Test func rollbackBlocksRunNewestFirstAfterTheirStepIsUndone() throws {
        let fixture = try EngineFixture()
        let marker = fixture.path + "/ran"
        // Each block records what it sees of its step's file: the change is already undone.
        let file = try fixture.runbook("blocks.mend", """
            step "one" { file.write("/etc/a.conf", "A2\\n") } rollback {
              file.line("/var/log/order", "one saw " + file.read("/etc/a.conf").trim())
            }
            step "two" {
              file.write("/etc/b.conf", "B2\\n")
              run("touch", "\(marker)")
            } rollback {
              file.line("/var/log/order", "two saw " + file.read("/etc/b.conf").trim())
            }
            step "three" { assert false, "stop" }

            """)
        let r = try fixture.mend(["run", file, "--format", "json"] + fixture.rootAndState)
        #expect(r.status == 1, "the block compensates for the command: \(r.stderr)")
        #expect(pathExists(marker), "the command ran in the run")
        #expect(try fixture.text("var/log/order") == "two saw B1\none saw A1\n")
        #expect(try fixture.text("etc/a.conf") == "A1\n")
        #expect(try fixture.text("etc/b.conf") == "B1\n")
        let report = try parseReport(r)
        #expect(report["status"]?.string == "rolled_back")
        #expect(steps(report).map { $0["status"]?.string } == ["rolled_back", "rolled_back", "failed"])
        #expect(report["rollback_errors"]?.array?.isEmpty == true)
    }
}

// MARK: - Helpers

/// The skip reason of a step that `--step` did not select.
let notSelectedByStep = "not selected by --step"

/// A fixture host in a fresh temporary directory: `root/` (given as `--root`), `state/` (the
/// `--state-dir`, not created beforehand), and runbooks and outputs beside them.
///
/// `root/etc` holds `app.conf` (0640), `keys/secret.key` (0600, in a 0700 directory), a binary
/// `blob.bin`, `motd`, `link -> motd`, `a.conf` and `b.conf` ("A1", "B1"), and `passwd`/`group`
/// naming a user `node` (uid 1234 when we are root, else our own ids, so `owner: "node:node"` works).
final class EngineFixture {
    let directory: TemporaryDirectory
    var path: String { directory.path }
    var root: String { path + "/root" }
    var statePath: String { path + "/state" }
    /// `--state-dir DIR`.
    var state: [String] { ["--state-dir", statePath] }
    /// `--root DIR --state-dir DIR`.
    var rootAndState: [String] { ["--root", root] + state }
    private var outputs = 0

    static let blob: [UInt8] = [0x00, 0xFF, 0x01, 0x62, 0x69, 0x6E, 0xC3, 0x28, 0x0A, 0xFE]

    init() throws {
        directory = try TemporaryDirectory()
        let node = geteuid() == 0 ? (uid: UInt32(1234), gid: UInt32(1234)) : (uid: getuid(), gid: getgid())
        try makeDirectory("", mode: 0o755)
        try makeDirectory("etc", mode: 0o755)
        try makeDirectory("etc/keys", mode: 0o700)
        try makeFile("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnode:x:\(node.uid):\(node.gid)::/:/bin/false\n", mode: 0o644)
        try makeFile("etc/group", "root:x:0:\nnode:x:\(node.gid):\n", mode: 0o644)
        try makeFile("etc/app.conf", "port = 8080\n", mode: 0o640)
        try makeFile("etc/keys/secret.key", "secret\n", mode: 0o600)
        try makeFile("etc/motd", "Welcome\n", mode: 0o644)
        try makeFile("etc/a.conf", "A1\n", mode: 0o644)
        try makeFile("etc/b.conf", "B1\n", mode: 0o644)
        try writeBytes(root + "/etc/blob.bin", Self.blob)
        guard chmod(root + "/etc/blob.bin", 0o644) == 0, symlink("motd", root + "/etc/link") == 0 else {
            throw TestFailure(description: "cannot set up the fixture")
        }
    }

    /// Writes a runbook beside the root and returns its path.
    func runbook(_ name: String, _ source: String) throws -> String {
        try writeFile(path + "/" + name, source)
        _ = chmod(path + "/" + name, 0o644)
        return path + "/" + name
    }

    /// Creates a directory under the root with exactly this mode (no umask).
    func makeDirectory(_ relative: String, mode: mode_t) throws {
        let dir = relative.isEmpty ? root : root + "/" + relative
        if mkdir(dir, 0o700) != 0, errno != EEXIST { throw TestFailure(description: "mkdir \(dir): \(errno)") }
        guard chmod(dir, mode) == 0 else { throw TestFailure(description: "chmod \(dir)") }
    }

    /// Writes a file under the root with exactly this mode.
    func makeFile(_ relative: String, _ text: String, mode: mode_t) throws {
        try writeFile(root + "/" + relative, text)
        guard chmod(root + "/" + relative, mode) == 0 else { throw TestFailure(description: "chmod \(relative)") }
    }

    /// Runs `mend ARGS…` to the end, stdin from /dev/null (not a terminal).
    func mend(_ arguments: [String], environment: [String: String] = [:]) throws -> MendBinary.Result {
        try run([MendBinary.path] + arguments, environment: environment)
    }

    /// Runs any command to the end (`setpriv … mend …`).
    func run(_ argv: [String], environment: [String: String] = [:]) throws -> MendBinary.Result {
        try start(argv: argv, environment: environment).wait()
    }

    /// Starts `mend ARGS…` in the background.
    func start(_ arguments: [String], environment: [String: String] = [:]) throws -> BackgroundProcess {
        try start(argv: [MendBinary.path] + arguments, environment: environment)
    }

    func start(argv: [String], environment: [String: String]) throws -> BackgroundProcess {
        outputs += 1
        return try BackgroundProcess(argv, output: path + "/output-\(outputs)", environment: environment)
    }

    /// The text of the newest run's journal ("" when there is none yet).
    func journal() -> String {
        runIds().last.flatMap { try? readFile(statePath + "/runs/\($0).journal") } ?? ""
    }

    /// The ids of the journalled runs in the state directory, oldest first.
    func runIds() -> [String] {
        listDirectory(statePath + "/runs").filter { $0.hasSuffix(".journal") }.map { String($0.dropLast(8)) }.sorted()
    }

    // Paths relative to the root.
    func exists(_ relative: String) -> Bool { pathExists(root + "/" + relative) }
    func text(_ relative: String) throws -> String { try readFile(root + "/" + relative) }
    func bytes(_ relative: String) throws -> [UInt8] { try readAllBytes(root + "/" + relative) }
    func mode(_ relative: String) throws -> mode_t { try fileMode(root + "/" + relative) }
    func linkTarget(_ relative: String) -> String? { readLinkTarget(root + "/" + relative) }

    func owner(_ relative: String) throws -> (uid: UInt32, gid: UInt32) {
        let info = try fileInfo(root + "/" + relative)
        return (info.st_uid, info.st_gid)
    }
}

/// A process started with posix_spawn: stdin from /dev/null, stdout and stderr in files, a clean
/// signal mask and default dispositions, in its own process group. One still running when the
/// value goes away is killed (with its group) and reaped, so a failed test leaves nothing behind.
final class BackgroundProcess {
    let pid: pid_t
    private let output: String
    private var result: MendBinary.Result?

    init(_ argv: [String], output: String, environment: [String: String]) throws {
        self.output = output
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, output + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), defaults = sigset_t()
        sigemptyset(&noSignals)
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGALRM, SIGPIPE, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        // Our environment without MEND_* (a stray MEND_STATE_DIR or MEND_PARAM_X), with the test's own.
        var env = Host.local.environment().filter { entry in
            !entry.hasPrefix("MEND_") && !environment.keys.contains { entry.hasPrefix($0 + "=") }
        }
        env += environment.map { "\($0.key)=\($0.value)" }
        let cArgs = argv.map { strdup($0) } + [nil], cEnv = env.map { strdup($0) } + [nil]
        defer { for p in cArgs + cEnv { free(p) } }
        var pid = pid_t()
        let code = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
        guard code == 0 else { throw TestFailure(description: "cannot start \(argv[0]): \(String(cString: strerror(code)))") }
        self.pid = pid
    }

    /// Sends a signal to the process itself.
    func signal(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Waits for the process to end (killing it after `limit` seconds) and returns its exit
    /// status (128 + N for signal N) and output.
    func wait(limit: Double = 120) throws -> MendBinary.Result {
        if let result { return result }
        var status: Int32 = 0
        var waited = 0.0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0, errno != EINTR { throw TestFailure(description: "waitpid \(pid): \(errno)") }
            if waited > limit {
                kill(-pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw TestFailure(description: "process \(pid) still ran after \(limit) s")
            }
            usleep(20_000)
            waited += 0.02
        }
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let done = MendBinary.Result(status: code, stdout: try readFile(output + ".out"), stderr: try readFile(output + ".err"))
        result = done
        return done
    }

    deinit {
        guard result == nil else { return }
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }
}

/// Every entry under a directory, one line each — path, type, permission bits, owner, and the
/// SHA-256 of a file's bytes or a link's target — sorted: two snapshots are equal exactly when
/// the trees are (times aside), and a difference names the entry.
enum TreeSnapshot {
    static func of(_ directory: String) throws -> [String] {
        var lines: [String] = []
        try walk(directory, relative: ".", into: &lines)
        return lines.sorted()
    }

    private static func walk(_ path: String, relative: String, into lines: inout [String]) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw TestFailure(description: "lstat \(path): \(errno)") }
        let attributes = "\(String(info.st_mode & 0o7777, radix: 8)) \(info.st_uid):\(info.st_gid)"
        switch info.st_mode & S_IFMT {
        case S_IFLNK:
            lines.append("\(relative) link \(info.st_uid):\(info.st_gid) -> \(readLinkTarget(path) ?? "?")")
        case S_IFDIR:
            lines.append("\(relative) dir \(attributes)")
            for name in listDirectory(path) {
                try walk(path + "/" + name, relative: relative + "/" + name, into: &lines)
            }
        case S_IFREG:
            lines.append("\(relative) file \(attributes) \(SHA256.hex(try readAllBytes(path)))")
        default:
            lines.append("\(relative) other \(String(info.st_mode, radix: 8))")
        }
    }
}

/// True when something (even a dangling link) is at the path.
func pathExists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
}

/// The permission bits of what is at the path.
func fileMode(_ path: String) throws -> mode_t { try fileInfo(path).st_mode & 0o7777 }

/// `lstat` of the path.
func fileInfo(_ path: String) throws -> stat {
    var info = stat()
    guard lstat(path, &info) == 0 else { throw TestFailure(description: "lstat \(path): \(errno)") }
    return info
}

/// Polls `condition` every 50 ms for up to `seconds`; true as soon as it holds.
func pollUntil(seconds: Double = 20, _ condition: () throws -> Bool) rethrows -> Bool {
    var waited = 0.0
    while waited < seconds {
        if try condition() { return true }
        usleep(50_000)
        waited += 0.05
    }
    return try condition()
}

/// The target of a symbolic link, or nil when the path is not one.
func readLinkTarget(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink(path, &buffer, buffer.count - 1)
    guard n >= 0 else { return nil }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// True while a process exists and is not a zombie.
func isAlive(_ pid: Int32) -> Bool {
    guard let text = try? readFile("/proc/\(pid)/stat"), let paren = text.lastIndex(of: ")") else { return false }
    return !text[text.index(after: paren)...].hasPrefix(" Z")
}

/// The `--format json` report on a result's stdout.
func parseReport(_ result: MendBinary.Result) throws -> JSON {
    try #require(JSON.parse(result.stdout), "stdout is not JSON: \(result.stdout) stderr: \(result.stderr)")
}

/// The steps of a JSON report.
func steps(_ report: JSON) -> [JSON] {
    report["steps"]?.array ?? []
}

/// The STATUS and OUTSTANDING columns of a run in `mend runs` (columns are padded and separated
/// by two spaces; a status has single spaces at most).
func runsRow(_ output: String, runId: String) -> [String]? {
    guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix(runId + " ") }) else { return nil }
    let columns = line.split(separator: "  ").map { $0.drop { $0 == " " } }.filter { !$0.isEmpty }.map(String.init)
    return columns.count >= 4 ? Array(columns[2...3]) : nil
}

/// `FILE:LINE:COL` of the first occurrence of `needle` in `source` (columns count characters from 1).
func sourceLocation(of needle: String, in source: String, file: String) -> String {
    for (k, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        if let range = line.firstRange(of: needle) {
            return "\(file):\(k + 1):\(line.distance(from: line.startIndex, to: range.lowerBound) + 1)"
        }
    }
    return "\(file): no \(needle)"
}
