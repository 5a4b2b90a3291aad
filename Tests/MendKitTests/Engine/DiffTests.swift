import Glibc
import Testing

@testable import MendKit

@Suite struct DiffTests {
    @Test func equalTextsGiveNothing() {
        #expect(Diff.unified("a\nb\n", "a\nb\n", path: "/etc/x") == "")
        #expect(Diff.unified("", "", path: "/etc/x") == "")
        #expect(Diff.unified(nil, "", path: "/etc/x") == "")
    }

    @Test func headersAndHunk() {
        #expect(Diff.unified("a\nb\nc\n", "a\nB\nc\n", path: "/etc/x") == """
            --- a/etc/x
            +++ b/etc/x
            @@ -1,3 +1,3 @@
             a
            -b
            +B
             c

            """)
        #expect(Diff.unified("x\n", "y\n", path: "rel/y").hasPrefix("--- a/rel/y\n+++ b/rel/y\n@@ -1 +1 @@\n"))
    }

    @Test func missingSides() {
        #expect(Diff.unified(nil, "a\nb\n", path: "/etc/x") == "--- /dev/null\n+++ b/etc/x\n@@ -0,0 +1,2 @@\n+a\n+b\n")
        #expect(Diff.unified("a\n", nil, path: "/etc/x") == "--- a/etc/x\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n")
    }

    @Test func missingFinalNewline() {
        #expect(Diff.unified("a\nb", "a\nb\n", path: "/x") == """
            --- a/x
            +++ b/x
            @@ -1,2 +1,2 @@
             a
            -b
            \\ No newline at end of file
            +b

            """)
        #expect(Diff.unified("a\nb", "c\nb", path: "/x").hasSuffix(" b\n\\ No newline at end of file\n"))
    }

    /// Lines compare as bytes, as diff compares them, not as equal Unicode strings.
    @Test func unicodeComparesBytes() {
        #expect(Diff.unified("caf\u{E9}\n", "cafe\u{301}\n", path: "/x").hasSuffix("-caf\u{E9}\n+cafe\u{301}\n"))
    }

    @Test func edgeCasesMatchGNUDiff() throws {
        let cases: [(String, String)] = [
            ("", "a\n"), ("a\n", ""), ("", "a"), ("a", ""), ("a", "b"), ("a", "a\n"), ("a\n", "a"),
            ("a\nb\nc", "a\nb\nd"), ("x\na\nb", "a\nb"), ("a\nb\n", "a\nb\nc"), ("a\nb\nc", "a\nb\n"),
            ("a\n\n\nb\n", "a\n\nb\n"), ("}\n}\n}\n", "}\n}\n"), ("\n", "\n\n"),
            ("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\nX\n4\n5\n6\n7\n8\nY\n"),
            ("ü\n日本\n🙂\n", "ü\n日本語\n🙂\n"), ("a\r\nb\r\n", "a\nb\r\n"), ("\t x \n", " \tx \n"),
        ]
        for (before, after) in cases {
            for context in [0, 1, 3] { try expectGNU(before, after, context: context) }
        }
    }

    @Test func randomEditsMatchGNUDiff() throws {
        var rng = SplitMix(seed: 0x5EED_D1FF)
        for _ in 0..<200 {
            let pool = Int.random(in: 3...40, using: &rng)
            let before = randomLines(Int.random(in: 0...40, using: &rng), pool: pool, &rng)
            let after = edited(before, pool: pool, &rng)
            try expectGNU(
                text(before, newline: Int.random(in: 0..<5, using: &rng) > 0),
                text(after, newline: Int.random(in: 0..<5, using: &rng) > 0),
                context: [0, 1, 2, 3, 3, 3, 5, 8].randomElement(using: &rng) ?? 3)
        }
    }

    /// Longer texts over few distinct lines exercise diff's thresholds for lines with many matches.
    @Test func longRepetitiveTextsMatchGNUDiff() throws {
        var rng = SplitMix(seed: 42)
        for count in [70, 150, 300, 700, 1500] {
            for pool in [4, 12, 60] {
                let before = randomLines(count, pool: pool, &rng)
                var after = before
                for _ in 0..<count / 10 { after = edited(after, pool: pool, &rng) }
                try expectGNU(text(before, newline: true), text(after, newline: true), context: 3)
            }
        }
    }

    @Test func contextOutOfRange() {
        let before = "1\n2\n3\n4\n", after = "1\n2\nX\n4\n"
        #expect(Diff.unified(before, after, path: "/x", context: .max) == Diff.unified(before, after, path: "/x", context: 4))
        #expect(Diff.unified(before, after, path: "/x", context: -1) == Diff.unified(before, after, path: "/x", context: 0))
    }

    /// A few edits in 10 000 lines, texts with nothing in common, and two random texts over few
    /// distinct lines (which run the search into its cost cap, and must still match diff).
    /// How fast these are is the benchmarks' business, not a test's.
    @Test func largeTexts() throws {
        var rng = SplitMix(seed: 7)
        let lines = (0..<10_000).map { "line \($0)" }
        var edited = lines
        for _ in 0..<8 { edited[Int.random(in: 0..<edited.count, using: &rng)] = "edited" }
        edited.insert("new", at: 5000)
        edited.remove(at: 100)
        let (before, after) = (text(lines, newline: true), text(edited, newline: true))
        try expectGNU(before, after, context: 3)

        let other = text((0..<50_000).map { "other \($0)" }, newline: true)
        let disjoint = Diff.unified(before, other, path: "/x").split(separator: "\n")
        #expect(disjoint.filter { $0.hasPrefix("-") && !$0.hasPrefix("---") }.count == 10_000)
        #expect(disjoint.filter { $0.hasPrefix("+") && !$0.hasPrefix("+++") }.count == 50_000)

        let random = (0..<2).map { _ in text((0..<20_000).map { _ in "\(Int.random(in: 0..<50, using: &rng))" }, newline: true) }
        try expectGNU(random[0], random[1], context: 3)
    }
}

// MARK: Helpers

/// A small seeded generator (SplitMix64), so every run tests the same cases.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ z >> 30) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ z >> 27) &* 0x94D0_49BB_1331_11EB
        return z ^ z >> 31
    }
}

/// Lines drawn from `pool` kinds, with repeats, blanks, braces and non-ASCII among them.
private func randomLines(_ count: Int, pool: Int, _ rng: inout SplitMix) -> [String] {
    let fixed = ["", "}", "{", "\treturn nil", "# ü 日本 🙂", "x = 1  ", "e\u{301}", "\u{E9}"]
    return (0..<count).map { _ in
        let k = Int.random(in: 0..<pool, using: &rng)
        return k < fixed.count ? fixed[k] : "line \(k)"
    }
}

/// `lines` after a few random deletions, insertions, replacements and moves.
private func edited(_ lines: [String], pool: Int, _ rng: inout SplitMix) -> [String] {
    var out = lines
    for _ in 0..<Int.random(in: 1...5, using: &rng) {
        let at = Int.random(in: 0...out.count, using: &rng)
        let span = min(Int.random(in: 1...4, using: &rng), out.count - at)
        let fresh = randomLines(Int.random(in: 1...4, using: &rng), pool: pool + 5, &rng)
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: out.removeSubrange(at..<at + span)
        case 1: out.insert(contentsOf: fresh, at: at)
        case 2: out.replaceSubrange(at..<at + span, with: fresh)
        default:
            let moved = Array(out[at..<at + span])
            out.removeSubrange(at..<at + span)
            out.insert(contentsOf: moved, at: Int.random(in: 0...out.count, using: &rng))
        }
    }
    return out
}

private func text(_ lines: [String], newline: Bool) -> String {
    lines.isEmpty ? "" : lines.joined(separator: "\n") + (newline ? "\n" : "")
}

/// Checks that our hunks are GNU diff's, byte for byte (everything after the two header lines).
private func expectGNU(_ before: String, _ after: String, context: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let files = [before, after].map { ReferenceTool.temporaryFile(Array($0.utf8)) }
    defer { files.forEach { _ = unlink($0) } }
    let gnu = try #require(ReferenceTool.output(["diff", "-a", "-U", "\(context)", files[0], files[1]]), sourceLocation: sourceLocation)
    let ours = Array(Diff.unified(before, after, path: "/f", context: context).utf8)
    #expect(
        String(decoding: hunks(ours), as: UTF8.self) == String(decoding: hunks(gnu), as: UTF8.self),
        "before: \(before.debugDescription) after: \(after.debugDescription) context: \(context)",
        sourceLocation: sourceLocation)
}

private func hunks(_ diff: [UInt8]) -> ArraySlice<UInt8> {
    var rest = diff[...]
    for _ in 0..<2 { if let nl = rest.firstIndex(of: 10) { rest = rest[(nl + 1)...] } }
    return rest
}
