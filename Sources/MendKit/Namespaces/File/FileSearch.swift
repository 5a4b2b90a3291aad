/// `file.sha256` and `file.glob`: reading files by digest and finding them by pattern.
extension FileNamespace {
    static let sha256 = Declaration.function("sha256", [Param("path", completes: .absolutePath)], doc: """
        The SHA-256 digest of a file's content, as 64 lowercase hex digits.
        Any content (a tarball, a binary), read whole; in a plan, the planned content. A missing file is an
        error naming it. Compare with the published digest before unpacking a download.
        """, example: #"len(file.sha256("/etc/hostname")) == 64  # true"#, body: digest)

    static let glob = Declaration.function("glob", [Param("pattern", completes: .absolutePath)], doc: """
        The existing paths that match a shell-style pattern, sorted; [] when none does.
        The pattern is absolute; *, ? and [...] match within one path component ("/sys/block/*/queue/rotational"),
        and a name starting with . only matches a pattern that starts with one. Under --root the files of the
        root are searched and paths are shown without it. The files on the host are searched: files a plan
        would create do not match.
        """, example: #"file.glob("/sys/block/*/queue/rotational")  # ["/sys/block/sda/queue/rotational", …]"#, body: matching)

    static func digest(_ args: inout Arguments) throws -> Value {
        let path = try args.name(0)
        let read = try args.naming { try args.context.effects.state(of: resource, path) }
        guard let state = FileResource.State(read) else { throw MendError("file.sha256: \(path): unreadable file state") }
        guard state.exists else { throw MendError("file.sha256: \(path) does not exist", kind: .host) }
        if let reason = state.unknown { throw MendError("file.sha256: \(reason)", kind: .permission) }
        return .string(SHA256.hex(state.content))
    }

    static func matching(_ args: inout Arguments) throws -> Value {
        let pattern = try args.name(0)
        let paths = try args.naming { try args.context.effects.host.glob(pattern) }
        return .list(ListRef(paths.map(Value.string)))
    }
}
