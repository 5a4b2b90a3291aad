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
            let interpreter = Interpreter()
            let value = try interpreter.evaluate(sources[0])
            if case .null = value {} else { Console.output(value.pretty(width: terminalWidth())) }
            return interpreter.checks.contains { !$0.ok } ? ExitStatus.failed : ExitStatus.success
        }
    }
}
