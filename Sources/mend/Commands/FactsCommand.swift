import ArgumentParser
import MendKit

/// The output formats of `mend facts`.
enum FactsFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct FactsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "facts",
        abstract: "Print the host facts runbooks read: os, kernel, cpu, mem, disk, host, user, init, container, selinux.",
        discussion: """
        Text: one aligned `name  value` line per fact, sizes in their literal form (31.34GiB). JSON: one object \
        nested as runbooks name the facts ({"os": {"id": …}, "init": …}), sizes as integer bytes, and \
        "errors" with the reason for each fact that could not be read (its value is null). Facts come from \
        files (under --root, the root's) and system calls; nothing is spawned. `mend doc os.id` (etc.) names \
        each fact's sources.

        Exit codes: 0 facts printed (also when some could not be read) · 64 usage error.
        """
    )

    @Option(help: "Output format: text or json.")
    var format: FactsFormat = .text

    @Option(help: ArgumentHelp("Read the facts of this directory's files (a fixture host or an image).", valueName: "DIR"))
    var root: String?

    func run() throws {
        try runCommand {
            let facts = Facts.read(from: Host(root: try rootDirectory(root)))
            switch format {
            case .text: Console.write(facts.text)
            case .json: Console.output(facts.json.prettyText)
            }
            return ExitStatus.success
        }
    }
}
