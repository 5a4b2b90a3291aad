import Glibc
import MendKit
import Testing

// The malformed-runbook corpus: every file under Fixtures/malformed/ (and every generated case below)
// must make `mend check` exit 65 with `NAME:LINE:COL: error: …`, the source line and a caret — never a
// crash — and print exactly its golden file NAME.expected.
//
// Goldens hold what `mend check NAME.mend` prints on stderr when run inside the folder holding the file,
// so no machine-specific path appears in them. To regenerate them after changing a diagnostic, run
//
//     MEND_UPDATE_GOLDENS=1 swift test --filter MalformedCorpus
//
// then read every changed .expected file (git diff) and judge it: a golden is only as good as the
// message it freezes.
//
// "Within a second": speed targets are met in benchmarks, never as timed assertions in tests. Each run
// here is killed after 10 s (a hang fails the test), and the elapsed time is part of every failure
// message.

/// Where the corpus lives: beside this source file (not in the resource bundle, so goldens can be
/// rewritten in place).
enum MalformedCorpus {
    static let directory: String = {
        let file = #filePath
        let dir = file.lastIndex(of: "/").map { String(file[..<$0]) } ?? "."
        return dir + "/Fixtures/malformed"
    }()

    /// The names (without `.mend`) of the corpus files on disk, sorted.
    static let fileCases: [String] = listDirectory(directory)
        .filter { $0.hasSuffix(".mend") }
        .map { String($0.dropLast(5)) }
        .sorted()

    static var updatingGoldens: Bool {
        guard let v = getenv("MEND_UPDATE_GOLDENS") else { return false }
        return String(cString: v) == "1"
    }
}

/// A malformed runbook built at run time: too big, or holding bytes that do not belong in a
/// committed text file. Its golden is Fixtures/malformed/NAME.expected like the others.
struct GeneratedCase: CustomTestStringConvertible, Sendable {
    let name: String
    let bytes: @Sendable () -> [UInt8]
    var testDescription: String { name }

    static let all: [GeneratedCase] = [
        GeneratedCase(name: "gen_invalid_utf8") {
            Array("let cafe = \"caf".utf8) + [0xE9] + Array("\"\nprint(cafe)\n".utf8)
        },
        GeneratedCase(name: "gen_truncated_utf8_sequence") {
            Array("# ok\nlet s = \"".utf8) + [0xF0, 0x9F, 0x8C] + Array("\"\n".utf8)
        },
        GeneratedCase(name: "gen_nul_byte") {
            Array("let x = 1\nlet y = ".utf8) + [0] + Array(" 2\n".utf8)
        },
        GeneratedCase(name: "gen_deep_brackets") { Array(("let x = " + String(repeating: "[", count: 100_000) + "\n").utf8) },
        GeneratedCase(name: "gen_deep_parentheses") {
            Array(("let x = " + String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000) + "\n").utf8)
        },
        GeneratedCase(name: "gen_deep_braces") { Array((String(repeating: "{", count: 100_000) + "\n").utf8) },
        GeneratedCase(name: "gen_deep_maps") { Array(("let m = " + String(repeating: "{a: ", count: 100_000) + "1\n").utf8) },
        GeneratedCase(name: "gen_deep_blocks") { Array(String(repeating: "if true {\n", count: 100_000).utf8) },
        GeneratedCase(name: "gen_deep_functions") {
            Array(("let f = " + String(repeating: "fn() => ", count: 100_000) + "1\n").utf8)
        },
        GeneratedCase(name: "gen_deep_interpolation") {
            Array(("let s = " + String(repeating: "\"${", count: 100_000) + "1" + String(repeating: "}\"", count: 100_000) + "\n").utf8)
        },
        GeneratedCase(name: "gen_deep_unary") { Array(("let x = " + String(repeating: "-", count: 100_000) + "1\n").utf8) },
        GeneratedCase(name: "gen_long_operator_chain") {
            Array(("let x = 1" + String(repeating: " + 1", count: 100_000) + "\n").utf8)
        },
        GeneratedCase(name: "gen_long_line") {
            // A 2 MB line whose string never ends: the error is at its start.
            Array(("let s = \"" + String(repeating: "a", count: 2_000_000) + "\n").utf8)
        },
        GeneratedCase(name: "gen_long_line_error_at_end") {
            // A 2 MB line that is fine up to an undefined name at its very end.
            Array(("let s = \"" + String(repeating: "é", count: 1_000_000) + "\" + missing_name\n").utf8)
        },
        GeneratedCase(name: "gen_many_lines_error_at_end") {
            // 100 000 good lines, then an undefined name.
            Array(("let x = 0\n" + String(repeating: "x = x + 1\n", count: 100_000) + "print(y)\n").utf8)
        },
    ]
}

@Suite("malformed runbooks")
struct MalformedCorpusTests {
    @Test func theCorpusIsLargeEnough() {
        #expect(MalformedCorpus.fileCases.count + GeneratedCase.all.count >= 40)
        #expect(MalformedCorpus.fileCases.count >= 45, "\(MalformedCorpus.fileCases.count) files in \(MalformedCorpus.directory)")
    }

    @Test func everyGoldenBelongsToACase() {
        let goldens = listDirectory(MalformedCorpus.directory).filter { $0.hasSuffix(".expected") }.map { String($0.dropLast(9)) }
        let cases = Set(MalformedCorpus.fileCases + GeneratedCase.all.map(\.name))
        for g in goldens { #expect(cases.contains(g), "\(g).expected has no \(g).mend and no generated case") }
    }

    @Test("each corpus file is rejected with its golden diagnostics", arguments: MalformedCorpus.fileCases)
    func corpusFile(name: String) throws {
        try checkCase(name: name, directory: MalformedCorpus.directory)
    }

    @Test("each generated case is rejected with its golden diagnostics", arguments: GeneratedCase.all)
    func generated(_ c: GeneratedCase) throws {
        let dir = try TemporaryDirectory()
        try writeBytes(dir.path + "/\(c.name).mend", c.bytes())
        try checkCase(name: c.name, directory: dir.path)
    }

    @Test func severalFilesAreAllReported() throws {
        let names = ["unterminated_double_string", "undefined_name", "step_inside_step", "unknown_unit"]
        let r = try runMend(["check"] + names.map { $0 + ".mend" }, in: MalformedCorpus.directory)
        #expect(r.status == 65, "\(r.summary)")
        for name in names {
            #expect(r.stderr.contains("\(name).mend:"), "\(name) not reported; \(r.summary)")
        }
        // Files are reported in the order given.
        let positions = names.compactMap { r.stderr.firstRange(of: "\($0).mend:")?.lowerBound }
        #expect(positions == positions.sorted())
    }

    @Test func aCleanFileBesideBrokenOnesIsNotReported() throws {
        let dir = try TemporaryDirectory()
        try writeFile(dir.path + "/good.mend", "let x = 1\nprint(x)\n")
        try writeFile(dir.path + "/bad.mend", "let x = \n")
        let r = try runMend(["check", "good.mend", "bad.mend"], in: dir.path)
        #expect(r.status == 65, "\(r.summary)")
        #expect(!r.stderr.contains("good.mend"))
        #expect(r.stderr.hasPrefix("bad.mend:1:8: error: "), "\(r.summary)")
    }

    @Test func oneFileWithManyErrorsReportsSeveral() throws {
        let r = try runMend(["check", "many_errors.mend"], in: MalformedCorpus.directory)
        #expect(r.status == 65, "\(r.summary)")
        let count = errorCount(r.stderr)
        #expect(count >= 5 && count <= 20, "\(count) errors; \(r.summary)")
    }

    @Test func errorsAreCappedAtTwenty() throws {
        let dir = try TemporaryDirectory()
        var text = ""
        for k in 1...100 { text += "let v\(k) = \(k)xyz\n" }
        try writeFile(dir.path + "/hundred.mend", text)
        let r = try runMend(["check", "hundred.mend"], in: dir.path)
        #expect(r.status == 65, "\(r.summary)")
        #expect(errorCount(r.stderr) == 20, "\(r.summary)")
        #expect(r.stderr.hasPrefix("hundred.mend:1:10: error: "), "\(r.summary)")
    }

    @Test func theCheckerRecoversAfterAnErrorInABlock() throws {
        // An error inside a block must not hide the next block's error, nor invent errors in between.
        let dir = try TemporaryDirectory()
        try writeFile(dir.path + "/two.mend", """
            step "one" {
              let a = 5xyz
              print(a)
            }
            step "two" {
              let b = [1, 2
            }

            """)
        let r = try runMend(["check", "two.mend"], in: dir.path)
        #expect(r.status == 65)
        #expect(errorCount(r.stderr) == 2, "\(r.summary)")
        #expect(r.stderr.contains("two.mend:2:11: error: unknown unit 'xyz'"), "\(r.summary)")
        #expect(r.stderr.contains("two.mend:7:1: error: expected ',' or ']' in the list"), "\(r.summary)")
    }

    /// Mutations of a valid runbook — bytes and tokens inserted, deleted, duplicated — never crash or
    /// hang the checker: the status is 0 or 65 and a 65 comes with located errors.
    @Test func randomMutationsNeverCrashTheChecker() throws {
        let dir = try TemporaryDirectory()
        try writeFile(dir.path + "/base.mend", fuzzBase)
        let base = try runMend(["check", "base.mend"], in: dir.path)
        #expect(base.status == 0, "the unmutated runbook must be clean: \(base.summary)")

        var rng = SplitMix64(seed: 0x6D65_6E64)
        var sawErrors = 0
        for k in 0..<200 {
            let bytes = mutate(Array(fuzzBase.utf8), &rng)
            let name = "fuzz\(k).mend"
            try writeBytes(dir.path + "/" + name, bytes)
            let r = try runMend(["check", name], in: dir.path)
            let shown = String(decoding: bytes.prefix(2000), as: UTF8.self)
            #expect(r.status == 0 || r.status == 65, "mutation \(k): \(r.summary)\n--- input ---\n\(shown)")
            #expect(!looksLikeACrash(r.stderr), "mutation \(k): \(r.summary)\n--- input ---\n\(shown)")
            if r.status == 65 {
                sawErrors += 1
                #expect(r.stderr.hasPrefix(name + ":"), "mutation \(k): \(r.summary)")
                #expect(errorCount(r.stderr) >= 1 && errorCount(r.stderr) <= 20, "mutation \(k): \(r.summary)")
            }
        }
        // The mutations must actually exercise the error paths.
        #expect(sawErrors > 100)
    }
}

/// The REPL asks for another line exactly when the text so far is unfinished; the diagnostics
/// moved by this corpus (unclosed brackets now point at the bracket) must keep that working.
@Suite("incomplete input")
struct IncompleteInputTests {
    @Test(arguments: ["if x {", "fn f(a,", "print(1,", "let xs = [1,", "let m = {a: 1,", "let x = 1 +",
                      "let x = (1", "\"\"\"\nabc", "try {\n} catch e {", "step \"s\" {\n  let a = 1"])
    func unfinished(text: String) {
        #expect(Parser.isIncomplete(text))
    }

    @Test(arguments: ["let x = 1", "let x = 5xyz", "print(1))", "}", "let x = 1 2", "if true { }"])
    func finished(text: String) {
        #expect(!Parser.isIncomplete(text))
    }
}

// MARK: - checking one case

private func checkCase(name: String, directory: String) throws {
    let file = name + ".mend"
    let r = try runMend(["check", file], in: directory)
    let goldenPath = MalformedCorpus.directory + "/" + name + ".expected"

    #expect(r.status == 65, "\(r.summary)")
    #expect(!r.timedOut, "\(r.summary)")
    #expect(!looksLikeACrash(r.stderr), "\(r.summary)")
    #expect(r.stdout.isEmpty, "\(r.summary)")

    // The first diagnostic: `NAME.mend:LINE:COL: error: `, then the source line, then a caret line.
    let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    #expect(hasLocatedHeader(lines.first ?? "", file: file), "header: \(lines.first ?? "")\n\(r.summary)")
    #expect(lines.count >= 3, "\(r.summary)")
    if lines.count >= 3 {
        #expect(lines[1].hasPrefix("  "), "source line: \(lines[1])")
        #expect(isCaretLine(lines[2]), "caret line: \(lines[2])")
    }

    if MalformedCorpus.updatingGoldens {
        try writeFile(goldenPath, r.stderr)
        return
    }
    guard let golden = try? readFile(goldenPath) else {
        Issue.record("no golden \(name).expected: run with MEND_UPDATE_GOLDENS=1 to create it, then read it\n\(r.summary)")
        return
    }
    #expect(r.stderr == golden, "stderr differs from \(name).expected (\(r.elapsedDescription))")
}

/// `file:LINE:COL: error: message` with LINE and COL positive integers.
private func hasLocatedHeader(_ line: String, file: String) -> Bool {
    guard line.hasPrefix(file + ":") else { return false }
    let parts = line.dropFirst(file.count + 1).split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
    guard parts.count == 3, let l = Int(parts[0]), let c = Int(parts[1]), l >= 1, c >= 1 else { return false }
    return parts[2].hasPrefix(" error: ") && parts[2].count > " error: ".count
}

/// Two spaces, white space up to the caret, `^`, then only `~`.
private func isCaretLine(_ line: String) -> Bool {
    guard line.hasPrefix("  "), let caret = line.firstIndex(of: "^") else { return false }
    return line[..<caret].allSatisfy { $0 == " " || $0 == "\t" }
        && line[line.index(after: caret)...].allSatisfy { $0 == "~" }
}

private func looksLikeACrash(_ stderr: String) -> Bool {
    ["Fatal error", "Stack dump", "Program crashed", "Backtracing", "Segmentation fault", "Illegal instruction"]
        .contains { stderr.contains($0) }
}

private func errorCount(_ stderr: String) -> Int {
    stderr.split(separator: "\n").filter { $0.contains(": error: ") && !$0.hasPrefix(" ") }.count
}

// MARK: - running mend in a directory, with a time limit

struct TimedResult {
    let status: Int32
    let stdout: String
    let stderr: String
    let elapsed: Double
    let timedOut: Bool

    var elapsedDescription: String {
        timedOut ? "killed after \(formatSeconds(elapsed))" : "took \(formatSeconds(elapsed))"
    }

    /// For failure messages: status, time and the start of the output.
    var summary: String {
        let cut = stderr.count > 3000 ? String(stderr.prefix(3000)) + "…" : stderr
        return "exit \(status), \(elapsedDescription); stderr:\n\(cut)"
    }
}

private func formatSeconds(_ s: Double) -> String {
    let ms = Int((s * 1000).rounded())
    return "\(ms / 1000).\(String(repeating: "0", count: 3 - String(ms % 1000).count))\(ms % 1000) s"
}

/// Runs `mend ARGS…` with `directory` as its working directory; kills it after `timeout` seconds.
/// A status above 128 means the process died of a signal.
func runMend(_ arguments: [String], in directory: String, timeout: Double = 10) throws -> TimedResult {
    let out = try TemporaryDirectory()
    let stdoutPath = out.path + "/stdout", stderrPath = out.path + "/stderr"
    let command = "cd \(shellQuote(directory)) && exec " + ([MendBinary.path] + arguments).map(shellQuote).joined(separator: " ")
        + " </dev/null >\(shellQuote(stdoutPath)) 2>\(shellQuote(stderrPath))"
    var pid = pid_t()
    let args = ["/bin/sh", "-c", command]
    var cargs = args.map { strdup($0) } + [nil]
    defer { for p in cargs { free(p) } }
    let start = monotonicSeconds()
    let rc = posix_spawn(&pid, "/bin/sh", nil, nil, &cargs, environ)
    guard rc == 0 else { throw TestFailure(description: "posix_spawn failed: \(rc)") }
    var status: Int32 = 0
    var timedOut = false
    while true {
        let w = waitpid(pid, &status, WNOHANG)
        if w == pid { break }
        if w < 0, errno != EINTR { throw TestFailure(description: "waitpid failed: \(errno)") }
        if !timedOut, monotonicSeconds() - start > timeout {
            timedOut = true
            kill(pid, SIGKILL)
        }
        var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
        nanosleep(&pause, nil)
    }
    let elapsed = monotonicSeconds() - start
    let code: Int32 = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return TimedResult(status: code, stdout: try readFile(stdoutPath), stderr: try readFile(stderrPath),
                       elapsed: elapsed, timedOut: timedOut)
}

private func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// The entries of a directory (not `.` and `..`), sorted; empty when it cannot be read.
func listDirectory(_ path: String) -> [String] {
    Host.local.entries(path)?.map(\.name) ?? []
}

// MARK: - mutations

/// A deterministic generator (SplitMix64), so a failing mutation can be reproduced.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
}

/// Pieces of mend worth splicing in: brackets, quotes, keywords, bad literals, odd bytes.
private let fuzzTokens: [String] = [
    "{", "}", "(", ")", "[", "]", ",", ":", ";", ".", "=", "==", "=>", "<", "+", "-", "*", "/", "%",
    "\"", "'", "\"\"\"", "'''", "${", "\\", "\n", "\n\n", "\t", " ", "#",
    "let", "fn", "return", "if", "else", "for", "in", "while", "break", "continue", "try", "catch",
    "import", "step", "assert", "check", "require", "param", "runbook", "rollback", "when", "timeout",
    "confirm", "secret", "not", "and", "or", "nil", "true",
    "1e999", "99999999999999999999", "0x", "0b102", "1__0", "5xyz", "1h30m", "1.5ns", "1.2.3", "_",
    "\"${", "}\"", "\\u{", "\\q", "é", "🌍", "\u{201C}", "&&", "!", "@", "?",
]

private func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
    var bytes = input
    for _ in 0..<(1 + rng.below(4)) {
        let at = rng.below(bytes.count + 1)
        switch rng.below(7) {
        case 0: // delete a short range
            let n = min(bytes.count - at, 1 + rng.below(8))
            bytes.removeSubrange(at..<(at + n))
        case 1: // insert a random byte (invalid UTF-8 and NUL included)
            bytes.insert(UInt8(rng.below(256)), at: at)
        case 2, 3: // insert a token
            bytes.insert(contentsOf: Array(fuzzTokens[rng.below(fuzzTokens.count)].utf8), at: at)
        case 4: // duplicate a slice somewhere else
            let from = rng.below(bytes.count + 1)
            let n = min(bytes.count - from, rng.below(40))
            bytes.insert(contentsOf: Array(bytes[from..<(from + n)]), at: at)
        case 5: // replace a byte with a bracket or quote
            if at < bytes.count { bytes[at] = Array("{}()[]\"'$\\".utf8)[rng.below(10)] }
        default: // truncate
            if rng.below(3) == 0 { bytes.removeSubrange(at...) }
        }
    }
    return bytes
}

/// A valid runbook touching most of the syntax.
private let fuzzBase = #"""
runbook "fuzz base"

param limit = 65535
param wait = 5s
secret param token = ""

require limit > 0, "limit must be positive"

import "std/list"

fn clamp(x, lo = 0, hi = 100) {
  if x < lo { return lo } else if x > hi { return hi } else { return x }
}

let sizes = [16GiB, 512MiB, 1_000B]
let table = {name: "node", "any key": 1, (limit): [1, 2.5, 0x1F]}
let double = fn(x) => x * 2
let unit = """
  [Service]
  LimitNOFILE=${limit}
  """
let raw = '''
  Environment=HOME=${HOME}
  '''

step "tune ${table.name}" when limit >= 1024 timeout 30s {
  for i in range(3) {
    if i == 1 { continue }
    log("pass ${i}: ${double(i)}")
  }
  let total = 0
  while total < 10 {
    total = total + clamp(total + 3, hi: 50)
  }
  try {
    assert total >= 10, "total is ${total}"
  } catch e {
    print(e.message)
  }
  for k, v in table {
    print(format("{}={}", k, v))
  }
} rollback {
  log('rolled back: no escapes \n here')
}

check len(sizes) == 3 and not (1 in []), "three sizes"
print(list.sum([1, 2, 3]), str(100ms + 2s), sizes[0] > 15GB, wait)
"""#
