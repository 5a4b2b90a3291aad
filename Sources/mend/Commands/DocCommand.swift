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
                                     "mend doc: no builtin '\(name)'" + Suggest.hint(for: name, in: all) + " (mend doc lists them)")
            }
            Console.output(text)
            return ExitStatus.success
        }
    }
}

/// The text of `mend doc`, from the registry that also drives checking and completion.
enum BuiltinReference {
    static func allNames(_ registry: Registry) -> [String] {
        var names = Array(registry.functions.keys)
        for (ns, members) in registry.namespaces { names += [ns] + members.keys.map { "\(ns).\($0)" } }
        for (type, members) in registry.methods { names += members.keys.map { "\(type).\($0)" } + Array(members.keys) }
        return names
    }

    static func summary(_ b: Builtin) -> String {
        b.doc.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
    }

    static func index(_ registry: Registry) -> String {
        var lines = ["Core functions:"]
        for b in registry.functions.values.sorted(by: { $0.name < $1.name }) {
            lines.append("  \(pad(b.signature)) \(summary(b))")
        }
        for (type, members) in registry.methods.sorted(by: { $0.key < $1.key }) {
            lines.append("")
            lines.append("Methods of \(type):")
            for b in members.values.sorted(by: { $0.name < $1.name }) {
                lines.append("  \(pad(b.signature)) \(summary(b))")
            }
        }
        for (ns, members) in registry.namespaces.sorted(by: { $0.key < $1.key }) {
            lines.append("")
            lines.append("\(ns): \(registry.namespaceDocs[ns] ?? "")")
            for b in members.values.sorted(by: { $0.name < $1.name }) {
                lines.append("  \(pad(b.signature)) \(summary(b))")
            }
        }
        lines.append("")
        lines.append("mend doc NAME shows one in full, with an example.")
        return lines.joined(separator: "\n")
    }

    static func entry(_ name: String, in registry: Registry) -> String? {
        if let members = registry.namespaces[name] {
            var lines = ["\(name): \(registry.namespaceDocs[name] ?? "")"]
            for b in members.values.sorted(by: { $0.name < $1.name }) { lines.append("  \(pad(b.signature)) \(summary(b))") }
            return lines.joined(separator: "\n")
        }
        var matches: [Builtin] = []
        if let b = registry.lookup(name) { matches = [b] } else {
            matches = registry.methods.keys.sorted().compactMap { registry.methods[$0]?[name] }
        }
        guard !matches.isEmpty else { return nil }
        return matches.map { b in
            var text = b.signature + (b.changesHost ? "    (changes the host: only inside a step)" : "") + "\n\n" + b.doc
            if !b.example.isEmpty { text += "\n\nExample:\n  " + b.example.split(separator: "\n").joined(separator: "\n  ") }
            return text
        }.joined(separator: "\n\n")
    }

    private static func pad(_ s: String) -> String {
        s.count >= 28 ? s : s + String(repeating: " ", count: 28 - s.count)
    }
}
