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
        // A byte-order mark some editors write at the start of a file.
        if i == 0, end >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { i = 3 }
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
                    lexUnexpected()
                }
            }
        }
        tokens.append(Token(kind: .eof, start: end, end: end))
    }

    /// A run of characters that start no token: one error for the run, with the fix for the
    /// usual suspects (`&&`, `!`, typographic quotes pasted from a document, …).
    private mutating func lexUnexpected() {
        let start = i
        if let closing = typographicClose(at: i) {
            // “text” pasted from a document: one error for the whole would-be string.
            var j = i + 3
            while j < end, b[j] != 0x0A {
                if j + 2 < end, b[j] == 0xE2, b[j + 1] == 0x80, b[j + 2] == closing { i = j + 3; break }
                j += 1
            }
            if i > start {
                let plain = closing == 0x9D ? "\"…\"" : "'…'"
                return invalid(start, "a string in typographic quotes: write plain quotes, \(plain)")
            }
        }
        while i < end {
            let c = b[i]
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == UInt8(ascii: "#") || c == UInt8(ascii: "\"") || c == UInt8(ascii: "'")
                || isIdentContinue(c) || (i > start && Lexer.startsToken(c, peek(1))) { break }
            let len = c < 0x80 ? 1 : (c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2)
            i = min(end, i + len)
            if i - start >= 40 { break }
        }
        let text = file.decode(start, i)
        let plural = text.count == 1 ? "character" : "characters"
        let invisible = text.unicodeScalars.allSatisfy { $0.properties.isWhitespace || $0.properties.generalCategory == .format }
        // An invisible character is named by its code point: quoting it would show nothing.
        let shown = invisible ? text.unicodeScalars.map { "U+" + Lexer.hex4($0.value) }.joined(separator: " ") : "'\(text)'"
        var message = "unexpected \(plural) \(shown)"
        if let hint = Lexer.unexpectedHint(text) { message += " (\(hint))" }
        if invisible {
            // Reported; otherwise it separates tokens like a space.
            return error(start, i, message)
        }
        // Where the intent is plain, lex on as if it had been written so: one mistake, one error.
        let meant: TokenKind?
        switch text {
        case "!": meant = .keyword(.not)
        case "&&": meant = .keyword(.and)
        case "||": meant = .keyword(.or)
        case "\u{2264}": meant = .punct(.le)
        case "\u{2265}": meant = .punct(.ge)
        case "\u{2260}": meant = .punct(.ne)
        case "\u{2212}": meant = .punct(.minus)
        default: meant = nil
        }
        guard let meant else { return invalid(start, message) }
        error(start, i, message)
        add(meant, start)
    }

    static func hex4(_ v: UInt32) -> String {
        let digits = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// The last byte of the closing quote when a typographic opening quote (“ „ ‘) starts at `k`.
    private func typographicClose(at k: Int) -> UInt8? {
        guard k + 2 < end, b[k] == 0xE2, b[k + 1] == 0x80 else { return nil }
        switch b[k + 2] {
        case 0x9C, 0x9E: return 0x9D // “ „ → ”
        case 0x98: return 0x99 // ‘ → ’
        default: return nil
        }
    }

    /// True for a byte that begins a punctuation token.
    private static func startsToken(_ c: UInt8, _ next: UInt8) -> Bool {
        if c == UInt8(ascii: "!") { return next == UInt8(ascii: "=") }
        return "()[]{},:;.=<>+-*/%".utf8.contains(c)
    }

    static func unexpectedHint(_ text: String) -> String? {
        switch text {
        case "&&", "&": return "write 'and'"
        case "||", "|": return "write 'or'"
        case "!": return "write 'not'"
        case "\\": return "a '\\' outside a string only continues a line, as the last character of the line"
        case "\u{201C}", "\u{201D}", "\u{201E}": return "a typographic quote: write a plain \""
        case "\u{2018}", "\u{2019}": return "a typographic quote: write a plain '"
        case "\u{2264}": return "write <="
        case "\u{2265}": return "write >="
        case "\u{2260}": return "write !="
        case "\u{2212}", "\u{2013}", "\u{2014}": return "a dash: write a plain -"
        case "\u{00A0}", "\u{2007}", "\u{202F}", "\u{200B}", "\u{FEFF}": return "an invisible space character: write a plain space"
        case "?": return "mend has no '?' operator: use if … { } else { }"
        default: return nil
        }
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

    /// A number: decimal (`1_000`, `0.5`, `1e9`), `0x…`, `0o…` or `0b…`, with an optional unit suffix
    /// (`5s`, `16GiB`). The whole run of letters, digits and `_` is one literal, so `5xyz` is one
    /// error, not a number followed by a name.
    private mutating func lexNumber() {
        let start = i
        if b[i] == UInt8(ascii: "0"), let radix = radixPrefix(peek(1)) {
            return lexRadixNumber(start, radix)
        }
        var isFloat = false
        var underscoreOK = true
        underscoreOK = scanDecimalDigits() && underscoreOK
        if peek() == UInt8(ascii: "."), isDigit(peek(1)) {
            isFloat = true
            i += 1
            underscoreOK = scanDecimalDigits() && underscoreOK
            if peek() == UInt8(ascii: "."), isDigit(peek(1)) {
                // `1.21.10`: a version written as a number.
                while i < end, isDigit(b[i]) || b[i] == UInt8(ascii: ".") || isIdentContinue(b[i]) { i += 1 }
                let text = file.decode(start, i)
                return invalid(start, "'\(text)' is not a number: write version(\"\(text)\") for a version")
            }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            let sign = peek(1) == UInt8(ascii: "+") || peek(1) == UInt8(ascii: "-")
            if isDigit(peek(sign ? 2 : 1)) {
                isFloat = true
                i += sign ? 2 : 1
                underscoreOK = scanDecimalDigits() && underscoreOK
            }
        }
        let numberEnd = i
        // A unit suffix makes a duration or a size.
        while i < end, isIdentContinue(b[i]) { i += 1 }
        if !underscoreOK || (numberEnd < i && b[numberEnd] == UInt8(ascii: "_")) {
            return invalid(start, "misplaced '_' in the number '\(file.decode(start, i))' ('_' may only stand between two digits)")
        }
        if !isFloat, numberEnd == i {
            // The common case, a plain integer: no strings built.
            var v = 0
            for k in start..<numberEnd where b[k] != UInt8(ascii: "_") {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (r, o2) = m.addingReportingOverflow(Int(b[k] - UInt8(ascii: "0")))
                if o1 || o2 {
                    return invalid(start, "the integer '\(file.decode(start, i))' does not fit in 64 bits (the largest is \(Int.max))")
                }
                v = r
            }
            return add(.int(v), start)
        }
        let text = file.decode(start, i)
        var digits: [UInt8] = []
        digits.reserveCapacity(numberEnd - start)
        for k in start..<numberEnd where b[k] != UInt8(ascii: "_") { digits.append(b[k]) }
        if numberEnd < i {
            let unit = file.decode(numberEnd, i)
            if let factor = Units.durations[unit] {
                return unitLiteral(start, digits, isFloat, factor, kind: "duration") { .duration($0) }
            }
            if let factor = Units.sizes[unit] {
                return unitLiteral(start, digits, isFloat, factor, kind: "size") { .size($0) }
            }
            return invalid(start, unknownUnit(text, number: file.decode(start, numberEnd), unit: unit))
        }
        guard let v = Double(String(decoding: digits, as: UTF8.self)), v.isFinite else {
            return invalid(start, "the number '\(text)' is out of range (floats go up to about 1.8e308)")
        }
        add(.float(v), start)
    }

    private func radixPrefix(_ c: UInt8) -> Int? {
        switch c {
        case UInt8(ascii: "x"), UInt8(ascii: "X"): return 16
        case UInt8(ascii: "o"): return 8
        case UInt8(ascii: "b"): return 2
        default: return nil
        }
    }

    /// `0x1F`, `0o755`, `0b1010`, with `_` between digits.
    private mutating func lexRadixNumber(_ start: Int, _ radix: Int) {
        i += 2
        let digitsStart = i
        while i < end, isIdentContinue(b[i]) { i += 1 }
        let text = file.decode(start, i)
        let name = radix == 16 ? "hexadecimal" : radix == 8 ? "octal" : "binary"
        guard i > digitsStart else { return invalid(start, "the \(name) number '\(text)' has no digits") }
        var v = 0
        for k in digitsStart..<i {
            let c = b[k]
            if c == UInt8(ascii: "_") {
                guard k > digitsStart, k + 1 < i, b[k - 1] != c, b[k + 1] != c else {
                    return invalid(start, "misplaced '_' in the number '\(text)' ('_' may only stand between two digits)")
                }
                continue
            }
            guard let d = digitValue(c), d < radix else {
                let ch = file.decode(k, k + 1)
                return invalid(start, "invalid digit '\(ch)' in the \(name) number '\(text)'")
            }
            let (m, o1) = v.multipliedReportingOverflow(by: radix)
            let (r, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { return invalid(start, "the integer '\(text)' does not fit in 64 bits (the largest is \(Int.max))") }
            v = r
        }
        add(.int(v), start)
    }

    private func digitValue(_ c: UInt8) -> Int? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return Int(c - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return Int(c - UInt8(ascii: "A")) + 10
        default: return nil
        }
    }

    /// Reports an error over `start..<i` and leaves an ``TokenKind/invalid`` token in its place.
    private mutating func invalid(_ start: Int, _ message: String) {
        error(start, i, message)
        add(.invalid, start)
    }

    /// "unknown unit", with the fix when the intent is plain: a unit in the wrong case (`16gib`),
    /// a near miss (`5min`), or units run together (`1h30m`).
    private func unknownUnit(_ text: String, number: String, unit: String) -> String {
        let all = Array(Units.durations.keys) + Array(Units.sizes.keys)
        if let same = all.first(where: { $0.lowercased() == unit.lowercased() }) {
            return "unknown unit '\(unit)' in '\(text)': units are case-sensitive, write \(number)\(same)"
        }
        if let parts = Lexer.splitCompound(text), parts.count > 1 {
            return "'\(text)' is not a literal: units do not combine, write \(parts.joined(separator: " + "))"
        }
        if let near = Lexer.unitAliases[unit.lowercased()] {
            return "unknown unit '\(unit)' in '\(text)' (did you mean \(number)\(near)?)"
        }
        return "unknown unit '\(unit)' in '\(text)' (\(Units.help))"
    }

    /// Spellings people reach for, and the unit they mean.
    static let unitAliases: [String: String] = [
        "sec": "s", "secs": "s", "second": "s", "seconds": "s",
        "min": "m", "mins": "m", "minute": "m", "minutes": "m",
        "hr": "h", "hrs": "h", "hour": "h", "hours": "h", "day": "d", "days": "d",
        "msec": "ms", "msecs": "ms", "millis": "ms", "usec": "us", "usecs": "us", "nsec": "ns", "nsecs": "ns",
        "byte": "B", "bytes": "B",
    ]

    /// `1h30m` → `["1h", "30m"]` when every piece is a number with a known unit of one kind.
    static func splitCompound(_ text: String) -> [String]? {
        var parts: [String] = []
        var rest = Substring(text)
        var kinds = Set<Bool>()
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == "." || $0 == "_") }
            guard !number.isEmpty else { return nil }
            let unit = rest.dropFirst(number.count).prefix { $0.isASCII && $0.isLetter }
            guard !unit.isEmpty else { return nil }
            if Units.durations[String(unit)] != nil { kinds.insert(true) } else if Units.sizes[String(unit)] != nil { kinds.insert(false) } else { return nil }
            parts.append(String(number) + String(unit))
            rest = rest.dropFirst(number.count + unit.count)
        }
        return kinds.count == 1 ? parts : nil
    }

    private mutating func unitLiteral(_ start: Int, _ digits: [UInt8], _ isFloat: Bool, _ factor: Int, kind: String,
                                      _ make: (Int) -> TokenKind) {
        let text = file.decode(start, i)
        let largest = kind == "duration" ? "\(Int.max / 86_400_000_000_000)d" : "\(Int.max >> 40)TiB"
        let outOfRange = "the \(kind) '\(text)' is out of range (the largest is about \(largest))"
        if isFloat {
            guard let v = Double(String(decoding: digits, as: UTF8.self)) else { return invalid(start, "bad number '\(text)'") }
            let total = v * Double(factor)
            guard total.isFinite, abs(total) < 9.2e18 else { return invalid(start, outOfRange) }
            guard total == total.rounded() else {
                return invalid(start, "the \(kind) '\(text)' is not a whole number of \(kind == "duration" ? "nanoseconds" : "bytes")")
            }
            add(make(Int(total)), start)
        } else {
            guard let v = Int(String(decoding: digits, as: UTF8.self)) else { return invalid(start, outOfRange) }
            let (r, o) = v.multipliedReportingOverflow(by: factor)
            if o { return invalid(start, outOfRange) }
            add(make(r), start)
        }
    }

    /// Digits and `_` of a decimal number; false when a `_` is not between two digits.
    private mutating func scanDecimalDigits() -> Bool {
        var ok = true
        let first = i
        while i < end, isDigit(b[i]) || b[i] == UInt8(ascii: "_") {
            if b[i] == UInt8(ascii: "_"), i == first || !isDigit(b[i - 1]) || !isDigit(peek(1)) { ok = false }
            i += 1
        }
        return ok
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
                defer { add(.invalid, start) }
                return error(start, start + 1, "unterminated string (a \(raw ? "'" : "\"") string ends on its line; use \(raw ? "'''" : "\"\"\"") for several lines)")
            }
            let c = b[i]
            if c == quote { i += 1; break }
            if !raw, c == UInt8(ascii: "\\") {
                guard lexEscape(into: &text) else { continue }
            } else if !raw, c == UInt8(ascii: "$"), peek(1) == UInt8(ascii: "{") {
                flush(&text, into: &parts)
                guard let part = lexInterpolation(singleLine: true) else { return add(.invalid, start) }
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
                error(start, i, "a \\u escape needs braces: \\u{1F600}")
                return false
            }
            let hexStart = i + 1
            var j = hexStart
            while j < end, isHexDigit(b[j]), j - hexStart < 8 { j += 1 }
            guard j < end, b[j] == UInt8(ascii: "}"), j > hexStart,
                  let v = UInt32(file.decode(hexStart, j), radix: 16), let scalar = UnicodeScalar(v) else {
                while i < end, b[i] != UInt8(ascii: "}"), b[i] != 0x0A, b[i] != UInt8(ascii: "\"") { i += 1 }
                if i < end, b[i] == UInt8(ascii: "}") { i += 1 }
                error(start, i, "invalid unicode escape '\(file.decode(start, i))' (1 to 8 hex digits of a Unicode scalar: at most 10FFFF, not D800–DFFF)")
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
            error(start, i, "unknown escape '\(file.decode(start, i))' (known: \\n \\t \\r \\0 \\\\ \\\" \\$ \\u{…}; "
                  + "in a 'single-quoted' string a backslash is plain text)")
            return false
        }
        return true
    }

    /// Where the scan of an interpolation is: in code (with the count of open `{`), or in a
    /// string nested inside it.
    private enum ScanContext {
        case code(braces: Int)
        case string(quote: UInt8, triple: Bool)
    }

    /// At `${`: finds the matching `}`, skipping nested strings, their own `${…}` and braces. The
    /// scan keeps an explicit stack, not recursion, so no nesting depth can overflow the stack;
    /// nesting deeper than the parser's limit is reported here, before anything re-lexes it.
    private mutating func lexInterpolation(singleLine: Bool) -> StringPart? {
        let open = i
        i += 2
        let exprStart = i
        var stack: [ScanContext] = [.code(braces: 0)]
        var tooDeep: Int?
        scan: while i < end {
            let c = b[i]
            switch stack[stack.count - 1] {
            case .code(let braces):
                if c == 0x0A, singleLine { break scan }
                if c == UInt8(ascii: "{") {
                    stack[stack.count - 1] = .code(braces: braces + 1)
                } else if c == UInt8(ascii: "}") {
                    if braces > 0 {
                        stack[stack.count - 1] = .code(braces: braces - 1)
                    } else {
                        stack.removeLast()
                        if stack.isEmpty { break scan }
                    }
                } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                    let triple = peek(1) == c && peek(2) == c
                    stack.append(.string(quote: c, triple: triple))
                    i += triple ? 3 : 1
                    continue scan
                }
                i += 1
            case .string(let quote, let triple):
                if triple, c == quote, peek(1) == quote, peek(2) == quote {
                    stack.removeLast()
                    i += 3
                    continue scan
                }
                if !triple {
                    if c == 0x0A { break scan }
                    if c == quote { stack.removeLast(); i += 1; continue scan }
                }
                if quote == UInt8(ascii: "\"") {
                    if c == UInt8(ascii: "\\") { i += 2; continue scan }
                    if c == UInt8(ascii: "$"), peek(1) == UInt8(ascii: "{") {
                        stack.append(.code(braces: 0))
                        if tooDeep == nil, stack.count / 2 >= Parser.maxDepth { tooDeep = i }
                        i += 2
                        continue scan
                    }
                }
                i += 1
            }
        }
        guard stack.isEmpty else {
            error(open, open + 2, "unterminated interpolation: this '${' has no matching '}' on its line")
            // Resume after the line, so the next lines still lex as code.
            while i < end, b[i] != 0x0A { i += 1 }
            return nil
        }
        let part = StringPart.interpolation(start: exprStart, end: i)
        i += 1
        if let tooDeep {
            error(tooDeep, tooDeep + 2, "too deeply nested: more than \(Parser.maxDepth) levels of interpolation "
                  + "(split the expression with 'let')")
            return .text("")
        }
        if exprStart == part.endOffset {
            error(open, i, "empty interpolation '${}': put an expression inside, or write \\${ for a literal ${")
            return .text("")
        }
        return part
    }

    /// `"""` and `'''`: the text is the lines between the delimiter lines, each ending in a
    /// newline, with their common indentation removed.
    private mutating func lexTripleString(_ start: Int, quote: UInt8, raw: Bool) {
        let delim = raw ? "'''" : "\"\"\""
        i += 3
        while i < end, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0D { i += 1 }
        var badOpening = false
        if i >= end {
            error(start, start + 3, "unterminated \(delim) string (the closing \(delim) stands alone on its line)")
            return add(.invalid, start)
        }
        if b[i] != 0x0A {
            // Text after the opening delimiter. `"""text"""` on one line is a one-line string
            // written the Python way; otherwise the body still runs to the closing line.
            var j = i
            while j < end, b[j] != 0x0A {
                if j + 2 < end, b[j] == quote, b[j + 1] == quote, b[j + 2] == quote {
                    i = j + 3
                    let plain = raw ? "'…'" : "\"…\""
                    error(start, i, "a \(delim) string spans lines, its text starting on the line after the opening \(delim); "
                          + "write \(plain) for a one-line string")
                    return add(.invalid, start)
                }
                j += 1
            }
            error(start, start + 3, "the text of a \(delim) string starts on the line after the opening \(delim)")
            badOpening = true
            i = j
            if i >= end { return add(.invalid, start) }
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
            if !badOpening {
                error(start, start + 3, "unterminated \(delim) string (the closing \(delim) stands alone on its line)")
            }
            return add(.invalid, start)
        }
        if badOpening { return add(.invalid, start) }
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
                    guard let part = lexInterpolation(singleLine: true) else { i = resume; return add(.invalid, start) }
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
