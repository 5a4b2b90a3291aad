import Glibc

/// Shell-style patterns over the files under the root, matched one path component at a time with
/// the system's fnmatch(3): `*`, `?` and `[...]` never match a `/`, and a name starting with `.`
/// only matches a pattern that starts with one, as in the shell. Directories are listed under the
/// root and links followed there (``resolve(_:)``), so a pattern never reaches the live system
/// from `--root`, where glob(3) would follow an absolute link out of it.
extension Host {
    /// The existing paths that match an absolute pattern (`/sys/block/*/queue/rotational`), as
    /// the runbook names them (without the root), sorted by their bytes; empty when none does.
    /// Directories that cannot be read are skipped, as glob(3) does.
    public func glob(_ pattern: String) throws(HostError) -> [String] {
        guard pattern.hasPrefix("/") else { throw HostError("\(pattern): a pattern must be absolute (start with /)") }
        try Host.refuseNUL(pattern, "the pattern")
        // resolve() would take ".." lexically, after a file as readily as after a directory.
        if pattern.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) {
            throw HostError("\(pattern): a pattern has no . or .. components (name the directory itself)")
        }
        var candidates = ["/"]
        for component in pattern.split(separator: "/").map(String.init) {
            let isPattern = component.contains { "*?[\\".contains($0) }
            var next: [String] = []
            for base in candidates {
                let prefix = base == "/" ? "/" : base + "/"
                guard isPattern else {
                    next.append(prefix + component)
                    continue
                }
                guard let directory = try? resolve(base), let entries = entries(directory) else { continue }
                for entry in entries where fnmatch(component, entry.name, FNM_PERIOD) == 0 {
                    next.append(prefix + entry.name)
                }
            }
            candidates = next
            if candidates.isEmpty { return [] }
        }
        return candidates.filter { path in
            guard let resolved = try? resolve(path) else { return false }
            return (try? info(resolved)) != nil
        }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}
