import Glibc

/// An operating-system call on the host failed.
public struct HostError: Error, Sendable, CustomStringConvertible {
    /// What was being done, e.g. "cannot write /etc/sysctl.d/90-mend.conf".
    public let message: String
    /// The errno value, 0 when none applies.
    public let code: Int32

    public init(_ message: String, code: Int32 = 0) {
        self.message = message
        self.code = code
    }

    /// The error of the last failed call: `"\(what): \(strerror(errno))"`.
    static func last(_ what: String) -> HostError {
        let code = errno
        return HostError("\(what): \(reason(code))", code: code)
    }

    /// The system's text for an errno value ("failed" for 0).
    public static func reason(_ code: Int32) -> String {
        code == 0 ? "failed" : String(cString: strerror(code))
    }

    /// There is no such file or directory.
    public var isNotFound: Bool { code == ENOENT || code == ENOTDIR }

    /// The path names something other than a regular file: a directory (EISDIR) or a device, a
    /// socket, … (EINVAL).
    public var isNotARegularFile: Bool { code == EISDIR || code == EINVAL }

    /// Symbolic links lead round in a circle (or too deep).
    public var isLinkLoop: Bool { code == ELOOP }

    /// The kernel refused the value written (EINVAL, ERANGE, EOVERFLOW).
    public var isRejectedValue: Bool { code == EINVAL || code == ERANGE || code == EOVERFLOW }

    /// Not permitted (EPERM), as opposed to a file's access bits (EACCES).
    public var isNotPermitted: Bool { code == EPERM }

    /// A path that does not exist: "… does not exist" (ENOENT).
    public static func notFound(_ message: String) -> HostError { HostError(message, code: ENOENT) }

    /// A path that is a directory where a file was wanted (EISDIR).
    public static func directory(_ message: String) -> HostError { HostError(message, code: EISDIR) }

    /// A path that is neither a regular file nor a directory (EINVAL).
    public static func notARegularFile(_ message: String) -> HostError { HostError(message, code: EINVAL) }

    /// The process lacks the privileges the operation needs (exit 77).
    public var isPermissionDenied: Bool { code == EACCES || code == EPERM || code == EROFS }

    public var description: String { message }
}
