/// A function implemented in Swift: a core function (`len`), a namespace member (`sysctl.get`,
/// `mem.total`) or a method of a value type (`"a,b".split(",")`).
///
/// One table of these feeds the evaluator, `mend check` (arity, unknown members, host changes
/// outside a step), `mend doc` and the REPL's completion.
public final class Builtin: @unchecked Sendable {
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
        public init(_ name: String, required: Bool = true, labelOnly: Bool = false) {
            self.name = name
            self.required = required
            self.labelOnly = labelOnly
        }
        /// An optional parameter.
        public static func optional(_ name: String) -> Param { Param(name, required: false) }
        /// An optional parameter given only by its label.
        public static func label(_ name: String) -> Param { Param(name, required: false, labelOnly: true) }
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
    public let body: @Sendable (inout Arguments) throws -> Value

    public init(namespace: String? = nil, name: String, kind: Kind = .function, params: [Param] = [],
                variadic: Bool = false, changesHost: Bool = false, doc: String, example: String = "",
                body: @escaping @Sendable (inout Arguments) throws -> Value) {
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

    /// `sysctl.get`, `len`, `string.split`.
    public var qualifiedName: String { namespace.map { "\($0).\(name)" } ?? name }

    /// How many parameters take positional arguments (the rest are label-only).
    public var positionalCount: Int { params.filter { !$0.labelOnly }.count }

    /// The argument slot of the `k`-th positional argument: a parameter's index, or past the
    /// parameters for the extra arguments of a variadic builtin; nil when there is no room.
    public func slot(forPositional k: Int) -> Int? {
        let positional = positionalCount
        if k < positional { return k }
        return variadic ? params.count + (k - positional) : nil
    }

    /// `split(sep)`, `get(map, key, default?)`, `run(command, …, timeout:?)` for messages and docs.
    public var signature: String {
        var names = params.filter { !$0.labelOnly }.map { $0.required ? $0.name : "\($0.name)?" }
        if variadic { names.append("…") }
        names += params.filter(\.labelOnly).map { "\($0.name):?" }
        return kind == .property ? qualifiedName : "\(qualifiedName)(\(names.joined(separator: ", ")))"
    }
}

/// What a builtin needs from the interpreter running it.
public protocol BuiltinContext: AnyObject {
    /// Calls a function value (a closure or a builtin) with positional arguments.
    func call(_ function: Value, _ arguments: [Value]) throws -> Value
    /// Writes a line to standard output (`print`).
    func printLine(_ text: String)
    /// Writes a timestamped log line (`log`).
    func logLine(_ text: String)
    /// How the builtin reads and changes the host.
    var effects: any Effects { get }
}

/// The arguments of one builtin call, bound to the builtin's parameters.
public struct Arguments {
    public let builtin: Builtin
    /// One slot per declared parameter; nil where an optional one was left out.
    public var values: [Value?]
    /// Extra positional arguments of a variadic builtin.
    public var rest: [Value]
    /// The receiver of a method call.
    public var receiver: Value
    public unowned let context: any BuiltinContext

    public init(builtin: Builtin, values: [Value?], rest: [Value] = [], receiver: Value = .null,
                context: any BuiltinContext) {
        self.builtin = builtin
        self.values = values
        self.rest = rest
        self.receiver = receiver
        self.context = context
    }

    /// The argument for parameter `index`; an error if it was not given.
    public func value(_ index: Int) throws -> Value {
        guard index < values.count, let v = values[index] else {
            throw MendError("\(builtin.signature): missing argument '\(builtin.params[index].name)'")
        }
        return v
    }

    /// The argument for an optional parameter, or nil.
    public func optional(_ index: Int) -> Value? {
        index < values.count ? values[index] : nil
    }

    /// An error naming this builtin and parameter, for a wrong argument.
    public func typeError(_ index: Int, expected: String, got: Value) -> MendError {
        let name = index < builtin.params.count ? builtin.params[index].name : "argument \(index + 1)"
        return MendError("\(builtin.qualifiedName): '\(name)' must be \(expected), got \(got.typeName)")
    }

    public func string(_ index: Int) throws -> String {
        let v = try value(index)
        guard case .string(let s) = v else { throw typeError(index, expected: "a string", got: v) }
        return s
    }

    public func int(_ index: Int) throws -> Int {
        let v = try value(index)
        switch v {
        case .int(let i): return i
        case .float(let f) where f == f.rounded() && abs(f) < 9.2e18: return Int(f)
        default: throw typeError(index, expected: "an int", got: v)
        }
    }

    public func double(_ index: Int) throws -> Double {
        let v = try value(index)
        switch v {
        case .int(let i): return Double(i)
        case .float(let f): return f
        default: throw typeError(index, expected: "a number", got: v)
        }
    }

    public func bool(_ index: Int) throws -> Bool {
        let v = try value(index)
        guard case .bool(let b) = v else { throw typeError(index, expected: "a bool", got: v) }
        return b
    }

    public func duration(_ index: Int) throws -> Int {
        let v = try value(index)
        guard case .duration(let d) = v else { throw typeError(index, expected: "a duration (e.g. 5s)", got: v) }
        return d
    }

    public func list(_ index: Int) throws -> ListRef {
        let v = try value(index)
        guard case .list(let l) = v else { throw typeError(index, expected: "a list", got: v) }
        return l
    }

    public func map(_ index: Int) throws -> MapRef {
        let v = try value(index)
        guard case .map(let m) = v else { throw typeError(index, expected: "a map", got: v) }
        return m
    }
}

/// The builtins an interpreter knows: core functions, namespaces and methods.
public final class Registry: @unchecked Sendable {
    public private(set) var functions: [String: Builtin] = [:]
    public private(set) var namespaces: [String: [String: Builtin]] = [:]
    public private(set) var methods: [String: [String: Builtin]] = [:]
    /// One-line descriptions of namespaces, for `mend doc`.
    public private(set) var namespaceDocs: [String: String] = [:]
    /// The kinds of host state builtins change, by kind: `mend rollback` undoes journalled changes with them.
    public private(set) var resources: [String: any Resource] = [:]

    public init() {}

    /// Adds a builtin: a core function, a namespace member or a method, by its `namespace` and `kind`.
    public func register(_ builtin: Builtin) {
        switch (builtin.kind, builtin.namespace) {
        case (.method, let type?): methods[type, default: [:]][builtin.name] = builtin
        case (_, let ns?): namespaces[ns, default: [:]][builtin.name] = builtin
        case (_, nil): functions[builtin.name] = builtin
        }
    }

    /// Adds a kind of host state, so journalled changes of that kind can be undone.
    public func register(resource: any Resource) {
        resources[resource.kind] = resource
    }

    /// Describes a namespace for `mend doc`.
    public func describeNamespace(_ name: String, _ doc: String) {
        namespaceDocs[name] = doc
        if namespaces[name] == nil { namespaces[name] = [:] }
    }

    /// Looks up `name`, `ns.name` or `type.method` for `mend doc`.
    public func lookup(_ qualified: String) -> Builtin? {
        if let b = functions[qualified] { return b }
        let parts = qualified.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        return namespaces[parts[0]]?[parts[1]] ?? methods[parts[0]]?[parts[1]]
    }
}
