import Glibc
@testable import MendKit

/// Helpers for tests that compare mend's output with a reference tool (`diff`, `sha256sum`).
enum ReferenceTool {
    /// Writes `bytes` to a new temporary file and returns its path (the caller removes it).
    static func temporaryFile(_ bytes: [UInt8]) -> String {
        var template = Array("/tmp/mend-reference-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        var done = 0
        while fd >= 0, done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            done += n
        }
        close(fd)
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Runs `argv` (found on PATH) in the C locale and returns its standard output, or nil if it
    /// could not start.
    static func output(_ argv: [String]) -> [UInt8]? {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        return try? Host.local.run(argv, environment: ["LC_ALL=C", "PATH=\(path)"]).stdout
    }
}
