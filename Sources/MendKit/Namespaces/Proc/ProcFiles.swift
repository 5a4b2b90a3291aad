/// The files of /proc/PID that `proc` and `net` read, under the host's root. Parsing is pure,
/// so it is tested on text.
enum ProcFiles {
    /// The pids of /proc, ascending.
    static func pids(on host: Host) throws -> [Int] {
        (host.entries(try host.resolve("/proc")) ?? []).compactMap { Int($0.name) }.filter { $0 > 0 }.sorted()
    }

    /// The content of /proc/PID/FILE, or nil when there is none (the process is gone).
    static func read(_ pid: Int, _ file: String, on host: Host) throws -> String? {
        try host.read(host.resolve("/proc/\(pid)/\(file)")).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The command name (/proc/PID/comm), or nil when it cannot be read.
    static func comm(_ pid: Int, on host: Host) -> String? {
        (try? read(pid, "comm", on: host))?.flatMap { $0 }.map { $0.trimmingCharacters() }
    }

    /// The arguments of /proc/PID/cmdline: NUL-separated, the last one NUL-terminated.
    static func arguments(_ cmdline: String) -> [String] {
        var parts = cmdline.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
        if parts.last == "" { parts.removeLast() }
        return parts
    }

    /// The value of a `Name:\tvalue` line of /proc/PID/status.
    static func status(_ name: String, in text: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            return String(line.dropFirst(name.count + 1)).trimmingCharacters()
        }
        return nil
    }

    /// `VmRSS:\t  1234 kB` → bytes.
    static func kibibytes(_ value: String?) -> Int? {
        guard let value, value.hasSuffix(" kB"), let n = Int(String(value.dropLast(3)).trimmingCharacters()) else { return nil }
        return n * 1024
    }

    /// The number of lines (mappings) of /proc/PID/maps.
    static func lineCount(_ text: String) -> Int {
        text.split(separator: "\n").count
    }

    /// Entries of /proc/PID/fd: nil when the directory cannot be read (another user's process);
    /// an error when the process does not exist.
    static func fdCount(_ pid: Int, on host: Host, for builtin: String) throws -> Int? {
        let path = try existing(pid, on: host, for: builtin) + "/fd"
        return host.entries(try host.resolve(path))?.count
    }

    /// "/proc/PID" when the process exists under the root; an error naming it otherwise.
    static func existing(_ pid: Int, on host: Host, for builtin: String) throws -> String {
        let path = "/proc/\(pid)"
        guard try host.info(host.resolve(path))?.isDirectory == true else {
            throw MendError("\(builtin): no process \(pid) (\(path) does not exist)", kind: .host)
        }
        return path
    }
}
