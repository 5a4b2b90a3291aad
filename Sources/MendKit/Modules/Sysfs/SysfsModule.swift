/// The `sysfs` builtins (issue 4): being written.
public enum SysfsModule {
    public static func register(into registry: Registry) {}
}
