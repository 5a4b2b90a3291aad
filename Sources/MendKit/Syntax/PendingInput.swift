/// A REPL input collected line by line, and whether it is complete (LANGUAGE.md §3: more lines
/// while a bracket or a multi-line string is open or a line ends in an operator).
///
/// ``Parser/isIncomplete(_:)`` decides, but parsing the whole text after every line would make a
/// long definition piped into `mend repl` quadratic. A scan of each new line keeps the open
/// brackets and multi-line strings; while one is open the input is incomplete without parsing, and
/// the parser is asked only when everything is closed. The scan errs only towards "closed" (then
/// the parser decides), so the answer is always the parser's.
public struct PendingInput {
    public private(set) var text = ""
    private var scanner = BracketScanner()

    public init() {}

    /// Adds a line (without its newline).
    public mutating func append(_ line: String) {
        text += text.isEmpty ? line : "\n" + line
        scanner.scan(Array(line.utf8))
    }

    /// True when the text parses as a whole input (or is wrong in a way more lines cannot fix).
    public var isComplete: Bool {
        !scanner.isOpen && !Parser.isIncomplete(text)
    }
}

/// Tracks, across lines, the brackets and multi-line strings left open.
struct BracketScanner {
    private enum Context {
        /// Code, with the brackets open in it.
        case code(depth: Int)
        /// A `"""` (or raw `'''`) string.
        case multiLineString(raw: Bool)
        /// The code of a `${…}` in a multi-line string, with the brackets open in it.
        case interpolation(depth: Int)
    }

    private var stack: [Context] = [.code(depth: 0)]
    /// The last line ended in `\`.
    private var continues = false
    /// Something did not add up (a closing bracket too many): leave every decision to the parser.
    private var confused = false

    var isOpen: Bool {
        if confused { return false }
        if continues || stack.count > 1 { return true }
        if case .code(let depth) = stack[0] { return depth > 0 }
        return false
    }

    mutating func scan(_ line: [UInt8]) {
        continues = false
        var i = 0
        let n = line.count
        while i < n, !confused {
            switch stack[stack.count - 1] {
            case .multiLineString(let raw):
                if starts(line, at: i, with: raw ? "'''" : "\"\"\"") {
                    stack.removeLast()
                    i += 3
                } else if !raw, line[i] == UInt8(ascii: "\\") {
                    i += 2
                } else if !raw, starts(line, at: i, with: "${") {
                    stack.append(.interpolation(depth: 0))
                    i += 2
                } else {
                    i += 1
                }
            case .code(let depth), .interpolation(let depth):
                i = scanCode(line, from: i, depth: depth)
            }
        }
    }

    /// Scans code until the line ends or the context changes; returns where it stopped.
    private mutating func scanCode(_ line: [UInt8], from start: Int, depth: Int) -> Int {
        var depth = depth
        var i = start
        let n = line.count
        defer { setDepth(depth) }
        while i < n {
            switch line[i] {
            case UInt8(ascii: "#"):
                return n
            case UInt8(ascii: "\\") where i == n - 1:
                continues = true
                return n
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                let raw = line[i] == UInt8(ascii: "'")
                if starts(line, at: i, with: raw ? "'''" : "\"\"\"") {
                    setDepth(depth)
                    stack.append(.multiLineString(raw: raw))
                    return i + 3
                }
                // A one-line string must end on its line; if it does not, the parser says so.
                i = endOfString(line, from: i + 1, raw: raw)
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                i += 1
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
                if depth == 0, case .interpolation = stack[stack.count - 1], line[i] == UInt8(ascii: "}") {
                    stack.removeLast()
                    return i + 1
                }
                depth -= 1
                if depth < 0 { confused = true }
                i += 1
            default:
                i += 1
            }
        }
        return n
    }

    private mutating func setDepth(_ depth: Int) {
        switch stack[stack.count - 1] {
        case .code: stack[stack.count - 1] = .code(depth: depth)
        case .interpolation: stack[stack.count - 1] = .interpolation(depth: depth)
        case .multiLineString: break
        }
    }

    /// Where a one-line string opened before `start` ends (after its quote), or the line's end.
    /// A `${…}` inside is skipped by counting braces.
    private func endOfString(_ line: [UInt8], from start: Int, raw: Bool) -> Int {
        var i = start
        let quote = raw ? UInt8(ascii: "'") : UInt8(ascii: "\"")
        while i < line.count {
            if line[i] == quote { return i + 1 }
            if !raw, line[i] == UInt8(ascii: "\\") {
                i += 2
            } else if !raw, starts(line, at: i, with: "${") {
                var braces = 1
                i += 2
                while i < line.count, braces > 0 {
                    if line[i] == UInt8(ascii: "{") { braces += 1 }
                    if line[i] == UInt8(ascii: "}") { braces -= 1 }
                    i += 1
                }
            } else {
                i += 1
            }
        }
        return line.count
    }

    private func starts(_ line: [UInt8], at i: Int, with prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard i + count <= line.count else { return false }
        let p = prefix.utf8Start
        for k in 0..<count where line[i + k] != p[k] { return false }
        return true
    }
}
