import Glibc

extension Host {
    /// A private directory (0700) on the machine mend runs on — never under the root — for a
    /// tool that can only work on files of its own: it lives while `body` runs and is removed
    /// with everything in it afterwards, also when `body` throws. Under $TMPDIR, else /tmp.
    public func withScratchDirectory<T>(_ body: (String) throws -> T) throws -> T {
        let base = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "/tmp"
        var template = Array("\(base)/mend-scratch-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw HostError.last("cannot make a scratch directory in \(base)")
        }
        let directory = String(cString: made)
        defer { Self.removeTree(directory) }
        return try body(directory)
    }

    /// Writes a new file (0600) in a scratch directory; symbolic links are not followed.
    public func writeScratchFile(_ path: String, _ bytes: [UInt8]) throws(HostError) {
        try refuseNUL(inPath: path)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw HostError.last("cannot write \(path)") }
        defer { close(fd) }
        try Host.writeFully(fd, bytes, what: "cannot write \(path)")
    }

    /// Removes a scratch tree bottom up without following links.
    private static func removeTree(_ path: String) {
        for entry in Host.local.entries(path) ?? [] {
            let child = path + "/" + entry.name
            if entry.isDirectory { removeTree(child) } else { unlink(child) }
        }
        rmdir(path)
    }
}
