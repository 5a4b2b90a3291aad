import Glibc

/// The process and the kernel mend runs on: ids, names, the kernel's identity, CPUs, disk space
/// and the environment. Under an offline root these are still the running machine's: the root
/// holds files, not a running system.
extension Host {
    /// The effective uid of this process.
    public var effectiveUserID: UInt32 { geteuid() }

    /// The effective gid of this process.
    public var effectiveGroupID: UInt32 { getegid() }

    /// The real uid and gid of this process: who started mend, whatever it may act as.
    public var realUserID: UInt32 { getuid() }
    public var realGroupID: UInt32 { getgid() }

    /// This process's id.
    public var processID: Int { Int(getpid()) }

    /// True while a process with this id exists (also one this process may not signal).
    public func processExists(_ pid: Int) -> Bool {
        guard pid > 0, let id = pid_t(exactly: pid) else { return false }
        return kill(id, 0) == 0 || errno == EPERM
    }

    /// Sends `signal` to a process; false when there is none or it may not be signalled.
    @discardableResult
    public func send(_ signal: Int32, to pid: Int) -> Bool {
        guard pid > 0, let id = pid_t(exactly: pid) else { return false }
        return kill(id, signal) == 0
    }

    /// The command name of a live process (`/proc/PID/comm`: its executable's name, cut at 15
    /// bytes), or nil.
    public func processName(_ pid: Int) -> String? {
        guard pid > 0, let bytes = try? read("/proc/\(pid)/comm") else { return nil }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters()
    }

    /// The user name of `uid` in the system's user database (NSS: files, and directory users on
    /// the live machine), or nil.
    public func userName(ofUID uid: UInt32) -> String? {
        var entry = passwd()
        var buffer = [CChar](repeating: 0, count: 16384)
        var result: UnsafeMutablePointer<passwd>?
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else {
            return nil
        }
        return String(cString: name)
    }

    /// The running kernel as uname(2) names it.
    public struct KernelIdentity: Sendable, Equatable {
        /// `5.15.0-105-generic`.
        public let release: String
        /// `x86_64`.
        public let machine: String
        /// The node (host) name.
        public let nodeName: String
    }

    /// uname(2) of the running kernel.
    public func kernelIdentity() -> KernelIdentity {
        var system = utsname()
        _ = uname(&system)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return KernelIdentity(release: field(system.release), machine: field(system.machine), nodeName: field(system.nodename))
    }

    /// The CPUs online (sysconf), or nil when the system does not say.
    public func onlineProcessorCount() -> Int? {
        let online = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return online > 0 ? online : nil
    }

    /// The bytes an unprivileged user may still write on the file system holding a resolved path
    /// (statvfs(2): `f_bavail × f_frsize`, what `df` shows as available).
    public func availableBytes(onFileSystemOf resolved: String) throws(HostError) -> Int {
        try refuseNUL(inPath: resolved)
        var s = statvfs()
        guard statvfs(resolved, &s) == 0 else { throw HostError.last("cannot read the free space of \(shown(resolved))") }
        let (bytes, overflow) = Int(clamping: s.f_bavail).multipliedReportingOverflow(by: Int(clamping: s.f_frsize))
        return overflow ? Int.max : bytes
    }

    /// An environment variable of this process, or nil when it is unset. A name with a NUL byte or
    /// `=` names no variable (getenv would read another one: `A=B` finds the rest of A's value
    /// when it starts with `B=`), so it is unset.
    public func environmentValue(_ name: String) -> String? {
        guard !name.utf8.contains(0), !name.contains("="), let raw = getenv(name) else { return nil }
        return String(cString: raw)
    }

    /// This process's environment as `NAME=VALUE` entries, to extend for a command.
    public func environment() -> [String] {
        var result: [String] = []
        var p = environ
        while let entry = p.pointee {
            result.append(String(cString: entry))
            p += 1
        }
        return result
    }

    /// The working directory of this process ("/" when it cannot be read).
    public func currentDirectory() -> String {
        guard let buffer = getcwd(nil, 0) else { return "/" }
        defer { free(buffer) }
        return String(cString: buffer)
    }

    /// The canonical absolute path of an existing file of the machine mend runs on (symbolic
    /// links resolved, a relative path taken from the working directory), or nil (also for a path
    /// with a NUL byte, which realpath would cut short). Not under the root: it finds runbooks and
    /// their imports.
    public func canonicalLocalPath(_ path: String) -> String? {
        guard !path.utf8.contains(0), let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
