import Glibc
import MendKit
import Testing

/// End-to-end reproducers of the defects a new operator and a fault probe found (issue 11): each
/// drives the real `mend` binary over a fixture `--root` with its own `--state-dir`.
@Suite("trust under faults, end to end")
struct TrustUnderFaultsTests {
    /// One step that writes `/etc/a.conf`.
    static func writeA(_ text: String) -> String {
        """
        runbook "write A"
        step "write A" { file.write("/etc/a.conf", "\(text)\\n") }

        """
    }

    // MARK: Run ids and `last`

    /// Six runs in about a second, alternating between two roots: `last` is the sixth, whatever
    /// order random suffixes would have sorted them in.
    @Test func lastIsTheNewestRunAmongRunsOfOneSecond() throws {
        let first = try EngineFixture(), second = try EngineFixture()
        var ids: [String] = []
        for k in 1...6 {
            let fixture = k % 2 == 1 ? first : second
            let file = try first.runbook("write-\(k).mend", Self.writeA("run \(k)"))
            let r = try first.mend(["run", file, "--root", fixture.root] + first.state)
            #expect(r.status == 0, "stderr: \(r.stderr)")
            let json = try first.mend(["runs", "--format", "json"] + first.state)
            let runs = try #require(JSON.parse(json.stdout)?.array, "runs: \(json.stdout)")
            ids.append(try #require(runs.last?["id"]?.string))
            #expect(runs.last?["root"]?.string == fixture.root)
        }
        #expect(Set(ids).count == 6)
        let json = try first.mend(["runs", "--format", "json"] + first.state)
        let runs = try #require(JSON.parse(json.stdout)?.array)
        #expect(runs.compactMap { $0["id"]?.string } == ids, "oldest first, in the order they ran")
        #expect(runs.allSatisfy { $0["host"]?.string?.isEmpty == false && $0["outstanding"]?.int == 1 })

        let text = try first.mend(["runs"] + first.state)
        let header = text.stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(header.contains("HOST") && header.contains("ROOT"), "runs: \(text.stdout)")
        #expect(text.stdout.split(separator: "\n").last?.hasPrefix(ids[5]) == true, "the newest last: \(text.stdout)")

        let rollback = try first.mend(["rollback", "last"] + first.state)
        #expect(rollback.status == 0, "stdout: \(rollback.stdout) stderr: \(rollback.stderr)")
        #expect(rollback.stdout.hasPrefix("rolling back run \(ids[5])\n"))
        #expect(try second.text("etc/a.conf") == "run 4\n", "the sixth run (on the second root) is undone")
        #expect(try first.text("etc/a.conf") == "run 5\n", "the first root is untouched")
    }

    // MARK: SIGHUP and interrupted runs

    @Test func aHangupRollsBackLikeSIGTERM() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("hup.mend", RunbookEngineTests.writeAThenBThenWait)
        let before = try TreeSnapshot.of(fixture.root)
        let run = try fixture.start(["run", file, "--format", "json"] + fixture.rootAndState)
        #expect(pollUntil { (try? fixture.text("etc/b.conf")) == "B2\n" }, "step 2 never wrote B")
        run.signal(SIGHUP)
        let r = try run.wait()
        #expect(r.status == 1, "stderr: \(r.stderr)")
        #expect(try TreeSnapshot.of(fixture.root) == before, "a dropped session leaves nothing changed")
        let report = try parseReport(r)
        #expect(report["status"]?.string == "rolled_back")
        #expect(steps(report).last?["error"]?["message"]?.string == "interrupted by SIGHUP")
    }

    /// Started to outlive the session (`nohup`, SIGHUP ignored), a run goes on after a hangup.
    @Test func underNohupAHangupIsIgnored() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("nohup.mend", RunbookEngineTests.writeAThenBThenWait)
        let run = try fixture.start(argv: ["/usr/bin/nohup", MendBinary.path, "run", file, "--format", "json"] + fixture.rootAndState,
                                    environment: [:])
        #expect(pollUntil { (try? fixture.text("etc/b.conf")) == "B2\n" }, "step 2 never wrote B")
        run.signal(SIGHUP)
        usleep(300_000)
        run.signal(SIGTERM)
        let r = try run.wait()
        #expect(r.status == 1, "stderr: \(r.stderr)")
        #expect(steps(try parseReport(r)).last?["error"]?["message"]?.string == "interrupted by SIGTERM", "the hangup was ignored")
    }

    @Test func theNextRunAndRunsNameAnInterruptedRun() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("killed.mend", RunbookEngineTests.writeAThenBThenWait)
        let run = try fixture.start(["run", file] + fixture.rootAndState)
        #expect(pollUntil { fixture.journal().contains(#"{"type":"applied","seq":2}"#) }, "B never marked applied")
        run.signal(SIGKILL)
        _ = try run.wait()
        let runId = try #require(fixture.runIds().last)
        let warning = "warning: run \(runId) was interrupted with 2 changes outstanding; undo with `mend rollback \(runId)`"

        let readOnly = try fixture.runbook("read.mend", "print(file.read(\"/etc/a.conf\"))\n")
        let next = try fixture.mend(["run", readOnly] + fixture.rootAndState)
        #expect(next.status == 0)
        #expect(next.stderr.contains(warning), "stderr: \(next.stderr)")
        let plan = try fixture.mend(["plan", readOnly] + fixture.rootAndState)
        #expect(plan.stderr.contains(warning), "stderr: \(plan.stderr)")
        let runs = try fixture.mend(["runs"] + fixture.state)
        #expect(runs.stderr.contains(warning), "stderr: \(runs.stderr)")

        // Once rolled back, nobody warns any more.
        #expect(try fixture.mend(["rollback", runId] + fixture.state).status == 0)
        #expect(!(try fixture.mend(["run", readOnly] + fixture.rootAndState).stderr.contains("warning")))
        #expect(!(try fixture.mend(["runs"] + fixture.state).stderr.contains("warning")))
    }

    @Test func aRunningRunIsListedAsRunningNotInterrupted() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("wait.mend", RunbookEngineTests.writeAThenBThenWait)
        let run = try fixture.start(["run", file] + fixture.rootAndState)
        #expect(pollUntil { fixture.journal().contains(#"{"type":"applied","seq":2}"#) })
        let runs = try fixture.mend(["runs", "--format", "json"] + fixture.state)
        #expect(JSON.parse(runs.stdout)?.array?.first?["status"]?.string == "running", "runs: \(runs.stdout)")
        #expect(!runs.stderr.contains("warning"))
        run.signal(SIGTERM)
        #expect(try run.wait().status == 1)
    }

    // MARK: Damaged journals

    static let threeChanges = """
        runbook "three changes"
        step "one" { file.write("/etc/a.conf", "A2\\n") }
        step "two" { file.write("/etc/b.conf", "B2\\n") }
        step "three" { file.write("/etc/motd", "M2\\n") }

        """

    /// A REPL session holds the lock only while an input runs: between inputs it is running, not
    /// interrupted — nobody is told to roll back a live session.
    @Test func anOpenReplSessionIsRunningNotInterrupted() throws {
        let fixture = try EngineFixture()
        let mend = shellQuote(MendBinary.path), state = fixture.state.map(shellQuote).joined(separator: " ")
        let runs = fixture.path + "/runs.out"
        let script = """
            (printf '%s\\n' 'file.write("/etc/a.conf", "R\\n")'; sleep 4) | \(mend) repl --root \(shellQuote(fixture.root)) \(state) >/dev/null 2>&1 &
            for i in $(seq 1 60); do grep -q R \(shellQuote(fixture.root + "/etc/a.conf")) && break; sleep 0.1; done
            sleep 0.3
            \(mend) runs \(state) > \(shellQuote(runs)) 2>&1
            wait
            """
        #expect(try system(script) == 0)
        let listed = try readFile(runs)
        #expect(listed.contains("running") && !listed.contains("interrupted"), "\(listed)")
    }

    /// A `mend rollback` killed half-way leaves the run named as interrupted, so the next command
    /// says a rollback is owed; the next `mend rollback` finishes it.
    @Test func aKilledMendRollbackIsNamedAsInterrupted() throws {
        let fixture = try EngineFixture()
        let shim = try killInTemporaryFsync(in: fixture.path)
        let file = try fixture.runbook("three.mend", Self.threeChanges)
        #expect(try fixture.mend(["run", file] + fixture.rootAndState).status == 0)
        let killed = try fixture.mend(["rollback", "last"] + fixture.state, environment: ["LD_PRELOAD": shim])
        #expect(killed.status == 128 + SIGKILL, "stdout: \(killed.stdout) stderr: \(killed.stderr)")
        let runs = try fixture.mend(["runs"] + fixture.state)
        #expect(runs.stderr.contains("was interrupted with 3 changes outstanding"), "stderr: \(runs.stderr)")
        #expect(runs.stdout.contains("interrupted"), "\(runs.stdout)")
        let again = try fixture.mend(["rollback", "last"] + fixture.state)
        #expect(again.status == 0, "stdout: \(again.stdout) stderr: \(again.stderr)")
        #expect(try fixture.text("etc/a.conf") == "A1\n" && fixture.text("etc/motd") == "Welcome\n")
        #expect(try fixture.mend(["runs"] + fixture.state).stderr.isEmpty)
    }

    /// A journal cut short in the middle of a record — records after it lost — never gives a
    /// "rolled back": the rollback undoes what it can read and says it is incomplete.
    @Test func aTruncatedJournalMakesTheRollbackIncomplete() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("three.mend", Self.threeChanges)
        #expect(try fixture.mend(["run", file] + fixture.rootAndState).status == 0)
        let runId = try #require(fixture.runIds().last)
        let path = fixture.statePath + "/runs/\(runId).journal"
        let bytes = try readAllBytes(path)
        let text = String(decoding: bytes, as: UTF8.self)
        let record = try #require(text.range(of: #""target":"/etc/b.conf""#))
        let cut = text.utf8.distance(from: text.startIndex, to: record.lowerBound)
        try writeBytes(path, Array(bytes[..<cut]))
        let runs = try fixture.mend(["runs"] + fixture.state)
        #expect(runs.stdout.contains("(journal damaged)"), "\(runs.stdout)")
        let rollback = try fixture.mend(["rollback", "last"] + fixture.state)
        #expect(rollback.status == 3, "stdout: \(rollback.stdout) stderr: \(rollback.stderr)")
        #expect(rollback.stdout.hasSuffix("rollback incomplete\n"))
        #expect(try fixture.text("etc/a.conf") == "A1\n", "what could be read is undone")
        #expect(try fixture.mend(["rollback", "last"] + fixture.state).status == 3, "the damage stays on record")
    }

    @Test func aDamagedRecordIsReportedAndTheRestIsUndone() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("three.mend", Self.threeChanges)
        #expect(try fixture.mend(["run", file] + fixture.rootAndState).status == 0)
        let runId = try #require(fixture.runIds().last)
        let path = fixture.statePath + "/runs/\(runId).journal"
        var bytes = try readAllBytes(path)
        // Flip a byte inside the change record of step two (its target's name).
        let text = String(decoding: bytes, as: UTF8.self)
        let record = try #require(text.range(of: #""target":"/etc/b.conf""#))
        let offset = text.utf8.distance(from: text.startIndex, to: record.lowerBound) + 12
        bytes[offset] ^= 0x20
        try writeBytes(path, bytes)
        let lineStart = (bytes[..<offset].lastIndex(of: 0x0A) ?? -1) + 1

        let runs = try fixture.mend(["runs"] + fixture.state)
        #expect(runs.status == 0)
        #expect(runs.stderr.contains("damaged record at offset \(lineStart)"), "stderr: \(runs.stderr)")
        #expect(runs.stdout.contains("(journal damaged)"), "runs: \(runs.stdout)")

        let rollback = try fixture.mend(["rollback", "last"] + fixture.state)
        #expect(rollback.status == 3, "stdout: \(rollback.stdout) stderr: \(rollback.stderr)")
        #expect(rollback.stdout.contains("damaged record at offset \(lineStart)"))
        #expect(!rollback.stdout.contains("nothing to undo"))
        #expect(rollback.stdout.hasSuffix("rollback incomplete\n"))
        #expect(try fixture.text("etc/a.conf") == "A1\n", "the readable changes are undone")
        #expect(try fixture.text("etc/motd") == "Welcome\n")
        #expect(try fixture.text("etc/b.conf") == "B2\n", "the damaged one is unknown, so left as it is")
    }

    @Test(arguments: ["9223372036854775807", "9223372036854775808", "99999999999999999999999", "-1"])
    func anAbsurdLengthIsDamageNotACrash(length: String) throws {
        let fixture = try EngineFixture()
        try makeStateDirectory(fixture)
        try writeFile(fixture.statePath + "/runs/20261204-120000-0000001.journal", "\(length) 00000000 {}\n")
        let runs = try fixture.mend(["runs"] + fixture.state)
        #expect(runs.status == 0, "stderr: \(runs.stderr)")
        #expect(runs.stderr.contains("damaged record at offset 0"))
        let rollback = try fixture.mend(["rollback", "last"] + fixture.state)
        #expect(rollback.status != 0 && rollback.status < 128, "no crash: \(rollback.status) \(rollback.stderr)")
        #expect(!rollback.stdout.contains("rolled back\n"))
    }

    @Test(arguments: ["fifo", "zero", "directory"])
    func aJournalThatIsNotAFileIsRefused(kind: String) throws {
        let fixture = try EngineFixture()
        try makeStateDirectory(fixture)
        let path = fixture.statePath + "/runs/20261204-120000-0000001.journal"
        switch kind {
        case "fifo": #expect(mkfifo(path, 0o600) == 0)
        case "zero": #expect(symlink("/dev/zero", path) == 0)
        default: #expect(mkdir(path, 0o700) == 0)
        }
        let runs = try fixture.start(["runs"] + fixture.state).wait(limit: 20)
        #expect(runs.status == 0, "stderr: \(runs.stderr)")
        #expect(runs.stdout.contains("unreadable"), "runs: \(runs.stdout)")
        let rollback = try fixture.start(["rollback", "last"] + fixture.state).wait(limit: 20)
        #expect(rollback.status == 3, "incomplete: \(rollback.stdout) stderr: \(rollback.stderr)")
        #expect(rollback.stderr.contains("20261204-120000-0000001.journal"), "stderr: \(rollback.stderr)")
    }

    // MARK: A kill -9 during an atomic write

    /// A run killed in the middle of its atomic write: a preloaded `fsync` sends SIGKILL when
    /// asked to flush a temporary file, when it is written and not yet renamed.
    @Test func aTemporaryFileLeftByAKilledWriteIsRemoved() throws {
        let fixture = try EngineFixture()
        let shim = try killInTemporaryFsync(in: fixture.path)
        let file = try fixture.runbook("write.mend", Self.writeA("half"))
        let r = try fixture.mend(["run", file] + fixture.rootAndState, environment: ["LD_PRELOAD": shim])
        #expect(r.status == 128 + SIGKILL, "stdout: \(r.stdout) stderr: \(r.stderr)")
        let left = temporaries(in: fixture.root + "/etc")
        #expect(left.count == 1, "the killed write left its temporary file: \(left)")
        #expect(fixture.journal().contains(#""type":"temporary""#), "journalled before it was created")
        #expect(try fixture.text("etc/a.conf") == "A1\n")

        let rollback = try fixture.mend(["rollback", "last"] + fixture.state)
        #expect(rollback.status == 0, "stdout: \(rollback.stdout) stderr: \(rollback.stderr)")
        #expect(rollback.stdout.contains("removed \(fixture.root)/etc/\(left.first ?? "?"), left by an interrupted write"),
                "stdout: \(rollback.stdout)")
        #expect(temporaries(in: fixture.root + "/etc").isEmpty, "the temporary file is gone")
        #expect(try fixture.text("etc/a.conf") == "A1\n")
    }

    /// The same kill in a write that had to make directories first: `mend rollback` removes the
    /// directories too, although the file itself never appeared.
    @Test func directoriesMadeByAKilledWriteAreRemoved() throws {
        let fixture = try EngineFixture()
        let shim = try killInTemporaryFsync(in: fixture.path)
        let file = try fixture.runbook("deep.mend", "step \"deep\" { file.write(\"/etc/new/deep/x.conf\", \"x\\n\") }\n")
        let r = try fixture.mend(["run", file] + fixture.rootAndState, environment: ["LD_PRELOAD": shim])
        #expect(r.status == 128 + SIGKILL, "stdout: \(r.stdout) stderr: \(r.stderr)")
        #expect(temporaries(in: fixture.root + "/etc/new/deep").count == 1)

        let rollback = try fixture.mend(["rollback", "last"] + fixture.state)
        #expect(rollback.status == 0, "stdout: \(rollback.stdout) stderr: \(rollback.stderr)")
        #expect(!pathExists(fixture.root + "/etc/new"), "stdout: \(rollback.stdout)")
        #expect(try fixture.text("etc/a.conf") == "A1\n")
    }

    @Test func theNextRunRemovesATemporaryFileOfAKilledWrite() throws {
        let fixture = try EngineFixture()
        try makeStateDirectory(fixture)
        // A journal as a run killed inside its write leaves it.
        let temporary = fixture.root + "/etc/.big.mend-12345"
        try writeFile(temporary, "half")
        let records: [JSON] = [
            .object([("type", .string("begin")), ("run_id", .string("20261204-120000-0000001")), ("file", .string("x.mend")),
                     ("root", .string(fixture.root)), ("pid", .int(1)), ("started", .int(0))]),
            .object([("type", .string("step")), ("index", .int(1)), ("name", .string("big")), ("has_rollback", .bool(false))]),
            .object([("type", .string("change")), ("seq", .int(1)), ("step", .int(1)), ("kind", .string("file")),
                     ("target", .string("/etc/big")), ("before", .null), ("after", .null)]),
            .object([("type", .string("temporary")), ("path", .string(temporary))]),
        ]
        try writeFile(fixture.statePath + "/runs/20261204-120000-0000001.journal", records.map(journalLine).joined())
        let file = try fixture.runbook("write.mend", Self.writeA("next"))
        let r = try fixture.mend(["run", file] + fixture.rootAndState)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(!pathExists(temporary))
    }

    /// A relative `--state-dir` whose parents are missing is made below the working directory —
    /// never at the filesystem's root.
    @Test func aRelativeStateDirectoryIsMadeBelowTheWorkingDirectory() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("write.mend", Self.writeA("relative"))
        let top = "mend-relative-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let command = "cd \(shellQuote(fixture.path)) && \(shellQuote(MendBinary.path)) run \(shellQuote(file)) --root "
            + "\(shellQuote(fixture.root)) --state-dir \(top)/a/b >/dev/null 2>&1"
        #expect(try system(command) == 0)
        #expect(pathExists(fixture.path + "/\(top)/a/b/runs"))
        #expect(!pathExists("/\(top)"), "nothing made at the filesystem's root")
    }

    /// A target holding a newline cannot fake a line of a plan: output shows it escaped.
    @Test func aNewlineInATargetIsShownEscaped() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("nl.mend", #"step "x" { file.write("/etc/a\nb: removed", "x\n") }"# + "\n")
        let r = try fixture.mend(["plan", file, "--root", fixture.root])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#"file /etc/a\nb: removed: created"#), "\(r.stdout)")
        #expect(!r.stdout.split(separator: "\n").contains { $0.hasPrefix("b: removed") }, "\(r.stdout)")
    }

    // MARK: Selectors that select nothing

    static let fiveSteps = (1...5).map { "step \"s\($0)\" { file.write(\"/etc/a.conf\", \"\($0)\\n\") }\n" }.joined()

    @Test(arguments: [["--step", "nomatch"], ["--from", "9"], ["--step", "s1", "--from", "2"]])
    func selectorsThatSelectNoStepAreAUsageError(selectors: [String]) throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("five.mend", Self.fiveSteps)
        let before = try TreeSnapshot.of(fixture.root)
        for command in ["run", "plan"] {
            let r = try fixture.mend([command, file] + selectors + fixture.rootAndState)
            #expect(r.status == 64, "\(command) \(selectors): \(r.stdout) \(r.stderr)")
            #expect(r.stderr.contains("selected no step"), "stderr: \(r.stderr)")
            #expect(r.stderr.contains("1. s1, 2. s2, 3. s3, 4. s4, 5. s5"), "lists the steps it saw: \(r.stderr)")
        }
        #expect(try TreeSnapshot.of(fixture.root) == before)
        #expect(fixture.runIds().isEmpty, "nothing journalled")
    }

    // MARK: Read-only work without root

    @Test func readOnlyWorkNeedsNoStateDirectoryAndNoRoot() throws {
        let fixture = try EngineFixture()
        let home = fixture.path + "/home"
        #expect(mkdir(home, 0o755) == 0 && chmod(fixture.path, 0o755) == 0)
        let readOnly = try fixture.runbook("read.mend", """
            step "look" { print(file.read("/etc/motd").trim()) }

            """)
        var argv = [MendBinary.path, "run", readOnly, "--root", fixture.root]
        if geteuid() == 0 {
            // As nobody, with a home the run cannot write to either.
            argv = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + argv
        }
        let r = try fixture.run(argv, environment: ["HOME": home])
        #expect(r.status == 0, "stdout: \(r.stdout) stderr: \(r.stderr)")
        #expect(r.stdout.contains("Welcome"))
        #expect(!pathExists(home + "/.local"), "no state directory for a run that changed nothing")
    }

    @Test func aUserRunJournalsUnderTheirStateHome() throws {
        guard geteuid() == 0 else { return }
        let fixture = try EngineFixture()
        let home = fixture.path + "/home"
        #expect(mkdir(home, 0o755) == 0 && chown(home, 65534, 65534) == 0 && chmod(fixture.path, 0o755) == 0)
        #expect(chown(fixture.root + "/etc", 65534, 65534) == 0 && chown(fixture.root + "/etc/a.conf", 65534, 65534) == 0)
        let file = try fixture.runbook("write.mend", Self.writeA("mine"))
        let nobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        let r = try fixture.run(nobody + [MendBinary.path, "run", file, "--root", fixture.root], environment: ["HOME": home])
        #expect(r.status == 0, "stdout: \(r.stdout) stderr: \(r.stderr)")
        #expect(listDirectory(home + "/.local/state/mend/runs").filter { $0.hasSuffix(".journal") }.count == 1)
        let xdg = try fixture.run(nobody + [MendBinary.path, "runs"], environment: ["HOME": "/nonexistent", "XDG_STATE_HOME": home + "/.local/state"])
        #expect(xdg.stdout.contains("write A"), "runs: \(xdg.stdout) \(xdg.stderr)")
    }

    // MARK: Memory

    /// Every growth path is capped, and the run's memory budget catches what many legal values add
    /// up to: either way the step fails with an error and the earlier change is rolled back.
    @Test(arguments: [
        ("let s = \"x\"\n  while true { s = s + s }", "string +: a string of"),
        ("let s = \"x\"\n  while true { s = \"${s}${s}\" }", "string interpolation: a string of"),
        ("let s = \"xy\" * 40000000\n  s = s.replace(\"x\", \"xxx\")", "string.replace: a string of"),
        ("let l = [1]\n  while true { l = l + l }", "the run used more than its memory budget of 200MiB"),
        ("let chunk = \"x\" * 1000000\n  let l = []\n  while true { l.append(chunk + str(len(l))) }",
         "the run used more than its memory budget of 200MiB"),
        ("let m = {}\n  let chunk = \"x\" * 1000000\n  for i in range(1000000) { m[i] = chunk + str(i) }",
         "the run used more than its memory budget of 200MiB"),
        // Straight-line code, no loop or call for the VM to poll at: the step ends over budget.
        ("let a = \"a\" * 80000000\n  let b = \"b\" * 80000000\n  let c = \"c\" * 80000000",
         "the run used more than its memory budget of 200MiB"),
        // 50 million lines in one builtin call: lines() polls, and format() checks what it builds.
        ("let l = (\"a\\n\" * 50000000).lines()\n  let s = format(\"{}{}\", \"x\" * 60000000, \"y\" * 60000000)",
         "the run used more than its memory budget of 200MiB"),
        ("let s = format(\"{}{}\", \"x\" * 60000000, \"y\" * 60000000)", "format: a string of"),
    ])
    func memoryExhaustionIsAnErrorThatRollsBack(body: String, message: String) throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("grow.mend", """
            step "change" { file.write("/etc/a.conf", "A2\\n") }
            step "grow" {
              \(body)
            }

            """)
        let r = try fixture.mend(["run", file, "--max-memory", "200MiB", "--format", "json"] + fixture.rootAndState)
        #expect(r.status == 1, "stderr: \(r.stderr)")
        let report = try parseReport(r)
        #expect(report["status"]?.string == "rolled_back")
        let error = steps(report).last?["error"]?["message"]?.string ?? ""
        #expect(error.contains(message) || error.contains("over the limit"), "error: \(error)")
        #expect(try fixture.text("etc/a.conf") == "A1\n")
    }

    /// A list of one 30MB string a hundred times prints as 3GB: `str` stops at the string cap (or
    /// the budget trips first), the step fails and the change is rolled back.
    @Test func printingSharedLargeStringsFailsTheStep() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("print.mend", """
            step "change" { file.write("/etc/a.conf", "A2\\n") }
            step "print" {
              let big = "x" * 30000000
              let l = []
              for i in range(100) { l.append(big) }
              let s = str(l)
            }

            """)
        let r = try fixture.mend(["run", file, "--max-memory", "200MiB", "--format", "json"] + fixture.rootAndState)
        #expect(r.status == 1, "stderr: \(r.stderr)")
        let report = try parseReport(r)
        #expect(report["status"]?.string == "rolled_back")
        let error = steps(report).last?["error"]?["message"]?.string ?? ""
        #expect(error.contains("str: a string of more than 100000000 bytes") || error.contains("memory budget of 200MiB"),
                "error: \(error)")
        #expect(try fixture.text("etc/a.conf") == "A1\n")
    }

    /// Under an address-space limit (`ulimit -v`) and no --max-memory, the default budget trips
    /// before an allocation fails: exit 1 and a rollback, not an abort (134) with the change in place.
    @Test(.disabled(if: builtWithAddressSanitizer,
                    "AddressSanitizer's shadow memory takes terabytes of address space: no run fits under ulimit -v"))
    func theDefaultBudgetTripsBeforeAnAddressSpaceLimitAborts() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("grow.mend", """
            step "change" { file.write("/etc/a.conf", "A2\\n") }
            step "grow" {
              let chunk = "x" * 1000000
              let l = []
              while true { l.append(chunk + str(len(l))) }
            }

            """)
        let r = try fixture.run(["/usr/bin/prlimit", "--as=3000000000", "--", MendBinary.path, "run", file,
                                 "--format", "json"] + fixture.rootAndState)
        #expect(r.status == 1, "stderr: \(r.stderr)")
        let report = try parseReport(r)
        #expect(report["status"]?.string == "rolled_back")
        let error = steps(report).last?["error"]?["message"]?.string ?? ""
        #expect(error.contains("the run used more than its memory budget of"), "error: \(error)")
        #expect(try fixture.text("etc/a.conf") == "A1\n")
    }

    /// `mend eval` has the budget too: straight-line code and a loop end in the memory error.
    @Test(arguments: [
        #"let a = "a" * 80000000; let b = "b" * 80000000; let c = "c" * 80000000; 1"#,
        #"let l = []; let c = "x" * 1000000; while true { l.append(c + "y") }"#,
        #"let big = "x" * 30000000; let l = []; for i in range(100) { l.append(big) }; l"#,
    ])
    func evalHasAMemoryBudget(snippet: String) throws {
        let fixture = try EngineFixture()
        let r = try fixture.mend(["eval", "--max-memory", "200MiB", snippet])
        #expect(r.status == 1, "stdout: \(r.stdout.prefix(200)) stderr: \(r.stderr)")
        #expect(r.stderr.contains("error: the run used more than its memory budget of 200MiB (--max-memory)"),
                "stderr: \(r.stderr)")
        #expect(r.stdout.isEmpty)
        let fine = try fixture.mend(["eval", "--max-memory", "200MiB", "1 + 2"])
        #expect(fine.status == 0 && fine.stdout == "3\n", "stdout: \(fine.stdout) stderr: \(fine.stderr)")
    }

    /// A one-letter unit is not mend's: the error says what to write instead.
    @Test func aOneLetterSizeUnitGetsAHint() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("ok.mend", "print(1)\n")
        for command in [["run", file] + fixture.rootAndState, ["eval", "1"]] {
            let r = try fixture.mend(command + ["--max-memory", "100M"])
            #expect(r.status == 64)
            #expect(r.stderr.contains("--max-memory 100M: expected a size such as 512MiB or 2GiB (write 100MiB, or 100MB for powers of 1000)"),
                    "stderr: \(r.stderr)")
        }
    }

    @Test func aBadMaxMemoryIsAUsageError() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("ok.mend", "print(1)\n")
        let r = try fixture.mend(["run", file, "--max-memory", "lots"] + fixture.rootAndState)
        #expect(r.status == 64)
        #expect(r.stderr.contains("--max-memory lots: expected a size"), "stderr: \(r.stderr)")
    }

    // MARK: Deep errors

    /// 25 caught "recursion too deep" errors: each unwinds 10,000 calls. The step's timeout only
    /// guards against a hang (the unwinding was quadratic in depth: minutes here).
    @Test func caughtDeepErrorsUnwindInLinearTime() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("deep.mend", """
            fn down(n) { return down(n + 1) }
            step "catch them" timeout 120s {
              let caught = 0
              for i in range(25) {
                try { down(0) } catch e { caught = caught + 1 }
              }
              print(caught)
            }

            """)
        let r = try fixture.mend(["run", file] + fixture.rootAndState)
        #expect(r.status == 0, "stdout: \(r.stdout) stderr: \(r.stderr)")
        #expect(r.stdout.contains("\n25\n"), "stdout: \(r.stdout)")
    }

    // MARK: Output order

    @Test func aStepsHeaderComesBeforeWhatItPrints() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("order.mend", """
            step "quiet" { file.write("/etc/a.conf", "A2\\n") }
            step "talks" {
              print("hello from the step")
              file.write("/etc/b.conf", "B2\\n")
            } rollback {
              print("compensating")
            }
            step "fails" { assert false, "no" }

            """)
        let r = try fixture.mend(["run", file] + fixture.rootAndState)
        #expect(r.status == 1)
        let out = r.stdout
        let header = try #require(out.range(of: "▸ 2. talks\n"), "stdout: \(out)")
        let printed = try #require(out.range(of: "hello from the step\n"))
        let result = try #require(out.range(of: "● 2. talks  changed"))
        #expect(header.upperBound <= printed.lowerBound && printed.upperBound <= result.lowerBound, "stdout: \(out)")
        #expect(!out.contains("▸ 1. quiet"), "a step that prints nothing gets no header")
        // The rollback block's output comes after the undone changes of its step.
        let undone = try #require(out.range(of: "↺ 2. file /etc/b.conf"), "stdout: \(out)")
        let compensating = try #require(out.range(of: "compensating\n"))
        let undoneFirst = try #require(out.range(of: "↺ 1. file /etc/a.conf"))
        #expect(undone.upperBound <= compensating.lowerBound && compensating.upperBound <= undoneFirst.lowerBound, "stdout: \(out)")
    }

    @Test func aFileChangedTwiceInAStepShowsOneDiff() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("twice.mend", """
            step "twice" {
              file.write("/etc/a.conf", "A2\\n")
              file.write("/etc/a.conf", "A3\\n")
            }

            """)
        let r = try fixture.mend(["plan", file] + fixture.rootAndState)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.components(separatedBy: "--- a/etc/a.conf").count == 2, "one diff: \(r.stdout)")
        #expect(r.stdout.contains("      -A1\n      +A3\n"), "from before the step to after it: \(r.stdout)")
        #expect(!r.stdout.contains("+A2"), "\(r.stdout)")
    }

    @Test func aRunWithoutStepsThatFailsSaysNothingOfRollingBack() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("nosteps.mend", "assert 1 == 2, \"no\"\n")
        let r = try fixture.mend(["run", file] + fixture.rootAndState)
        #expect(r.status == 1)
        #expect(!r.stdout.contains("rolling back"), "stdout: \(r.stdout)")
    }

    @Test func aRollbackOfARunWhoseRootIsGoneSaysSoInWords() throws {
        let fixture = try EngineFixture()
        let gone = fixture.path + "/gone"
        #expect(mkdir(gone, 0o755) == 0 && mkdir(gone + "/etc", 0o755) == 0)
        let file = try fixture.runbook("write.mend", Self.writeA("x"))
        #expect(try fixture.mend(["run", file, "--root", gone] + fixture.state).status == 0)
        _ = try system("rm -rf " + shellQuote(gone))
        let r = try fixture.mend(["rollback", "last"] + fixture.state)
        #expect(r.status == 3, "incomplete: \(r.stdout) \(r.stderr)")
        #expect(!(r.stdout + r.stderr).contains("MendError("), "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("no longer a directory"), "stderr: \(r.stderr)")
    }
}

/// True when this test process (and so the `mend` built beside it) runs under AddressSanitizer.
let builtWithAddressSanitizer = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__asan_init") != nil

/// Creates the state directory and its `runs/` as mend does.
func makeStateDirectory(_ fixture: EngineFixture) throws {
    for dir in [fixture.statePath, fixture.statePath + "/runs"] where mkdir(dir, 0o700) != 0 {
        throw TestFailure(description: "mkdir \(dir)")
    }
}

/// A journal line as mend writes it: `LENGTH CRC32 JSON`.
func journalLine(_ record: JSON) -> String {
    let body = record.text
    var crc: UInt32 = 0xFFFF_FFFF
    for b in body.utf8 {
        crc ^= UInt32(b)
        for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
    }
    let hex = String(crc ^ 0xFFFF_FFFF, radix: 16)
    return "\(body.utf8.count) \(String(repeating: "0", count: 8 - hex.count) + hex) \(body)\n"
}
