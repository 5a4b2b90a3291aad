/// One builtin as its namespace's table declares it: name, parameters, whether it changes the
/// host, its reference text and example, and the named function that does the work.
public struct Declaration: Sendable {
    /// The name within the namespace: `get` of `sysctl.get`.
    public let name: String
    public let kind: Builtin.Kind
    /// The parameters, positional ones first; each may say how its argument completes.
    public let params: [Builtin.Param]
    /// Extra positional arguments are taken (``Arguments/rest``).
    public let variadic: Bool
    /// Only inside a step, a rollback block or the REPL; its changes go through ``Effects``.
    public let changesHost: Bool
    /// A one-line summary, then details: `mend doc` and `:help`.
    public let doc: String
    /// Code that runs as it is: the test suite runs every example.
    public let example: String
    /// The named function that does the work.
    public let body: Builtin.Body

    /// A function: `sysctl.get(key)`. `doc` is a one-line summary, then details; `example` runs
    /// in the test suite.
    public static func function(_ name: String, _ params: [Builtin.Param] = [], variadic: Bool = false,
                                changesHost: Bool = false, doc: String, example: String = "",
                                body: @escaping Builtin.Body) -> Declaration {
        Declaration(name: name, kind: .function, params: params, variadic: variadic, changesHost: changesHost,
                    doc: doc, example: example, body: body)
    }

    /// A property, read without a call: `os.id`.
    public static func property(_ name: String, doc: String, example: String = "", body: @escaping Builtin.Body) -> Declaration {
        Declaration(name: name, kind: .property, params: [], variadic: false, changesHost: false, doc: doc,
                    example: example, body: body)
    }
}

/// A namespace as one table, in the manner of a Lua library's `luaL_Reg` array: its name, a line
/// for `mend doc`, the kinds of host state its changes use (so `mend rollback` can undo them from a
/// journal), and one ``Declaration`` per builtin. Registering the table is all it takes for the
/// evaluator, `mend check`'s arity checks, `mend doc` and the REPL's completion to know them.
///
/// ```swift
/// static let table = NamespaceTable("greet", doc: "Greetings.", [
///     .function("hello", [Builtin.Param("name", completes: .words(["alice", "bob"]))],
///               doc: "Says hello.", example: #"greet.hello("alice")"#, body: hello),
/// ])
/// static func hello(_ args: inout Arguments) throws -> Value { .string("hello " + (try args.string(0))) }
/// ```
public struct NamespaceTable: Sendable {
    /// The namespace (`sysctl`), or nil for global functions (`run`, `sh`, `init`).
    public let name: String?
    /// One line: what the namespace is for.
    public let doc: String
    /// The kinds of host state its builtins change: registered so `mend rollback` can undo them.
    public let resources: [any Resource]
    /// One entry per builtin.
    public let declarations: [Declaration]

    public init(_ name: String?, doc: String = "", resources: [any Resource] = [], _ declarations: [Declaration]) {
        self.name = name
        self.doc = doc
        self.resources = resources
        self.declarations = declarations
    }

    /// The table's builtins, bound to its namespace.
    public var builtins: [Builtin] { declarations.map { Builtin($0, namespace: name) } }
}
