/// Turns UTF-8 bytes into tokens. Errors are collected and lexing goes on, so one pass reports
/// as much as it can.
struct Lexer {
    let file: SourceFile
    private let b: [UInt8]
    private var i: Int
    private let end: Int
    private(set) var tokens: [Token] = []
    private(set) var diagnostics: [Diagnostic] = []

    init(file: SourceFile, start: Int = 0, end: Int? = nil) {
        self.file = file
        self.b = file.bytes
        self.i = start
        self.end = end ?? file.bytes.count
    }

    static func tokenize(_ file: SourceFile, start: Int = 0, end: Int? = nil) -> (tokens: [Token], diagnostics: [Diagnostic]) {
        var lexer = Lexer(file: file, start: start, end: end)
        lexer.run()
        return (lexer.tokens, lexer.diagnostics)
    }

    private func peek(_ k: Int = 0) -> UInt8 { i + k < end ? b[i + k] : 0 }

    private mutating func error(_ start: Int, _ stop: Int, _ message: String) {
        diagnostics.append(Diagnostic(Span(file, start, stop), message))
    }

    private mutating func add(_ kind: TokenKind, _ start: Int) {
        tokens.append(Token(kind: kind, start: start, end: i))
    }

    mutating func run() {
        while i < end {
            let c = b[i]
            let start = i
            switch c {
            case 0x20, 0x09, 0x0D:
                i += 1
            case 0x0A:
                i += 1
                if let last = tokens.last, last.isNewline { continue }
                if tokens.isEmpty { continue }
                add(.newline, start)
            case UInt8(ascii: "#"):
                while i < end, b[i] != 0x0A { i += 1 }
            case UInt8(ascii: "\\") where peek(1) == 0x0A:
                i += 2 // an explicit line continuation
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                lexNumber()
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                lexString()
            default:
                if isIdentStart(c) {
                    while i < end, isIdentContinue(b[i]) { i += 1 }
                    let word = file.decode(start, i)
                    if let k = Keyword(rawValue: word) { add(.keyword(k), start) } else { add(.identifier(word), start) }
                } else if let p = lexPunct() {
                    add(.punct(p), start)
                } else {
                    let len = c < 0x80 ? 1 : (c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2)
                    i = min(end, i + len)
                    error(start, i, "unexpected character '\(file.decode(start, i))'")
                }
            }
        }
        tokens.append(Token(kind: .eof, start: end, end: end))
    }

    private func isIdentStart(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x5F
    }

    private func isIdentContinue(_ c: UInt8) -> Bool {
        isIdentStart(c) || (c >= 0x30 && c <= 0x39)
    }

    private mutating func lexPunct() -> Punct? {
        let c = b[i], n = peek(1)
        func two(_ p: Punct) -> Punct { i += 2; return p }
        func one(_ p: Punct) -> Punct { i += 1; return p }
        switch c {
        case UInt8(ascii: "("): return one(.lparen)
        case UInt8(ascii: ")"): return one(.rparen)
        case UInt8(ascii: "["): return one(.lbracket)
        case UInt8(ascii: "]"): return one(.rbracket)
        case UInt8(ascii: "{"): return one(.lbrace)
        case UInt8(ascii: "}"): return one(.rbrace)
        case UInt8(ascii: ","): return one(.comma)
        case UInt8(ascii: ":"): return one(.colon)
        case UInt8(ascii: ";"): return one(.semicolon)
        case UInt8(ascii: "."): return one(.dot)
        case UInt8(ascii: "+"): return one(.plus)
        case UInt8(ascii: "-"): return one(.minus)
        case UInt8(ascii: "*"): return one(.star)
        case UInt8(ascii: "/"): return one(.slash)
        case UInt8(ascii: "%"): return one(.percent)
        case UInt8(ascii: "="):
            if n == UInt8(ascii: "=") { return two(.eq) }
            if n == UInt8(ascii: ">") { return two(.arrow) }
            return one(.assign)
        case UInt8(ascii: "!") where n == UInt8(ascii: "="): return two(.ne)
        case UInt8(ascii: "<"): return n == UInt8(ascii: "=") ? two(.le) : one(.lt)
        case UInt8(ascii: ">"): return n == UInt8(ascii: "=") ? two(.ge) : one(.gt)
        default: return nil
        }
    }

    // MARK: numbers

    private mutating func lexNumber() {
        let start = i
        var isFloat = false
        var digits = ""
        var radix = 10
        if b[i] == UInt8(ascii: "0"), peek(1) == UInt8(ascii: "x") || peek(1) == UInt8(ascii: "X") || peek(1) == UInt8(ascii: "b") || peek(1) == UInt8(ascii: "o") {
            radix = peek(1) == UInt8(ascii: "b") ? 2 : peek(1) == UInt8(ascii: "o") ? 8 : 16
            i += 2
            while i < end, isHexDigit(b[i]) || b[i] == UInt8(ascii: "_") {
                if b[i] != UInt8(ascii: "_") { digits.append(Character(UnicodeScalar(b[i]))) }
                i += 1
            }
        } else {
            scanDigits(into: &digits)
            if peek() == UInt8(ascii: "."), isDigit(peek(1)) {
                isFloat = true
                digits.append(".")
                i += 1
                scanDigits(into: &digits)
            }
            if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
                let sign = peek(1) == UInt8(ascii: "+") || peek(1) == UInt8(ascii: "-")
                if isDigit(peek(sign ? 2 : 1)) {
                    isFloat = true
                    digits.append("e")
                    if sign { digits.append(Character(UnicodeScalar(peek(1)))) }
                    i += sign ? 2 : 1
                    scanDigits(into: &digits)
                }
            }
        }
        // A unit suffix makes a duration or a size.
        let unitStart = i
        while i < end, isIdentContinue(b[i]) { i += 1 }
        let unit = file.decode(unitStart, i)
        if digits.hasSuffix("_") || digits.contains("__") {
            return error(start, i, "misplaced '_' in number '\(file.decode(start, i))'")
        }
        if !unit.isEmpty {
            if radix == 10, let factor = Units.durations[unit] {
                return unitLiteral(start, digits, isFloat, factor, unit) { .duration($0) }
            }
            if radix == 10, let factor = Units.sizes[unit] {
                return unitLiteral(start, digits, isFloat, factor, unit) { .size($0) }
            }
            let what = radix == 10 ? "unknown unit '\(unit)' in '\(file.decode(start, i))' (\(Units.help))"
                : "invalid digit in '\(file.decode(start, i))'"
            return error(start, i, what)
        }
        if isFloat {
            guard let v = Double(digits), v.isFinite else { return error(start, i, "number '\(file.decode(start, i))' is out of range") }
            add(.float(v), start)
        } else {
            guard !digits.isEmpty, let v = Int(digits, radix: radix) else {
                return error(start, i, "integer '\(file.decode(start, i))' does not fit in 64 bits")
            }
            add(.int(v), start)
        }
    }

    private mutating func unitLiteral(_ start: Int, _ digits: String, _ isFloat: Bool, _ factor: Int, _ unit: String,
                                      _ make: (Int) -> TokenKind) {
        let text = file.decode(start, i)
        if isFloat {
            guard let v = Double(digits) else { return error(start, i, "bad number '\(text)'") }
            let total = v * Double(factor)
            guard total.isFinite, abs(total) < 9.2e18 else { return error(start, i, "'\(text)' is out of range") }
            guard total == total.rounded() else {
                return error(start, i, "'\(text)' is not a whole number of \(Units.durations[unit] != nil ? "nanoseconds" : "bytes")")
            }
            add(make(Int(total)), start)
        } else {
            guard let v = Int(digits) else { return error(start, i, "'\(text)' is out of range") }
            let (r, o) = v.multipliedReportingOverflow(by: factor)
            if o { return error(start, i, "'\(text)' is out of range") }
            add(make(r), start)
        }
    }

    private mutating func scanDigits(into digits: inout String) {
        while i < end, isDigit(b[i]) || b[i] == UInt8(ascii: "_") {
            if b[i] != UInt8(ascii: "_") { digits.append(Character(UnicodeScalar(b[i]))) } else if digits.hasSuffix("_") { digits.append("_") }
            i += 1
        }
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private func isHexDigit(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)
    }

    // MARK: strings

    private mutating func lexString() {
        let start = i
        let quote = b[i]
        let raw = quote == UInt8(ascii: "'")
        if peek(1) == quote, peek(2) == quote {
            return lexTripleString(start, quote: quote, raw: raw)
        }
        i += 1
        var parts: [StringPart] = []
        var text: [UInt8] = []
        while true {
            guard i < end, b[i] != 0x0A else {
                return error(start, start + 1, "unterminated string (a \(raw ? "'" : "\"") string ends on its line; use \(raw ? "'''" : "\"\"\"") for several lines)")
            }
            let c = b[i]
            if c == quote { i += 1; break }
            if !raw, c == UInt8(ascii: "\\") {
                guard lexEscape(into: &text) else { continue }
            } else if !raw, c == UInt8(ascii: "$"), peek(1) == UInt8(ascii: "{") {
                flush(&text, into: &parts)
                guard let part = lexInterpolation(singleLine: true) else { return }
                parts.append(part)
            } else {
                text.append(c)
                i += 1
            }
        }
        flush(&text, into: &parts)
        add(.string(parts), start)
    }

    private func flush(_ text: inout [UInt8], into parts: inout [StringPart]) {
        if !text.isEmpty || parts.isEmpty {
            parts.append(.text(String(decoding: text, as: UTF8.self)))
        }
        text.removeAll(keepingCapacity: true)
    }

    /// Reads an escape at `i` (a backslash); returns false after reporting a bad one.
    private mutating func lexEscape(into text: inout [UInt8]) -> Bool {
        let start = i
        let e = peek(1)
        i += 2
        switch e {
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "0"): text.append(0x00)
        case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "$"), UInt8(ascii: "'"): text.append(e)
        case UInt8(ascii: "u"):
            guard peek() == UInt8(ascii: "{") else {
                error(start, i, "\\u needs braces: \\u{1F600}")
                return false
            }
            let hexStart = i + 1
            var j = hexStart
            while j < end, isHexDigit(b[j]), j - hexStart < 8 { j += 1 }
            guard j < end, b[j] == UInt8(ascii: "}"), j > hexStart,
                  let v = UInt32(file.decode(hexStart, j), radix: 16), let scalar = UnicodeScalar(v) else {
                while i < end, b[i] != UInt8(ascii: "}"), b[i] != 0x0A, b[i] != UInt8(ascii: "\"") { i += 1 }
                if i < end, b[i] == UInt8(ascii: "}") { i += 1 }
                error(start, i, "invalid unicode escape '\(file.decode(start, i))'")
                return false
            }
            i = j + 1
            text.append(contentsOf: Array(String(Character(scalar)).utf8))
        case 0x0A, 0:
            i -= 1
            error(start, start + 1, "a backslash at the end of the line in a string")
            return false
        default:
            let len = e < 0x80 ? 1 : (e >= 0xF0 ? 4 : e >= 0xE0 ? 3 : 2)
            i = min(end, start + 1 + len)
            error(start, i, "unknown escape '\(file.decode(start, i))' (known: \\n \\t \\r \\0 \\\\ \\\" \\$ \\u{…})")
            return false
        }
        return true
    }

    /// At `${`: finds the matching `}`, skipping nested strings and braces.
    private mutating func lexInterpolation(singleLine: Bool) -> StringPart? {
        let open = i
        i += 2
        let exprStart = i
        var depth = 0
        while i < end {
            let c = b[i]
            if c == 0x0A, singleLine { break }
            if c == UInt8(ascii: "{") { depth += 1 }
            if c == UInt8(ascii: "}") {
                if depth == 0 {
                    let part = StringPart.interpolation(start: exprStart, end: i)
                    i += 1
                    if exprStart == part.endOffset { error(open, i, "empty interpolation '${}'") }
                    return part
                }
                depth -= 1
            }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                if !skipNestedString() { break }
                continue
            }
            i += 1
        }
        error(open, open + 2, "unterminated interpolation '${' (no matching '}')")
        i = end
        return nil
    }

    /// Skips a string literal inside an interpolation; false if it does not end.
    private mutating func skipNestedString() -> Bool {
        let quote = b[i]
        if peek(1) == quote, peek(2) == quote {
            i += 3
            while i < end {
                if b[i] == quote, peek(1) == quote, peek(2) == quote { i += 3; return true }
                if quote == UInt8(ascii: "\""), b[i] == UInt8(ascii: "\\") { i += 1 }
                i += 1
            }
            return false
        }
        i += 1
        while i < end, b[i] != 0x0A {
            if b[i] == quote { i += 1; return true }
            if quote == UInt8(ascii: "\""), b[i] == UInt8(ascii: "\\") { i += 1 }
            else if quote == UInt8(ascii: "\""), b[i] == UInt8(ascii: "$"), peek(1) == UInt8(ascii: "{") {
                var depth = 0
                i += 2
                while i < end, b[i] != 0x0A {
                    if b[i] == UInt8(ascii: "{") { depth += 1 }
                    if b[i] == UInt8(ascii: "}") { if depth == 0 { break }; depth -= 1 }
                    if b[i] == UInt8(ascii: "\"") || b[i] == UInt8(ascii: "'") { if !skipNestedString() { return false }; continue }
                    i += 1
                }
            }
            i += 1
        }
        return false
    }

    /// `"""` and `'''`: the text is the lines between the delimiter lines, each ending in a
    /// newline, with their common indentation removed.
    private mutating func lexTripleString(_ start: Int, quote: UInt8, raw: Bool) {
        let delim = raw ? "'''" : "\"\"\""
        i += 3
        while i < end, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0D { i += 1 }
        guard i < end, b[i] == 0x0A else {
            if i >= end { return error(start, start + 3, "unterminated \(delim) string") }
            while i < end, b[i] != 0x0A { i += 1 }
            return error(start, start + 3, "the text of a \(delim) string starts on the line after the opening \(delim)")
        }
        i += 1
        // Find the closing delimiter: a line holding only white space and the delimiter.
        let bodyStart = i
        var lineStart = i
        var closeLine = -1
        while i < end {
            var j = lineStart
            while j < end, b[j] == 0x20 || b[j] == 0x09 { j += 1 }
            if j + 2 < end, b[j] == quote, b[j + 1] == quote, b[j + 2] == quote {
                closeLine = lineStart
                i = j + 3
                break
            }
            while j < end, b[j] != 0x0A { j += 1 }
            lineStart = j + 1
            i = lineStart
        }
        guard closeLine >= 0 else {
            i = end
            return error(start, start + 3, "unterminated \(delim) string (the closing \(delim) stands alone on its line)")
        }
        // Lines of the body and their common indentation (white-space-only lines do not count).
        var lines: [(Int, Int)] = []
        var s = bodyStart
        while s < closeLine {
            var e = s
            while e < closeLine, b[e] != 0x0A { e += 1 }
            lines.append((s, e))
            s = e + 1
        }
        var indent = Int.max
        for (ls, le) in lines {
            var k = ls
            while k < le, b[k] == 0x20 || b[k] == 0x09 { k += 1 }
            if k < le, !(k == le - 1 && b[k] == 0x0D) { indent = min(indent, k - ls) }
        }
        if indent == Int.max { indent = 0 }
        var parts: [StringPart] = []
        var text: [UInt8] = []
        let resume = i
        for (ls, le) in lines {
            var blank = true
            for q in ls..<le where b[q] != 0x20 && b[q] != 0x09 && b[q] != 0x0D { blank = false; break }
            if blank { text.append(0x0A); continue }
            i = ls + indent
            while i < le {
                let c = b[i]
                if !raw, c == UInt8(ascii: "\\") {
                    if !lexEscape(into: &text) { continue }
                } else if !raw, c == UInt8(ascii: "$"), peek(1) == UInt8(ascii: "{") {
                    flush(&text, into: &parts)
                    guard let part = lexInterpolation(singleLine: true) else { i = resume; return }
                    parts.append(part)
                } else if c == 0x0D, i == le - 1 {
                    i += 1
                } else {
                    text.append(c)
                    i += 1
                }
            }
            text.append(0x0A)
        }
        i = resume
        flush(&text, into: &parts)
        add(.string(parts), start)
    }
}

extension StringPart {
    fileprivate var endOffset: Int {
        if case .interpolation(_, let e) = self { return e }
        return -1
    }
}
