import Glibc
import Testing

/// Runs the `mend` executable built next to the test bundle, capturing its output.
struct MendBinary {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The path of the built `mend` (beside the test runner in the build folder).
    static let path: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        var dir = exe
        while let slash = dir.lastIndex(of: "/") {
            dir = String(dir[..<slash])
            if access(dir + "/mend", X_OK) == 0 { return dir + "/mend" }
            if dir.hasSuffix(".build") { break }
        }
        return "mend"
    }()

    /// Runs `mend ARGS…` with optional standard input; stdout and stderr go to temporary files.
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Result {
        let dir = try TemporaryDirectory()
        let out = dir.path + "/stdout", err = dir.path + "/stderr", input = dir.path + "/stdin"
        try writeFile(input, stdin ?? "")
        var command = "exec"
        for (k, v) in environment { command += " \(k)=\(shellQuote(v))" }
        command = environment.isEmpty ? "exec" : "exec env" + command.dropFirst(4)
        command += " " + ([path] + arguments).map(shellQuote).joined(separator: " ")
        command += " <\(shellQuote(input)) >\(shellQuote(out)) 2>\(shellQuote(err))"
        let status = try system(command)
        return Result(status: status, stdout: try readFile(out), stderr: try readFile(err))
    }
}

func shellQuote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
}

/// Runs a shell command line and returns its exit status.
func system(_ command: String) throws -> Int32 {
    var pid = pid_t()
    let args = ["/bin/sh", "-c", command]
    var cargs = args.map { strdup($0) } + [nil]
    defer { for p in cargs { free(p) } }
    let rc = posix_spawn(&pid, "/bin/sh", nil, nil, &cargs, environ)
    guard rc == 0 else { throw TestFailure(description: "posix_spawn failed: \(rc)") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        if errno != EINTR { throw TestFailure(description: "waitpid failed") }
    }
    if status & 0x7f == 0 { return (status >> 8) & 0xff }
    return 128 + (status & 0x7f)
}

func writeFile(_ path: String, _ text: String) throws {
    try writeBytes(path, Array(text.utf8))
}

func writeBytes(_ path: String, _ bytes: [UInt8]) throws {
    guard let f = fopen(path, "wb") else { throw TestFailure(description: "cannot write \(path)") }
    defer { fclose(f) }
    if !bytes.isEmpty, fwrite(bytes, 1, bytes.count, f) != bytes.count { throw TestFailure(description: "short write \(path)") }
}

func readFile(_ path: String) throws -> String {
    String(decoding: try readAllBytes(path), as: UTF8.self)
}

/// A file's bytes (`readFile` decodes them as UTF-8, which a binary file does not survive).
func readAllBytes(_ path: String) throws -> [UInt8] {
    guard let f = fopen(path, "rb") else { throw TestFailure(description: "cannot read \(path)") }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, f)
        if n <= 0 { break }
        bytes.append(contentsOf: buffer[0..<n])
    }
    return bytes
}

/// A directory under /tmp removed when the value goes away.
final class TemporaryDirectory {
    let path: String
    init() throws {
        var template = Array("/tmp/mend-test-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw TestFailure(description: "mkdtemp failed") }
        path = String(cString: p)
    }
    deinit { _ = try? system("rm -rf " + shellQuote(path)) }
}
