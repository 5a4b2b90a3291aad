// fnmatch(3), the glob matching systemd-sysctl itself uses: no system call.
import Glibc

/// The configuration files that set kernel parameters at boot, and the one file mend manages.
///
/// The order is systemd-sysctl's, from sysctl.d(5):
/// 1. `*.conf` files from `/etc/sysctl.d`, `/run/sysctl.d`, `/usr/local/lib/sysctl.d`,
///    `/usr/lib/sysctl.d` and `/lib/sysctl.d`. A file name in an earlier directory masks the same
///    name in the later ones ("Files in /etc/ override files with the same name in /run/ and
///    /usr/lib/"), also when it is a link to /dev/null.
/// 2. The chosen files are applied in lexical order of their names, whatever their directory; when
///    several set a key, the last assignment wins ("the entry in the file with the
///    lexicographically latest name will be applied"). A glob pattern (`net.ipv4.conf.*.rp_filter`)
///    sets every key it matches that no file names explicitly, and `-key` without `=` exempts a
///    key from the globs.
/// 3. Then `/etc/sysctl.conf`, last — as `sysctl --system` (procps) and Alpine's OpenRC `sysctl`
///    service apply it; on systemd hosts it usually arrives as `/etc/sysctl.d/99-sysctl.conf`, a link
///    to it, and applying it again last changes nothing unless a file named after `99-sysctl.conf`
///    sets the same key.
///
/// Lines: `key = value` or `key=value`; empty lines and lines starting with `#` or `;` are comments;
/// a leading `-` (ignore errors when applying) is dropped; keys may use `/` instead of `.`.
enum SysctlFiles {
    static let directories = ["/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d"]
    static let sysctlConf = "/etc/sysctl.conf"
    /// The file `sysctl.set(…, persist: true)` edits; other files are never touched.
    static let managedFile = "/etc/sysctl.d/90-mend.conf"
    static let managedHeader = "# Kernel parameters persisted by mend (sysctl.set with persist: true).\n"

    /// One line that sets (or exempts) a key.
    struct Assignment {
        /// The file as boot reads it: `/etc/sysctl.d/99-sysctl.conf`.
        let file: String
        /// From 1.
        let line: Int
        /// The key in dotted form, or a glob pattern.
        let pattern: String
        /// nil for `-key` without a value: the key is exempt from glob patterns.
        let value: String?

        var location: String { "\(file):\(line)" }
        var isGlob: Bool { pattern.contains { $0 == "*" || $0 == "?" || $0 == "[" } }
    }

    /// The key and value of one line, or nil for a comment, an empty line or a line that is not an
    /// assignment (systemd ignores those too).
    static func parseLine(_ raw: Substring) -> (pattern: String, value: String?)? {
        let line = SysctlValue.trim(String(raw))
        guard let first = line.first, first != "#", first != ";" else { return nil }
        var key: String
        var value: String?
        if let equals = line.firstIndex(of: "=") {
            key = SysctlValue.trim(String(line[..<equals]))
            value = SysctlValue.trim(String(line[line.index(after: equals)...]))
        } else {
            // Only `-key` may stand without a value: it exempts the key from globs.
            guard first == "-" else { return nil }
            key = line
        }
        if key.hasPrefix("-") { key.removeFirst() }
        guard let normalized = try? SysctlKey(key) else { return nil }
        return (normalized.name, value)
    }

    /// Every assignment of a file's text, in order.
    static func parse(_ text: String, file: String) -> [Assignment] {
        var result: [Assignment] = []
        for (k, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let (pattern, value) = parseLine(line) {
                result.append(Assignment(file: file, line: k + 1, pattern: pattern, value: value))
            }
        }
        return result
    }

    /// The files boot applies, in order, with their text as this run sees it (planned in a plan).
    /// `replacing` stands in for one file's text: the managed file as an edit would leave it.
    static func bootFiles(_ effects: any Effects, replacing: (path: String, text: String)? = nil) throws -> [(path: String, text: String)] {
        var chosen: [String: (path: String, text: String)] = [:]
        // The managed file counts once it exists for this run, even when only a plan made it.
        if let text = try text(of: managedFile, effects, replacing: replacing) {
            chosen[name(of: managedFile)] = (managedFile, text)
        }
        for directory in directories {
            guard let resolved = try? effects.host.resolve(directory), let entries = effects.host.entries(resolved) else { continue }
            for entry in entries where entry.mayBeFile && entry.name.hasSuffix(".conf") && !entry.name.hasPrefix(".") {
                guard chosen[entry.name] == nil else { continue }
                let path = directory + "/" + entry.name
                if let text = try text(of: path, effects, replacing: replacing) {
                    chosen[entry.name] = (path, text)
                } else if entry.isLink {
                    // A link to /dev/null (or anywhere that is no file) masks the name.
                    chosen[entry.name] = (path, "")
                }
            }
        }
        let ordered = chosen.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }.compactMap { chosen[$0] }
        let conf = try text(of: sysctlConf, effects, replacing: replacing)
        return ordered + (conf.map { [(sysctlConf, $0)] } ?? [])
    }

    /// The assignment boot ends up applying to `key`, or nil when no file sets it.
    static func bootAssignment(for key: SysctlKey, _ effects: any Effects,
                               replacing: (path: String, text: String)? = nil) throws -> Assignment? {
        var explicit: Assignment?
        var globs: [Assignment] = []
        for file in try bootFiles(effects, replacing: replacing) {
            for assignment in parse(file.text, file: file.path) {
                if assignment.isGlob {
                    guard assignment.value != nil else { continue }
                    // A pattern set again moves to the end, as in systemd's ordered table.
                    globs.removeAll { $0.pattern == assignment.pattern }
                    globs.append(assignment)
                } else if assignment.pattern == key.name {
                    // Setting the same value again keeps the first assignment, as systemd does.
                    if let earlier = explicit, let v = earlier.value, let w = assignment.value,
                       SysctlValue.tokens(v) == SysctlValue.tokens(w) { continue }
                    explicit = assignment
                }
            }
        }
        if let explicit { return explicit.value == nil ? nil : explicit }
        let path = SysctlKey.swapSeparators(key.name)
        return globs.last { fnmatch(SysctlKey.swapSeparators($0.pattern), path, FNM_PATHNAME) == 0 }
    }

    /// A file's text as this run sees it; nil when there is no regular file (a missing file, a link
    /// to /dev/null, a directory).
    static func text(of path: String, _ effects: any Effects, replacing: (path: String, text: String)?) throws -> String? {
        if let replacing, replacing.path == path { return replacing.text }
        do {
            guard let state = FileResource.State(try effects.state(of: FileResource(), path)), state.exists else { return nil }
            return String(decoding: state.content, as: UTF8.self)
        } catch let error as HostError where error.isNotARegularFile || error.isLinkLoop {
            return nil
        }
    }

    /// The managed file's text with `key` set to `value`: the key's line replaced (later lines for
    /// the same key dropped, so it appears once), or appended. Unchanged when the file already sets
    /// exactly this value on one line, however that line is spaced.
    static func edited(_ text: String, key: SysctlKey, value: String) -> String {
        let line = "\(key) = \(value.replacing("\t", with: " "))"
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let matches = lines.indices.filter { k in
            parseLine(Substring(lines[k])).map { $0.pattern == key.name } ?? false
        }
        if matches.count == 1, let existing = parseLine(Substring(lines[matches[0]]))?.value,
           !SysctlValue.trim(lines[matches[0]]).hasPrefix("-"),
           SysctlValue.tokens(existing) == SysctlValue.tokens(value) {
            return text
        }
        if let first = matches.first {
            lines[first] = line
            for k in matches.dropFirst().reversed() { lines.remove(at: k) }
        } else {
            if lines.isEmpty { lines.append(String(managedHeader.dropLast())) }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The last component of a path.
    static func name(of path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
