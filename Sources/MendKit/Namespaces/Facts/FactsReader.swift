/// Why one fact could not be read: `mem.total: cannot read /proc/meminfo: no such file`.
public struct FactError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The fact asked for: `mem.total`, `disk.free("/data")`.
    public let fact: String
    /// What went wrong, naming the file or path.
    public let reason: String

    public init(_ fact: String, _ reason: String) {
        self.fact = fact
        self.reason = reason
    }

    public var description: String { "\(fact): \(reason)" }
}

/// A fact's value: the few types facts have.
public enum FactValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case bool(Bool)
    /// A size in bytes.
    case size(Int)

    /// The value as a runbook sees it.
    public var value: Value {
        switch self {
        case .string(let s): return .string(s)
        case .int(let i): return .int(i)
        case .bool(let b): return .bool(b)
        case .size(let s): return .size(s)
        }
    }

    /// The value as JSON: sizes as integer bytes.
    public var json: JSON {
        switch self {
        case .string(let s): return .string(s)
        case .int(let i), .size(let i): return .int(i)
        case .bool(let b): return .bool(b)
        }
    }
}

/// Reads the host facts (docs/builtins/facts.md) from a ``Host``: from files under its root (so `--root`
/// shows a fixture host or an image), and from system calls only where no file says it or for the
/// live process itself. Nothing is spawned. Each fact is read on its own, so one that cannot be read
/// is an error for that fact alone.
public struct FactsReader {
    public let host: Host

    public init(host: Host) {
        self.host = host
    }

    // MARK: os

    /// `ID` of /etc/os-release (else /usr/lib/os-release); "linux" when the file has none (os-release(5)).
    public func osID() throws(FactError) -> String {
        try osRelease("os.id")["ID"].flatMap { $0.isEmpty ? nil : $0 } ?? "linux"
    }

    /// `VERSION_ID` of os-release, as written ("22.04", "7", "3.19.1"); empty for rolling releases
    /// without one (Arch, Debian unstable).
    public func osVersion() throws(FactError) -> String {
        try osRelease("os.version")["VERSION_ID"] ?? ""
    }

    /// `PRETTY_NAME` of os-release; "Linux" when it has none (os-release(5)).
    public func osPretty() throws(FactError) -> String {
        try osRelease("os.pretty")["PRETTY_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? "Linux"
    }

    /// debian | rhel | alpine | suse | arch | unknown, from `ID` and then each word of `ID_LIKE`.
    public func osFamily() throws(FactError) -> String {
        let fields = try osRelease("os.family")
        let words = [fields["ID"] ?? ""] + (fields["ID_LIKE"] ?? "").split(separator: " ").map(String.init)
        for word in words {
            if let family = FactsReader.family(of: word.lowercased()) { return family }
        }
        return "unknown"
    }

    /// The family a distribution id (or an `ID_LIKE` word) belongs to, or nil.
    static func family(of id: String) -> String? {
        switch id {
        case "debian", "ubuntu", "raspbian", "linuxmint", "pop", "kali", "elementary", "devuan", "neon":
            return "debian"
        case "rhel", "centos", "fedora", "rocky", "almalinux", "ol", "amzn", "scientific", "redhat", "cloudlinux",
             "eurolinux", "virtuozzo":
            return "rhel"
        case "alpine", "postmarketos":
            return "alpine"
        case "suse", "sles", "sled", "sles_sap", "opensuse":
            return "suse"
        case "arch", "archarm", "manjaro", "endeavouros", "garuda", "artix":
            return "arch"
        default:
            return id.hasPrefix("opensuse") ? "suse" : nil
        }
    }

    /// The fields of /etc/os-release, or of /usr/lib/os-release when there is none.
    func osRelease(_ fact: String) throws(FactError) -> [String: String] {
        for path in ["/etc/os-release", "/usr/lib/os-release"] {
            if let text = try file(path, fact) { return FactsReader.osReleaseFields(text) }
        }
        throw FactError(fact, "cannot read /etc/os-release or /usr/lib/os-release: no such file")
    }

    /// `KEY=value` lines, with shell quotes and backslash escapes removed; comments skipped.
    static func osReleaseFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for raw in text.split(separator: "\n") {
            let line = raw.factsTrimmed
            guard !line.hasPrefix("#"), let eq = line.firstIndex(of: "=") else { continue }
            var value = Substring(line[line.index(after: eq)...])
            var unquoted = ""
            if let quote = value.first, quote == "\"" || quote == "'" {
                value = value.dropFirst()
                var escaped = false
                for c in value {
                    if escaped { unquoted.append(c); escaped = false; continue }
                    if c == "\\", quote == "\"" { escaped = true; continue }
                    if c == quote { break }
                    unquoted.append(c)
                }
            } else {
                unquoted = String(value)
            }
            fields[String(line[..<eq])] = unquoted
        }
        return fields
    }

    // MARK: kernel

    /// /proc/sys/kernel/osrelease; on the live host without it, the running kernel's release.
    public func kernelRelease() throws(FactError) -> String {
        if let text = try file("/proc/sys/kernel/osrelease", "kernel.release") { return text.factsTrimmed }
        if host.isLive { return host.kernelIdentity().release }
        throw missing("kernel.release", "/proc/sys/kernel/osrelease")
    }

    /// /proc/sys/kernel/arch (Linux 6.1 and later); otherwise the running kernel's machine, which is the
    /// machine mend runs on (older kernels have no file that says it).
    public func kernelArch() throws(FactError) -> String {
        if let text = try file("/proc/sys/kernel/arch", "kernel.arch"), !text.factsTrimmed.isEmpty {
            return text.factsTrimmed
        }
        return host.kernelIdentity().machine
    }

    // MARK: cpu and memory

    /// On the live host, the CPUs this process may run on (`Cpus_allowed_list` of /proc/self/status,
    /// as `nproc` counts them), else the online CPUs (sysconf). Under `--root`, the `processor`
    /// entries of /proc/cpuinfo, else the ranges of /sys/devices/system/cpu/online.
    public func cpuCount() throws(FactError) -> Int {
        if host.isLive {
            if let status = try file("/proc/self/status", "cpu.count") {
                for line in status.split(separator: "\n") where line.hasPrefix("Cpus_allowed_list:") {
                    if let n = FactsReader.countRanges(line.dropFirst("Cpus_allowed_list:".count)), n > 0 { return n }
                }
            }
            if let online = host.onlineProcessorCount() { return online }
        }
        if let info = try file("/proc/cpuinfo", "cpu.count") {
            let n = info.split(separator: "\n").filter {
                $0.hasPrefix("processor") && $0.dropFirst("processor".count).factsTrimmed.hasPrefix(":")
            }.count
            if n > 0 { return n }
        }
        if let online = try file("/sys/devices/system/cpu/online", "cpu.count"),
           let n = FactsReader.countRanges(Substring(online)), n > 0 {
            return n
        }
        throw FactError("cpu.count", "cannot read /proc/cpuinfo or /sys/devices/system/cpu/online: no such file")
    }

    /// How many numbers a CPU list such as `0-3,8,10-11` names; nil when it is not one.
    static func countRanges(_ list: Substring) -> Int? {
        var count = 0
        for part in list.factsTrimmed.split(separator: ",") {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard let low = Int(bounds[0].factsTrimmed) else { return nil }
            let high = bounds.count == 2 ? Int(bounds[1].factsTrimmed) : low
            guard bounds.count <= 2, let high, high >= low else { return nil }
            // The file may come from any root: numbers too large are not a CPU list, not a trap.
            let (span, overflow) = (high - low).addingReportingOverflow(1)
            let (sum, overflow2) = count.addingReportingOverflow(span)
            guard !overflow, !overflow2 else { return nil }
            count = sum
        }
        return count
    }

    /// `MemTotal` of /proc/meminfo, in bytes. In a container this is the host's memory (cgroup
    /// limits do not show there).
    public func memTotal() throws(FactError) -> Int {
        try meminfo("MemTotal", fact: "mem.total")
    }

    /// `MemAvailable` of /proc/meminfo (the kernel's estimate of memory available without swapping), in bytes.
    public func memAvailable() throws(FactError) -> Int {
        try meminfo("MemAvailable", fact: "mem.available")
    }

    /// A `Key:   123 kB` line of /proc/meminfo, in bytes.
    private func meminfo(_ key: String, fact: String) throws(FactError) -> Int {
        guard let text = try file("/proc/meminfo", fact) else { throw missing(fact, "/proc/meminfo") }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            let words = line.dropFirst(key.count + 1).split(separator: " ")
            guard let n = words.first.flatMap({ Int($0) }), n >= 0 else { break }
            let unit = words.count > 1 ? words[1].lowercased() : ""
            let factor = unit == "kb" ? 1024 : (unit == "mb" ? 1 << 20 : (unit.isEmpty || unit == "b" ? 1 : 0))
            let (bytes, overflow) = n.multipliedReportingOverflow(by: factor)
            guard factor > 0, !overflow else { break }
            return bytes
        }
        throw FactError(fact, "no readable \(key) line in /proc/meminfo")
    }

    // MARK: disk

    /// The bytes an unprivileged user may still write on the file system holding `path`
    /// (`f_bavail × f_frsize`, what `df` shows as available). The path resolves under the root; a
    /// missing path is an error naming it.
    public func diskFree(_ path: String) throws(FactError) -> Int {
        let fact = "disk.free(\(Value.quote(path)))"
        let resolved: String
        do throws(HostError) {
            resolved = try host.resolve(path)
            guard try host.info(resolved) != nil else { throw HostError("\(path) does not exist") }
        } catch {
            throw FactError(fact, error.message)
        }
        do throws(HostError) {
            return try host.availableBytes(onFileSystemOf: resolved)
        } catch {
            throw FactError(fact, "cannot read the free space of \(path): \(HostError.reason(error.code))")
        }
    }

    // MARK: host and user

    /// /proc/sys/kernel/hostname (the kernel's), else the first line of /etc/hostname; on the live
    /// host without either, the running kernel's node name.
    public func hostName() throws(FactError) -> String {
        if let text = try file("/proc/sys/kernel/hostname", "host.name"), !text.factsTrimmed.isEmpty {
            return text.factsTrimmed
        }
        if let text = try file("/etc/hostname", "host.name"),
           let line = text.split(separator: "\n").map(\.factsTrimmed).first(where: { !$0.isEmpty && !$0.hasPrefix("#") }) {
            return line
        }
        if host.isLive { return host.kernelIdentity().nodeName }
        throw FactError("host.name", "cannot read /proc/sys/kernel/hostname or /etc/hostname: no such file")
    }

    /// The effective uid of this process: whoever runs mend, also under `--root`.
    public func userUID() -> Int {
        Int(host.effectiveUserID)
    }

    /// The name of the effective uid in the root's /etc/passwd; on the live host, also the system's
    /// user database (NSS, for directory users).
    public func userName() throws(FactError) -> String {
        let uid = host.effectiveUserID
        if let text = try file("/etc/passwd", "user.name") {
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: ":", omittingEmptySubsequences: false)
                if fields.count > 2, UInt32(fields[2]) == uid, !fields[0].isEmpty { return String(fields[0]) }
            }
        }
        if host.isLive, let name = host.userName(ofUID: uid) { return name }
        throw FactError("user.name", "no user with uid \(uid) in /etc/passwd")
    }

    /// True when the effective uid is 0.
    public func userIsRoot() -> Bool {
        host.effectiveUserID == 0
    }

    // MARK: init, container, SELinux

    /// systemd | openrc | sysv | none: /run/systemd/system is a directory (systemd's own test) →
    /// systemd; else by PID 1's name in /proc/1/comm: `systemd` → systemd, `openrc-init` → openrc,
    /// `init` → openrc when /sbin/openrc or /run/openrc exists, else sysv; any other PID 1 (a
    /// container's process) → none. Without /proc/1/comm (an image), what is installed:
    /// /lib/systemd/systemd or /usr/lib/systemd/systemd, /sbin/openrc, /sbin/init.
    public func initSystem() throws(FactError) -> String {
        if try isDirectory("/run/systemd/system", "init") { return "systemd" }
        let openrc = try exists("/sbin/openrc", "init") ? true : exists("/run/openrc", "init")
        if let comm = try file("/proc/1/comm", "init")?.factsTrimmed {
            switch comm {
            case "systemd": return "systemd"
            case "openrc-init": return "openrc"
            case "init": return openrc ? "openrc" : "sysv"
            default: return "none"
            }
        }
        for path in ["/lib/systemd/systemd", "/usr/lib/systemd/systemd"] {
            if try exists(path, "init") { return "systemd" }
        }
        if openrc { return "openrc" }
        if try exists("/sbin/init", "init") { return "sysv" }
        return "none"
    }

    /// none | docker | podman | kubernetes | wsl, first that applies: a Kubernetes service-account
    /// directory (/run/secrets/kubernetes.io, /var/run/secrets/kubernetes.io) or, on the live host,
    /// $KUBERNETES_SERVICE_HOST → kubernetes; /run/.containerenv → podman; /.dockerenv → docker;
    /// /run/systemd/container (written by systemd in a container) → its word (docker, podman, wsl, or
    /// another manager's name such as lxc); /proc/1/cgroup naming kubepods, libpod or docker → that;
    /// "microsoft" in /proc/sys/kernel/osrelease or /proc/sys/fs/binfmt_misc/WSLInterop → wsl.
    public func container() throws(FactError) -> String {
        let fact = "container"
        for path in ["/run/secrets/kubernetes.io", "/var/run/secrets/kubernetes.io"] {
            if try exists(path, fact) { return "kubernetes" }
        }
        if host.isLive, host.environmentValue("KUBERNETES_SERVICE_HOST")?.isEmpty == false { return "kubernetes" }
        if try exists("/run/.containerenv", fact) { return "podman" }
        if try exists("/.dockerenv", fact) { return "docker" }
        if let word = try file("/run/systemd/container", fact)?.factsTrimmed.lowercased(), !word.isEmpty {
            switch word {
            case "oci", "docker": return "docker"
            default: return word
            }
        }
        if let cgroup = try file("/proc/1/cgroup", fact) {
            if cgroup.contains("kubepods") { return "kubernetes" }
            if cgroup.contains("libpod") { return "podman" }
            if cgroup.contains("/docker") { return "docker" }
        }
        if let release = try file("/proc/sys/kernel/osrelease", fact), release.lowercased().contains("microsoft") {
            return "wsl"
        }
        if try exists("/proc/sys/fs/binfmt_misc/WSLInterop", fact) { return "wsl" }
        return "none"
    }

    /// enforcing | permissive | disabled: /sys/fs/selinux/enforce (1 or 0) when SELinux is active.
    /// Without it, on the live host SELinux is disabled; under `--root`, the `SELINUX=` of
    /// /etc/selinux/config (the mode the next boot applies), disabled when there is none.
    public func selinuxMode() throws(FactError) -> String {
        let fact = "selinux.mode"
        if let text = try file("/sys/fs/selinux/enforce", fact) {
            switch text.factsTrimmed {
            case "1": return "enforcing"
            case "0": return "permissive"
            default: throw FactError(fact, "unexpected content in /sys/fs/selinux/enforce: \(Value.quote(text.factsTrimmed))")
            }
        }
        if host.isLive { return "disabled" }
        guard let config = try file("/etc/selinux/config", fact) else { return "disabled" }
        let mode = FactsReader.osReleaseFields(config)["SELINUX"]?.lowercased() ?? "disabled"
        guard ["enforcing", "permissive", "disabled"].contains(mode) else {
            throw FactError(fact, "unexpected SELINUX=\(mode) in /etc/selinux/config")
        }
        return mode
    }

    // MARK: files and system calls

    /// The text of a file under the root, or nil when there is none.
    func file(_ path: String, _ fact: String) throws(FactError) -> String? {
        do throws(HostError) {
            guard let bytes = try host.read(host.resolve(path)) else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        } catch {
            throw FactError(fact, error.message)
        }
    }

    /// True when anything is at `path` under the root.
    func exists(_ path: String, _ fact: String) throws(FactError) -> Bool {
        do throws(HostError) {
            return try host.info(host.resolve(path)) != nil
        } catch {
            throw FactError(fact, error.message)
        }
    }

    /// True when `path` under the root is a directory (after symbolic links).
    func isDirectory(_ path: String, _ fact: String) throws(FactError) -> Bool {
        do throws(HostError) {
            return try host.info(host.resolve(path))?.isDirectory == true
        } catch {
            throw FactError(fact, error.message)
        }
    }

    private func missing(_ fact: String, _ path: String) -> FactError {
        FactError(fact, "cannot read \(path): no such file")
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and line ends.
    fileprivate var factsTrimmed: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
