/// A REPL input collected line by line, and whether it is complete (docs/language.md: more lines
/// while a bracket or a multi-line string is open or a line ends in an operator).
///
/// ``Parser/isIncomplete(_:)`` decides. Parsing the whole text after every line would make a long
/// definition piped into `mend repl` quadratic, so past ``PendingInput/exactLimit`` bytes a scan of
/// each new line keeps the open brackets and multi-line strings, and while one is open the input is
/// incomplete without parsing; the parser is asked when everything is closed. Below the limit (any
/// input typed by hand) the parser alone decides, so a syntax error inside an open bracket is
/// reported at once rather than waiting for the bracket to close.
public struct PendingInput {
    /// Inputs up to this size are parsed after every line.
    public static let exactLimit = 16 * 1024

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
        if text.utf8.count > PendingInput.exactLimit, scanner.isOpen { return false }
        return !Parser.isIncomplete(text)
    }
}

/// Tracks, across lines, the brackets and multi-line strings left open, by the lexer's rules: a
/// `"""` (or `'''`) string opens with nothing after the delimiter on its line and closes on a line
/// that starts with the delimiter; one-line strings and `${…}` end on their line.
struct BracketScanner {
    /// Brackets open in code.
    private var depth = 0
    /// Inside a multi-line string with this delimiter (`"` or `'`).
    private var multiLineQuote: UInt8?
    /// The last line ended in `\`.
    private var continues = false
    /// Something did not add up (a closing bracket too many): leave every decision to the parser.
    private var confused = false

    var isOpen: Bool {
        !confused && (continues || multiLineQuote != nil || depth > 0)
    }

    mutating func scan(_ line: [UInt8]) {
        continues = false
        var i = 0
        if let quote = multiLineQuote {
            while i < line.count, line[i] == 0x20 || line[i] == 0x09 { i += 1 }
            guard delimiter(line, at: i, quote) else { return }
            multiLineQuote = nil
            i += 3
        }
        let n = line.count
        while i < n, !confused {
            switch line[i] {
            case UInt8(ascii: "#"):
                return
            case UInt8(ascii: "\\") where i == n - 1:
                continues = true
                return
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                let quote = line[i]
                if delimiter(line, at: i, quote) {
                    // Only white space may follow an opening delimiter; else the lexer reports it.
                    if line[(i + 3)...].allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { multiLineQuote = quote }
                    return
                }
                i = endOfString(line, from: i + 1, quote: quote)
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                i += 1
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
                if depth < 0 { confused = true }
                i += 1
            default:
                i += 1
            }
        }
    }

    /// Where a one-line string opened before `start` ends (after its quote), or the line's end.
    /// A `${…}` inside is skipped by counting braces, minding the strings in it; `depth` bounds
    /// the recursion of strings in interpolations in strings.
    private func endOfString(_ line: [UInt8], from start: Int, quote: UInt8, depth: Int = 0) -> Int {
        let raw = quote == UInt8(ascii: "'")
        var i = start
        while i < line.count {
            if line[i] == quote { return i + 1 }
            if !raw, line[i] == UInt8(ascii: "\\") {
                i += 2
            } else if !raw, line[i] == UInt8(ascii: "$"), i + 1 < line.count, line[i + 1] == UInt8(ascii: "{") {
                var braces = 1
                i += 2
                while i < line.count, braces > 0 {
                    switch line[i] {
                    case UInt8(ascii: "{"): braces += 1
                    case UInt8(ascii: "}"): braces -= 1
                    case UInt8(ascii: "\""), UInt8(ascii: "'"):
                        // A string inside the interpolation, while the nesting stays bounded.
                        if depth < 16 { i = endOfString(line, from: i + 1, quote: line[i], depth: depth + 1) - 1 }
                    default: break
                    }
                    i += 1
                }
            } else {
                i += 1
            }
        }
        return line.count
    }

    /// True when three `quote`s start at `i`.
    private func delimiter(_ line: [UInt8], at i: Int, _ quote: UInt8) -> Bool {
        i + 2 < line.count && line[i] == quote && line[i + 1] == quote && line[i + 2] == quote
    }
}
