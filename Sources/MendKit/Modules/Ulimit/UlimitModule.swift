/// The `ulimit` builtins (issue 4): being written.
public enum UlimitModule {
    public static func register(into registry: Registry) {}
}
