/// A function implemented in Swift: a core function (`len`), a namespace member (`sysctl.get`,
/// `mem.total`) or a method of a value type (`"a,b".split(",")`).
///
/// One table of these feeds the evaluator, `mend check` (arity, unknown members, host changes
/// outside a step), `mend doc` and the REPL's completion. Namespaces declare theirs in a
/// ``NamespaceTable``; an embedder may also register one directly.
public final class Builtin: Sendable {
    /// What a builtin does when called: its arguments bound to its parameters → its result.
    public typealias Body = @Sendable (inout Arguments) throws -> Value

    public enum Kind: Sendable {
        /// Called with arguments: `len(xs)`, `sysctl.get(k)`.
        case function
        /// Read without a call: `mem.total`, `os.id`.
        case property
        /// Called on a value of the type named by ``Builtin/namespace``: `s.split(",")`.
        case method
    }

    public struct Param: Sendable {
        public let name: String
        /// False when the parameter has a default and may be left out.
        public let required: Bool
        /// Given only by its label (`timeout: 5s`), so positional arguments of a variadic builtin
        /// never land in it. Label-only parameters come after the positional ones.
        public let labelOnly: Bool
        /// How the REPL completes a string typed for this parameter (a sysctl key, a path); nil
        /// when it offers nothing.
        public let completion: ArgumentCompletion?

        public init(_ name: String, required: Bool = true, labelOnly: Bool = false, completes completion: ArgumentCompletion? = nil) {
            self.name = name
            self.required = required
            self.labelOnly = labelOnly
            self.completion = completion
        }
        /// An optional parameter.
        public static func optional(_ name: String, completes completion: ArgumentCompletion? = nil) -> Param {
            Param(name, required: false, completes: completion)
        }
        /// An optional parameter given only by its label.
        public static func label(_ name: String, completes completion: ArgumentCompletion? = nil) -> Param {
            Param(name, required: false, labelOnly: true, completes: completion)
        }
    }

    /// The namespace (`sysctl`), the receiver type for methods (`string`, `list`), or nil for a core function.
    public let namespace: String?
    public let name: String
    public let kind: Kind
    public let params: [Param]
    /// When true, arguments beyond `params` are collected into ``Arguments/rest``.
    public let variadic: Bool
    /// Host-changing builtins may only run inside a step, a rollback block or the REPL.
    public let changesHost: Bool
    /// One-line summary, then details: shown by `mend doc` and `:help`.
    public let doc: String
    /// A runnable example.
    public let example: String
    public let body: Body

    public init(namespace: String? = nil, name: String, kind: Kind = .function, params: [Param] = [],
                variadic: Bool = false, changesHost: Bool = false, doc: String, example: String = "",
                body: @escaping Body) {
        self.namespace = namespace
        self.name = name
        self.kind = kind
        self.params = params
        self.variadic = variadic
        self.changesHost = changesHost
        self.doc = doc
        self.example = example
        self.body = body
    }

    /// A builtin of `namespace` (nil: a global function) from its declaration in a table.
    public convenience init(_ declaration: Declaration, namespace: String?) {
        self.init(namespace: namespace, name: declaration.name, kind: declaration.kind, params: declaration.params,
                  variadic: declaration.variadic, changesHost: declaration.changesHost, doc: declaration.doc,
                  example: declaration.example, body: declaration.body)
    }

    /// A method of the values of `type` (`string`, `list`); the value is ``Arguments/receiver``.
    public static func method(of type: String, _ name: String, params: [Param] = [], doc: String, example: String,
                              body: @escaping Body) -> Builtin {
        Builtin(namespace: type, name: name, kind: .method, params: params, doc: doc, example: example, body: body)
    }

    /// `sysctl.get`, `len`, `string.split`.
    public var qualifiedName: String { namespace.map { "\($0).\(name)" } ?? name }

    /// How many parameters take positional arguments (the rest are label-only).
    public var positionalCount: Int { params.filter { !$0.labelOnly }.count }

    /// What to add to "takes N arguments" when a positional argument (its source text or value)
    /// was meant for a label-only parameter: `sysctl.set(k, v, true)` → "label it: persist: true".
    public func labelHint(forExtra argument: String) -> String {
        Suggest.labelHint(labels: params.filter(\.labelOnly).map(\.name), forExtra: argument)
    }

    /// The argument slot of the `k`-th positional argument: a parameter's index, or past the
    /// parameters for the extra arguments of a variadic builtin; nil when there is no room.
    public func slot(forPositional k: Int) -> Int? {
        let positional = positionalCount
        if k < positional { return k }
        return variadic ? params.count + (k - positional) : nil
    }

    /// The parameter an argument lands in: by its label, else by its position; nil for the extra
    /// arguments of a variadic builtin and for arguments it does not take.
    public func param(label: String?, position: Int) -> Param? {
        if let label { return params.first { $0.name == label } }
        guard let slot = slot(forPositional: position), slot < params.count else { return nil }
        return params[slot]
    }

    /// `split(sep)`, `get(map, key, default?)`, `run(command, …, timeout:?)` for messages and docs.
    public var signature: String {
        var names = params.filter { !$0.labelOnly }.map { $0.required ? $0.name : "\($0.name)?" }
        if variadic { names.append("…") }
        names += params.filter(\.labelOnly).map { "\($0.name):?" }
        return kind == .property ? qualifiedName : "\(qualifiedName)(\(names.joined(separator: ", ")))"
    }
}
