import Foundation
import Glibc
import Testing
@testable import MendKit

@Suite struct CommandNamespaceTests {
    @Test func readonlyOutputIsCapturedAnywhere() throws {
        try withScratch { dir in
            for plan in [false, true] {
                let (report, output) = try run("""
                    let r = run("echo", "hello", 42, readonly: true)
                    print("${r.status} ${r.ran} ${r.stdout.trim()}")
                    let s = sh("echo out; echo err >&2; exit 3", readonly: true)
                    print("${s.status} ${s.stdout.trim()} ${s.stderr.trim()}")
                    print(run("cat", input: "fed in", readonly: true).stdout)
                    print(sh("echo $MEND_ROOT", readonly: true).stdout.trim())
                    """, in: dir, plan: plan)
                #expect(report.exitCode == 0, "\(failure(report) ?? "")")
                #expect(output.out == "0 true hello 42\n3 out err\nfed in\n\(dir.path)\n", "plan: \(plan)")
                #expect(report.steps.isEmpty)
            }
        }
    }

    @Test func aPlanDoesNotRunCommandsThatMayChangeTheHost() throws {
        try withScratch { dir in
            let marker = dir.at("/marker")
            let source = """
                step "touch" {
                  let r = run("touch", "\(marker)")
                  print("ran=${r.ran} status=${r.status} stdout=${r.stdout}")
                }
                """
            let (planned, planOutput) = try run(source, in: dir, plan: true)
            #expect(planOutput.out == "ran=false status=0 stdout=\n")
            #expect(!dir.exists("/marker"))
            #expect(planned.steps.first?.status == .wouldChange)
            let change = try #require(planned.steps.first?.changes.first)
            #expect(change.kind == "run" && change.target == "touch \(marker)")
            #expect(change.after == .string("not run in a plan") && !change.undoable && !change.applied)

            let (applied, applyOutput) = try run(source, in: dir)
            #expect(applyOutput.out == "ran=true status=0 stdout=\n")
            #expect(dir.exists("/marker"))
            #expect(applied.steps.first?.status == .changed)
            #expect(applied.steps.first?.changes.first?.applied == true)
        }
    }

    @Test func aCommandThatMayChangeTheHostNeedsAStep() throws {
        try withScratch { dir in
            let (report, _) = try run(#"run("true")"#, in: dir)
            #expect(failure(report) == "true: a command that may change the host runs inside a step (or mark it readonly: true)")
            #expect(report.exitCode == 1)
        }
    }

    @Test func aTimeoutKillsTheCommand() throws {
        try withScratch { dir in
            let (report, output) = try run("""
                try {
                  run("sleep", "30", timeout: 200ms, readonly: true)
                } catch e {
                  print(e.message)
                }
                step "slow" { sh("sleep 30", timeout: 100ms) }
                """, in: dir)
            #expect(output.out == "run: sleep 30 timed out after 200ms and was killed\n")
            #expect(failure(report) == "sh: /bin/sh -c 'sleep 30' timed out after 100ms and was killed")
        }
    }

    @Test func anUnknownCommandIsAnError() throws {
        try withScratch { dir in
            let (report, output) = try run("""
                try {
                  run("/nonexistent-mend-unit/no-such-command", readonly: true)
                } catch e {
                  print("${e.kind}: ${e.message}")
                }
                """, in: dir)
            #expect(report.exitCode == 0)
            #expect(output.out == "host: run: /nonexistent-mend-unit/no-such-command: no such command\n")
        }
    }

    @Test func badArgumentsAreErrors() throws {
        try withScratch { dir in
            let (list, _) = try run(#"run("echo", [1], readonly: true)"#, in: dir)
            #expect(failure(list) == "run: arguments must be strings or numbers, got a list")
            let (timeout, _) = try run(#"run("true", timeout: 0s, readonly: true)"#, in: dir)
            #expect(failure(timeout)?.hasPrefix("run: 'timeout' must be a positive duration") == true)
        }
    }

    /// argv and the script are C strings, which end at a NUL byte: `sh("echo hi\0; rm …")` would
    /// run `echo hi`. Such an argument is an error naming it; newlines in arguments and NUL bytes
    /// in the input are passed on as they are.
    @Test func aNULByteInACommandIsAnErrorNamingTheArgument() throws {
        try withScratch { dir in
            let cases = [
                (#"run("ec\u{0}ho", readonly: true)"#, #"run: 'command' contains a NUL byte (\0 at offset 2)"#),
                (#"run("echo", "a", "b\u{0}c", readonly: true)"#, #"run: argument 3 contains a NUL byte (\0 at offset 1)"#),
                (#"sh("echo hi\u{0}; touch \#(dir.at("/marker"))", readonly: true)"#,
                 #"sh: 'script' contains a NUL byte (\0 at offset 7)"#),
            ]
            for (call, message) in cases {
                let (report, output) = try run("print(\(call))", in: dir)
                #expect(failure(report) == message)
                #expect(output.out == "")
            }
            #expect(!dir.exists("/marker"))
            let (fine, output) = try run(#"""
                print(run("printf", "%s|", "line 1\nline 2", readonly: true).stdout)
                print(run("cat", input: "a\u{0}b", readonly: true).stdout == "a\u{0}b")
                """#, in: dir)
            #expect(fine.exitCode == 0, "\(failure(fine) ?? "")")
            #expect(output.out == "line 1\nline 2|\ntrue\n")
        }
    }

    @Test func reportsQuoteCommandsAsAShellWould() {
        #expect(CommandNamespace.quoted("plain-word_1.2/x=y") == "plain-word_1.2/x=y")
        #expect(CommandNamespace.quoted("a b") == "'a b'")
        #expect(CommandNamespace.quoted("it's") == #"'it'\''s'"#)
        #expect(CommandNamespace.quoted("") == "''")
    }
}

/// `run` and `sh` reach processes only through the host: a runner that answers them itself shows
/// what they asked for, and no process starts.
@Suite struct CommandsThroughTheHostTests {
    /// Answers `systemctl is-active node` as systemd would, any other command as missing.
    private let runner = AnsweringRunner { request throws(ProcessError) in
        guard request.argv.first == "systemctl" || request.argv.first == "/bin/sh" else {
            throw ProcessError(command: request.argv.first ?? "", message: "no such command")
        }
        return ProcessResult(status: 0, stdout: Array("active\n".utf8))
    }

    private func run(_ source: String, root: String, plan: Bool = false) throws -> RunReport {
        let interpreter = Interpreter(registry: .standard(), output: EngineTestOutput())
        let unit = try interpreter.compile(SourceFile(name: "test.mend", text: source))
        var options = EngineOptions()
        options.isPlan = plan
        return try Engine(interpreter: interpreter, host: MendKit.Host(root: root, processes: runner), options: options).run(unit)
    }

    @Test func aStepsCommandIsAnsweredByTheHostsRunner() throws {
        try withScratch { dir in
            let report = try run("""
                step "is the node up" {
                  let r = run("systemctl", "is-active", "node")
                  assert r.status == 0 and r.stdout.trim() == "active" and r.ran
                }
                """, root: dir.path)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            let request = try #require(runner.requests.first)
            #expect(request.argv == ["systemctl", "is-active", "node"])
            // Under a root the command learns it from the environment.
            #expect(request.environment?.contains("MEND_ROOT=\(dir.path)") == true)
            #expect(report.steps.first?.changes.first?.target == "systemctl is-active node")
        }
    }

    @Test func aReadonlyScriptRunsInAPlanAndOthersDoNot() throws {
        try withScratch { dir in
            let report = try run("""
                let r = sh("systemctl is-active node", readonly: true)
                assert r.stdout == "active\\n"
                step "restart" { run("systemctl", "restart", "node") }
                """, root: dir.path, plan: true)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(runner.requests.map(\.argv) == [["/bin/sh", "-c", "systemctl is-active node"]])
        }
    }

    @Test func aCommandTheRunnerCannotStartFailsTheStepNamingIt() throws {
        try withScratch { dir in
            let report = try run("""
                step "tool" { run("mend-no-such-tool", "x", readonly: true) }
                """, root: dir.path)
            #expect(report.exitCode == 1)
            #expect(failure(report) == "run: mend-no-such-tool: no such command")
        }
    }
}
