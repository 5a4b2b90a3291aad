extension Builtin {
    /// What the compiler checks calls against.
    public var compilerSignature: BuiltinSignature {
        let kind: BuiltinSignature.Kind
        switch self.kind {
        case .function: kind = .function
        case .property: kind = .property
        case .method: kind = .method
        }
        return BuiltinSignature(qualifiedName: qualifiedName, params: params.map { ($0.name, $0.required) },
                                positionalCount: positionalCount, variadic: variadic, kind: kind, changesHost: changesHost)
    }
}

extension Registry: SymbolTable {
    public func function(named name: String) -> BuiltinSignature? {
        functions[name]?.compilerSignature
    }

    public func namespace(named name: String) -> [String: BuiltinSignature]? {
        namespaces[name]?.mapValues(\.compilerSignature)
    }

    public var globalNames: [String] {
        Array(functions.keys) + Array(namespaces.keys)
    }

    public var standardModules: [String]? {
        Array(Stdlib.sources.keys)
    }

    /// A registry with the core library and the host modules: what `mend` and a plain embedder start from.
    public static func standard() -> Registry {
        let registry = Registry()
        CoreLibrary.register(into: registry)
        CommandModule.register(into: registry)
        FileModule.register(into: registry)
        FactsModule.register(into: registry)
        SysctlModule.register(into: registry)
        SysfsModule.register(into: registry)
        UlimitModule.register(into: registry)
        return registry
    }
}
