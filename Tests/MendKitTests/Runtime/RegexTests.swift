import Testing
@testable import MendKit

/// mend's linear-time regex engine (`RegexPattern`): every construct, the refusals, and the
/// patterns that take a backtracking engine exponential time.
@Suite struct RegexTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let pattern: String
        let text: String
        let expected: Bool
        init(_ pattern: String, _ text: String, _ expected: Bool) {
            (self.pattern, self.text, self.expected) = (pattern, text, expected)
        }
        var testDescription: String { "matches(\(Value.quote(text)), \(Value.quote(pattern))) == \(expected)" }
    }

    static let cases: [Case] = [
        // Literals, the empty pattern, escapes.
        Case("", "", true), Case("", "abc", true),
        Case("abc", "xxabcxx", true), Case("abc", "ab", false), Case("abc", "ABC", false),
        Case(#"a\.b"#, "a.b", true), Case(#"a\.b"#, "axb", false), Case("a.b", "axb", true),
        Case(#"\\"#, #"a\b"#, true), Case(#"\t"#, "a\tb", true), Case(#"\n"#, "a\nb", true), Case(#"\r"#, "\r", true),
        Case(#"\x41"#, "A", true), Case(#"\x{263A}"#, "☺", true), Case(#"\x{41}B"#, "AB", true),
        Case(#"\*\+\?\(\)\[\]\{\}\|\^\$"#, "*+?()[]{}|^$", true),
        Case("\\/\\-\\#\\ ", "/-# ", true),
        Case("é", "café", true), Case("日本", "こんにちは日本", true),
        // `.`: one scalar, not a newline (unless (?s)).
        Case("^.$", "é", true), Case("^...$", "日本語", true), Case("^.$", "\n", false), Case("a.c", "a\nc", false),
        Case("(?s)a.c", "a\nc", true), Case("^.$", "", false),
        // Anchors: text start and end; in the middle they only match there.
        Case("^abc$", "abc", true), Case("^abc$", "abcd", false), Case("^abc$", "abc\n", false), Case("^b", "abc", false),
        Case("c$", "abc", true), Case("b$", "abc", false), Case("a^b", "ab", false), Case("a$b", "ab", false),
        Case("(^a|b)c", "xbc", true), Case("(^a|b)c", "xac", false), Case("x|^$", "", true),
        Case(#"\Aab\z"#, "ab", true), Case(#"\Aab\z"#, "xab", false),
        Case("(?m)^b$", "a\nb\nc", true), Case("^b$", "a\nb\nc", false), Case("(?m)a$", "a\nb", true),
        // Classes.
        Case("[abc]", "xbx", true), Case("[abc]", "xyz", false), Case("^[^a-z]+$", "ABC123", true),
        Case("^[^a-z]+$", "ABc", false), Case("[-.]", "a-b", true), Case("[-.]", "a.b", true), Case("[-.]", "ab", false),
        Case("[a-]", "-", true), Case("[]a]", "]", true), Case("[]a]", "a", true), Case("[^]a]", "]", false),
        Case("[^]a]", "b", true), Case(#"[\]]"#, "]", true), Case(#"[\\]"#, #"\"#, true), Case(#"[\-x]"#, "-", true),
        Case(#"[\t ]"#, "\t", true), Case(#"[\x41-\x43]"#, "B", true), Case(#"[\x41-\x43]"#, "D", false),
        Case("[a-cx-z]", "y", true), Case("[a-cx-z]", "m", false), Case("[.]", "a", false), Case("[é]", "é", true),
        Case("[[:digit:]]+", "abc42", true), Case("^[[:alpha:]_]+$", "ab_c", true), Case("[[:^space:]]", "  ", false),
        Case("[^a]", "", false), Case("[^a]", "\n", true),
        // Perl classes: ASCII only.
        Case(#"^\d+$"#, "0123456789", true), Case(#"\d"#, "٣", false), Case(#"^\D+$"#, "abc", true), Case(#"\D"#, "123", false),
        Case(#"^\w+$"#, "a_Z9", true), Case(#"\w"#, "é", false), Case(#"\W"#, "é", true), Case(#"\W"#, "a_1", false),
        Case(#"\s"#, "a b", true), Case(#"\s"#, "a\tb", true), Case(#"\s"#, "ab", false), Case(#"^\S+$"#, "a-b", true),
        Case(#"[\d.]+"#, "1.2", true), Case(#"^[\w-]+$"#, "a-b_c", true), Case(#"^[\W]+$"#, "!?", true), Case(#"[\S]"#, " \t", false),
        // Word boundaries.
        Case(#"\bfoo\b"#, "a foo b", true), Case(#"\bfoo\b"#, "afoo", false), Case(#"\bfoo\b"#, "foo", true),
        Case(#"foo\B"#, "foobar", true), Case(#"foo\B"#, "foo bar", false), Case(#"\B"#, "", true), Case(#"\b"#, "", false),
        Case(#"\bé"#, "é", false),
        // Groups and alternation.
        Case("(ab)+", "xababx", true), Case("^(ab)+$", "abab", true), Case("^(ab)+$", "aba", false),
        Case("^(?:ab|cd)+$", "abcdab", true), Case("^(?:ab|cd)+$", "abce", false), Case("^(?P<year>[0-9]{4})-", "2024-01", true),
        Case("^(?<y>a)b$", "ab", true), Case("a|", "zzz", true), Case("^(a|)$", "", true), Case("^(|a)$", "a", true),
        Case("cat|dog", "hotdog", true), Case("cat|dog", "cow", false), Case("^(a|b|c)$", "c", true), Case("()", "x", true),
        // Quantifiers, greedy and lazy.
        Case("^a*$", "", true), Case("^a*$", "aaa", true), Case("^a+$", "", false), Case("^a+$", "aa", true),
        Case("^ab?c$", "ac", true), Case("^ab?c$", "abc", true), Case("^ab?c$", "abbc", false),
        Case("^a*?$", "aa", true), Case("^a+?b$", "aab", true), Case("^a??b$", "b", true), Case("^a{2}$", "aa", true),
        Case("^a{2}$", "aaa", false), Case("^a{2,}$", "a", false), Case("^a{2,}$", "aaaaa", true), Case("^a{2,3}$", "aaa", true),
        Case("^a{2,3}$", "aaaa", false), Case("^a{0}$", "", true), Case("^a{0,1}b$", "ab", true), Case("^a{2,3}?$", "aa", true),
        Case("^(ab){2}$", "abab", true), Case("a{,2}", "a{,2}", true), Case("a{x}", "a{x}", true), Case("^{$", "{", true),
        Case("x{2}y", "xxy", true),
        // Nested quantifiers (the exponential ones for a backtracker).
        Case("^(a+)+$", "aaaa", true), Case("^(a+)+$", "aaaa!", false), Case("^(a*)*$", "", true), Case("(a*)*b", "aaab", true),
        Case("(a|a)*b", "aaaa", false), Case("^((a?){2})*$", "aaa", true), Case("^(a{1,2}){2}$", "aaa", true),
        Case("^(a{1,2}){2}$", "aaaaa", false), Case("(x+x+)+y", "xxxxxxxxxxy", true),
        // Flags.
        Case("(?i)abc", "xAbC", true), Case("(?i)[a-c]+$", "ABC", true), Case("(?i)[^a]", "A", false), Case("(?i)é", "É", true),
        Case("a(?i)b", "aB", true), Case("a(?i)b", "AB", false), Case("(?i:a)b", "Ab", true), Case("(?i:a)b", "AB", false),
        Case("((?i)a)b", "AB", false), Case("(?i)a(?-i)b", "Ab", true), Case("(?i)a(?-i)b", "AB", false),
        Case(#"(?i)\w"#, "K", true), Case("(?ms)^a.b$", "x\na\nb", true),
        // Unicode text.
        Case("^café$", "café", true), Case("^[à-ü]+$", "éèü", true), Case("🙂", "ok 🙂", true), Case("^.🙂.$", "a🙂b", true),
        // The uses in the documentation and the tests before this engine.
        Case(#"^kernel \d+\."#, "kernel 6.1.0-13", true), Case("^lo$", "eth0", false),
        Case(#"^\s*vm\.swappiness\s*="#, "  vm.swappiness = 60", true), Case(#"^rpc\.token"#, "rpc_token = x", false),
    ]

    @Test(arguments: cases)
    func matches(_ c: Case) throws {
        #expect(try RegexPattern(c.pattern).matches(c.text) == c.expected)
    }

    /// Swift's own `Regex` agrees where the two define the same thing: ASCII text, and none of
    /// `$`, `\b`, `\w`, `\s`, flags, POSIX classes or a literal `{`, whose meanings differ; nor
    /// a `]` first in a class, which Swift does not parse.
    @Test func agreesWithSwiftRegexOnPlainCases() throws {
        let plain = Self.cases.filter { c in
            (c.pattern + c.text).unicodeScalars.allSatisfy { $0.isASCII }
                && !["$", #"\b"#, #"\B"#, #"\w"#, #"\W"#, #"\s"#, #"\S"#, #"\z"#, "(?", "[[:", "{,", "{x", "[]", "[^]"]
                    .contains { c.pattern.contains($0) }
        }
        #expect(plain.count > 45)
        for c in plain {
            let swift = c.text.contains(try Regex(c.pattern))
            #expect(swift == c.expected, "Swift's Regex disagrees on \(c.testDescription)")
        }
    }

    /// What a backtracking engine takes exponential time on: the answer comes in one pass.
    @Test(arguments: [30, 1000, 100_000])
    func catastrophicPatternsAreLinear(length: Int) throws {
        let a = String(repeating: "a", count: length)
        #expect(try RegexPattern("^(a+)+$").matches(a + "!") == false)
        #expect(try RegexPattern("^(a+)+$").matches(a) == true)
        #expect(try RegexPattern("(a|a)*b").matches(a) == false)
        #expect(try RegexPattern("(a*)*b").matches(a) == false)
        #expect(try RegexPattern("(a*)*b").matches(a + "b") == true)
        let words = String(repeating: "word ", count: length / 5) + "!"
        #expect(try RegexPattern(#"^(\w+\s?)*$"#).matches(words) == false)
        #expect(try RegexPattern(#"^(\w+\s?)*$"#).matches(String(words.dropLast())) == true)
    }

    struct Refusal: CustomTestStringConvertible, Sendable {
        let pattern: String
        let message: String
        init(_ pattern: String, _ message: String) { (self.pattern, self.message) = (pattern, message) }
        var testDescription: String { Value.quote(pattern) }
    }

    static let refusals: [Refusal] = [
        Refusal("(unclosed", "unclosed '(' at offset 0"),
        Refusal("a(b(c)", "unclosed '(' at offset 1"),
        Refusal("ab)", "unmatched ')' at offset 2"),
        Refusal("[abc", "unclosed '[' at offset 0"),
        Refusal("x[]", "unclosed '[' at offset 1"),
        Refusal(#"[a\"#, "trailing backslash at offset 2"),
        Refusal("[z-a]", "the range z-a runs backwards at offset 1"),
        Refusal(#"[a-\d]"#, "a class escape cannot end a range at offset 3"),
        Refusal("[[:alphabet:]]", "unknown POSIX class [:alphabet:] at offset 1"),
        Refusal("*a", "nothing to repeat before '*' at offset 0"),
        Refusal("a|+", "nothing to repeat before '+' at offset 2"),
        Refusal("(?)", "unknown group syntax '(?)' (the flags are i, m and s) at offset 0"),
        Refusal("{2}", "nothing to repeat before '{' at offset 0"),
        Refusal("a**", "a quantifier cannot follow another one (possessive quantifiers are not supported; group the first) at offset 2"),
        Refusal("a{1001}", "the count in a repetition must be at most 1000 at offset 1"),
        Refusal("a{3,2}", "the repetition {3,2} has its maximum below its minimum at offset 1"),
        Refusal("(a{1000}){1000}", "the regex is too large: over 10000 instructions once repetitions are expanded at offset 9"),
        Refusal(#"(a)\1"#, "backreferences are not supported: mend's regexes run in linear time at offset 3"),
        Refusal(#"(?P<n>a)(?P=n)"#, "backreferences are not supported: mend's regexes run in linear time at offset 8"),
        Refusal(#"(?<n>a)\k<n>"#, "backreferences are not supported: mend's regexes run in linear time at offset 7"),
        Refusal("a(?=b)", "lookahead is not supported: mend's regexes run in linear time at offset 1"),
        Refusal("a(?!b)", "lookahead is not supported: mend's regexes run in linear time at offset 1"),
        Refusal("(?<=a)b", "lookbehind is not supported: mend's regexes run in linear time at offset 0"),
        Refusal("(?<!a)b", "lookbehind is not supported: mend's regexes run in linear time at offset 0"),
        Refusal("(?>a)", "atomic groups are not supported: mend's regexes run in linear time at offset 0"),
        Refusal("(?x)a", "unknown group syntax '(?x' (the flags are i, m and s) at offset 0"),
        Refusal("(?i", "unclosed '(' at offset 0"),
        Refusal(#"a\"#, "trailing backslash at offset 1"),
        Refusal(#"\q"#, #"unknown escape '\q' at offset 0"#),
        Refusal(#"\p{L}"#, #"Unicode classes (\p, \P) are not supported at offset 0"#),
        Refusal(#"\0"#, #"octal escapes are not supported (write \x00) at offset 0"#),
        Refusal(#"\x4"#, #"a \x escape needs two hex digits (or \x{…}) at offset 0"#),
        Refusal(#"\x{110000}"#, #"\x escape 110000 is not a Unicode scalar at offset 0"#),
        Refusal(#"[\b]"#, #"\b is not allowed in a class at offset 1"#),
        Refusal("é(", "unclosed '(' at offset 1"),
        Refusal(String(repeating: "(", count: 600), "groups are nested more than 500 deep at offset 500"),
    ]

    @Test(arguments: refusals)
    func refuses(_ r: Refusal) {
        #expect(throws: RegexError.self) { try RegexPattern(r.pattern) }
        do {
            _ = try RegexPattern(r.pattern)
        } catch {
            #expect(error.description == r.message)
        }
    }

    @Test func theLimitsStillAllowTheLargestCounts() throws {
        #expect(try RegexPattern("^a{1000}$").matches(String(repeating: "a", count: 1000)))
        #expect(try RegexPattern("^a{1000}$").matches(String(repeating: "a", count: 999)) == false)
        #expect(try RegexPattern(#"^[\w.]{1,1000}$"#).matches("a.b"))
    }

    @Test func theBuiltinNamesThePatternAndTheOffset() {
        let lib = Library()
        #expect(errorMessage { try lib.call("matches", .string("a"), .string("a(?=b)")) }
            == #"matches: invalid regex "a(?=b)": lookahead is not supported: mend's regexes run in linear time at offset 1"#)
        #expect(errorMessage { try lib.call("matches", .string("aaaa"), .string("^(a+)+$")) } == nil)
    }
}
