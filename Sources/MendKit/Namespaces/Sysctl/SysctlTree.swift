/// The keys under /proc/sys: walking them for `sysctl.list`, and the nearest ones for an unknown
/// key's "did you mean".
enum SysctlTree {
    /// Every key at or under `prefix` (the key itself when it names one), in lexical order.
    /// Directories that cannot be read are passed over.
    static func keys(under prefix: SysctlKey, on host: Host) throws -> [SysctlKey] {
        let resolved = try host.resolve(prefix.path)
        guard let info = try host.info(resolved) else { throw unknownKey(prefix, on: host) }
        guard info.isDirectory else { return [prefix] }
        var keys: [SysctlKey] = []
        walk(resolved, prefix.components, into: &keys, depth: 0, on: host)
        return keys
    }

    /// Adds the keys below a directory, depth first. The depth bound keeps a strange tree (a bind
    /// mount looping back) from running forever; /proc/sys is about six levels deep.
    private static func walk(_ resolved: String, _ components: [String], into keys: inout [SysctlKey], depth: Int, on host: Host) {
        guard depth < 16, let entries = host.entries(resolved) else { return }
        for entry in entries {
            if entry.isDirectory {
                walk(resolved + "/" + entry.name, components + [entry.name], into: &keys, depth: depth + 1, on: host)
            } else if entry.mayBeFile {
                keys.append(SysctlKey(components: components + [entry.name]))
            }
        }
    }

    /// "no sysctl key 'net.core.somaxcon' (did you mean net.core.somaxconn?)": the suggestion comes
    /// from the keys of the deepest directory of the key's path that exists.
    static func unknownKey(_ key: SysctlKey, on host: Host) -> MendError {
        var message = "no sysctl key '\(key)'"
        if let suggestion = nearest(to: key, on: host) { message += " (did you mean \(suggestion)?)" }
        return MendError(message)
    }

    /// The existing key or group closest to a key that does not exist, if one is close enough.
    static func nearest(to key: SysctlKey, on host: Host) -> String? {
        let parts = key.components
        // The deepest existing directory above the key, and the part of the key below it.
        var depth = parts.count - 1
        var directory: String?
        while depth >= 0 {
            let above = SysctlKey(components: Array(parts[..<depth]))
            if info(above.path, on: host)?.isDirectory == true, let resolved = try? host.resolve(above.path) {
                directory = resolved
                break
            }
            depth -= 1
        }
        guard let directory, depth >= 0, let entries = host.entries(directory) else { return nil }
        let head = Array(parts[..<depth])
        let tail = Array(parts[(depth + 1)...])
        // First, the entry that makes the whole key closest (`net.cor.somaxconn` → `net.core.somaxconn`)
        // when that key exists; else the closest entry of the directory itself.
        let candidates = Dictionary(entries.map { entry -> (String, SysctlKey) in
            let candidate = SysctlKey(components: head + [entry.name] + tail)
            return (candidate.name, candidate)
        }, uniquingKeysWith: { first, _ in first })
        if !tail.isEmpty, let best = Suggest.closest(to: key.name, in: candidates.keys.sorted()),
           let candidate = candidates[best], info(candidate.path, on: host) != nil {
            return best
        }
        let names = entries.map(\.name)
        return Suggest.closest(to: parts[depth], in: names).map { SysctlKey(components: head + [$0]).name }
    }

    /// Facts about the file at a path under the root; nil when there is none or it cannot be seen.
    private static func info(_ path: String, on host: Host) -> Host.FileInfo? {
        guard let resolved = try? host.resolve(path), let info = try? host.info(resolved) else { return nil }
        return info
    }

    /// Tab completion of a key typed so far, one component at a time from /proc/sys:
    /// `net.core.somax` → `somaxconn`, and groups with the separator after them (`net.co` →
    /// `core.`). As keys are read, a key whose first separator is `/` is written with `/`
    /// (`net/core/somaxconn`); in the dotted form a `.` inside a name is written `/` (`eth0/200`).
    @Sendable static func completion(_ typed: String, on host: Host) -> ArgumentCompletion.Candidates {
        let bytes = Array(typed.utf8)
        let firstSeparator = bytes.first { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "/") }
        let slashed = firstSeparator == UInt8(ascii: "/")
        let separator: UInt8 = slashed ? UInt8(ascii: "/") : UInt8(ascii: ".")
        let spelled: (String) -> String = slashed ? { $0 } : { SysctlKey.swapSeparators($0) }
        func names(in directory: String, prefix: String) -> [String] {
            ArgumentCompletion.entries(of: directory, on: host, prefix: prefix, separator: slashed ? "/" : ".", spelled: spelled)
        }
        guard let last = bytes.lastIndex(of: separator) else {
            return ArgumentCompletion.Candidates(start: 0, names: names(in: "/proc/sys", prefix: typed))
        }
        let groups = bytes[..<last].split(separator: separator, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        guard !groups.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            return ArgumentCompletion.Candidates(start: last + 1, names: [])
        }
        let directory = "/proc/sys/" + groups.map { slashed ? $0 : SysctlKey.swapSeparators($0) }.joined(separator: "/")
        let partial = String(decoding: bytes[(last + 1)...], as: UTF8.self)
        return ArgumentCompletion.Candidates(start: last + 1, names: names(in: directory, prefix: partial))
    }
}
