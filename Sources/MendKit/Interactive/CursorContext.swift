/// Where the cursor stands in a line of REPL input: in code, in a comment or in a string literal.
/// Found by scanning the line as the lexer would, so `"#"` is no comment, `\"` does not close a
/// string and the code of a `${…}` interpolation is code again.
enum CursorContext: Equatable {
    case code
    /// After a `#` outside strings.
    case comment
    /// In a string literal opened at byte `quote` (its first delimiter byte); its text so far
    /// starts at `textStart`. Raw strings (`'…'`, `'''…'''`) have no escapes or interpolation.
    /// `argument`: the call whose argument the string is, when it is one.
    case string(quote: Int, textStart: Int, raw: Bool, argument: CallSite?)

    /// The argument of a call a string stands in: `sysctl.get(` opened at byte `open`, the
    /// `position`-th argument (counting from 0), or the one labelled `label` (`key: "…`).
    struct CallSite: Equatable {
        let open: Int
        let position: Int
        let label: String?
    }

    /// An open bracket in code: its byte, where it opened, and the commas seen at its level.
    private struct Bracket {
        let byte: UInt8
        let open: Int
        var commas = 0
    }

    /// An open code region or string literal while scanning.
    private enum Frame {
        /// Code, with the brackets still open in it (so the `}` closing an interpolation is found).
        case code(brackets: [Bracket])
        case string(quote: Int, delimiter: UInt8, triple: Bool, argument: CallSite?)
    }

    /// The context at the end of `line` (the input up to the cursor). The scan keeps an explicit
    /// stack, not recursion, so no nesting of interpolations can overflow the stack.
    static func at(endOf line: [UInt8]) -> CursorContext {
        let doubleQuote = UInt8(ascii: "\""), singleQuote = UInt8(ascii: "'")
        var stack: [Frame] = [.code(brackets: [])]
        var i = 0
        while i < line.count {
            let c = line[i]
            switch stack[stack.count - 1] {
            case .code(var brackets):
                if c == UInt8(ascii: "#") { return .comment }
                if c == doubleQuote || c == singleQuote {
                    let triple = i + 2 < line.count && line[i + 1] == c && line[i + 2] == c
                    stack.append(.string(quote: i, delimiter: c, triple: triple, argument: argument(brackets.last, line, quote: i)))
                    i += triple ? 3 : 1
                    continue
                }
                switch c {
                case UInt8(ascii: "{"), UInt8(ascii: "("), UInt8(ascii: "["):
                    brackets.append(Bracket(byte: c, open: i))
                case UInt8(ascii: "}"):
                    if brackets.last?.byte == UInt8(ascii: "{") {
                        brackets.removeLast()
                    } else if brackets.isEmpty, stack.count > 1 {
                        stack.removeLast()   // the end of an interpolation
                        i += 1
                        continue
                    }
                case UInt8(ascii: ")"), UInt8(ascii: "]"):
                    if !brackets.isEmpty, brackets.last?.byte != UInt8(ascii: "{") { brackets.removeLast() }
                case UInt8(ascii: ","):
                    if !brackets.isEmpty { brackets[brackets.count - 1].commas += 1 }
                default:
                    break
                }
                stack[stack.count - 1] = .code(brackets: brackets)
                i += 1
            case .string(_, let delimiter, let triple, _):
                if c == delimiter, !triple || (i + 2 < line.count && line[i + 1] == c && line[i + 2] == c) {
                    stack.removeLast()
                    i += triple ? 3 : 1
                    continue
                }
                if delimiter == doubleQuote {
                    if c == UInt8(ascii: "\\") {
                        i += 2
                        continue
                    }
                    if c == UInt8(ascii: "$"), i + 1 < line.count, line[i + 1] == UInt8(ascii: "{") {
                        stack.append(.code(brackets: []))
                        i += 2
                        continue
                    }
                }
                i += 1
            }
        }
        switch stack[stack.count - 1] {
        case .code: return .code
        case .string(let quote, let delimiter, let triple, let argument):
            return .string(quote: quote, textStart: quote + (triple ? 3 : 1), raw: delimiter == singleQuote, argument: argument)
        }
    }

    /// The call argument a string opened at `quote` stands in: the innermost bracket must be a
    /// `(` and the string the whole argument so far (right after the `(`, a `,` or a `label:`).
    private static func argument(_ bracket: Bracket?, _ line: [UInt8], quote: Int) -> CallSite? {
        guard let bracket, bracket.byte == UInt8(ascii: "(") else { return nil }
        var i = skipSpaces(line, before: quote)
        var label: String?
        if i > 0, line[i - 1] == UInt8(ascii: ":") {
            let labelEnd = skipSpaces(line, before: i - 1)
            var labelStart = labelEnd
            while labelStart > 0, isIdentifierByte(line[labelStart - 1]) { labelStart -= 1 }
            guard labelStart < labelEnd else { return nil }
            label = String(decoding: line[labelStart..<labelEnd], as: UTF8.self)
            i = skipSpaces(line, before: labelStart)
        }
        guard i > 0, i - 1 == bracket.open || line[i - 1] == UInt8(ascii: ",") else { return nil }
        return CallSite(open: bracket.open, position: bracket.commas, label: label)
    }

    static func skipSpaces(_ line: [UInt8], before end: Int) -> Int {
        var i = end
        while i > 0, line[i - 1] == 0x20 || line[i - 1] == 0x09 { i -= 1 }
        return i
    }

    static func isIdentifierByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_")
    }
}
