import Glibc

/// Resource limits of this process (getrlimit and setrlimit); the commands it starts inherit them.
extension Host {
    /// RLIM_INFINITY: all bits set (Swift cannot import the C macro, whose value overflows).
    public static let unlimited = UInt64(rlim_t.max)

    /// The soft and hard limit of `resource` (an `RLIMIT_*` number); ``unlimited`` for no limit.
    public func resourceLimit(_ resource: UInt32) throws(HostError) -> (soft: UInt64, hard: UInt64) {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(resource), &limit) == 0 else { throw HostError.last("cannot read the limit") }
        return (UInt64(limit.rlim_cur), UInt64(limit.rlim_max))
    }

    /// Sets the soft and hard limit of `resource`. The error's message is the system's reason;
    /// its code says why (EPERM: raising a hard limit needs root).
    public func setResourceLimit(_ resource: UInt32, soft: UInt64, hard: UInt64) throws(HostError) {
        var limit = rlimit(rlim_cur: rlim_t(soft), rlim_max: rlim_t(hard))
        guard setrlimit(__rlimit_resource_t(resource), &limit) == 0 else {
            let code = errno
            throw HostError(HostError.reason(code), code: code)
        }
    }
}
