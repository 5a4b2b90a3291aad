import Glibc
import MendKit

/// The REPL (docs/repl.md): reads inputs (more lines while a bracket is open or a line ends
/// in an operator), runs each in one persistent module through the engine — so host changes are
/// journalled and can be undone — and prints values, changes and errors. Meta commands are in
/// `MetaCommands.swift`.
final class Repl: EngineObserver {
    let interpreter: Interpreter
    let engine: Engine
    let module = Module(name: "<repl>")
    let reader: any LineReader
    /// A person at a terminal: a banner, prompts, passed checks shown.
    let isTerminal: Bool
    /// `--param` values, applied to every `:load`.
    let parameters: [String]
    /// The `:load`ed file, for `:steps` and `:step`.
    var loaded: LoadedFile?
    /// False while more lines of an input are read (meta commands complete on first lines only).
    private(set) var isReadingFirstLine = true
    /// True once an input failed: a script then exits 1.
    private(set) var anyFailed = false
    /// Set when a signal should end the session: SIGTERM or SIGHUP, or in a script SIGINT too.
    private var stopped = false
    /// Lines read so far, so an error names the line of the session (or script) it is on.
    private var linesRead = 0
    private let stepLines: TextReporter
    /// `y` typed at the terminal for a `confirm` step; nil in a script.
    private let confirmation: TerminalConfirmation?
    /// Changes the step lines already showed.
    private var shownChanges = Set<ObjectIdentifier>()

    init(interpreter: Interpreter, engine: Engine, reader: any LineReader, isTerminal: Bool, parameters: [String]) {
        self.interpreter = interpreter
        self.engine = engine
        self.reader = reader
        self.isTerminal = isTerminal
        self.parameters = parameters
        let term = getenv("TERM").map { String(cString: $0) } ?? ""
        let colour = isTerminal && isatty(2) != 0 && getenv("NO_COLOR") == nil && term != "dumb"
        confirmation = isTerminal ? TerminalConfirmation() : nil
        stepLines = TextReporter(colour: colour, write: { Console.error($0, newline: false) },
                                 prompt: { Console.error($0, newline: false) })
    }

    /// Reads and runs inputs until `:quit`, Ctrl-D, the end of the input or a signal, after
    /// loading `file`. Returns the exit code: 1 when a signal ended the session or a script had a
    /// failing input, else 0.
    @MainActor func run(loading file: String?) -> Int32 {
        engine.observer = self
        engine.beginSession()
        defer { engine.endSession(interrupted: stopped) }
        if isTerminal {
            Console.error("mend \(MendVersion.number) — :help for commands, Ctrl-D to leave"
                          + (engine.isPlanning ? " (dry: nothing changes)" : ""))
        }
        if let file { MetaCommands.load([file], self) }
        while true {
            let prompt = engine.isPlanning ? "mend(dry)> " : "mend> "
            isReadingFirstLine = true
            let input = reader.read(prompt: prompt)
            isReadingFirstLine = false
            switch input {
            case .end:
                return exitCode
            case .signal(let name):
                stop(by: name)
                return exitCode
            case .interrupted:
                continue
            case .invalid(let line):
                linesRead += 1
                fail("error: line \(line) of the input is not valid UTF-8")
            case .line(let text):
                linesRead += 1
                let firstLine = linesRead
                if MetaCommands.isMetaCommand(text) {
                    reader.remember(text)
                    if !MetaCommands.run(text, in: self) || stopped { return exitCode }
                    continue
                }
                guard let source = continuation(of: text) else { continue }
                reader.remember(source.text)
                evaluate(source, firstLine: firstLine)
                if source.ended || stopped { return exitCode }
            }
        }
    }

    /// What Tab completion sees: the session's names and values, the loaded steps.
    func completionScope() -> Completer.Scope {
        // Step names as the REPL shows them: a secret in one must not reach the line, or the history.
        Completer.Scope(names: module.scope.names, value: { [module] in module.value(of: $0) },
                        steps: loaded?.steps.map { redacted($0.name) } ?? [])
    }

    /// 1 when a signal ended the session or an input of a script failed.
    private var exitCode: Int32 { stopped || (!isTerminal && anyFailed) ? ExitStatus.failed : ExitStatus.success }

    /// The whole input: more lines while the text is incomplete. Nil when Ctrl-C dropped it.
    @MainActor private func continuation(of first: String) -> (text: String, ended: Bool)? {
        var input = PendingInput()
        input.append(first)
        while !input.isComplete {
            switch reader.read(prompt: "...   ") {
            case .line(let more):
                linesRead += 1
                input.append(more)
            case .interrupted:
                return nil
            case .end:
                // Run what there is: its error says what is missing.
                return (input.text, true)
            case .signal(let name):
                stop(by: name)
                return nil
            case .invalid(let line):
                linesRead += 1
                fail("error: line \(line) of the input is not valid UTF-8")
                return nil
            }
        }
        return (input.text, false)
    }

    /// A signal ended the session while it waited for input.
    private func stop(by signal: String) {
        fail((isTerminal ? "\n" : "") + "interrupted by \(signal)")
        stopped = true
    }

    private func evaluate(_ source: (text: String, ended: Bool), firstLine: Int) {
        let text = source.text
        guard !text.allSatisfy(\.isWhitespace) else { return }
        let file = SourceFile(name: isTerminal ? "<repl>" : "<stdin>", text: text, firstLine: firstLine)
        var value = Value.null
        run(input: text) {
            let unit = try interpreter.compile(file, options: CompileOptions(isInteractive: true), globals: module.scope)
            value = try engine.evaluate(unit, in: module, input: text)
        }
        // After the changes it made: the value is what the input came to.
        if case .null = value { return }
        // Masked before the layout, so table columns line up with what is shown.
        engine.redactor.update(from: interpreter.resolvedParams)
        Console.output(redacted(engine.redactor.redact(value).pretty(width: terminalWidth())))
    }

    /// Runs part of an input, then shows the changes and checks it made; an error is shown
    /// (with its caret) and counts as a failed input.
    func run(input: String, _ body: () throws -> Void) {
        let changesBefore = engine.sessionChanges.count
        let checksBefore = interpreter.checks.count
        var failure: (any Error)?
        do {
            try body()
        } catch {
            failure = error
        }
        showChanges(Array(engine.sessionChanges.dropFirst(changesBefore)))
        for check in interpreter.checks.dropFirst(checksBefore) {
            let message = redacted(check.message)
            if !check.ok {
                fail("check failed: \(message) (\(check.location))")
            } else if isTerminal {
                Console.error("check passed: \(message)")
            }
        }
        if let failure {
            report(failure)
            let interruption = (failure as? Interrupted) ?? (failure as? StepFailure)?.interruption
            if case .signal(let name)? = interruption?.reason, name != "SIGINT" || !isTerminal { stopped = true }
        }
    }

    /// Changes made outside steps (the step lines list those inside).
    private func showChanges(_ changes: [SessionChange]) {
        for change in changes where !shownChanges.contains(ObjectIdentifier(change.change)) {
            let report = change.change
            if change.planned {
                Console.error("would change: \(report.summary)")
            } else if report.applied {
                Console.error("changed: \(report.summary)")
            } else {
                Console.error("failed: " + (report.kind == "run" ? "run \(report.target)" : report.summary))
            }
        }
        shownChanges = []
    }

    /// Shows an error the way `mend run` does: located, with the offending part underlined.
    func report(_ error: any Error) {
        if let report = failureReport(error) {
            fail(report.message)
            return
        }
        switch error {
        case let s as StepFailure:
            var text = "step \"\(s.step.name)\" failed"
            let undone = s.step.changes.filter(\.undone).count
            if undone > 0 {
                let what = engine.isPlanning ? ("planned change was", "planned changes were", "forgotten")
                    : ("change was", "changes were", "undone")
                text += "; its \(undone == 1 ? what.0 : "\(undone) \(what.1)") \(what.2)"
            }
            for e in s.rollbackErrors { text += "\ncould not undo \(e.target): \(e.message)" }
            fail((s.step.error?.rendered ?? "") + text)
        case let i as Interrupted:
            fail((isTerminal ? "\n" : "") + i.description)
        case let held as LockHeld:
            fail(CommandFailure(held).message)
        case let host as HostError:
            fail(CommandFailure(host, writesStateDirectory: true).message)
        default:
            fail("error: \(error)")
        }
    }

    /// Shows a failure on standard error and remembers it for the exit code.
    func fail(_ message: String) {
        anyFailed = true
        Console.error(redacted(message))
    }

    func redacted(_ text: String) -> String {
        engine.redactor.update(from: interpreter.resolvedParams)
        return engine.redactor.redact(text)
    }

    // MARK: EngineObserver

    func stepFinished(_ step: StepReport) {
        for change in step.changes { shownChanges.insert(ObjectIdentifier(change)) }
        stepLines.stepFinished(step)
    }

    func waitingForConfirmation(_ step: StepReport, nanoseconds: Int, answerable: Bool) {
        stepLines.waitingForConfirmation(step, nanoseconds: nanoseconds, answerable: answerable)
    }

    var answersConfirmations: Bool { confirmation != nil }

    func confirmationAnswer(for step: StepReport, waitingAtMost milliseconds: Int) -> ConfirmationAnswer? {
        confirmation?.answer(waitingAtMost: milliseconds)
    }
}

/// A file loaded with `:load`: its steps, recorded instead of run.
struct LoadedFile {
    let path: String
    var steps: [StepCall]
}

/// Takes the steps of a file being loaded instead of running them.
final class StepRecorder: StepRunner {
    private(set) var steps: [StepCall] = []
    func runStep(_ step: StepCall, in interpreter: Interpreter) throws {
        steps.append(step)
    }
}
