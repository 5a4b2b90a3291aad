/// The text of `mend doc` and the REPL's `:help`, from the registry that also drives checking and
/// completion: a builtin an embedder registers is documented like mend's own.
public enum BuiltinReference {
    /// Every name `entry` takes: core functions, namespaces, members, `type.method`, bare method
    /// names and keywords.
    public static func allNames(_ registry: Registry) -> [String] {
        var names = Array(registry.functions.keys) + KeywordReference.names
        for (ns, members) in registry.namespaces { names += [ns] + members.keys.map { "\(ns).\($0)" } }
        for (type, members) in registry.methods { names += members.keys.map { "\(type).\($0)" } + Array(members.keys) }
        return names
    }

    /// The first line of a builtin's doc.
    public static func summary(_ b: Builtin) -> String {
        b.doc.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
    }

    /// Every builtin, one line each, grouped: core functions, methods by type, namespaces.
    public static func index(_ registry: Registry) -> String {
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
        lines.append("Keywords: " + KeywordReference.names.joined(separator: " "))
        lines.append("")
        lines.append("mend doc NAME shows one in full, with an example.")
        return lines.joined(separator: "\n")
    }

    /// One builtin in full (signature, doc, example), a namespace's members, every method of that
    /// name, or a keyword's page; nil when there is none.
    public static func entry(_ name: String, in registry: Registry) -> String? {
        if let members = registry.namespaces[name] {
            var lines = ["\(name): \(registry.namespaceDocs[name] ?? "")"]
            for b in members.values.sorted(by: { $0.name < $1.name }) { lines.append("  \(pad(b.signature)) \(summary(b))") }
            return lines.joined(separator: "\n")
        }
        var matches: [Builtin] = []
        if let b = registry.lookup(name) { matches = [b] } else {
            matches = registry.methods.keys.sorted().compactMap { registry.methods[$0]?[name] }
        }
        guard !matches.isEmpty else { return KeywordReference.entry(name) }
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
