import Glibc
import ArgumentParser
import MendKit

struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "Troubleshoot interactively: run mend code line by line; host changes are journalled and undoable.",
        discussion: """
        On a terminal: line editing, history (~/.mend_history, or $MEND_HISTORY; empty for none), Tab \
        completion, multi-line input while brackets are open; Ctrl-C drops the input, Ctrl-D leaves. \
        Type :help for the meta commands (:dry on|off, :changes, :undo, :load FILE, :steps, :step NAME, :quit).

        With standard input not a terminal it reads statements without prompts or banner, so it can be \
        scripted: `printf 'let a = 2\\nprint(a * 3)\\n' | mend repl` prints 6. Exit codes: 0 · 1 an input \
        failed (scripted only), or a signal ended the session · 64 usage error.
        """
    )

    @Argument(help: "A runbook to :load first.")
    var file: String?

    @Option(name: .customLong("param"), help: ArgumentHelp("A param for loaded runbooks (repeatable).", valueName: "NAME=VALUE"))
    var params: [String] = []

    @Flag(help: "Start in dry mode (as :dry on): changes are planned, nothing changes.")
    var dry = false

    @Flag(name: .customLong("no-rollback"), help: "Leave a failed step's changes in place (undo them with :undo).")
    var noRollback = false

    @OptionGroup var host: HostOptions

    func validate() throws {
        for pair in params where !pair.contains("=") {
            throw ValidationError("--param expects NAME=VALUE, got \"\(pair)\"")
        }
    }

    func run() throws {
        try runCommand {
            let root = try rootDirectory(host.root)
            let maxMemory = try host.memoryBudget()
            let file = self.file, params = self.params, dry = self.dry, noRollback = self.noRollback
            let stateDirectoryOption = host.stateDirectory
            // The REPL reads the terminal on the main thread, where readline's global state lives.
            return MainActor.assumeIsolated {
            let isTerminal = isatty(0) != 0
            let interpreter = Interpreter()
            var options = EngineOptions()
            options.isPlan = dry
            options.rollsBack = !noRollback
            options.stateDirectory = stateDirectory(stateDirectoryOption)
            options.maxMemory = maxMemory
            let engine = Engine(interpreter: interpreter, host: Host(root: root), options: options)
            let reader: any LineReader
            var editor: LineEditor?
            if isTerminal {
                editor = LineEditor(historyPath: ReplCommand.historyPath())
                reader = editor ?? PlainReader()
            } else {
                reader = PlainReader()
            }
            defer { editor?.close() }
            let session = Repl(interpreter: interpreter, engine: engine, reader: reader, isTerminal: isTerminal, parameters: params)
            if let editor {
                let completer = Completer(registry: interpreter.registry, host: engine.host,
                                          metaCommands: MetaCommands.all.map { ($0.name, $0.argument) })
                editor.complete = { [unowned session] text in
                    let completion = completer.complete(text, scope: session.completionScope(), isFirstLine: session.isReadingFirstLine)
                    return LineEditor.Completion(start: completion.start, candidates: completion.candidates,
                                                 appendsSpace: completion.appendsSpace)
                }
            }
            return session.run(loading: file)
            }
        }
    }

    /// `$MEND_HISTORY` (empty: no history file), else ~/.mend_history.
    static func historyPath() -> String? {
        if let value = getenv("MEND_HISTORY") {
            let path = String(cString: value)
            return path.isEmpty ? nil : path
        }
        if let home = getenv("HOME"), home.pointee != 0 { return String(cString: home) + "/.mend_history" }
        guard let entry = getpwuid(getuid()), let dir = entry.pointee.pw_dir else { return nil }
        return String(cString: dir) + "/.mend_history"
    }
}
