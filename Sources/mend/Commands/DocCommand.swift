import ArgumentParser
import MendKit

struct DocCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doc",
        abstract: "Show the builtin reference from the binary itself.",
        discussion: """
        Without NAME: every builtin, one line each. With NAME (`len`, `split`, `string.split`, a \
        namespace such as `sysctl`): its signature, description and a runnable example.
        """
    )

    @Argument(help: "A builtin, method or namespace.")
    var name: String?

    func run() throws {
        try runCommand {
            let registry = Registry.standard()
            guard let name else {
                Console.output(BuiltinReference.index(registry))
                return ExitStatus.success
            }
            guard let text = BuiltinReference.entry(name, in: registry) else {
                let all = BuiltinReference.allNames(registry)
                throw CommandFailure(ExitStatus.usage,
                                     "mend doc: no builtin or keyword '\(name)'" + Suggest.hint(for: name, in: all) + " (mend doc lists them)")
            }
            Console.output(text)
            return ExitStatus.success
        }
    }
}
