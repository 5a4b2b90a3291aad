/// What the compiler knows of a builtin: enough to check calls before anything runs.
public struct BuiltinSignature: Sendable {
    public enum Kind: Sendable { case function, property, method }
    public let qualifiedName: String
    public let params: [(name: String, required: Bool)]
    /// How many of `params` take positional arguments; the rest are label-only.
    public let positionalCount: Int
    public let variadic: Bool
    public let kind: Kind
    public let changesHost: Bool

    public init(qualifiedName: String, params: [(name: String, required: Bool)], positionalCount: Int? = nil,
                variadic: Bool, kind: Kind, changesHost: Bool) {
        self.qualifiedName = qualifiedName
        self.params = params
        self.positionalCount = positionalCount ?? params.count
        self.variadic = variadic
        self.kind = kind
        self.changesHost = changesHost
    }
}

/// The builtins visible to a program, as the compiler sees them. The runtime's registry provides it.
public protocol SymbolTable {
    /// A core function such as `len`.
    func function(named name: String) -> BuiltinSignature?
    /// The members of a namespace such as `sysctl`, or nil when there is no such namespace.
    func namespace(named name: String) -> [String: BuiltinSignature]?
    /// Every core function and namespace name, for "did you mean" suggestions.
    var globalNames: [String] { get }
    /// The standard modules `import "std/…"` can load; nil when the table does not know them
    /// (then imports are checked when they run).
    var standardModules: [String]? { get }
}

extension SymbolTable {
    public var standardModules: [String]? { nil }
}
