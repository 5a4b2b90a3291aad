import Glibc
import ArgumentParser
import MendKit

/// The report formats of `run` and `plan`.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, junit, markdown
}

/// The options `run` and `plan` share.
struct RunbookOptions: ParsableArguments {
    @Argument(help: "The runbook file.")
    var file: String

    @Option(name: .customLong("param"), help: ArgumentHelp("Set a param (repeatable).", valueName: "NAME=VALUE"))
    var params: [String] = []

    @Option(name: .customLong("param-file"), help: ArgumentHelp("Read NAME=VALUE lines from a file.", valueName: "FILE"))
    var paramFile: String?

    @Option(name: .customLong("step"), help: ArgumentHelp(
        "Run only steps whose name matches (repeatable; * and ? are wildcards). Top-level code always runs.",
        valueName: "NAME"))
    var steps: [String] = []

    @Option(name: .customLong("from"), help: ArgumentHelp("Skip the bodies of steps numbered below N.", valueName: "N"))
    var from: Int?

    @Option(help: "Report format: text, json, junit or markdown.")
    var format: ReportFormat = .text

    @Flag(name: .customLong("no-rollback"), help: "On a failure, leave the host as the failure found it (undo later with `mend rollback`).")
    var noRollback = false

    @OptionGroup var host: HostOptions

    @Flag(name: .customLong("detailed-exitcode"), help: "Exit 2 when the run changed something (in a plan: when changes are pending).")
    var detailedExitCode = false

    func validate() throws {
        if let from, from < 1 { throw ValidationError("--from counts steps from 1, got \(from)") }
    }
}

/// Which host a command acts on, where it journals and how much memory it may use: shared by
/// `run`, `plan` and `repl`.
struct HostOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Resolve every file path under this directory (a fixture host or an image).", valueName: "DIR"))
    var root: String?

    @Option(name: .customLong("max-memory"), help: ArgumentHelp(maxMemoryHelp, valueName: "SIZE"))
    var maxMemory: String?

    /// `--max-memory` in bytes, or the default budget.
    func memoryBudget() throws -> Int {
        try MendCLI.memoryBudget(maxMemory)
    }

    @Option(name: .customLong("state-dir"), help: ArgumentHelp(
        "Where the lock and journals live (default $MEND_STATE_DIR, else /var/lib/mend as root, $XDG_STATE_HOME/mend otherwise).", valueName: "DIR"))
    var stateDirectory: String?
}

/// The state directory a command uses: `--state-dir`, else `$MEND_STATE_DIR`, else /var/lib/mend
/// for root and `$XDG_STATE_HOME/mend` (`~/.local/state/mend`) for anyone else, who cannot write
/// /var/lib and whose runs (of fixture roots, of their own files) are their own.
func stateDirectory(_ option: String?) -> StateDirectory {
    func variable(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
    }
    if let path = option ?? variable("MEND_STATE_DIR") { return StateDirectory(path: path) }
    if geteuid() == 0 { return StateDirectory(path: "/var/lib/mend") }
    if let state = variable("XDG_STATE_HOME"), state.hasPrefix("/") { return StateDirectory(path: state + "/mend") }
    let home = variable("HOME") ?? getpwuid(geteuid()).flatMap { $0.pointee.pw_dir.map { String(cString: $0) } } ?? "/"
    return StateDirectory(path: (home == "/" ? "" : home) + "/.local/state/mend")
}

/// Warns on stderr about earlier runs interrupted with changes outstanding: the host may be
/// half-changed, and only `mend rollback` knows how to put it back.
func warnAboutInterruptedRuns(in directory: StateDirectory) {
    for run in RunHistory.interruptedRuns(in: directory) { Console.error("mend: warning: " + RunHistory.warning(about: run)) }
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Execute a runbook: apply its steps, journalled, rolled back on failure.",
        discussion: """
        Params are set with --param NAME=VALUE (repeatable), --param-file FILE (NAME=VALUE lines) or \
        the environment (MEND_PARAM_NAME); values are parsed as the type of the param's default.

        Exit codes: 0 success · 1 a step or check failed (changes rolled back) · 2 changes made \
        (with --detailed-exitcode) · 3 rollback incomplete · 4 a require failed, nothing ran · \
        64 usage error · 65 the runbook does not parse or check · 75 another run holds the lock · \
        77 a change needed privileges this process lacks.
        """
    )

    @OptionGroup var options: RunbookOptions

    @Flag(name: .customLong("dry-run"), help: "Plan only: show every change, touch nothing (same as `mend plan`).")
    var dryRun = false

    func run() throws {
        try runRunbook(options, isPlan: dryRun)
    }
}

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what a run would change, with exact before → after values; touch nothing.",
        discussion: """
        The same as `mend run --dry-run`. Host-changing builtins record their change and later reads see \
        the planned state, so asserts after a planned change check it. Commands from run(…) and sh(…) do \
        not run unless marked readonly: true. A plan takes no lock and writes no journal.

        Exit codes: 0 nothing to change · 1 a step, assert or check failed · 2 changes pending (with \
        --detailed-exitcode) · 4 a require failed · 64 usage error · 65 the runbook does not parse or check.
        """
    )

    @OptionGroup var options: RunbookOptions

    func run() throws {
        try runRunbook(options, isPlan: true)
    }
}

/// Sends `print` to standard error, keeping standard output for a machine-readable report.
private final class ErrorStreamOutput: OutputSink {
    func standardOutput(_ text: String) { Console.error(text) }
    func standardError(_ text: String) { Console.error(text) }
}

/// The runbook's output in a text report: a running step's header comes first.
private final class StepHeadedOutput: OutputSink {
    let reporter: TextReporter
    init(reporter: TextReporter) { self.reporter = reporter }
    func standardOutput(_ text: String) {
        reporter.beforeOutput()
        Console.write(text)
    }
    func standardError(_ text: String) {
        reporter.beforeOutput()
        Console.error(text, newline: false)
    }
}

/// `mend run` and `mend plan`.
private func runRunbook(_ options: RunbookOptions, isPlan: Bool) throws {
    try runCommand {
        let source = try readSource(options.file)
        // Usage errors (64) win over a runbook that does not parse (65).
        let root = try rootDirectory(options.host.root)
        let maxMemory = try options.host.memoryBudget()
        let paramFile = try options.paramFile.map(readSource)
        let interpreter = Interpreter()
        let unit = try interpreter.compile(source)
        interpreter.parameters = try ParamArguments.collect(options.params, file: paramFile,
                                                            declared: unit.main.params.map(\.name))
        try interpreter.checkParameters(of: unit)
        if options.format != .text { interpreter.output = ErrorStreamOutput() }
        warnAboutInterruptedRuns(in: stateDirectory(options.host.stateDirectory))

        var engineOptions = EngineOptions()
        engineOptions.isPlan = isPlan
        engineOptions.selectedSteps = options.steps
        engineOptions.fromStep = options.from
        engineOptions.rollsBack = !options.noRollback
        engineOptions.stateDirectory = isPlan ? nil : stateDirectory(options.host.stateDirectory)
        engineOptions.detailedExitCode = options.detailedExitCode
        engineOptions.maxMemory = maxMemory
        engineOptions.watchdogCommand = WatchdogCommand.command
        let engine = Engine(interpreter: interpreter, host: Host(root: root), options: engineOptions)
        var textReporter: TextReporter?
        if options.format == .text {
            let term = getenv("TERM").map { String(cString: $0) } ?? ""
            let colour = isatty(1) != 0 && getenv("NO_COLOR") == nil && term != "dumb"
            let reporter = TextReporter(colour: colour, live: isatty(1) != 0 && term != "dumb", write: { Console.write($0) },
                                        prompt: { Console.error($0, newline: false) })
            interpreter.output = StepHeadedOutput(reporter: reporter)
            textReporter = reporter
        }
        let observer = RunObserver(reporter: textReporter, terminal: isatty(0) != 0 ? TerminalConfirmation() : nil)
        engine.observer = observer

        let report: RunReport
        do {
            report = try engine.run(unit)
        } catch let held as LockHeld {
            throw CommandFailure(held)
        } catch let error as HostError {
            throw CommandFailure(error, writesStateDirectory: true)
        }

        switch options.format {
        case .text:
            textReporter?.finished(report)
        case .json:
            Console.output(report.json.prettyText)
        case .junit:
            Console.write(report.junit)
        case .markdown:
            Console.write(report.markdown)
        }
        // Diagnostics with their carets go to stderr in every format; the report has the short form.
        for step in report.steps { if let error = step.error { Console.error(error.rendered) } }
        if let error = report.error { Console.error(error.rendered) }
        return report.exitCode
    }
}

/// `--root DIR` as an absolute, existing directory.
func rootDirectory(_ option: String?) throws -> String {
    guard let option else { return "/" }
    var info = stat()
    guard stat(option, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, let real = realpath(option, nil) else {
        throw CommandFailure(ExitStatus.usage, "mend: --root \(option): no such directory")
    }
    defer { free(real) }
    return String(cString: real)
}

/// `--param` and `--param-file` values, checked against the runbook's declared params.
enum ParamArguments {
    static func collect(_ pairs: [String], file: SourceFile?, declared: [String]) throws -> [String: String] {
        var lines: [(String, String)] = []
        if let file {
            let text = String(decoding: file.bytes, as: UTF8.self)
            for (k, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.trimmingCharacters(in: " \t\r")
                if line.isEmpty || line.hasPrefix("#") { continue }
                lines.append((line, "\(file.name):\(k + 1)"))
            }
        }
        lines += pairs.map { ($0, "--param") }
        var result: [String: String] = [:]
        for (pair, origin) in lines {
            guard let eq = pair.firstIndex(of: "=") else {
                throw CommandFailure(ExitStatus.usage, "mend: \(origin): expected NAME=VALUE, got \"\(pair)\"")
            }
            let name = pair[..<eq].trimmingCharacters(in: " \t")
            guard declared.contains(name) else {
                let hint = declared.isEmpty ? " (the runbook declares no params)"
                    : " (declared: \(declared.joined(separator: ", ")))"
                throw CommandFailure(ExitStatus.usage, "mend: \(origin): unknown param '\(name)'\(hint)")
            }
            result[name] = String(pair[pair.index(after: eq)...]).trimmingCharacters(in: origin == "--param" ? "" : " \t")
        }
        return result
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

/// The help of `--max-memory` (run, plan, repl, eval).
let maxMemoryHelp = "Fail (and roll back) when mend's memory passes this size (default 2GiB, less on smaller "
    + "machines and under a ulimit -v or cgroup memory limit)."

/// Namespaced so that option groups with a `memoryBudget()` of their own can call it.
enum MendCLI {
    /// `--max-memory` in bytes (`option`), or the default budget when it is not given.
    static func memoryBudget(_ option: String?) throws -> Int {
        guard let option else { return MemoryBudget.defaultLimit() }
        guard let bytes = Value.size(parsing: option), bytes > 0 else {
            throw CommandFailure(ExitStatus.usage, "mend: --max-memory \(option): expected a size such as 512MiB or 2GiB"
                                 + (unitHint(option).map { " (\($0))" } ?? ""))
        }
        return bytes
    }

    /// For a size with a one-letter unit (`100M`, `2g`), the sizes mend would read: `100MiB or 100MB`.
    private static func unitHint(_ text: String) -> String? {
        let trimmed = text.filter { !$0.isWhitespace }
        guard let last = trimmed.last, "kKmMgGtT".contains(last) else { return nil }
        let number = trimmed.dropLast()
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "_") }) else { return nil }
        let unit = last == "k" || last == "K" ? "K" : last.uppercased()
        return "write \(number)\(unit)iB, or \(number)\(unit)B for powers of 1000"
    }
}
