/// The `sysctl` builtins (issue 4): being written.
public enum SysctlModule {
    public static func register(into registry: Registry) {}
}
