import Glibc
import CMendSupport

/// The memory budget of a run (`--max-memory`): while it is armed, a watcher thread interrupts
/// the running program (``Interrupted`` with reason `memory`) once this process's resident size
/// passes the limit, so a runbook that builds too much fails its step and is rolled back — where
/// the allocator, failing, would abort the process with its changes in place.
public enum MemoryBudget {
    /// The default budget, in resident bytes, the least of:
    /// - 2 GiB, and half the machine's memory;
    /// - under an address-space limit (`ulimit -v`): the resident size now plus half of what the
    ///   limit leaves of the address space (the limit less the virtual size now, less
    ///   ``addressReserve`` for the interpreter's stack and threads, mapped when the run starts).
    ///   The watcher sees resident memory, the limit counts mapped memory, which grows faster
    ///   (reserved capacity, allocator arenas, a list's storage mapped twice while it grows): the
    ///   other half leaves room for that, so the budget trips before an allocation fails;
    /// - under a data limit (`ulimit -d`): likewise, with the data size now;
    /// - in a cgroup (v2) with a `memory.max`, its own or an ancestor's: the resident size now plus
    ///   three quarters of what that leaves (`memory.max` less `memory.current`), which counts
    ///   resident pages too, so the run fails before the kernel's OOM killer ends it.
    public static func defaultLimit(on host: Host = .local) -> Int {
        var limit = 2 << 30
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        if pages > 0, pageSize > 0 { limit = min(limit, pages / 2 * pageSize) }
        let status = processStatus(on: host)
        let resident = status["VmRSS"] ?? 0
        for (resource, used) in [(RLIMIT_AS, status["VmSize"]), (RLIMIT_DATA, status["VmData"])] {
            if let soft = try? host.resourceLimit(UInt32(resource.rawValue)).soft, soft != Host.unlimited,
               soft < UInt64(Int.max) {
                let room = max(0, Int(soft) - (used ?? 0) - addressReserve)
                limit = min(limit, resident + room / 2)
            }
        }
        if let room = cgroupRoom(on: host) {
            limit = min(limit, resident + room / 4 * 3)
        }
        return limit
    }

    /// Address space a run maps beyond what the process has when the default is worked out: the
    /// interpreter's 1 GiB stack (``LargeStack``), and 128 MiB for the watcher's stack, the
    /// allocator's arena of another thread and the like.
    /// (Runtime's LargeStack.size, written out: Host comes before Runtime.)
    public static let addressReserve = (1 << 30) + (128 << 20)

    /// Fields of /proc/self/status that give sizes (`VmRSS: 1234 kB`), in bytes.
    private static func processStatus(on host: Host) -> [String: Int] {
        guard let bytes = try? host.read("/proc/self/status") else { return [:] }
        var fields: [String: Int] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " || $0 == "\t" })
            guard parts.count == 3, parts[2] == "kB", let kib = Int(parts[1]) else { continue }
            fields[String(parts[0])] = kib * 1024
        }
        return fields
    }

    /// The least room left (`memory.max` less `memory.current`) in this process's cgroup (v2) and
    /// its ancestors, or nil when none has a limit (`max`) or there is no cgroup v2 to read.
    private static func cgroupRoom(on host: Host) -> Int? {
        guard let bytes = try? host.read("/proc/self/cgroup") else { return nil }
        // The v2 line is `0::/path`.
        guard let line = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first(where: { $0.hasPrefix("0::") })
        else { return nil }
        var path = String(line.dropFirst(3))
        func number(_ file: String) -> Int? {
            guard let bytes = try? host.read(file) else { return nil }
            return Int(String(decoding: bytes, as: UTF8.self).trimmingCharacters())
        }
        var room: Int?
        while true {
            let directory = "/sys/fs/cgroup" + (path == "/" ? "" : path)
            // "max" reads as no number: no limit at this level.
            if let max = number(directory + "/memory.max"), let current = number(directory + "/memory.current") {
                room = min(room ?? .max, Swift.max(0, max - current))
            }
            guard path != "/", let slash = path.lastIndex(of: "/") else { break }
            path = slash == path.startIndex ? "/" : String(path[..<slash])
        }
        return room
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
}
