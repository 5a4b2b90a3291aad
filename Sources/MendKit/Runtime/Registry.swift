import Synchronization

/// The builtins an interpreter knows: core functions, namespaces and methods.
///
/// Set up once, then read: an interpreter freezes its registry when it first compiles, and from
/// then on nothing may be registered. That is what makes sharing it between threads safe: the
/// tables are written only before the freeze, whose flag is atomic (the `Sendable` conformance is
/// unchecked because the compiler cannot see that the tables stop changing).
public final class Registry: @unchecked Sendable {
    public private(set) var functions: [String: Builtin] = [:]
    public private(set) var namespaces: [String: [String: Builtin]] = [:]
    public private(set) var methods: [String: [String: Builtin]] = [:]
    /// One-line descriptions of namespaces, for `mend doc`.
    public private(set) var namespaceDocs: [String: String] = [:]
    /// The kinds of host state builtins change, by kind: `mend rollback` undoes journalled changes with them.
    public private(set) var resources: [String: any Resource] = [:]

    private let frozen = Atomic<Bool>(false)

    /// True once the registry may no longer change.
    public var isFrozen: Bool { frozen.load(ordering: .acquiring) }

    public init() {}

    /// Ends the set-up: later registrations are a programming error. Idempotent.
    public func freeze() {
        frozen.store(true, ordering: .releasing)
    }

    /// Adds a namespace's builtins, its description and its resources.
    public func register(_ table: NamespaceTable) {
        if let name = table.name { describeNamespace(name, table.doc) }
        for resource in table.resources { register(resource: resource) }
        for builtin in table.builtins { register(builtin) }
    }

    /// Adds several tables (the facts are one per namespace: `os`, `kernel`, …).
    public func register(_ tables: [NamespaceTable]) {
        for table in tables { register(table) }
    }

    /// Adds a builtin: a core function, a namespace member or a method, by its `namespace` and `kind`.
    public func register(_ builtin: Builtin) {
        settingUp("the builtin \(builtin.qualifiedName)")
        switch (builtin.kind, builtin.namespace) {
        case (.method, let type?): methods[type, default: [:]][builtin.name] = builtin
        case (_, let ns?): namespaces[ns, default: [:]][builtin.name] = builtin
        case (_, nil): functions[builtin.name] = builtin
        }
    }

    /// Adds a kind of host state, so journalled changes of that kind can be undone.
    public func register(resource: any Resource) {
        settingUp("the resource \(resource.kind)")
        resources[resource.kind] = resource
    }

    /// Describes a namespace for `mend doc`.
    public func describeNamespace(_ name: String, _ doc: String) {
        settingUp("the namespace \(name)")
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

    /// Traps on a registration after the freeze: an embedder's bug (builtins are registered before
    /// anything compiles), never something a runbook can cause.
    private func settingUp(_ what: String) {
        precondition(!isFrozen, "Registry: \(what) registered after the registry was frozen; register builtins before compiling")
    }
}
