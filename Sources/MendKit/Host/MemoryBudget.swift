import Glibc
import CMendSupport

/// The memory budget of a run (`--max-memory`): while it is armed, a watcher thread interrupts
/// the running program (``Interrupted`` with reason `memory`) once this process's resident size
/// passes the limit, so a runbook that builds too much fails its step and is rolled back — where
/// the allocator, failing, would abort the process with its changes in place.
public enum MemoryBudget {
    /// The default budget: 2 GiB, or less where the machine has less — half its memory, and three
    /// quarters of an address-space or data limit (`ulimit -v`, `ulimit -d`) the process runs under.
    public static func defaultLimit(on host: Host = .local) -> Int {
        var limit = 2 << 30
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        if pages > 0, pageSize > 0 { limit = min(limit, pages / 2 * pageSize) }
        for resource in [RLIMIT_AS, RLIMIT_DATA] {
            if let soft = try? host.resourceLimit(UInt32(resource.rawValue)).soft, soft != Host.unlimited,
               soft < UInt64(Int.max) {
                limit = min(limit, Int(soft / 4 * 3))
            }
        }
        return limit
    }

    /// Starts watching for `limit` bytes (replacing an earlier watch).
    public static func arm(limit: Int) throws(HostError) {
        let code = mend_memory_watch_start(Int64(limit))
        guard code == 0 else { throw HostError("cannot start the memory watch", code: code) }
    }

    /// Stops watching (nothing to do when not armed).
    public static func disarm() {
        mend_memory_watch_stop()
    }

    /// This process's resident size in bytes, or nil when /proc does not say.
    public static var residentBytes: Int? {
        let n = mend_resident_bytes()
        return n >= 0 ? Int(n) : nil
    }
}
