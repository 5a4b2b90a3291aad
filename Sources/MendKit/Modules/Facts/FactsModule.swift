/// The `facts` builtins (issue 4): being written.
public enum FactsModule {
    public static func register(into registry: Registry) {}
}
