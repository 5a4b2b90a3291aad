/// `file.sha256`, `file.elf` and `file.glob`: reading files by digest and by ELF headers, and finding
/// them by pattern.
extension FileNamespace {
    static let sha256 = Declaration.function("sha256", [Param("path", completes: .absolutePath)], doc: """
        The SHA-256 digest of a file's content, as 64 lowercase hex digits.
        Any content (a tarball, a binary), read whole; in a plan, the planned content. A missing file is an
        error naming it. Compare with the published digest before unpacking a download.
        """, example: #"len(file.sha256("/etc/hostname")) == 64  # true"#, body: digest)

    static let elf = Declaration.function("elf", [Param("path", completes: .absolutePath)], doc: """
        What an executable's ELF headers say it needs: {static, interpreter, needed, versions}.
        static: no program interpreter and no needed library (CGO_ENABLED=0 Go, musl-gcc -static); interpreter:
        the dynamic loader ("/lib64/ld-linux-x86-64.so.2") or nil; needed: the shared libraries (DT_NEEDED);
        versions: a map from each library to the symbol versions needed from it ({"libstdc++.so.6":
        ["GLIBCXX_3.4.29", …]}). Read from the file itself (64-bit little-endian ELF), so no binutils is needed
        and it works under --root. A file that is not such an ELF file is an error naming it.
        """, example: """
        let node = file.elf("/usr/local/bin/node")
        assert node.static or not get(node.versions, "libstdc++.so.6", default: []).contains("GLIBCXX_3.4.29")
        """, body: elfHeaders)

    static let glob = Declaration.function("glob", [Param("pattern", completes: .absolutePath)], doc: """
        The existing paths that match a shell-style pattern, sorted; [] when none does.
        The pattern is absolute; *, ? and [...] match within one path component ("/sys/block/*/queue/rotational"),
        and a name starting with . only matches a pattern that starts with one. Under --root the files of the
        root are searched and paths are shown without it. The files on the host are searched: files a plan
        would create do not match.
        """, example: #"file.glob("/sys/block/*/queue/rotational")  # ["/sys/block/sda/queue/rotational", …]"#, body: matching)

    static func digest(_ args: inout Arguments) throws -> Value {
        .string(SHA256.hex(try content(args)))
    }

    /// The bytes of the file the first argument names (in a plan, its planned content); an error
    /// naming the builtin when there is none or it cannot be read.
    private static func content(_ args: Arguments) throws -> [UInt8] {
        let path = try args.name(0), name = args.builtin.qualifiedName
        let read = try args.naming { try args.context.effects.state(of: resource, path) }
        guard let state = FileResource.State(read) else { throw MendError("\(name): \(path): unreadable file state") }
        guard state.exists else { throw MendError("\(name): \(path) does not exist", kind: .host) }
        if let reason = state.unknown { throw MendError("\(name): \(reason)", kind: .permission) }
        return state.content
    }

    static func elfHeaders(_ args: inout Arguments) throws -> Value {
        let path = try args.name(0)
        let elf: ElfFile
        do {
            elf = try ElfFile(try content(args))
        } catch let error as ElfFile.Refusal {
            throw MendError("file.elf: \(path): \(error.reason)")
        }
        let versions = MapRef()
        for need in elf.versions { versions[need.library] = .list(ListRef(need.names.map(Value.string))) }
        let map = MapRef()
        map["static"] = .bool(elf.interpreter == nil && elf.needed.isEmpty)
        map["interpreter"] = elf.interpreter.map(Value.string) ?? .null
        map["needed"] = .list(ListRef(elf.needed.map(Value.string)))
        map["versions"] = .map(versions)
        return .map(map)
    }

    static func matching(_ args: inout Arguments) throws -> Value {
        let pattern = try args.name(0)
        let paths = try args.naming { try args.context.effects.host.glob(pattern) }
        return .list(ListRef(paths.map(Value.string)))
    }
}
