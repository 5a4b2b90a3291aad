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

    /// The process lacks the privileges the operation needs (exit 77).
    public var isPermissionDenied: Bool { code == EACCES || code == EPERM || code == EROFS }

    public var description: String { message }
}
