import Testing
@testable import MendKit

/// The tokens and lexer errors of `text`.
private struct Lexed {
    let file: SourceFile
    let tokens: [Token]
    let diagnostics: [Diagnostic]

    init(_ text: String) {
        file = SourceFile(name: "test.mend", text: text)
        (tokens, diagnostics) = Lexer.tokenize(file)
    }

    /// Every token as a short string (`int(1)`, `kw(let)`, `punct(==)`, `nl`, `eof`), the final eof included.
    var kinds: [String] { tokens.map { kind($0.kind) } }

    /// The token kinds without the final eof.
    var body: [String] { Array(kinds.dropLast()) }

    /// The source text of each token (eof excluded).
    var texts: [String] { tokens.dropLast().map { file.decode($0.start, $0.end) } }

    var messages: [String] { diagnostics.map(\.message) }

    /// The only token before eof; records an issue when there is not exactly one.
    var single: Token? {
        guard tokens.count == 2 else {
            Issue.record("expected one token, got \(kinds)")
            return nil
        }
        return tokens[0]
    }

    /// The parts of the only token, which must be a string.
    var stringParts: [String]? {
        guard let t = single else { return nil }
        guard case .string(let parts) = t.kind else {
            Issue.record("expected a string, got \(kind(t.kind)); errors: \(messages)")
            return nil
        }
        return parts.map { part in
            switch part {
            case .text(let s): return "text(\(s))"
            case .interpolation(let start, let end): return "expr(\(start)..<\(end): \(file.decode(start, end)))"
            }
        }
    }

    /// The text of a string token without interpolation.
    var stringText: String? {
        guard let parts = stringParts else { return nil }
        guard parts.count == 1, parts[0].hasPrefix("text(") else {
            Issue.record("expected plain text, got \(parts)")
            return nil
        }
        return String(parts[0].dropFirst(5).dropLast())
    }
}

private func kind(_ k: TokenKind) -> String {
    switch k {
    case .int(let v): return "int(\(v))"
    case .float(let v): return "float(\(v))"
    case .duration(let v): return "duration(\(v))"
    case .size(let v): return "size(\(v))"
    case .string: return "string"
    case .identifier(let s): return "ident(\(s))"
    case .keyword(let k): return "kw(\(k.rawValue))"
    case .punct(let p): return "punct(\(p.rawValue))"
    case .newline: return "nl"
    case .eof: return "eof"
    case .invalid: return "invalid"
    }
}

@Suite struct LexerTests {
    // MARK: numbers

    @Test func integersWithUnderscores() {
        let l = Lexed("1_000_000 42 0 9_9")
        #expect(l.body == ["int(1000000)", "int(42)", "int(0)", "int(99)"])
        #expect(l.texts == ["1_000_000", "42", "0", "9_9"])
        #expect(l.tokens[0].start == 0 && l.tokens[0].end == 9)
        #expect(l.tokens[1].start == 10 && l.tokens[1].end == 12)
        #expect(l.diagnostics.isEmpty)
    }

    @Test(arguments: ["1__0", "1_", "1_000_", "1_.5", "0x_1", "0x1__2", "0b1_"])
    func misplacedUnderscoreIsOneError(text: String) {
        let l = Lexed(text)
        #expect(l.messages.count == 1)
        #expect(l.messages.first?.hasPrefix("misplaced '_' in the number") == true, "\(l.messages)")
        // One mistake leaves one invalid token, so the parser reports nothing more about it.
        #expect(l.body.contains("invalid"))
    }

    @Test func aLeadingUnderscoreMakesAName() {
        #expect(Lexed("_1").body == ["ident(_1)"])
    }

    @Test func hexOctalAndBinary() {
        let l = Lexed("0x1F 0XfF 0xff_ff 0o755 0b1010 0b0 0x7FFFFFFFFFFFFFFF")
        #expect(l.body == ["int(31)", "int(255)", "int(65535)", "int(493)", "int(10)", "int(0)", "int(\(Int.max))"])
        #expect(l.texts == ["0x1F", "0XfF", "0xff_ff", "0o755", "0b1010", "0b0", "0x7FFFFFFFFFFFFFFF"])
        #expect(l.diagnostics.isEmpty)
    }

    @Test func badRadixNumbers() {
        #expect(Lexed("0x").messages == ["the hexadecimal number '0x' has no digits"])
        #expect(Lexed("0b102").messages == ["invalid digit '2' in the binary number '0b102'"])
        #expect(Lexed("0o8").messages == ["invalid digit '8' in the octal number '0o8'"])
        #expect(Lexed("0xfg").messages == ["invalid digit 'g' in the hexadecimal number '0xfg'"])
        #expect(Lexed("0x10000000000000000").messages.first?.contains("does not fit in 64 bits") == true)
    }

    @Test func integerOverflowIsAnErrorNotATrap() {
        #expect(Lexed("9223372036854775807").body == ["int(9223372036854775807)"])
        let l = Lexed("9223372036854775808")
        #expect(l.messages == ["the integer '9223372036854775808' does not fit in 64 bits (the largest is 9223372036854775807)"])
        #expect(l.body == ["invalid"])
        #expect(l.diagnostics[0].span.text == "9223372036854775808")
    }

    @Test func floatsAndExponents() {
        let l = Lexed("0.5 1e9 2.5e-3 1E+2 1_000.5 10.0 3e0")
        #expect(l.body == ["float(0.5)", "float(1000000000.0)", "float(0.0025)", "float(100.0)", "float(1000.5)",
                           "float(10.0)", "float(3.0)"])
        #expect(l.texts == ["0.5", "1e9", "2.5e-3", "1E+2", "1_000.5", "10.0", "3e0"])
        #expect(l.diagnostics.isEmpty)
    }

    @Test func aDotNotFollowedByADigitIsNotPartOfTheNumber() {
        // `5.` is an int and a dot (a member access); `.5` a dot and an int.
        #expect(Lexed("5.x").body == ["int(5)", "punct(.)", "ident(x)"])
        #expect(Lexed(".5").body == ["punct(.)", "int(5)"])
    }

    @Test func aNumberWithTwoDotsSuggestsAVersion() {
        let l = Lexed("1.21.10")
        #expect(l.messages == [#"'1.21.10' is not a number: write version("1.21.10") for a version"#])
        #expect(l.body == ["invalid"])
    }

    @Test func floatOutOfRange() {
        #expect(Lexed("1e999").messages == ["the number '1e999' is out of range (floats go up to about 1.8e308)"])
    }

    // MARK: units

    static let durationUnits: [(String, Int)] = [
        ("ns", 1), ("us", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000),
        ("h", 3_600_000_000_000), ("d", 86_400_000_000_000),
    ]

    @Test(arguments: durationUnits)
    func everyDurationUnit(unit: String, nanoseconds: Int) throws {
        let l = Lexed("3\(unit)")
        let t = try #require(l.single)
        #expect(kind(t.kind) == "duration(\(3 * nanoseconds))")
        #expect(l.texts == ["3\(unit)"])
        #expect(l.diagnostics.isEmpty)
    }

    static let sizeUnits: [(String, Int)] = [
        ("B", 1), ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000),
        ("KiB", 1_024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("TiB", 1_099_511_627_776),
    ]

    @Test(arguments: sizeUnits)
    func everySizeUnit(unit: String, bytes: Int) throws {
        let l = Lexed("16\(unit)")
        let t = try #require(l.single)
        #expect(kind(t.kind) == "size(\(16 * bytes))")
        #expect(l.texts == ["16\(unit)"])
        #expect(l.diagnostics.isEmpty)
    }

    @Test func theUnitTablesAreExactlyTheDocumentedOnes() {
        #expect(Set(Units.durations.keys) == Set(LexerTests.durationUnits.map(\.0)))
        #expect(Set(Units.sizes.keys) == Set(LexerTests.sizeUnits.map(\.0)))
    }

    @Test func fractionalAndUnderscoredUnitLiterals() {
        let l = Lexed("1.5s 0.5ms 1.5GiB 2.5KB 1_000ms 1e3ms 0.25h")
        #expect(l.body == ["duration(1500000000)", "duration(500000)", "size(1610612736)", "size(2500)",
                           "duration(1000000000)", "duration(1000000000)", "duration(900000000000)"])
        #expect(l.diagnostics.isEmpty)
    }

    @Test func aFractionThatIsNotAWholeNumberOfTheBaseUnitIsAnError() {
        #expect(Lexed("1.5B").messages == ["the size '1.5B' is not a whole number of bytes"])
        #expect(Lexed("1.5ns").messages == ["the duration '1.5ns' is not a whole number of nanoseconds"])
    }

    @Test func unitLiteralOverflow() {
        let l = Lexed("200000d")
        #expect(l.messages.count == 1)
        #expect(l.messages.first?.hasPrefix("the duration '200000d' is out of range") == true)
        #expect(Lexed("10000000TiB").messages.first?.hasPrefix("the size '10000000TiB' is out of range") == true)
    }

    @Test func unknownUnitIsOneErrorOverTheWholeLiteral() {
        let l = Lexed("let x = 5xyz")
        #expect(l.messages == ["unknown unit 'xyz' in '5xyz' (durations: ns us ms s m h d; sizes: B KB MB GB TB KiB MiB GiB TiB)"])
        #expect(l.diagnostics[0].span.text == "5xyz")
        #expect(l.body == ["kw(let)", "ident(x)", "punct(=)", "invalid"])
    }

    @Test func unknownUnitNamesTheFix() {
        #expect(Lexed("16gib").messages == ["unknown unit 'gib' in '16gib': units are case-sensitive, write 16GiB"])
        #expect(Lexed("5S").messages == ["unknown unit 'S' in '5S': units are case-sensitive, write 5s"])
        #expect(Lexed("5min").messages == ["unknown unit 'min' in '5min' (did you mean 5m?)"])
        #expect(Lexed("1h30m").messages == ["'1h30m' is not a literal: units do not combine, write 1h + 30m"])
    }

    // MARK: strings

    @Test func everyEscape() {
        let l = Lexed(#""n\n t\t r\r z\0 bs\\ q\" d\$ a\' end""#)
        #expect(l.stringText == "n\n t\t r\r z\0 bs\\ q\" d$ a' end")
        #expect(l.diagnostics.isEmpty)
    }

    @Test func unicodeEscapes() {
        #expect(Lexed(#""\u{1F600}""#).stringText == "😀")
        #expect(Lexed(#""\u{41}\u{e9}""#).stringText == "Aé")
        #expect(Lexed(#""\u{0000041}""#).stringText == "A")
    }

    @Test func badUnicodeEscapes() {
        #expect(Lexed(#""\u41""#).messages == [#"a \u escape needs braces: \u{1F600}"#])
        for bad in [#"\u{D800}"#, #"\u{110000}"#, #"\u{}"#, #"\u{12345678}"#, #"\u{zz}"#] {
            let l = Lexed("\"\(bad)\"")
            #expect(l.messages.count == 1, "\(bad)")
            #expect(l.messages.first?.hasPrefix("invalid unicode escape '\(bad)'") == true, "\(bad): \(l.messages)")
        }
    }

    @Test func unknownEscapeIsAnError() {
        let l = Lexed(#""a\db""#)
        #expect(l.messages.count == 1)
        #expect(l.messages.first?.hasPrefix(#"unknown escape '\d'"#) == true)
        #expect(l.diagnostics[0].span.text == #"\d"#)
    }

    @Test func aDollarNotFollowedByABraceIsLiteral() {
        #expect(Lexed(#""$HOME costs $5""#).stringText == "$HOME costs $5")
        #expect(Lexed(#""\${x}""#).stringText == "${x}")
    }

    @Test func interpolationPartsCarryTheByteRangeOfTheExpression() {
        //            0123456789012
        let l = Lexed(#""a${x + 1}b""#)
        #expect(l.stringParts == ["text(a)", "expr(4..<9: x + 1)", "text(b)"])
        #expect(l.texts == [#""a${x + 1}b""#])
    }

    @Test func interpolationAtTheStartAndEnd() {
        // A string starting with an interpolation has an empty text part first; nothing follows the last.
        #expect(Lexed(#""${a}${b}""#).stringParts == ["text()", "expr(3..<4: a)", "expr(7..<8: b)"])
    }

    @Test func interpolationMaySpanNestedStringsAndBraces() {
        let l = Lexed(#""x ${"in ${y} }" + f({k: 1}.k)} z""#)
        #expect(l.stringParts == [#"text(x )"#, #"expr(5..<30: "in ${y} }" + f({k: 1}.k))"#, "text( z)"])
        #expect(l.diagnostics.isEmpty)
    }

    @Test func interpolationErrors() {
        #expect(Lexed(#""a ${}""#).messages
            == ["empty interpolation '${}': put an expression inside, or write \\${ for a literal ${"])
        let open = Lexed("\"a ${x\nlet y = 1")
        #expect(open.messages == ["unterminated interpolation: this '${' has no matching '}' on its line"])
        // The next line still lexes as code.
        #expect(open.body.suffix(4) == ["kw(let)", "ident(y)", "punct(=)", "int(1)"])
    }

    @Test func unterminatedStringEndsAtTheLine() {
        let l = Lexed("let s = \"abc\nlet t = 1")
        #expect(l.messages == [#"unterminated string (a " string ends on its line; use """ for several lines)"#])
        #expect(l.diagnostics[0].span.start == 8)
        #expect(l.body == ["kw(let)", "ident(s)", "punct(=)", "invalid", "nl", "kw(let)", "ident(t)", "punct(=)", "int(1)"])
        #expect(Lexed("'abc").messages == ["unterminated string (a ' string ends on its line; use ''' for several lines)"])
    }

    @Test func rawStringsHaveNoEscapesAndNoInterpolation() {
        #expect(Lexed(#"'a\n ${x} \u{41} $'"#).stringText == #"a\n ${x} \u{41} $"#)
    }

    @Test func stringSpansIncludeTheQuotes() {
        let l = Lexed(#"f("é", 'x')"#)
        #expect(l.texts == ["f", "(", "\"é\"", ",", "'x'", ")"])
        // Offsets are bytes: "é" is two.
        #expect(l.tokens[2].start == 2 && l.tokens[2].end == 6)
    }

    // MARK: triple-quoted strings

    @Test func tripleQuotedTextIsDedentedAndEndsInANewline() {
        let l = Lexed("let u = \"\"\"\n    [Service]\n      ExecStart=x\n\n    end\n  \"\"\"\n")
        #expect(l.tokens.count == 6)
        #expect(l.body.last == "nl")
        let s = Lexed("\"\"\"\n    [Service]\n      ExecStart=x\n\n    end\n  \"\"\"")
        #expect(s.stringText == "[Service]\n  ExecStart=x\n\nend\n")
    }

    @Test func whiteSpaceOnlyLinesDoNotCountForTheIndentation() {
        // The blank line holds two spaces, fewer than the text's four: it becomes an empty line.
        #expect(Lexed("'''\n    a\n  \n    b\n'''").stringText == "a\n\nb\n")
        // A line indented less than the others sets the common indentation.
        #expect(Lexed("'''\n    a\n  b\n'''").stringText == "  a\nb\n")
    }

    @Test func theClosingDelimitersIndentationDoesNotMatter() {
        #expect(Lexed("'''\n  x\n'''").stringText == "x\n")
        #expect(Lexed("'''\n  x\n          '''").stringText == "x\n")
        #expect(Lexed("'''\n'''").stringText == "")
    }

    @Test func crlfLineEndsBecomeNewlines() {
        #expect(Lexed("\"\"\"\r\n  a\r\n  b\r\n\"\"\"").stringText == "a\nb\n")
    }

    @Test func rawTripleQuotesKeepDollarsAndBackslashes() {
        #expect(Lexed("'''\n  echo \"${HOME}\\n\"\n  '''").stringText == "echo \"${HOME}\\n\"\n")
    }

    @Test func doubleTripleQuotesInterpolateAndEscape() {
        let src = "\"\"\"\n  port ${p}\\t!\n  \"\"\""
        let l = Lexed(src)
        let start = Array(src.utf8).firstIndex(of: UInt8(ascii: "p"))! + 7 // the `p` inside ${…}
        #expect(l.stringParts == ["text(port )", "expr(\(start)..<\(start + 1): p)", "text(\t!\n)"])
    }

    @Test func codeMayFollowTheClosingDelimiter() {
        let l = Lexed("'''\n  x\n  '''.trim()")
        #expect(l.body == ["string", "punct(.)", "ident(trim)", "punct(()", "punct())"])
    }

    @Test func tripleQuoteErrors() {
        #expect(Lexed(#""""one line""""#).messages.first?.hasPrefix(#"a """ string spans lines"#) == true)
        #expect(Lexed("'''text\n  more\n'''").messages
            == ["the text of a ''' string starts on the line after the opening '''"])
        #expect(Lexed("\"\"\"\n  never closed\n").messages
            == [#"unterminated """ string (the closing """ stands alone on its line)"#])
        // One error each, and each leaves one invalid token.
        #expect(Lexed("'''text\n  more\n'''").body == ["invalid"])
    }

    // MARK: layout

    @Test func commentsRunToTheEndOfTheLine() {
        let l = Lexed("let x = 1 # a comment \"not a string\n# a whole line\nx # more")
        #expect(l.body == ["kw(let)", "ident(x)", "punct(=)", "int(1)", "nl", "ident(x)"])
        #expect(l.diagnostics.isEmpty)
        #expect(Lexed("#!/usr/bin/env mend\n").body.isEmpty)
    }

    @Test func newlinesCollapseAndLeadingOnesAreDropped() {
        let l = Lexed("\n\n  a \n\n\n  b\r\n\n")
        #expect(l.body == ["ident(a)", "nl", "ident(b)", "nl"])
        // The newline token spans the first line break after `a`.
        #expect(l.tokens[1].start == 6 && l.tokens[1].end == 7)
    }

    @Test func aBackslashAtTheEndOfALineContinuesIt() {
        #expect(Lexed("a \\\n + b").body == ["ident(a)", "punct(+)", "ident(b)"])
        let stray = Lexed("a \\ b")
        #expect(stray.messages.first?.contains("only continues a line") == true)
    }

    @Test func aByteOrderMarkIsIgnored() {
        let l = Lexed("\u{FEFF}let x")
        #expect(l.body == ["kw(let)", "ident(x)"])
        #expect(l.tokens[0].start == 3)
    }

    @Test func eofSpansTheEnd() {
        let l = Lexed("ab ")
        #expect(l.tokens.last?.isEOF == true)
        #expect(l.tokens.last?.start == 3 && l.tokens.last?.end == 3)
    }

    // MARK: words

    @Test func everyKeywordIsAKeyword() {
        for k in Keyword.allCases {
            #expect(Lexed(k.rawValue).body == ["kw(\(k.rawValue))"])
        }
    }

    @Test func contextualWordsAndNearMissesAreIdentifiers() {
        let words = ["when", "timeout", "confirm", "rollback", "secret", "as", "lets", "iff", "Let", "NIL", "_x1", "stepper", "in2"]
        let l = Lexed(words.joined(separator: " "))
        #expect(l.body == words.map { "ident(\($0))" })
    }

    @Test func identifiersStopAtNonAsciiLetters() {
        let l = Lexed("café")
        #expect(l.body.first == "ident(caf)")
        #expect(l.messages == ["unexpected character 'é'"])
    }

    // MARK: operators

    @Test func operatorsTakeTheLongestMatch() {
        let l = Lexed("== => <= >= != = < > + - * / % ( ) [ ] { } , : ; .")
        #expect(l.body == ["punct(==)", "punct(=>)", "punct(<=)", "punct(>=)", "punct(!=)", "punct(=)", "punct(<)", "punct(>)",
                           "punct(+)", "punct(-)", "punct(*)", "punct(/)", "punct(%)", "punct(()", "punct())", "punct([)",
                           "punct(])", "punct({)", "punct(})", "punct(,)", "punct(:)", "punct(;)", "punct(.)"])
        #expect(l.diagnostics.isEmpty)
    }

    @Test func operatorsWithoutSpaces() {
        let l = Lexed("a==b=>c<=d>=e!=f===g")
        #expect(l.body == ["ident(a)", "punct(==)", "ident(b)", "punct(=>)", "ident(c)", "punct(<=)", "ident(d)", "punct(>=)",
                           "ident(e)", "punct(!=)", "ident(f)", "punct(==)", "punct(=)", "ident(g)"])
        #expect(l.texts[1] == "==" && l.tokens[1].start == 1 && l.tokens[1].end == 3)
    }

    @Test func notInIsTwoTokens() {
        let l = Lexed("x not in xs")
        #expect(l.body == ["ident(x)", "kw(not)", "kw(in)", "ident(xs)"])
        #expect(l.texts == ["x", "not", "in", "xs"])
    }

    @Test func cStyleOperatorsAreErrorsThatLexAsMeant() {
        let and = Lexed("a && b")
        #expect(and.messages == ["unexpected characters '&&' (write 'and')"])
        #expect(and.body == ["ident(a)", "kw(and)", "ident(b)"])
        let not = Lexed("!a")
        #expect(not.messages == ["unexpected character '!' (write 'not')"])
        #expect(not.body == ["kw(not)", "ident(a)"])
        let q = Lexed("a ? b")
        #expect(q.messages == ["unexpected character '?' (mend has no '?' operator: use if … { } else { })"])
        #expect(q.body == ["ident(a)", "invalid", "ident(b)"])
    }

    @Test func strayCharactersAreOneErrorPerRun() {
        let l = Lexed("x = @@@ + 1")
        #expect(l.messages == ["unexpected characters '@@@'"])
        #expect(l.diagnostics[0].span.text == "@@@")
        #expect(Lexed("\u{201C}quoted\u{201D}").messages == [#"a string in typographic quotes: write plain quotes, "…""#])
    }

    @Test func lexingGoesOnAfterAnError() {
        let l = Lexed("5xyz 0b2 \"\\q\" ok")
        #expect(l.messages.count == 3)
        #expect(l.body.last == "ident(ok)")
    }
}
