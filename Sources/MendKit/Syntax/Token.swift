/// Reserved words: never names of variables or functions. (Labels and member names may still be
/// any word, so `m.step` and `f(timeout: 5s)` work.)
enum Keyword: String, CaseIterable {
    case `let`, `fn`, `return`, `if`, `else`, `for`, `in`, `while`, `break`, `continue`
    case `true`, `false`, `nil`, `and`, `or`, `not`, `try`, `catch`, `import`
    case step, assert, check, require, param, runbook
}

/// One piece of a string literal: literal text, or an interpolated expression's byte range.
enum StringPart {
    case text(String)
    case interpolation(start: Int, end: Int)
}

enum TokenKind {
    case int(Int)
    case float(Double)
    case duration(Int)
    case size(Int)
    case string([StringPart])
    case identifier(String)
    case keyword(Keyword)
    case punct(Punct)
    case newline
    case eof
    /// Text the lexer already reported as an error (a bad literal, an unterminated string, a stray
    /// character). The parser accepts it where an expression may stand and reports nothing more
    /// about it, so one mistake gives one diagnostic.
    case invalid
}

enum Punct: String {
    case lparen = "(", rparen = ")", lbracket = "[", rbracket = "]", lbrace = "{", rbrace = "}"
    case comma = ",", colon = ":", semicolon = ";", dot = "."
    case assign = "=", eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case plus = "+", minus = "-", star = "*", slash = "/", percent = "%", arrow = "=>"
}

struct Token {
    let kind: TokenKind
    let start: Int
    let end: Int

    var isNewline: Bool { if case .newline = kind { return true } else { return false } }
    var isEOF: Bool { if case .eof = kind { return true } else { return false } }
    var isInvalid: Bool { if case .invalid = kind { return true } else { return false } }

    func isPunct(_ p: Punct) -> Bool {
        if case .punct(let q) = kind { return q == p }
        return false
    }

    func isKeyword(_ k: Keyword) -> Bool {
        if case .keyword(let q) = kind { return q == k }
        return false
    }

    /// True for an identifier spelled `word` (contextual keywords such as `when`, `as`, `secret`).
    func isWord(_ word: String) -> Bool {
        if case .identifier(let name) = kind { return name == word }
        return false
    }

    /// A human description for "expected X, found Y" messages.
    var describe: String {
        switch kind {
        case .int, .float: return "a number"
        case .duration: return "a duration"
        case .size: return "a size"
        case .string: return "a string"
        case .identifier(let name): return "'\(name)'"
        case .keyword(let k): return "'\(k.rawValue)'"
        case .punct(let p): return "'\(p.rawValue)'"
        case .newline: return "the end of the line"
        case .eof: return "the end of the input"
        case .invalid: return "an invalid token"
        }
    }
}
