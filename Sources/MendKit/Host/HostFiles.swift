import Glibc
import CMendSupport

/// Files under the root: read, replaced atomically, written in place, removed.
extension Host {
    /// The owner, group and permission bits of a file.
    public struct FileInfo: Equatable, Sendable {
        public var mode: UInt32
        public var uid: UInt32
        public var gid: UInt32
        public var isRegular: Bool
        public var isDirectory: Bool
    }

    /// Facts about the file at a resolved path, or nil when there is none.
    public func info(_ resolved: String) throws(HostError) -> FileInfo? {
        guard let s = try linkStatus(resolved) else { return nil }
        let type = s.st_mode & S_IFMT
        return FileInfo(mode: UInt32(s.st_mode & 0o7777), uid: s.st_uid, gid: s.st_gid,
                        isRegular: type == S_IFREG, isDirectory: type == S_IFDIR)
    }

    /// When the file at a resolved path (a link itself, not its target) last changed, in
    /// seconds since the epoch, or nil when there is none.
    public func modificationTime(_ resolved: String) throws(HostError) -> Double? {
        guard let s = try linkStatus(resolved) else { return nil }
        return Double(s.st_mtim.tv_sec) + Double(s.st_mtim.tv_nsec) / 1e9
    }

    /// `lstat` of a resolved path; nil when there is nothing there.
    private func linkStatus(_ resolved: String) throws(HostError) -> stat? {
        try refuseNUL(inPath: resolved)
        var s = stat()
        if lstat(resolved, &s) != 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw HostError.last("cannot read \(shown(resolved))")
        }
        return s
    }

    /// The content of the file at a resolved path, or nil when there is none.
    public func read(_ resolved: String) throws(HostError) -> [UInt8]? {
        try refuseNUL(inPath: resolved)
        let fd = open(resolved, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw HostError.last("cannot read \(shown(resolved))")
        }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n < 0 { throw HostError.last("cannot read \(shown(resolved))") }
            if n == 0 { return result }
            result.append(contentsOf: buffer[0..<n])
        }
    }

    /// Replaces the file at a resolved path atomically: a temporary file in the same directory
    /// gets the mode, owner and content and is flushed, then renamed over the old one, and the
    /// directory is flushed. Readers see the old file or the new one, never a part.
    public func writeAtomically(_ resolved: String, _ bytes: [UInt8], mode: UInt32, uid: UInt32, gid: UInt32) throws(HostError) {
        try refuseNUL(inPath: resolved)
        let directory = parent(of: resolved)
        let name = resolved.split(separator: "/").last.map(String.init) ?? "file"
        let temporary = "\(directory)/.\(name).mend-\(UInt32.random(in: 0...UInt32.max))"
        try temporaryFiles?.willCreate(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw HostError.last("cannot write \(shown(resolved))") }
        var done = false
        defer {
            close(fd)
            if !done { unlink(temporary) }
        }
        // Content first: a write by a process without CAP_FSETID clears setuid and setgid bits.
        try writeAll(fd, bytes, resolved)
        let label = selinuxLabel(resolved)
        if fchown(fd, uid, gid) != 0, getuid() == 0 || uid != getuid() {
            throw HostError.last("cannot set the owner of \(shown(resolved))")
        }
        guard fchmod(fd, mode_t(mode)) == 0 else { throw HostError.last("cannot set the mode of \(shown(resolved))") }
        if let label {
            _ = label.withUnsafeBytes { fsetxattr(fd, "security.selinux", $0.baseAddress, $0.count, 0) }
        }
        guard fsync(fd) == 0 else { throw HostError.last("cannot flush \(shown(resolved))") }
        guard rename(temporary, resolved) == 0 else { throw HostError.last("cannot replace \(shown(resolved))") }
        done = true
        syncDirectory(directory)
    }

    /// Writes a kernel file (under /proc/sys or /sys) with one `write()` in place: these files
    /// take a value per write and cannot be renamed over.
    public func writeInPlace(_ resolved: String, _ bytes: [UInt8]) throws(HostError) {
        try refuseNUL(inPath: resolved)
        let fd = open(resolved, O_WRONLY | O_CLOEXEC | (isLive ? 0 : O_TRUNC))
        guard fd >= 0 else { throw HostError.last("cannot write \(shown(resolved))") }
        defer { close(fd) }
        try writeAll(fd, bytes, resolved)
    }

    /// Removes the file at a resolved path; nothing to do when it is already gone.
    public func remove(_ resolved: String) throws(HostError) {
        try refuseNUL(inPath: resolved)
        if unlink(resolved) != 0, errno != ENOENT { throw HostError.last("cannot remove \(shown(resolved))") }
        syncDirectory(parent(of: resolved))
    }

    /// The target a symbolic link at a resolved path points to, as written; nil when the path is
    /// not a symbolic link (or does not exist). Enablement links of init systems are read this way.
    public func linkTarget(_ resolved: String) throws(HostError) -> String? {
        try refuseNUL(inPath: resolved)
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(resolved, &buffer, buffer.count - 1)
        guard n >= 0 else {
            if errno == ENOENT || errno == ENOTDIR || errno == EINVAL { return nil }
            throw HostError.last("cannot read the link \(shown(resolved))")
        }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Makes a symbolic link at a resolved path pointing to `target` (kept as written: a link
    /// under `--root` points where it would on that system), replacing a link already there.
    public func makeLink(_ resolved: String, to target: String) throws(HostError) {
        try refuseNUL(inPath: resolved)
        try Host.refuseNUL(target, "the link target")
        if let existing = try linkTarget(resolved) {
            if existing == target { return }
            try remove(resolved)
        }
        if symlink(target, resolved) != 0 { throw HostError.last("cannot create the link \(shown(resolved))") }
        syncDirectory(parent(of: resolved))
    }

    /// Creates a directory at a resolved path.
    public func makeDirectory(_ resolved: String, mode: UInt32 = 0o755) throws(HostError) {
        try refuseNUL(inPath: resolved)
        if mkdir(resolved, mode_t(mode)) != 0, errno != EEXIST { throw HostError.last("cannot create \(shown(resolved))") }
    }

    /// Removes an empty directory at a resolved path; a directory that is not empty stays.
    public func removeDirectory(_ resolved: String) throws(HostError) {
        try refuseNUL(inPath: resolved)
        if rmdir(resolved) != 0, errno != ENOENT, errno != ENOTEMPTY, errno != EEXIST {
            throw HostError.last("cannot remove \(shown(resolved))")
        }
    }

    /// The numeric id of a user or group named in the root's /etc/passwd or /etc/group; a
    /// number is taken as it is.
    public func id(of name: String, group: Bool) throws(HostError) -> UInt32 {
        if let n = UInt32(name) { return n }
        let table = group ? "/etc/group" : "/etc/passwd"
        if let bytes = try? read(resolve(table)) {
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                let fields = line.split(separator: ":", omittingEmptySubsequences: false)
                if fields.count > 2, fields[0] == name, let id = UInt32(fields[2]) { return id }
            }
        }
        throw HostError("no \(group ? "group" : "user") named '\(name)' in \(table)")
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8], _ resolved: String) throws(HostError) {
        try Host.writeFully(fd, bytes, what: "cannot write \(shown(resolved))")
    }

    /// Writes all of `bytes` to `fd`, resuming after short writes and signals; `what` names the
    /// failure.
    static func writeFully(_ fd: Int32, _ bytes: [UInt8], what: @autoclosure () -> String) throws(HostError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress.map { $0 + offset }, bytes.count - offset) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { throw HostError.last(what()) }
            offset += n
        }
    }

    private func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// The SELinux label of an existing file, kept on its replacement.
    private func selinuxLabel(_ resolved: String) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { lgetxattr(resolved, "security.selinux", $0.baseAddress, $0.count) }
        return n > 0 ? Array(buffer[0..<n]) : nil
    }
}
