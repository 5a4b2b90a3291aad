extension Registry {
    /// A registry with the core library and every namespace mend ships: what `mend` and a plain
    /// embedder start from. This is the one list of namespaces; a new one is one line here.
    public static func standard() -> Registry {
        let registry = Registry()
        CoreLibrary.register(into: registry)
        registry.register(CommandNamespace.table)
        registry.register(FileNamespace.table)
        registry.register(FactsNamespace.tables)
        registry.register(SysctlNamespace.table)
        registry.register(SysfsNamespace.table)
        registry.register(UlimitNamespace.table)
        registry.register(ServiceNamespace.table)
        registry.register(FirewallNamespace.table)
        registry.register(ClockNamespace.table)
        registry.register(PkgNamespace.table)
        registry.register(SelinuxNamespace.table)
        registry.register(NetNamespace.table)
        registry.register(ProcNamespace.table)
        return registry
    }
}

extension Interpreter {
    /// An interpreter with the standard registry (``Registry/standard()``); the other parameters are
    /// those of ``Interpreter/init(registry:output:maxCallDepth:stackSlots:)``.
    public convenience init(output: any OutputSink = StandardOutput(), maxCallDepth: Int = 10_000,
                            stackSlots: Int = 4_000_000) {
        self.init(registry: .standard(), output: output, maxCallDepth: maxCallDepth, stackSlots: stackSlots)
    }
}
