import Glibc
import ArgumentParser
import MendKit

/// Writing to the terminal's streams.
enum Console {
    private static let streams = StandardOutput()

    /// Writes to stderr, ending the text with a newline unless `newline` is false.
    static func error(_ text: String, newline: Bool = true) {
        streams.standardError(!newline || text.hasSuffix("\n") ? text : text + "\n")
    }

    /// Writes a line to stdout.
    static func output(_ text: String) {
        streams.standardOutput(text.hasSuffix("\n") ? text : text + "\n")
    }

    /// Writes text to stdout as it is.
    static func write(_ text: String) {
        streams.standardOutput(text)
    }
}

/// The width of the terminal stdout writes to; 80 when stdout is not a terminal (a pipe, a file) or the
/// terminal does not say.
func terminalWidth() -> Int {
    var size = winsize()
    guard withUnsafeMutablePointer(to: &size, { ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), $0) }) == 0, size.ws_col > 0
    else { return 80 }
    return Int(size.ws_col)
}

/// Reads a runbook file for the command line; a missing or unreadable file is a usage error, and so
/// is a path with a NUL byte (REPL input may hold one), which open(2) would cut short there.
func readSource(_ path: String) throws -> SourceFile {
    guard !path.utf8.contains(0) else {
        throw CommandFailure(ExitStatus.usage, "mend: cannot read \(Value.string(path).literal): the path contains a NUL byte")
    }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
        throw CommandFailure(ExitStatus.usage, "mend: cannot read \(path): \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    var info = stat()
    if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
        throw CommandFailure(ExitStatus.usage, "mend: \(path) is a directory, not a runbook")
    }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0, errno == EINTR { continue }
        if n < 0 { throw CommandFailure(ExitStatus.usage, "mend: cannot read \(path): \(String(cString: strerror(errno)))") }
        if n == 0 { break }
        bytes.append(contentsOf: buffer[0..<n])
    }
    return SourceFile(name: path, bytes: bytes)
}

/// Ends a command with a message on stderr and an exit code.
struct CommandFailure: Error {
    let code: Int32
    let message: String
    init(_ code: Int32, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Another run holds the host lock (exit 75).
    init(_ held: LockHeld) {
        self.init(ExitStatus.locked, "mend: \(held)")
    }

    /// A host error: exit 77 when it is for want of permission, else 1. `writesStateDirectory`: the
    /// command writes a state directory, so a permission problem may be solved by choosing another.
    init(_ error: HostError, writesStateDirectory: Bool = false) {
        let hint = writesStateDirectory && error.isPermissionDenied ? " (run as root, or choose a writable --state-dir)" : ""
        self.init(error.isPermissionDenied ? ExitStatus.noPermission : ExitStatus.failed, "mend: \(error.message)\(hint)")
    }
}

/// The message and exit code of the errors every command reports the same way; nil for others.
func failureReport(_ error: any Error) -> (message: String, code: Int32)? {
    switch error {
    case let failure as CommandFailure: return (failure.message, failure.code)
    case let diagnostics as Diagnostics: return (diagnostics.rendered(), ExitStatus.invalidRunbook)
    case let error as MendError: return (error.rendered(), ExitStatus.failed)
    case let failed as PreconditionFailed: return (failed.diagnostics.rendered(), ExitStatus.preconditionFailed)
    case let usage as UsageError: return ("mend: \(usage.message)", ExitStatus.usage)
    default: return nil
    }
}

/// Runs a command body, mapping mend's errors to their messages and exit codes.
func runCommand(_ body: () throws -> Int32) throws {
    let code: Int32
    do {
        code = try body()
    } catch {
        guard let report = failureReport(error) else { throw error }
        Console.error(report.message)
        code = report.code
    }
    if code != 0 { throw ExitCode(code) }
}
