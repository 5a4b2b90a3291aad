/// A regular expression that cannot be compiled: what is wrong and where (a count of Unicode scalars
/// from the start of the pattern).
public struct RegexError: Error, Equatable, CustomStringConvertible {
    /// What is wrong, e.g. `unclosed '('`.
    public let reason: String
    /// Where, in Unicode scalars from the start of the pattern.
    public let offset: Int

    public var description: String { "\(reason) at offset \(offset)" }
}

/// A zero-width test between two scalars.
enum RegexAssertion: Equatable {
    case beginText, endText, beginLine, endLine, wordBoundary, notWordBoundary
}

/// A set of scalars: ranges, maybe negated, maybe compared without case.
struct RegexClass: Equatable {
    var ranges: [ClosedRange<UInt32>] = []
    var negated = false
    var foldCase = false
}

/// The parsed pattern, before it is compiled to a program.
indirect enum RegexNode {
    case empty
    case scalar(UInt32, foldCase: Bool)
    case set(RegexClass)
    /// `.`: any scalar, or any but `\n`.
    case any(newline: Bool)
    case assertion(RegexAssertion)
    case concat([RegexNode])
    case alternate([RegexNode])
    /// `max` nil is unbounded; `offset` is where the quantifier stands, to blame when it grows too big.
    case repetition(RegexNode, min: Int, max: Int?, greedy: Bool, offset: Int)
}

/// Parses the RE2 subset mend supports into a ``RegexNode``. Constructs that need backtracking
/// (backreferences, lookaround, atomic groups, possessive quantifiers) are refused by name.
struct RegexParser {
    /// The largest count in `{n,m}` (RE2's limit: counts are expanded into copies).
    static let maxCount = 1000
    /// Deeper nesting would exhaust the stack of this recursive parser and of the compiler.
    static let maxDepth = 500

    private struct Flags {
        var caseInsensitive = false
        var multiLine = false
        var dotAll = false
    }

    private let pattern: [UInt32]
    private var i = 0
    private var flags = Flags()
    private var depth = 0

    static func parse(_ text: String) throws(RegexError) -> RegexNode {
        var parser = RegexParser(pattern: text.unicodeScalars.map(\.value))
        let node = try parser.alternation()
        if parser.i < parser.pattern.count {  // only a ')' stops the top level early
            throw RegexError(reason: "unmatched ')'", offset: parser.i)
        }
        return node
    }

    private init(pattern: [UInt32]) {
        self.pattern = pattern
    }

    private var peek: UInt32? { i < pattern.count ? pattern[i] : nil }

    private func peek(_ ahead: Int) -> UInt32? { i + ahead < pattern.count ? pattern[i + ahead] : nil }

    private func fail(_ reason: String, at offset: Int? = nil) -> RegexError {
        RegexError(reason: reason, offset: offset ?? i)
    }

    private mutating func alternation() throws(RegexError) -> RegexNode {
        var branches = [try concatenation()]
        while peek == ascii("|") {
            i += 1
            branches.append(try concatenation())
        }
        return branches.count == 1 ? branches[0] : .alternate(branches)
    }

    private mutating func concatenation() throws(RegexError) -> RegexNode {
        var items: [RegexNode] = []
        while let c = peek, c != ascii("|"), c != ascii(")") {
            guard let atom = try atom() else { continue }  // a flag group such as (?i)
            items.append(try quantified(atom))
        }
        return items.isEmpty ? .empty : items.count == 1 ? items[0] : .concat(items)
    }

    /// One atom, or nil for a group that only sets flags.
    private mutating func atom() throws(RegexError) -> RegexNode? {
        let start = i
        let c = pattern[i]
        i += 1
        switch c {
        case ascii("("): return try group(openedAt: start)
        case ascii("["): return .set(try characterClass(openedAt: start))
        case ascii("."): return .any(newline: flags.dotAll)
        case ascii("^"): return .assertion(flags.multiLine ? .beginLine : .beginText)
        case ascii("$"): return .assertion(flags.multiLine ? .endLine : .endText)
        case ascii("\\"): return try escape(startingAt: start)
        case ascii("*"), ascii("+"), ascii("?"):
            throw fail("nothing to repeat before '\(char(c))'", at: start)
        case ascii("{"):
            i = start
            if try count() != nil { throw fail("nothing to repeat before '{'", at: start) }
            i = start + 1
            return literal(c)
        default: return literal(c)
        }
    }

    private func literal(_ c: UInt32) -> RegexNode {
        .scalar(c, foldCase: flags.caseInsensitive && RegexCase.hasOtherCase(c))
    }

    /// Applies the quantifiers after an atom.
    private mutating func quantified(_ atom: RegexNode) throws(RegexError) -> RegexNode {
        let start = i
        var min = 0, max: Int?
        switch peek {
        case ascii("*"): i += 1
        case ascii("+"): i += 1; min = 1
        case ascii("?"): i += 1; max = 1
        case ascii("{"):
            guard let (n, m) = try count() else { return atom }
            (min, max) = (n, m)
        default: return atom
        }
        var greedy = true
        if peek == ascii("?") {
            i += 1
            greedy = false
        }
        if let c = peek, [ascii("*"), ascii("+"), ascii("?")].contains(c) || (c == ascii("{") && isCount()) {
            throw fail("a quantifier cannot follow another one (possessive quantifiers are not supported; group the first)")
        }
        return .repetition(atom, min: min, max: max, greedy: greedy, offset: start)
    }

    private mutating func isCount() -> Bool {
        let saved = i
        defer { i = saved }
        do { return try count() != nil } catch { return true }
    }

    /// Reads `{n}`, `{n,}` or `{n,m}` at `i`; nil (and `i` unchanged) when the brace is a literal.
    private mutating func count() throws(RegexError) -> (Int, Int?)? {
        let start = i
        i += 1
        guard let n = number() else { i = start; return nil }
        var m: Int? = n
        if peek == ascii(",") {
            i += 1
            m = number()
        }
        guard peek == ascii("}") else { i = start; return nil }
        i += 1
        if n > Self.maxCount || (m ?? 0) > Self.maxCount {
            throw fail("the count in a repetition must be at most \(Self.maxCount)", at: start)
        }
        if let m, m < n { throw fail("the repetition {\(n),\(m)} has its maximum below its minimum", at: start) }
        return (n, m)
    }

    private mutating func number() -> Int? {
        var value: Int?
        while let c = peek, c >= ascii("0"), c <= ascii("9") {
            value = min((value ?? 0) * 10 + Int(c - ascii("0")), 1_000_000)
            i += 1
        }
        return value
    }

    // MARK: Groups

    private mutating func group(openedAt start: Int) throws(RegexError) -> RegexNode? {
        guard depth < Self.maxDepth else { throw fail("groups are nested more than \(Self.maxDepth) deep", at: start) }
        let saved = flags
        if peek == ascii("?") {
            i += 1
            switch peek {
            case ascii(":"):
                i += 1
            case ascii("="), ascii("!"):
                throw fail("lookahead is not supported: mend's regexes run in linear time", at: start)
            case ascii("<") where peek(1) == ascii("=") || peek(1) == ascii("!"):
                throw fail("lookbehind is not supported: mend's regexes run in linear time", at: start)
            case ascii(">"):
                throw fail("atomic groups are not supported: mend's regexes run in linear time", at: start)
            case ascii("P") where peek(1) == ascii("="):
                throw fail("backreferences are not supported: mend's regexes run in linear time", at: start)
            case ascii("P") where peek(1) == ascii("<"):
                i += 2
                try groupName(openedAt: start)
            case ascii("<"):
                i += 1
                try groupName(openedAt: start)
            default:
                if try flagsEndGroup(openedAt: start) { return nil }
            }
        }
        depth += 1
        let inner = try alternation()
        depth -= 1
        guard peek == ascii(")") else { throw fail("unclosed '('", at: start) }
        i += 1
        flags = saved
        return inner
    }

    /// The name of `(?P<name>…)` or `(?<name>…)`: named groups match like plain ones.
    private mutating func groupName(openedAt start: Int) throws(RegexError) {
        let nameStart = i
        while let c = peek, RegexCase.isWord(c) { i += 1 }
        guard i > nameStart, peek == ascii(">") else { throw fail("a group name must be letters, digits or '_' closed by '>'", at: start) }
        i += 1
    }

    /// Reads the flags of `(?ims-ims)` or `(?ims-ims:`; true when the group ends there (the flags
    /// then hold to the end of the enclosing group).
    private mutating func flagsEndGroup(openedAt start: Int) throws(RegexError) -> Bool {
        var on = true, sawFlag = false, sawMinus = false
        while let c = peek {
            i += 1
            switch c {
            case ascii("i"): flags.caseInsensitive = on
            case ascii("m"): flags.multiLine = on
            case ascii("s"): flags.dotAll = on
            case ascii("-") where !sawMinus:
                (on, sawMinus, sawFlag) = (false, true, false)
                continue
            case ascii(")") where sawFlag, ascii(":") where sawFlag:
                return c == ascii(")")
            default:
                let text = String(String.UnicodeScalarView(pattern[start..<i].compactMap(Unicode.Scalar.init)))
                throw fail("unknown group syntax '\(text)' (the flags are i, m and s)", at: start)
            }
            sawFlag = true
        }
        throw fail("unclosed '('", at: start)
    }

    // MARK: Escapes

    private mutating func escape(startingAt start: Int) throws(RegexError) -> RegexNode {
        guard let c = peek else { throw fail("trailing backslash", at: start) }
        switch c {
        case ascii("b"): i += 1; return .assertion(.wordBoundary)
        case ascii("B"): i += 1; return .assertion(.notWordBoundary)
        case ascii("A"): i += 1; return .assertion(.beginText)
        case ascii("z"): i += 1; return .assertion(.endText)
        default: break
        }
        if let set = try perlClass() { return .set(set) }
        return literal(try escapedScalar(startingAt: start))
    }

    /// `\d \w \s \D \W \S` (ASCII only, like RE2) at `i`, just after the backslash.
    private mutating func perlClass() throws(RegexError) -> RegexClass? {
        guard let c = peek else { return nil }
        let ranges: [ClosedRange<UInt32>]
        switch c | 0x20 {
        case ascii("d"): ranges = RegexCase.digit
        case ascii("w"): ranges = RegexCase.word
        case ascii("s"): ranges = RegexCase.space
        default: return nil
        }
        i += 1
        return RegexClass(ranges: ranges, negated: c < ascii("a"))
    }

    /// A backslash escape standing for one scalar; `i` is just after the backslash.
    private mutating func escapedScalar(startingAt start: Int) throws(RegexError) -> UInt32 {
        guard let c = peek else { throw fail("trailing backslash", at: start) }
        i += 1
        switch c {
        case ascii("1")...ascii("9"), ascii("k"), ascii("g"):
            throw fail("backreferences are not supported: mend's regexes run in linear time", at: start)
        case ascii("0"): throw fail("octal escapes are not supported (write \\x00)", at: start)
        case ascii("t"): return 0x09
        case ascii("n"): return 0x0A
        case ascii("r"): return 0x0D
        case ascii("f"): return 0x0C
        case ascii("v"): return 0x0B
        case ascii("a"): return 0x07
        case ascii("x"): return try hexEscape(startingAt: start)
        case ascii("p"), ascii("P"):
            throw fail("Unicode classes (\\p, \\P) are not supported", at: start)
        default:
            if c < 0x80 && RegexCase.isWord(c) { throw fail("unknown escape '\\\(char(c))'", at: start) }
            return c  // an escaped metacharacter or punctuation stands for itself
        }
    }

    /// `\xHH` or `\x{H…}`; `i` is just after the `x`.
    private mutating func hexEscape(startingAt start: Int) throws(RegexError) -> UInt32 {
        let braced = peek == ascii("{")
        if braced { i += 1 }
        var value: UInt32 = 0, digits = 0
        while let c = peek, let d = hexDigit(c), braced || digits < 2 {
            value = value &* 16 &+ d
            digits += 1
            i += 1
            if digits > 8 { break }
        }
        if braced {
            guard digits > 0, peek == ascii("}") else { throw fail("a \\x{…} escape needs hex digits and a '}'", at: start) }
            i += 1
        } else if digits != 2 {
            throw fail("a \\x escape needs two hex digits (or \\x{…})", at: start)
        }
        guard Unicode.Scalar(value) != nil else { throw fail("\\x escape \(String(value, radix: 16)) is not a Unicode scalar", at: start) }
        return value
    }

    private func hexDigit(_ c: UInt32) -> UInt32? {
        switch c {
        case ascii("0")...ascii("9"): return c - ascii("0")
        case ascii("a")...ascii("f"): return c - ascii("a") + 10
        case ascii("A")...ascii("F"): return c - ascii("A") + 10
        default: return nil
        }
    }

    // MARK: Classes

    /// `[…]`; `i` is just after the `[`.
    private mutating func characterClass(openedAt start: Int) throws(RegexError) -> RegexClass {
        var set = RegexClass(foldCase: flags.caseInsensitive)
        if peek == ascii("^") {
            set.negated = true
            i += 1
        }
        var first = true
        while true {
            guard let c = peek else { throw fail("unclosed '['", at: start) }
            if c == ascii("]") && !first { break }
            first = false
            let itemStart = i
            if c == ascii("["), peek(1) == ascii(":"), let ranges = try posixClass() {
                set.ranges += ranges
                continue
            }
            if c == ascii("\\"), let next = peek(1), [ascii("d"), ascii("w"), ascii("s")].contains(next | 0x20) {
                i += 1
                if let perl = try perlClass() {
                    set.ranges += perl.negated ? RegexCase.complement(perl.ranges) : perl.ranges
                }
                continue
            }
            let lo = try classScalar()
            guard peek == ascii("-"), let after = peek(1), after != ascii("]") else {
                set.ranges.append(lo...lo)
                continue
            }
            i += 1
            if pattern[i] == ascii("\\"), let next = peek(1), [ascii("d"), ascii("w"), ascii("s")].contains(next | 0x20) {
                throw fail("a class escape cannot end a range")
            }
            let hi = try classScalar()
            guard lo <= hi else { throw fail("the range \(char(lo))-\(char(hi)) runs backwards", at: itemStart) }
            set.ranges.append(lo...hi)
        }
        i += 1
        return set
    }

    /// One scalar of a class at `i`: a literal or an escape.
    private mutating func classScalar() throws(RegexError) -> UInt32 {
        let start = i
        let c = pattern[i]
        i += 1
        guard c == ascii("\\") else { return c }
        if peek == ascii("b") { throw fail("\\b is not allowed in a class", at: start) }
        return try escapedScalar(startingAt: start)
    }

    /// `[:alpha:]` and the other POSIX classes (ASCII), or `[:^alpha:]`; nil when it is not one.
    private mutating func posixClass() throws(RegexError) -> [ClosedRange<UInt32>]? {
        let start = i
        var j = i + 2
        while j + 1 < pattern.count, !(pattern[j] == ascii(":") && pattern[j + 1] == ascii("]")) { j += 1 }
        guard j + 1 < pattern.count else { return nil }
        var name = String(String.UnicodeScalarView(pattern[(i + 2)..<j].compactMap(Unicode.Scalar.init)))
        let negated = name.hasPrefix("^")
        if negated { name.removeFirst() }
        guard let ranges = RegexCase.posix[name] else { throw fail("unknown POSIX class [:\(name):]", at: start) }
        i = j + 2
        return negated ? RegexCase.complement(ranges) : ranges
    }
}

private func ascii(_ c: Unicode.Scalar) -> UInt32 { c.value }

private func char(_ c: UInt32) -> String { Unicode.Scalar(c).map { String(Character($0)) } ?? "?" }
