/// How the REPL completes a string typed as a builtin's argument: a parameter declares it
/// (``Builtin/Param/completion``), so a new namespace gets Tab completion by declaring it, without
/// touching the completer.
public struct ArgumentCompletion: Sendable {
    /// Candidates for the end of an argument: they replace `typed` from the UTF-8 offset `start` on.
    public struct Candidates: Sendable, Equatable {
        public var start: Int
        /// The text to insert, unescaped (the completer spells it as the string literal needs).
        public var names: [String]

        public init(start: Int, names: [String]) {
            self.start = start
            self.names = names
        }

        /// No candidates.
        public static let none = Candidates(start: 0, names: [])
    }

    /// At most this many candidates from one directory, so a Tab in a huge directory stays quick.
    public static let limit = 500

    /// `typed` is the string's text before the cursor (escapes and interpolations never reach
    /// here); `host` is where paths are listed (`--root` applies).
    public let complete: @Sendable (_ typed: String, _ host: Host) -> Candidates

    /// A completion computed from the typed text and the host, as sysctl keys are.
    public init(_ complete: @escaping @Sendable (_ typed: String, _ host: Host) -> Candidates) {
        self.complete = complete
    }

    /// One of a fixed set of words.
    public static func words(_ words: [String]) -> ArgumentCompletion {
        ArgumentCompletion { typed, _ in
            Candidates(start: 0, names: words.filter { $0.utf8.starts(with: typed.utf8) })
        }
    }

    /// Absolute paths under the root: `/etc/sys` → the entries of /etc starting with `sys`,
    /// directories with a `/` after them. An empty string offers `/`; a relative path nothing.
    public static let absolutePath = ArgumentCompletion { typed, host in
        guard typed.hasPrefix("/") else { return typed.isEmpty ? Candidates(start: 0, names: ["/"]) : .none }
        return paths(typed, base: "/", on: host)
    }

    /// Paths relative to `base` (`kernel/mm/…` for sysfs, base `/sys`), or absolute.
    public static func path(under base: String) -> ArgumentCompletion {
        ArgumentCompletion { typed, host in paths(typed, base: base, on: host) }
    }

    /// The entries of the directory the path typed so far names, that start with its last part.
    public static func paths(_ typed: String, base: String, on host: Host) -> Candidates {
        let bytes = Array(typed.utf8)
        let cut = bytes.lastIndex(of: UInt8(ascii: "/")).map { $0 + 1 } ?? 0
        let folder = String(decoding: bytes[..<cut], as: UTF8.self)
        let directory = typed.hasPrefix("/") ? folder : base + "/" + folder
        let names = entries(of: directory, on: host, prefix: String(decoding: bytes[cut...], as: UTF8.self),
                            separator: "/")
        return Candidates(start: cut, names: names)
    }

    /// The entries of `directory` (a path as runbooks name it, under the root) whose names, as
    /// `spelled`, start with `prefix`; directories (and links to directories) followed by
    /// `separator`. Hidden entries only when the prefix starts with `.`; a directory that cannot
    /// be read gives none. At most ``limit``, in name order.
    public static func entries(of directory: String, on host: Host, prefix: String, separator: String,
                               spelled: (String) -> String = { $0 }) -> [String] {
        guard let resolved = try? host.resolve(directory), let entries = host.entries(resolved) else { return [] }
        var names: [String] = []
        for entry in entries where names.count < limit {
            let name = spelled(entry.name)
            guard name.utf8.starts(with: prefix.utf8), prefix.hasPrefix(".") || !name.hasPrefix(".") else { continue }
            let isDirectory = entry.isDirectory || (entry.isLink && leadsToDirectory(directory + "/" + entry.name, on: host))
            names.append(isDirectory ? name + separator : name)
        }
        return names
    }

    /// True when a symbolic link's target is a directory (`/sys/class/net/eth0`).
    private static func leadsToDirectory(_ path: String, on host: Host) -> Bool {
        guard let target = try? host.resolve(path) else { return false }
        return (try? host.info(target))??.isDirectory == true
    }
}
