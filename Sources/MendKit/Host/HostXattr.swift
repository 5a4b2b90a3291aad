import CMendSupport
import Glibc

/// Extended attributes of files under the root: the `security.selinux` label that `selinux.context`
/// reads and `selinux.restorecon`'s undo puts back. The calls act on the path itself, never a
/// link's target (`lgetxattr`, `lsetxattr`): paths are resolved under the root first, so a link
/// is followed there and not by the system.
extension Host {
    /// The value of the attribute `name` of the file at a resolved path; nil when the file has no
    /// such attribute or its file system keeps none (ENODATA, ENOTSUP). A missing file is an
    /// error (ENOENT), so is any other failure.
    public func extendedAttribute(_ name: String, of resolved: String) throws(HostError) -> [UInt8]? {
        try refuseNUL(inPath: resolved)
        try Host.refuseNUL(name, "the attribute name")
        // Sized first; the value may grow between the two calls, then the read is tried again.
        for _ in 0..<4 {
            let size = lgetxattr(resolved, name, nil, 0)
            if size < 0 { return try Host.missingAttribute("cannot read the attribute \(name) of \(shown(resolved))") }
            var buffer = [UInt8](repeating: 0, count: size)
            let n = buffer.withUnsafeMutableBytes { lgetxattr(resolved, name, $0.baseAddress, $0.count) }
            if n >= 0 { return Array(buffer[0..<n]) }
            if errno != ERANGE { return try Host.missingAttribute("cannot read the attribute \(name) of \(shown(resolved))") }
        }
        throw HostError("cannot read the attribute \(name) of \(shown(resolved)): it keeps changing size", code: ERANGE)
    }

    /// Sets the attribute `name` of the file at a resolved path to `value` (created or replaced).
    public func setExtendedAttribute(_ name: String, _ value: [UInt8], of resolved: String) throws(HostError) {
        try refuseNUL(inPath: resolved)
        try Host.refuseNUL(name, "the attribute name")
        let status = value.withUnsafeBytes { lsetxattr(resolved, name, $0.baseAddress, $0.count, 0) }
        guard status == 0 else { throw HostError.last("cannot set the attribute \(name) of \(shown(resolved))") }
    }

    /// Removes the attribute `name` of the file at a resolved path; nothing to do when it has none.
    public func removeExtendedAttribute(_ name: String, of resolved: String) throws(HostError) {
        try refuseNUL(inPath: resolved)
        try Host.refuseNUL(name, "the attribute name")
        guard lremovexattr(resolved, name) == 0 || errno == ENODATA else {
            throw HostError.last("cannot remove the attribute \(name) of \(shown(resolved))")
        }
    }

    /// Nil for "no such attribute" and "not supported here"; the error of the failed call otherwise.
    private static func missingAttribute(_ what: String) throws(HostError) -> [UInt8]? {
        let code = errno
        if code == ENODATA || code == ENOTSUP || code == EOPNOTSUPP { return nil }
        throw HostError("\(what): \(HostError.reason(code))", code: code)
    }
}
