/// Where the cursor stands in a line of REPL input: in code, in a comment or in a string literal.
/// Found by scanning the line as the lexer would, so `"#"` is no comment, `\"` does not close a
/// string and the code of a `${…}` interpolation is code again.
enum CursorContext: Equatable {
    case code
    /// After a `#` outside strings.
    case comment
    /// In a string literal opened at byte `quote` (its first delimiter byte); its text so far
    /// starts at `textStart`. Raw strings (`'…'`, `'''…'''`) have no escapes or interpolation.
    case string(quote: Int, textStart: Int, raw: Bool)

    /// An open code region or string literal while scanning.
    private enum Frame {
        /// Code; `braces` counts the `{` still open in it, so the `}` closing an interpolation is found.
        case code(braces: Int)
        case string(quote: Int, delimiter: UInt8, triple: Bool)
    }

    /// The context at the end of `line` (the input up to the cursor). The scan keeps an explicit
    /// stack, not recursion, so no nesting of interpolations can overflow the stack.
    static func at(endOf line: [UInt8]) -> CursorContext {
        let doubleQuote = UInt8(ascii: "\""), singleQuote = UInt8(ascii: "'")
        var stack: [Frame] = [.code(braces: 0)]
        var i = 0
        while i < line.count {
            let c = line[i]
            switch stack[stack.count - 1] {
            case .code(let braces):
                if c == UInt8(ascii: "#") { return .comment }
                if c == doubleQuote || c == singleQuote {
                    let triple = i + 2 < line.count && line[i + 1] == c && line[i + 2] == c
                    stack.append(.string(quote: i, delimiter: c, triple: triple))
                    i += triple ? 3 : 1
                    continue
                }
                if c == UInt8(ascii: "{") {
                    stack[stack.count - 1] = .code(braces: braces + 1)
                } else if c == UInt8(ascii: "}") {
                    if braces > 0 {
                        stack[stack.count - 1] = .code(braces: braces - 1)
                    } else if stack.count > 1 {
                        stack.removeLast()   // the end of an interpolation
                    }
                }
                i += 1
            case .string(_, let delimiter, let triple):
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
                        stack.append(.code(braces: 0))
                        i += 2
                        continue
                    }
                }
                i += 1
            }
        }
        switch stack[stack.count - 1] {
        case .code: return .code
        case .string(let quote, let delimiter, let triple):
            return .string(quote: quote, textStart: quote + (triple ? 3 : 1), raw: delimiter == singleQuote)
        }
    }
}
