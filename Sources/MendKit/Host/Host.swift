import Glibc

/// The operating system as the rest of mend sees it, and the code that makes every call reading or
/// changing it: files resolved under a root directory (`--root`), processes, and the system calls
/// namespaces and the engine need (ids, rlimits, statvfs, uname, time and sleep). Namespace code calls a `Host`
/// instance, never the OS, so the same code runs against the live system, a fixture root, an
/// image, or a test that answers its commands (``ProcessRunner``).
///
/// A host is either the **live** system (root `/`) or an **offline root** — a directory holding
/// another system's files (a fixture, a mounted image). Under an offline root, paths resolve inside
/// the root; processes, limits, ids and time are still those of the machine mend runs on, and tools
/// that have an offline form are driven through it (``command(_:_:)``).
public final class Host: Sendable {
    /// The directory every path resolves under: "/" for the live system.
    public let root: String
    /// Starts this host's commands: real processes unless a test or an embedder answers them.
    public let processes: any ProcessRunner
    /// Told of each temporary file before ``writeAtomically(_:_:mode:uid:gid:)`` creates it.
    public let temporaryFiles: (any TemporaryFileRecorder)?

    /// `root` must be an absolute path to a directory (the command line checks it).
    public init(root: String = "/", processes: any ProcessRunner = SystemProcessRunner(),
                temporaryFiles: (any TemporaryFileRecorder)? = nil) {
        var r = root
        while r.count > 1, r.hasSuffix("/") { r.removeLast() }
        self.root = r
        self.processes = processes
        self.temporaryFiles = temporaryFiles
    }

    /// The same host, telling `recorder` of its temporary files.
    public func recordingTemporaryFiles(_ recorder: any TemporaryFileRecorder) -> Host {
        Host(root: root, processes: processes, temporaryFiles: recorder)
    }

    /// The machine mend runs on, without a root: where runbooks and their imports are read,
    /// whatever `--root` a run acts on.
    public static let local = Host()

    /// True for the live system; false for an offline root (`--root DIR`).
    public var isLive: Bool { root == "/" }

    /// The real path of `path` under the root. Symbolic links are followed inside the root (an
    /// absolute link target starts again at the root), so nothing under `--root` can reach the
    /// live system and a write through a link changes its target. A path (or root) with a NUL
    /// byte is an error.
    public func resolve(_ path: String) throws(HostError) -> String {
        guard path.hasPrefix("/") else { throw HostError("\(path): a path must be absolute (start with /)") }
        try Host.refuseNUL(path, "the path")
        try Host.refuseNUL(root, "the root")
        var resolved: [Substring] = []
        var pending = Array(path.split(separator: "/").reversed())
        var links = 0
        while let part = pending.popLast() {
            if part == "." { continue }
            if part == ".." {
                _ = resolved.popLast()
                continue
            }
            let candidate = join(resolved + [part])
            if let target = readLink(candidate) {
                links += 1
                if links > 40 { throw HostError("\(path): too many levels of symbolic links", code: ELOOP) }
                if target.hasPrefix("/") { resolved = [] }
                pending.append(contentsOf: target.split(separator: "/").reversed())
            } else {
                resolved.append(part)
            }
        }
        return join(resolved)
    }

    /// The real path of a link itself: its directory resolved as ``resolve(_:)`` does, its last
    /// component kept, so the link (not what it points to) is read, replaced or removed.
    public func resolveLink(_ path: String) throws(HostError) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? ""
        guard !name.isEmpty, name != ".", name != ".." else { throw HostError("\(path): not a path to a link") }
        let directory = try resolve(parent(of: path))
        return directory == "/" ? "/" + name : directory + "/" + name
    }

    private func join(_ parts: [Substring]) -> String {
        let tail = parts.joined(separator: "/")
        if isLive { return "/" + tail }
        return tail.isEmpty ? root : root + "/" + tail
    }

    private func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The directory part of a path.
    public func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// A resolved path as the runbook names it (without the root).
    public func shown(_ resolved: String) -> String {
        guard !isLive, resolved.hasPrefix(root) else { return resolved }
        let rest = resolved.dropFirst(root.count)
        return rest.isEmpty ? "/" : String(rest)
    }
}

/// Learns the path of each temporary file a write is about to create. A process killed between
/// creating one and renaming it over its target leaves it behind: the engine journals the path
/// first, so `mend rollback` and the next run can remove it.
public protocol TemporaryFileRecorder: Sendable {
    /// Called before the file exists; an error stops the write before it begins.
    func willCreate(_ path: String) throws(HostError)
}
