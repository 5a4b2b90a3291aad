import Testing
@testable import MendKit

/// The caps of issue 11 on the paths the memory review found open: `split` and `lines` (elements),
/// and the printer behind `str`, `print`, `"${x}"`, `format` and `join` (bytes), whose output can
/// be far larger than what the value holds when it holds one large string many times.
@Suite struct MemoryLimitsTests {
    private func strings(_ value: [Value]) -> [String] {
        value.map { if case .string(let s) = $0 { s } else { "<\($0.typeName)>" } }
    }

    /// The message of the MendError `body` throws, or nil (recording an issue) when it throws none.
    private func message(_ body: () throws -> Any) -> String? {
        do {
            _ = try body()
            Issue.record("expected an error")
        } catch let e as MendError {
            return e.message
        } catch {
            Issue.record("expected a MendError, got \(error)")
        }
        return nil
    }

    // MARK: split and lines

    @Test func linesAndSplitCutAsBefore() throws {
        #expect(strings(try CoreLibrary.lines(of: "a\nb\r\nc\n\n")) == ["a", "b", "c", ""])
        #expect(strings(try CoreLibrary.lines(of: "a\r\r\nb\rc")) == ["a\r", "b\rc"])
        #expect(strings(try CoreLibrary.lines(of: "\r\n\n")) == ["", ""])
        #expect(try CoreLibrary.lines(of: "").isEmpty)
        #expect(strings(try CoreLibrary.lines(of: "é\u{301}\nx")) == ["é\u{301}", "x"])
        #expect(strings(try CoreLibrary.split("a, b,,c", separator: ",")) == ["a", " b", "", "c"])
        #expect(strings(try CoreLibrary.split("a--b---c", separator: "--")) == ["a", "b", "-c"])
        #expect(strings(try CoreLibrary.split("", separator: ",")) == [""])
        #expect(strings(try CoreLibrary.split("a,", separator: ",")) == ["a", ""])
        #expect(strings(try CoreLibrary.split("  a \t b\n\nc  ", separator: nil)) == ["a", "b", "c"])
        #expect(strings(try CoreLibrary.split("e\u{301} x", separator: nil)) == ["e\u{301}", "x"])
        #expect(try CoreLibrary.split(" \n ", separator: nil).isEmpty)
    }

    /// One call may make up to a part per byte: past the element cap it is an error, stopped at the
    /// first part too many (a small cap here; the real one is 100000000).
    @Test func linesAndSplitStopAtTheElementCap() throws {
        #expect(try CoreLibrary.split("a,b,c", separator: ",", maxElements: 3).count == 3)
        #expect(message { try CoreLibrary.split("a,b,c,d", separator: ",", maxElements: 3) }
                == "string.split: 4 elements is over the limit of 3 elements")
        #expect(message { try CoreLibrary.split("a b c d", separator: nil, maxElements: 3) }
                == "string.split: 4 elements is over the limit of 3 elements")
        #expect(try CoreLibrary.lines(of: "a\nb\nc\n", maxElements: 3).count == 3)
        #expect(message { try CoreLibrary.lines(of: "a\nb\nc\nd", maxElements: 3) }
                == "string.lines: 4 elements is over the limit of 3 elements")
    }

    // MARK: The printer's byte cap

    /// 10^5 references to one 1000-byte string, through five levels of shared lists: about 100 KB
    /// of values that print as more than 100 MB.
    private static func sharedStrings() -> Value {
        var level = Value.string(String(repeating: "x", count: 1000))
        for _ in 0..<5 { level = .list(ListRef(Array(repeating: level, count: 10))) }
        return level
    }

    @Test func printingSharedStringsStopsAtTheStringCap() throws {
        let shared = Self.sharedStrings()
        let error = message { try shared.displayText("str") }
        #expect(error?.hasPrefix("str: a string of more than ") == true, "\(error ?? "")")
        #expect(error?.hasSuffix(" bytes is over the limit of 100000000 bytes") == true, "\(error ?? "")")
        // The forms that cannot fail (the REPL's, error messages) stop there too, ending with `…`.
        let literal = shared.literal
        #expect(literal.hasSuffix("…"))
        #expect(literal.utf8.count <= ValueLimits.maxStringBytes + 2_000)
    }

    /// A few large strings: the printer refuses the one that would pass the cap before quoting it.
    @Test func theBuiltinsThatPrintReportTheCap() throws {
        let big = Value.string(String(repeating: "y", count: 40_000_000))
        let three = Value.list(ListRef([big, big, big]))
        let library = Library()
        let str = message { try library.call("str", three) }
        #expect(str?.hasPrefix("str: a string of more than") == true, "\(str ?? "")")
        let join = message { try library.method(.string(""), "join", three) }
        #expect(join?.hasPrefix("string.join: a string of 120000000 bytes is over the limit") == true, "\(join ?? "")")
        let format = message { try library.call("format", .string("{}{}{}"), big, big, big) }
        #expect(format?.hasPrefix("format: a string of 120000000 bytes is over the limit") == true, "\(format ?? "")")
        let print = message { try library.call("print", big, big, big) }
        #expect(print?.hasPrefix("print: a string of ") == true, "\(print ?? "")")
        #expect(library.context.printed.isEmpty)
        // Within the cap all of them still work.
        let small = Value.list(ListRef([.string("a"), .int(1)]))
        #expect(try library.call("str", small).display == #"["a", 1]"#)
        #expect(try library.call("format", .string("{}|{:>4}"), small, .int(7)).display == #"["a", 1]|   7"#)
    }

    @Test func interpolationOfSharedStringsIsAnError() throws {
        let interpreter = Interpreter()
        do {
            _ = try interpreter.evaluate("""
                let s = "x" * 1000
                let a = [s, s, s, s, s, s, s, s, s, s]
                let b = [a, a, a, a, a, a, a, a, a, a]
                let c = [b, b, b, b, b, b, b, b, b, b]
                let d = [c, c, c, c, c, c, c, c, c, c]
                let e = [d, d, d, d, d, d, d, d, d, d]
                "${e}"
                """)
            Issue.record("expected an error")
        } catch let e as MendError {
            #expect(e.message.hasPrefix("string interpolation: a string of more than"), "\(e.message)")
        }
    }

    /// The REPL's layout: a list of one large string many times stops at the cap with a `…` line.
    @Test func prettyPrintingStopsAtTheStringCap() throws {
        let big = Value.string(String(repeating: "z", count: 30_000_000))
        let text = Value.list(ListRef(Array(repeating: big, count: 10))).pretty(width: 80)
        #expect(text.hasSuffix("\n…"))
        #expect(text.utf8.count <= ValueLimits.maxStringBytes + 100)
        #expect(Value.list(ListRef([.string("a"), .int(1)])).pretty(width: 80) == #"["a", 1]"#)
    }
}
