import Glibc
import Testing
@testable import MendKit

/// The engine serving the REPL: inputs run in one module, changes are journalled per input,
/// `:dry` plans over the overlay, `:undo` restores newest first.
@Suite("engine session (the REPL)", .serialized)
struct EngineSessionTests {
    /// A session over `root`, journalling into `root/state` unless `journalled` is false.
    final class Session {
        let interpreter: Interpreter
        let engine: Engine
        let module = Module(name: "<repl>")
        let output = EngineTestOutput()

        init(_ root: ScratchDirectory, journalled: Bool = true, rollsBack: Bool = true) {
            interpreter = Interpreter(output: output)
            var options = EngineOptions()
            options.stateDirectory = journalled ? StateDirectory(path: root.at("/state")) : nil
            options.rollsBack = rollsBack
            engine = Engine(interpreter: interpreter, host: Host(root: root.path), options: options)
            engine.beginSession()
        }

        deinit { engine.endSession() }

        /// Runs one input, as the REPL does.
        @discardableResult
        func input(_ text: String) throws -> Value {
            let unit = try interpreter.compile(SourceFile(name: "<repl>", text: text),
                                               options: CompileOptions(isInteractive: true), globals: module.scope)
            return try engine.evaluate(unit, in: module, input: text)
        }

        var summaries: [String] { engine.sessionChanges.map(\.change.summary) }
    }

    @Test func eachInputSeesTheNamesOfTheEarlierOnes() throws {
        try withScratch { root in
            let s = Session(root, journalled: false)
            try s.input("let a = 20")
            try s.input("fn twice(x) { return x * 2 }")
            #expect(try s.input("twice(a) + 2").literal == "42")
            try s.input("let a = 1")
            #expect(try s.input("a").literal == "1")
        }
    }

    @Test func aChangeOutsideAStepIsMadeAndJournalledUnderTheInput() throws {
        try withScratch { root in
            try root.write("/etc/motd", "old\n")
            let s = Session(root)
            try s.input("file.write(\"/etc/motd\", \"new\\n\")")
            #expect(root.read("/etc/motd") == "new\n")
            #expect(s.summaries == ["file /etc/motd: content changed"])
            #expect(s.engine.sessionChanges.first?.step == "file.write(\"/etc/motd\", \"new\\n\")")
            let runs = RunHistory.runs(in: StateDirectory(path: root.at("/state")))
            #expect(runs.count == 1)
            #expect(runs.first?.outstanding == 1)
        }
    }

    @Test func anInputThatChangesNothingTakesNoLockAndWritesNoJournal() throws {
        try withScratch { root in
            try root.write("/etc/a", "1\n")
            let s = Session(root)
            try s.input("file.write(\"/etc/a\", \"1\\n\", mode: 0o644)")
            #expect(s.engine.sessionChanges.isEmpty)
            #expect(!root.exists("/state"))
        }
    }

    @Test func undoRestoresNewestFirstAndJournalsIt() throws {
        try withScratch { root in
            try root.write("/etc/a", "1\n")
            let s = Session(root)
            try s.input("file.write(\"/etc/a\", \"2\\n\")")
            try s.input("file.write(\"/etc/a\", \"3\\n\")\nfile.write(\"/etc/b\", \"new\\n\")")
            var outcome = try s.engine.undo(all: false)
            #expect(outcome.undone.map(\.summary) == ["file /etc/b: created (mode 0644)"])
            #expect(!root.exists("/etc/b"))
            #expect(root.read("/etc/a") == "3\n")
            outcome = try s.engine.undo(all: true)
            #expect(outcome.undone.count == 2)
            #expect(outcome.notUndone.isEmpty)
            #expect(root.read("/etc/a") == "1\n")
            #expect(try s.engine.undo(all: true).undone.isEmpty)
            // Nothing is left for `mend rollback`.
            #expect(RunHistory.runs(in: StateDirectory(path: root.at("/state"))).first?.outstanding == 0)
        }
    }

    @Test func undoLeavesATargetChangedSinceUnlessForced() throws {
        try withScratch { root in
            try root.write("/etc/a", "1\n")
            let s = Session(root)
            try s.input("file.write(\"/etc/a\", \"2\\n\")")
            try root.write("/etc/a", "someone else\n")
            let refused = try s.engine.undo(all: false)
            #expect(refused.undone.isEmpty)
            #expect(refused.notUndone.first?.reason.hasPrefix("changed since mend made it") == true)
            #expect(root.read("/etc/a") == "someone else\n")
            let forced = try s.engine.undo(all: false, force: true)
            #expect(forced.undone.count == 1)
            #expect(root.read("/etc/a") == "1\n")
        }
    }

    @Test func aCommandCannotBeUndoneAndIsPassedOver() throws {
        try withScratch { root in
            let s = Session(root)
            try s.input("file.write(\"/etc/x\", \"1\\n\")")
            try s.input("run(\"true\")")
            let outcome = try s.engine.undo(all: false)
            #expect(outcome.notUndone.map(\.reason) == ["a command cannot be undone"])
            #expect(outcome.undone.map(\.summary) == ["file /etc/x: created (mode 0644)"])
            #expect(!root.exists("/etc/x"))
        }
    }

    @Test func dryModePlansOverTheOverlayAndUndoForgetsPlannedChanges() throws {
        try withScratch { root in
            try root.write("/etc/a", "1\n")
            let s = Session(root)
            s.engine.setPlanning(true)
            try s.input("file.write(\"/etc/a\", \"2\\n\")")
            try s.input("file.write(\"/etc/a\", \"3\\n\")")
            #expect(try s.input("file.read(\"/etc/a\")").literal == "\"3\\n\"")
            #expect(root.read("/etc/a") == "1\n")
            #expect(!s.engine.sessionChanges.contains { !$0.planned })
            // Forgetting the newest planned change shows the one before it again.
            let forgotten = try s.engine.undo(all: false)
            #expect(forgotten.undone.count == 1)
            #expect(try s.input("file.read(\"/etc/a\")").literal == "\"2\\n\"")
            // Leaving dry mode drops the rest; reads see the host again.
            #expect(s.engine.setPlanning(false) == 1)
            #expect(s.engine.sessionChanges.isEmpty)
            #expect(try s.input("file.read(\"/etc/a\")").literal == "\"1\\n\"")
            #expect(!root.exists("/state"), "a dry session touches nothing, the state directory included")
        }
    }

    /// What a plan assumed (a wait after a planned start) stays when a later planned change is
    /// forgotten, and goes when a change before it is.
    @Test func inDryModeUndoKeepsWhatThePlanAssumedBeforeTheForgottenChange() throws {
        try withScratch { root in
            try root.write("/etc/a", "1\n")
            let s = Session(root)
            s.engine.setPlanning(true)
            try s.input("file.write(\"/etc/b\", \"x\\n\")")
            s.engine.assume(FileResource(), "/etc/a", FileResource.State(exists: true, content: Array("assumed\n".utf8)).json)
            try s.input("file.write(\"/etc/c\", \"y\\n\")")
            _ = try s.engine.undo(all: false)
            #expect(try s.input("file.read(\"/etc/a\")").literal == "\"assumed\\n\"")
            _ = try s.engine.undo(all: false)
            #expect(try s.input("file.read(\"/etc/a\")").literal == "\"1\\n\"")
        }
    }

    @Test func aFailingStepUndoesItsOwnChangesOnly() throws {
        try withScratch { root in
            let s = Session(root)
            try s.input("file.write(\"/etc/kept\", \"1\\n\")")
            #expect(throws: StepFailure.self) {
                try s.input("step \"breaks\" {\n  file.write(\"/etc/undone\", \"2\\n\")\n  fail(\"boom\")\n}")
            }
            #expect(root.exists("/etc/kept"))
            #expect(!root.exists("/etc/undone"))
            do {
                try s.input("step \"again\" { fail(\"no\") }")
            } catch let failure as StepFailure {
                #expect(failure.step.name == "again")
                #expect(failure.step.error?.message == "no")
            }
        }
    }

    @Test func inDryModeAFailedStepsPlannedChangesAreForgotten() throws {
        try withScratch { root in
            try root.write("/etc/a", "1\n")
            let s = Session(root)
            s.engine.setPlanning(true)
            try s.input("file.write(\"/etc/a\", \"2\\n\")")
            do {
                try s.input("step \"breaks\" {\n  file.write(\"/etc/a\", \"3\\n\")\n  fail(\"boom\")\n}")
                Issue.record("the step should fail")
            } catch let failure as StepFailure {
                #expect(failure.step.changes.map(\.undone) == [true])
            }
            #expect(try s.input("file.read(\"/etc/a\")").literal == "\"2\\n\"")
            #expect(s.engine.sessionChanges.count == 1)
        }
    }

    @Test func aChangeThatFailedBeforeTakingEffectIsNotWhatUndoUndoes() throws {
        try withScratch { root in
            try root.write("/etc/a", "1\n")
            try root.write("/etc/plain", "a file, not a directory\n")
            let s = Session(root)
            try s.input("file.write(\"/etc/a\", \"2\\n\")")
            try s.input("try { file.write(\"/etc/plain/x\", \"x\") } catch e { }")
            let outcome = try s.engine.undo(all: false)
            #expect(outcome.undone.map(\.summary) == ["file /etc/a: content changed"])
            #expect(root.read("/etc/a") == "1\n")
        }
    }

    @Test func undoSaysOnceThatACommandCannotBeUndone() throws {
        try withScratch { root in
            let s = Session(root)
            try s.input("run(\"true\")")
            #expect(try s.engine.undo(all: false).notUndone.count == 1)
            let again = try s.engine.undo(all: true)
            #expect(again.notUndone.isEmpty && again.undone.isEmpty)
        }
    }

    @Test func anInputThatDoesNotCompileDeclaresNothing() throws {
        try withScratch { root in
            let s = Session(root, journalled: false)
            #expect(throws: Diagnostics.self) { try s.input("fn g() { return later }") }
            try s.input("let later = 1")
            #expect(throws: Diagnostics.self) { try s.input("g()") }
            try s.input("fn g() { return later + 1 }")
            #expect(try s.input("g()").literal == "2")
        }
    }

    @Test func withoutRollbackAFailedStepsChangesStayForUndo() throws {
        try withScratch { root in
            let s = Session(root, rollsBack: false)
            #expect(throws: StepFailure.self) {
                try s.input("step \"breaks\" {\n  file.write(\"/etc/left\", \"2\\n\")\n  fail(\"boom\")\n}")
            }
            #expect(root.exists("/etc/left"))
            let outcome = try s.engine.undo(all: false)
            #expect(outcome.undone.count == 1)
            #expect(!root.exists("/etc/left"))
        }
    }

    @Test func theLockIsTakenPerInputAndRefusedWhileAnotherRunHoldsIt() throws {
        try withScratch { root in
            let s = Session(root)
            try s.input("file.write(\"/etc/one\", \"1\\n\")")
            // Between inputs another run may take the lock...
            let state = StateDirectory(path: root.at("/state"))
            let other = try state.lock(runId: "20260101-000000-other")
            // ...and while it holds it, an input that changes the host is refused before any change.
            #expect(throws: LockHeld.self) { try s.input("file.write(\"/etc/two\", \"2\\n\")") }
            #expect(!root.exists("/etc/two"))
            #expect(throws: LockHeld.self) { try s.engine.undo(all: false) }
            // Reading needs no lock.
            #expect(try s.input("file.exists(\"/etc/one\")").literal == "true")
            other.release()
            try s.input("file.write(\"/etc/two\", \"2\\n\")")
            #expect(root.exists("/etc/two"))
        }
    }

    @Test func stepsRunThroughTheEngineOneByOne() throws {
        try withScratch { root in
            let s = Session(root)
            let call = StepCall(name: "direct", when: nil, timeout: nil, confirm: nil,
                                body: try s.input("fn() { file.write(\"/etc/direct\", \"d\\n\") }"), rollback: nil,
                                span: Span(SourceFile(name: "<test>", text: ""), 0, 0))
            try s.engine.runStep(call)
            #expect(root.read("/etc/direct") == "d\n")
            #expect(s.engine.sessionChanges.map(\.step) == ["direct"])
            let skipped = StepCall(name: "never", when: false, timeout: nil, confirm: nil, body: call.body, rollback: nil,
                                   span: call.span)
            try s.engine.runStep(skipped)
            #expect(s.engine.sessionChanges.count == 1)
        }
    }

    @Test func endingTheSessionPutsTheInterpreterBack() throws {
        try withScratch { root in
            let s = Session(root, journalled: false)
            s.engine.endSession()
            #expect(!s.interpreter.isInteractive)
            #expect(s.interpreter.stepRunner == nil)
            #expect(throws: MendError.self) { try s.input("1") }
        }
    }
}
