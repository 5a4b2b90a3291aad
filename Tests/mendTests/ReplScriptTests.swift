import Glibc
import Testing

/// `mend repl` with standard input not a terminal: no prompts or banner, statements run as they
/// come, exit 1 when one failed (docs/repl.md).
@Suite("mend repl, scripted")
struct ReplScriptTests {
    /// Runs `mend repl ARGS` with `input` on stdin and a private state directory.
    private func repl(_ input: String, _ arguments: [String] = [], in dir: TemporaryDirectory) throws -> MendBinary.Result {
        try MendBinary.run(["repl", "--state-dir", dir.path + "/state"] + arguments, stdin: input,
                           environment: ["MEND_HISTORY": dir.path + "/history"])
    }

    /// A host root in `dir` with an /etc and `files` (absolute path: text).
    private func makeRoot(in dir: TemporaryDirectory, files: [String: String] = [:]) throws -> String {
        let root = dir.path + "/root"
        guard try system("mkdir -p \(shellQuote(root))/etc") == 0 else { throw TestFailure(description: "cannot make \(root)") }
        for (path, text) in files { try writeFile(root + path, text) }
        return root
    }

    @Test func aPipedScriptPrintsExactlyWhatItPrints() throws {
        let dir = try TemporaryDirectory()
        let r = try repl("let a = 2\nprint(a * 3)\n", in: dir)
        #expect(r.stdout == "6\n")
        #expect(r.stderr == "")
        #expect(r.status == 0)
        // No state directory and no history: nothing changed, nothing was typed at a terminal.
        #expect(access(dir.path + "/state", F_OK) != 0)
        #expect(access(dir.path + "/history", F_OK) != 0)
    }

    @Test func expressionValuesPrintInLiteralFormAndStatementsPrintNothing() throws {
        let dir = try TemporaryDirectory()
        let r = try repl("""
            let s = "node"
            s
            nil
            let n = 3
            n * 1GiB
            90s
            [1, "two"]
            fn twice(x) {
              return x *
                2
            }
            twice(21)
            """, in: dir)
        #expect(r.stdout == "\"node\"\n3GiB\n1m30s\n[1, \"two\"]\n42\n")
        #expect(r.stderr == "")
        #expect(r.status == 0)
    }

    @Test func aListOfMapsPrintsAsATable() throws {
        let dir = try TemporaryDirectory()
        let r = try repl("[{name: \"a\", port: 1}, {name: \"bb\", port: 22}]\n", in: dir)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(r.stdout)")
        #expect(lines.first?.hasPrefix("name") == true)
        #expect(lines.contains { $0.hasPrefix("bb") && $0.hasSuffix("22") })
    }

    @Test func aFailedStatementIsShownWithItsScriptLineAndCaretAndTheRestStillRuns() throws {
        let dir = try TemporaryDirectory()
        let r = try repl("let a = 1\nlet b = a +* 2\nprint(\"after\")\n10 / (a - 1)\nprint(\"end\")\n", in: dir)
        #expect(r.status == 1)
        #expect(r.stdout == "after\nend\n")
        #expect(r.stderr.contains("<stdin>:2:12: error: expected an expression, found '*'\n  let b = a +* 2\n             ^"))
        #expect(r.stderr.contains("<stdin>:4:1: error: division by zero"), "\(r.stderr)")
    }

    @Test func anInputLeftOpenAtTheEndIsReportedAsIncomplete() throws {
        let dir = try TemporaryDirectory()
        let r = try repl("print(1)\nlet xs = [1,\n2,\n", in: dir)
        #expect(r.stdout == "1\n")
        #expect(r.status == 1)
        #expect(r.stderr.contains("<stdin>:"), "\(r.stderr)")
    }

    /// Shell lines that send `signal` to `$pid` and wait for it, its status the script's. They
    /// never hang the suite: a mend that does not stop within 10 s is killed, and the test fails.
    private func signalAndWait(_ signal: String) -> String {
        """
        kill -\(signal) $pid
        for i in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
        kill -9 $pid 2>/dev/null
        wait $pid
        """
    }

    @Test(arguments: ["INT", "TERM"])
    func aSignalEndsAScriptAfterStoppingTheRunningInput(signal: String) throws {
        let dir = try TemporaryDirectory()
        let d = shellQuote(dir.path)
        try writeFile(dir.path + "/input", "print(1)\nwhile true { }\nprint(2)\n")
        // Waits for the loop to start (the first output), then signals it.
        let status = try system("""
            \(shellQuote(MendBinary.path)) repl --state-dir \(d)/state <\(d)/input >\(d)/out 2>\(d)/err & pid=$!
            for i in $(seq 100); do [ -s \(d)/out ] && break; sleep 0.1; done; sleep 0.3
            \(signalAndWait(signal))
            """)
        #expect(status == 1)
        #expect(try readFile(dir.path + "/out") == "1\n")
        #expect(try readFile(dir.path + "/err") == "interrupted by SIG\(signal)\n")
    }

    @Test func aSignalWhileAScriptWaitsForInputEndsItWithExit1() throws {
        let dir = try TemporaryDirectory()
        let d = shellQuote(dir.path)
        let status = try system("""
            mkfifo \(d)/fifo
            \(shellQuote(MendBinary.path)) repl --state-dir \(d)/state <\(d)/fifo >\(d)/out 2>\(d)/err & pid=$!
            exec 3>\(d)/fifo
            echo 'print(1)' >&3
            for i in $(seq 100); do [ -s \(d)/out ] && break; sleep 0.1; done
            \(signalAndWait("TERM"))
            """)
        #expect(status == 1)
        #expect(try readFile(dir.path + "/out") == "1\n")
        #expect(try readFile(dir.path + "/err") == "interrupted by SIGTERM\n")
    }

    @Test func invalidUTF8IsALocatedErrorNotARepairedString() throws {
        let dir = try TemporaryDirectory()
        let input = dir.path + "/input"
        try writeBytes(input, Array("print(1)\nprint(\"".utf8) + [0xFF] + Array("\")\nprint(3)\n".utf8))
        let status = try system("\(shellQuote(MendBinary.path)) repl --state-dir \(shellQuote(dir.path + "/s")) <\(shellQuote(input)) >\(shellQuote(dir.path + "/out")) 2>\(shellQuote(dir.path + "/err"))")
        #expect(status == 1)
        #expect(try readFile(dir.path + "/out") == "1\n3\n")
        #expect(try readFile(dir.path + "/err").contains("line 2 of the input is not valid UTF-8"))
    }

    @Test func failedChecksAreShownAndFailTheScript() throws {
        let dir = try TemporaryDirectory()
        let r = try repl("check 1 + 1 == 2\ncheck 2 > 3, \"two is not above three\"\n", in: dir)
        #expect(r.status == 1)
        #expect(r.stderr.contains("check failed: two is not above three"))
        #expect(!r.stderr.contains("check passed"))
    }

    /// docs/repl.md's session, typed into a scripted REPL over a copy of the Ubuntu fixture, prints
    /// what the document shows (without the banner; errors name `<stdin>` instead of `<repl>`).
    @Test func theDocumentedSessionReplaysExactly() throws {
        let doc = try readFile(LanguageDoc.repositoryRoot + "/docs/repl.md")
        guard let open = doc.range(of: "```repl-session\n"),
              let close = doc[open.upperBound...].range(of: "\n```") else {
            Issue.record("docs/repl.md has no ```repl-session block")
            return
        }
        var input = "", expected = ""
        for line in doc[open.upperBound..<close.lowerBound].split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2) {
            if let typed = ["mend> ", "mend(dry)> ", "...   "].first(where: { line.hasPrefix($0) }) {
                input += line.dropFirst(typed.count) + "\n"
            } else {
                expected += line.replacingOccurrences(of: "<repl>:", with: "<stdin>:") + "\n"
            }
        }
        let dir = try TemporaryDirectory()
        let root = try FixtureHost.ubuntu.copy(into: dir.path)
        try writeFile(dir.path + "/input", input)
        let status = try system("\(shellQuote(MendBinary.path)) repl --root \(shellQuote(root)) --state-dir \(shellQuote(dir.path + "/state")) <\(shellQuote(dir.path + "/input")) >\(shellQuote(dir.path + "/output")) 2>&1")
        let output = try readFile(dir.path + "/output")
        #expect(output == expected)
        #expect(status == 1, "the session shows one error")
    }

    // MARK: meta commands

    @Test func helpListsTheMetaCommandsAndShowsABuiltinsReference() throws {
        let dir = try TemporaryDirectory()
        let r = try repl(":help\n:help sysctl.set\n", in: dir)
        #expect(r.status == 0)
        for command in [":help", ":dry on|off", ":changes", ":undo", ":load FILE", ":steps", ":step NAME", ":quit"] {
            #expect(r.stdout.contains(command), "\(command) missing from :help")
        }
        #expect(r.stdout.contains("sysctl.set(key, value"))
        #expect(r.stdout.contains("Example:"))
    }

    @Test func anUnknownMetaCommandOrBuiltinIsAnErrorWithASuggestion() throws {
        let dir = try TemporaryDirectory()
        let r = try repl(":chnages\n:help sysctl.sett\n:dry maybe\nprint(\"still here\")\n", in: dir)
        #expect(r.status == 1)
        #expect(r.stdout == "still here\n")
        #expect(r.stderr.contains("unknown command :chnages (did you mean ':changes'?)"), "\(r.stderr)")
        #expect(r.stderr.contains("no builtin or keyword 'sysctl.sett' (did you mean 'sysctl.set'?)"), "\(r.stderr)")
        #expect(r.stderr.contains("usage: :dry on|off"))
    }

    @Test func quitEndsTheSessionAndIgnoresTheRest() throws {
        let dir = try TemporaryDirectory()
        let r = try repl("print(1)\n:quit\nprint(2)\n", in: dir)
        #expect(r.stdout == "1\n")
        #expect(r.status == 0)
    }

    // MARK: host changes

    @Test func changesAreJournalledAndUndoneNewestFirst() throws {
        let dir = try TemporaryDirectory()
        let root = try makeRoot(in: dir, files: ["/etc/motd": "old\n"])
        let r = try repl("""
            file.write("/etc/motd", "new\\n")
            file.write("/etc/issue", "hello\\n")
            :changes
            :undo
            file.exists("/etc/issue")
            file.read("/etc/motd")
            :undo
            file.read("/etc/motd")
            :undo
            """, ["--root", root], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("1. [made] file /etc/motd: content changed"), "\(r.stdout)")
        #expect(r.stdout.contains("2. [made] file /etc/issue: created"), "\(r.stdout)")
        #expect(r.stdout.hasSuffix("false\n\"new\\n\"\n\"old\\n\"\n"), "\(r.stdout)")
        #expect(r.stderr.contains("changed: file /etc/motd"))
        #expect(r.stderr.contains("undone: file /etc/issue"))
        #expect(r.stderr.contains("nothing to undo"))
        #expect(try readFile(root + "/etc/motd") == "old\n")
        #expect(access(root + "/etc/issue", F_OK) != 0)

        // The session is a journalled run: 0600, listed by `mend runs`.
        let runs = try MendBinary.run(["runs", "--state-dir", dir.path + "/state"])
        #expect(runs.stdout.contains("<repl>"), "\(runs.stdout)")
        var info = stat()
        let runsDir = dir.path + "/state/runs"
        let journals = listDirectory(runsDir).filter { $0.hasSuffix(".journal") }
        let name = try #require(journals.first)
        #expect(stat(runsDir + "/" + name, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
    }

    @Test func mendRollbackUndoesWhatASessionLeft() throws {
        let dir = try TemporaryDirectory()
        let root = try makeRoot(in: dir)
        let r = try repl("file.write(\"/etc/node.conf\", \"a = 1\\n\")\n", ["--root", root], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(access(root + "/etc/node.conf", F_OK) == 0)
        let back = try MendBinary.run(["rollback", "last", "--state-dir", dir.path + "/state"])
        #expect(back.status == 0, "\(back.stdout)\(back.stderr)")
        #expect(access(root + "/etc/node.conf", F_OK) != 0)
    }

    @Test func undoLeavesAValueChangedSinceAloneUnlessForced() throws {
        let dir = try TemporaryDirectory()
        let root = try makeRoot(in: dir, files: ["/etc/app.conf": "one\n"])
        let r = try repl("""
            file.write("/etc/app.conf", "two\\n")
            run("sh", "-c", "printf 'three\\\\n' > \\"$MEND_ROOT/etc/app.conf\\"", readonly: true).status
            :undo
            file.read("/etc/app.conf")
            :undo force
            file.read("/etc/app.conf")
            """, ["--root", root], in: dir)
        #expect(r.status == 1)
        #expect(r.stderr.contains("not undone: file /etc/app.conf"), "\(r.stderr)")
        #expect(r.stderr.contains("changed since mend made it"))
        #expect(r.stdout == "true\n0\n\"three\\n\"\n\"one\\n\"\n", "\(r.stdout)")
    }

    @Test func withoutPermissionForTheJournalAChangeIsRefusedBeforeItIsMade() throws {
        let dir = try TemporaryDirectory()
        let root = try makeRoot(in: dir)
        let state = dir.path + "/state"
        #expect(mkdir(state, 0o700) == 0)
        var prefix = ""
        if geteuid() == 0 {
            // As nobody, who may write the file itself but not root's state directory.
            #expect(chmod(dir.path, 0o755) == 0 && chmod(root, 0o777) == 0 && chmod(root + "/etc", 0o777) == 0)
            prefix = "/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups "
        } else {
            #expect(chmod(state, 0o500) == 0)
        }
        try writeFile(dir.path + "/input", "file.write(\"/etc/x\", \"1\\n\")\nprint(file.exists(\"/etc/x\"))\n")
        let d = shellQuote(dir.path)
        let status = try system("\(prefix)\(shellQuote(MendBinary.path)) repl --root \(shellQuote(root)) --state-dir \(shellQuote(state)) <\(d)/input >\(d)/out 2>\(d)/err")
        let err = try readFile(dir.path + "/err")
        #expect(status == 1, "\(err)")
        #expect(err.hasPrefix("mend: cannot "), "\(err)")
        #expect(err.contains("\(state)"), "the message names the state directory: \(err)")
        #expect(err.hasSuffix("(run as root, or choose a writable --state-dir)\n"), "\(err)")
        #expect(try readFile(dir.path + "/out") == "false\n")
        #expect(access(root + "/etc/x", F_OK) != 0)
    }

    @Test func dryModePlansOverAnOverlayAndTouchesNothing() throws {
        let dir = try TemporaryDirectory()
        let root = try makeRoot(in: dir, files: ["/etc/motd": "old\n"])
        let r = try repl("""
            :dry on
            file.write("/etc/motd", "planned\\n")
            file.read("/etc/motd")
            :changes
            :dry off
            file.read("/etc/motd")
            :changes
            """, ["--root", root], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "true\n\"planned\\n\"\n1. [planned] file /etc/motd: content changed    ← file.write(\"/etc/motd\", \"planned\\n\")\n\"old\\n\"\nno changes in this session\n",
                "\(r.stdout)")
        #expect(r.stderr.contains("would change: file /etc/motd"))
        #expect(r.stderr.contains("1 planned change dropped"))
        #expect(try readFile(root + "/etc/motd") == "old\n")
        // A dry session touches nothing, the state directory included.
        #expect(access(dir.path + "/state", F_OK) != 0)
    }

    @Test func aFailingStepUndoesItsOwnChangesAndKeepsEarlierOnes() throws {
        let dir = try TemporaryDirectory()
        let root = try makeRoot(in: dir)
        let r = try repl("""
            file.write("/etc/kept", "1\\n")
            step "breaks" {
              file.write("/etc/undone", "2\\n")
              fail("boom")
            }
            file.exists("/etc/undone")
            """, ["--root", root], in: dir)
        #expect(r.status == 1)
        #expect(r.stdout == "true\nfalse\n", "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("step \"breaks\" failed; its change was undone"), "\(r.stderr)")
        #expect(r.stderr.contains("boom"))
        #expect(access(root + "/etc/kept", F_OK) == 0)
    }

    @Test func anUnconfirmedStepIsRolledBackAndAConfirmedOneKept() throws {
        let dir = try TemporaryDirectory()
        let root = try makeRoot(in: dir)
        let state = dir.path + "/state"
        // Scripted, nobody can type y: only `mend confirm` from elsewhere keeps the change.
        let confirm = "\(MendBinary.path) confirm --state-dir \(state)"
        let r = try repl("""
            step "risky" confirm 1s { file.write("/etc/risky", "1\\n") }
            file.exists("/etc/risky")
            step "confirmed" confirm 20s {
              file.write("/etc/kept", "1\\n")
              run("sh", "-c", "(for i in $(seq 100); do sleep 0.2; \(confirm) && break; done) >/dev/null 2>&1 &", readonly: true)
            }
            file.exists("/etc/kept")
            """, ["--root", root], in: dir)
        #expect(r.status == 1)
        #expect(r.stdout == "false\ntrue\n", "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("not confirmed within 1s"), "\(r.stderr)")
    }

    @Test func theLockIsHeldOnlyWhileAnInputChangesTheHost() throws {
        let dir = try TemporaryDirectory()
        let root = try makeRoot(in: dir)
        try writeFile(dir.path + "/other.mend", "step \"other\" { file.write(\"/etc/other\", \"x\\n\") }\n")
        let state = dir.path + "/state"
        let r = try repl("""
            file.write("/etc/first", "1\\n")
            run("\(MendBinary.path)", "run", "\(dir.path)/other.mend", "--root", "\(root)", "--state-dir", "\(state)", readonly: true).status
            """, ["--root", root], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "true\n0\n", "another run must get the lock between inputs: \(r.stdout)\(r.stderr)")
    }

    @Test func dryAndUndoAgainstALiveSysctlInAPrivateNetworkNamespace() throws {
        let dir = try TemporaryDirectory()
        let d = shellQuote(dir.path)
        let key = "\"net.core.somaxconn\""
        try writeFile(dir.path + "/dry.in", """
            :dry on
            sysctl.set(\(key), 5000)
            sysctl.get(\(key))
            file.read("/proc/sys/net/core/somaxconn")

            """)
        try writeFile(dir.path + "/live.in", """
            sysctl.set(\(key), 5000)
            sysctl.get(\(key))
            :undo
            sysctl.get(\(key))

            """)
        let r = try NetworkNamespace.run("""
            echo "before=$(cat /proc/sys/net/core/somaxconn)"
            "$MEND" repl --state-dir \(d)/state <\(d)/dry.in >\(d)/dry.out 2>\(d)/dry.err; echo "dry_status=$?"
            echo "after_dry=$(cat /proc/sys/net/core/somaxconn)"
            "$MEND" repl --state-dir \(d)/state <\(d)/live.in >\(d)/live.out 2>\(d)/live.err; echo "live_status=$?"
            echo "after_live=$(cat /proc/sys/net/core/somaxconn)"
            """, in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let before = try #require(marker("before", in: r.stdout))
        #expect(before != "5000", "the namespace should not start at the test's value")
        #expect(marker("dry_status", in: r.stdout) == "0", "\((try? readFile(dir.path + "/dry.err")) ?? "")")
        // Dry: reads see the planned 5000, the kernel keeps its value.
        #expect(try readFile(dir.path + "/dry.out") == "true\n5000\n\"\(before)\\n\"\n")
        #expect(marker("after_dry", in: r.stdout) == before)
        #expect(marker("live_status", in: r.stdout) == "0", "\((try? readFile(dir.path + "/live.err")) ?? "")")
        #expect(try readFile(dir.path + "/live.out") == "true\n5000\n\(before)\n")
        #expect(try readFile(dir.path + "/live.err").contains("undone: sysctl net.core.somaxconn: \(before) → 5000"))
        #expect(marker("after_live", in: r.stdout) == before)
    }

    // MARK: :load, :steps, :step

    @Test func loadDefinesFunctionsAndParamsButRunsNoSteps() throws {
        let dir = try TemporaryDirectory()
        let root = try makeRoot(in: dir)
        try writeFile(dir.path + "/book.mend", """
            runbook "demo"
            param greeting = "hello"
            secret param token = "none"
            fn shout(s) { return s + "!" }
            let path = "/etc/greeting"
            step "write greeting" { file.write(path, greeting + "\\n") }
            step "never on this host" when false { file.write("/etc/never", "x") }
            """)
        let r = try repl("""
            :load \(dir.path)/book.mend greeting=hi
            shout(greeting)
            file.exists(path)
            token
            :steps
            :step write greeting
            file.read(path)
            :step 2
            :step nope
            """, ["--root", root, "--param", "token=hunter2"], in: dir)
        #expect(r.status == 1, "only :step nope fails: \(r.stderr)")
        #expect(r.stdout.hasPrefix("\"hi!\"\nfalse\n\"••••\"\n1. write greeting\n2. never on this host  (when false)\n\"hi\\n\"\n"),
                "\(r.stdout)")
        #expect(r.stderr.contains("loaded \(dir.path)/book.mend: 2 steps"))
        #expect(r.stderr.contains("write greeting  changed"), "\(r.stderr)")
        #expect(r.stderr.contains("never on this host  skipped (when false)"), "\(r.stderr)")
        #expect(r.stderr.contains("no step \"nope\""))
        #expect(!r.stderr.contains("hunter2") && !r.stdout.contains("hunter2"))
        #expect(try readFile(root + "/etc/greeting") == "hi\n")
    }

    @Test func loadReportsAMissingFileAndABrokenRunbook() throws {
        let dir = try TemporaryDirectory()
        try writeFile(dir.path + "/broken.mend", "let x = \n")
        let r = try repl(":load \(dir.path)/missing.mend\n:load \(dir.path)/broken.mend\n:steps\n", in: dir)
        #expect(r.status == 1)
        #expect(r.stderr.contains("cannot read \(dir.path)/missing.mend"))
        #expect(r.stderr.contains("\(dir.path)/broken.mend:1:"), "\(r.stderr)")
        #expect(r.stderr.contains("no runbook loaded"))
    }

    /// A C string ends at its first NUL byte: `:load book.mend\0x` (piped input may hold one) would
    /// load book.mend.
    @Test func loadRefusesAPathWithANULByte() throws {
        let dir = try TemporaryDirectory()
        try writeFile(dir.path + "/book.mend", "step \"s\" { }\n")
        let r = try repl(":load \(dir.path)/book.mend\0x\n:steps\n", in: dir)
        #expect(r.status == 1)
        #expect(r.stderr.contains(#"mend: cannot read "\#(dir.path)/book.mend\0x": the path contains a NUL byte"#), "\(r.stderr)")
        #expect(r.stderr.contains("no runbook loaded"))
    }

    @Test func aHostChangeAtTheTopOfALoadedFileIsRefusedAsInARun() throws {
        let dir = try TemporaryDirectory()
        let root = try makeRoot(in: dir)
        try writeFile(dir.path + "/top.mend", "fn apply() { file.write(\"/etc/x\", \"1\") }\napply()\n")
        try writeFile(dir.path + "/command.mend", "run(\"touch\", \"\(dir.path)/ran-at-load\")\n")
        let r = try repl(":load \(dir.path)/top.mend\n:load \(dir.path)/command.mend\n", ["--root", root], in: dir)
        #expect(r.status == 1)
        #expect(r.stderr.contains("changes the host: call it inside a step"), "\(r.stderr)")
        #expect(r.stderr.contains("a command that may change the host runs inside a step"), "\(r.stderr)")
        #expect(access(root + "/etc/x", F_OK) != 0)
        #expect(access(dir.path + "/ran-at-load", F_OK) != 0)
    }

    @Test func aLoadedFileImportsRelativeToItself() throws {
        let dir = try TemporaryDirectory()
        #expect(try system("mkdir -p \(shellQuote(dir.path))/sub") == 0)
        try writeFile(dir.path + "/sub/lib.mend", "fn triple(x) { return x * 3 }\n")
        try writeFile(dir.path + "/sub/main.mend", "import \"./lib.mend\" as lib\nlet nine = lib.triple(3)\n")
        let r = try repl(":load \(dir.path)/sub/main.mend\nnine\n", in: dir)
        #expect(r.stdout == "9\n", "\(r.stderr)")
        #expect(r.status == 0)
    }

    @Test func secretsInStepNamesStayMasked() throws {
        let dir = try TemporaryDirectory()
        try writeFile(dir.path + "/book.mend", "secret param token = \"x\"\nstep \"use ${token}\" { }\n")
        let r = try repl(":load \(dir.path)/book.mend token=hunter2\n:steps\n:step use hunter\n:step use ••••\n", in: dir)
        #expect(r.stdout == "1. use ••••\n")
        #expect(r.stderr.contains("no step \"use hunter\""), "\(r.stderr)")
        #expect(r.stderr.contains("use ••••  ok"), "\(r.stderr)")
        #expect(!r.stdout.contains("hunter2") && !r.stderr.contains("hunter2"))
    }

    @Test func aSecretInATableIsMaskedBeforeTheColumnsAreLaidOut() throws {
        let dir = try TemporaryDirectory()
        try writeFile(dir.path + "/book.mend", "secret param token = \"x\"\n")
        let r = try repl(":load \(dir.path)/book.mend\n[{name: token, n: 1}, {name: \"abcdefghij\", n: 22}]\n",
                         ["--param", "token=a-much-longer-secret"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let rows = r.stdout.split(separator: "\n")
        #expect(rows.count == 4)
        #expect(rows.contains { $0.hasPrefix("••••") })
        // The number column is right-aligned: every row ends where the widest does.
        #expect(Set(rows.map(\.count)).count == 1, "\(r.stdout)")
        #expect(!r.stdout.contains("secret"))
    }

    @Test func aFileGivenOnTheCommandLineIsLoadedFirst() throws {
        let dir = try TemporaryDirectory()
        try writeFile(dir.path + "/lib.mend", "fn double(x) { return x * 2 }\n")
        let r = try repl("double(21)\n", [dir.path + "/lib.mend"], in: dir)
        #expect(r.stdout == "42\n")
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func versionListsTheReadlineItWasBuiltWith() throws {
        let r = try MendBinary.run(["version"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("features: readline 8."), "\(r.stdout)")
    }

    @Test func badCommandLineArgumentsAreUsageErrors() throws {
        let dir = try TemporaryDirectory()
        #expect(try repl("", ["--param", "novalue"], in: dir).status == 64)
        #expect(try repl("", ["--root", dir.path + "/nowhere"], in: dir).status == 64)
    }
}
