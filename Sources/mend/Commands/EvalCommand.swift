import ArgumentParser
import MendKit

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Run a snippet and print the value of its last expression.",
        discussion: """
        Statements are allowed; the last one's value is printed in literal form (strings quoted), \
        nothing when it is nil or a statement. Example: mend eval '16GiB > 15GB'
        """
    )

    @Argument(help: "The mend source to run.")
    var source: String

    func run() throws {
        try runCommand {
            let interpreter = Interpreter()
            let value = try interpreter.evaluate(source)
            if case .null = value {} else { Console.output(value.literal) }
            return interpreter.checks.contains { !$0.ok } ? ExitStatus.failed : ExitStatus.success
        }
    }
}
