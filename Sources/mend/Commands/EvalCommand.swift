import ArgumentParser
import MendKit

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Run a snippet and print the value of its last expression.",
        discussion: """
        Statements are allowed; the last one's value is printed as the REPL prints it: in literal form \
        (strings quoted) when it fits on a line, else one element per line, and a list of maps as a table; \
        nothing when it is nil or a statement. Example: mend eval '16GiB > 15GB'
        """
    )

    // Collected this way so a snippet may start with '-' (`mend eval '-5 / 2'`).
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The mend source to run.", valueName: "source"))
    var arguments: [String] = []

    @Option(name: .customLong("max-memory"), help: ArgumentHelp(maxMemoryHelp, valueName: "SIZE"))
    var maxMemory: String?

    /// The snippet, without the `--` that older habits put before it.
    private var sources: [String] { arguments.first == "--" ? Array(arguments.dropFirst()) : arguments }

    func validate() throws {
        if sources.count != 1 {
            throw ValidationError(sources.isEmpty ? "give the snippet to run, e.g. mend eval '1 + 2'"
                                  : "give the snippet as one argument (quote it)")
        }
    }

    func run() throws {
        try runCommand {
            let budget = try MendCLI.memoryBudget(maxMemory)
            try MemoryBudget.arm(limit: budget)
            defer { MemoryBudget.disarm() }
            let interpreter = Interpreter()
            // A snippet may declare a `secret param`: what it shows is masked as a run masks it.
            let redactor = Redactor()
            interpreter.output = RedactingOutput(interpreter.output, redactor: redactor, interpreter: interpreter)
            let value: Value
            do {
                value = try interpreter.evaluate(sources[0])
                // The VM polls at jumps and calls: a snippet of straight-line code may end over budget.
                try Interrupted.check()
            } catch let interrupted as Interrupted {
                throw CommandFailure(ExitStatus.failed, "error: \(interrupted)")
            } catch {
                guard let report = failureReport(error) else { throw error }
                redactor.update(from: interpreter.resolvedParams)
                throw CommandFailure(report.code, redactor.redact(report.message))
            }
            if case .null = value {} else {
                redactor.update(from: interpreter.resolvedParams)
                // Masked before the layout, so table columns line up with what is shown.
                let text = redactor.redact(redactor.redact(value).pretty(width: terminalWidth()))
                // Printing a large value stops short when the budget trips: say so, not the part.
                if let interrupted = Interrupted.current { throw CommandFailure(ExitStatus.failed, "error: \(interrupted)") }
                Console.output(text)
            }
            return interpreter.checks.contains { !$0.ok } ? ExitStatus.failed : ExitStatus.success
        }
    }
}
