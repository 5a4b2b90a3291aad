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
}
