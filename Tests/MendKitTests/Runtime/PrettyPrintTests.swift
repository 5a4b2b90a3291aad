import Testing
@testable import MendKit

/// `Value.pretty(width:)`: what the REPL and `mend eval` print. `list`, `map`, `nested` and `dismantle`
/// come from FormattingTests.swift.
@Suite struct PrettyPrintTests {
    /// The lines of the expected output, so multi-line expectations read as they print.
    private func lines(_ lines: String...) -> String { lines.joined(separator: "\n") }

    @Test func scalarsPrintTheirLiteral() {
        #expect(Value.int(6).pretty() == "6")
        #expect(Value.string("x").pretty() == "\"x\"")
        #expect(Value.string("a\nb ${c}").pretty() == #""a\nb \${c}""#)
        #expect(Value.size(16 << 30).pretty() == "16GiB")
        #expect(Value.duration(1_500_000_000).pretty() == "1.5s")
        #expect(Value.null.pretty() == "nil")
        // A scalar cannot be broken up: too long, it still prints whole.
        let long = String(repeating: "y", count: 100)
        #expect(Value.string(long).pretty(width: 10) == "\"" + long + "\"")
    }

    @Test func aValueThatFitsPrintsItsLiteralOnOneLine() {
        let v = map(("name", .string("node")), ("ports", list(.int(1), .int(2))), ("max files", .size(1024)))
        #expect(v.pretty() == v.literal)
        #expect(v.pretty() == #"{name: "node", ports: [1, 2], "max files": 1KiB}"#)
    }

    @Test func exactlyWidthColumnsFit() {
        let v = list(.int(100), .int(200), .int(300))
        #expect(v.literal.count == 15)
        #expect(v.pretty(width: 15) == "[100, 200, 300]")
        #expect(v.pretty(width: 14) == lines("[", "  100,", "  200,", "  300", "]"))
    }

    @Test func nestedValuesIndentByTwoAndStayOnOneLineWhenTheyFit() {
        let v = map(
            ("name", .string("node")),
            ("limits", map(("nofile", .int(65536)), ("nproc", .int(4096)))),
            ("ports", list(.int(30303), .int(30304), .int(8545))),
            ("if", .bool(true))
        )
        #expect(v.pretty(width: 30) == lines(
            "{",
            "  name: \"node\",",
            "  limits: {",
            "    nofile: 65536,",
            "    nproc: 4096",
            "  },",
            "  ports: [30303, 30304, 8545],",
            "  \"if\": true",
            "}"
        ))
        #expect(v.pretty(width: 40) == lines(
            "{",
            "  name: \"node\",",
            "  limits: {nofile: 65536, nproc: 4096},",
            "  ports: [30303, 30304, 8545],",
            "  \"if\": true",
            "}"
        ))
    }

    @Test func anElementsCommaCountsTowardsItsLine() {
        // `  [1, 2, 3],` is 12 columns; the last element has no comma, so 11 are enough for it.
        let v = list(list(.int(1), .int(2), .int(3)), list(.int(4), .int(5), .int(6)))
        #expect(v.pretty(width: 11) == lines(
            "[",
            "  [",
            "    1,",
            "    2,",
            "    3",
            "  ],",
            "  [4, 5, 6]",
            "]"
        ))
        #expect(v.pretty(width: 12) == lines("[", "  [1, 2, 3],", "  [4, 5, 6]", "]"))
    }

    @Test func emptyContainersAndScalarsInsideIndentedForms() {
        let v = map(("empty", list()), ("none", map()), ("text", .string(String(repeating: "z", count: 30))))
        #expect(v.pretty(width: 20) == lines(
            "{",
            "  empty: [],",
            "  none: {},",
            "  text: \"" + String(repeating: "z", count: 30) + "\"",
            "}"
        ))
    }

    @Test func aListOfMapsIsATableEvenWhenItFits() {
        let v = list(
            map(("name", .string("init")), ("pid", .int(1)), ("rss", .size(12 << 20))),
            map(("name", .string("sshd")), ("pid", .int(812)), ("rss", .size(5 << 20)))
        )
        #expect(v.pretty() == lines(
            "name  pid    rss",
            "----  ---  -----",
            "init    1  12MiB",
            "sshd  812   5MiB"
        ))
    }

    @Test func tableColumnsFollowFirstAppearanceAndMissingKeysLeaveCellsEmpty() {
        let v = list(
            map(("name", .string("a")), ("state", .string("running"))),
            map(("name", .string("bb")), ("pid", .int(42))),
            map(("state", .string("")), ("name", .string("c")), ("note", .string("x\ty")))
        )
        #expect(v.pretty() == lines(
            "name  state    pid  note",
            "----  -------  ---  ------",
            "a     running",
            "bb              42",
            #"c     ""            "x\ty""#
        ))
    }

    @Test func tableCellsPadByCharactersAndShowOtherValuesInLiteralForm() {
        let v = list(
            map(("name", .string("café 😀")), ("tags", list(.string("a"), .string("b"))), ("on", .bool(true))),
            map(("name", .string("日本")), ("tags", list()), ("on", .null))
        )
        #expect(v.pretty() == lines(
            "name    tags        on",
            "------  ----------  ----",
            "café 😀  [\"a\", \"b\"]  true",
            "日本      []          nil"
        ))
    }

    @Test func headersShowKeysLikeCells() {
        let m = MapRef()
        m["max open files"] = .int(1024)
        m.entries[.int(7)] = .string("seven")
        m[""] = .bool(false)
        #expect(Value.list(ListRef([.map(m)])).pretty() == lines(
            "max open files  7      \"\"",
            "--------------  -----  -----",
            "          1024  seven  false"
        ))
    }

    @Test func aLoneMapIsATableOnlyWithTwoKeysOrMore() {
        #expect(list(map(("a", .int(1)))).pretty() == "[{a: 1}]")
        #expect(list(map(("a", .int(1)), ("b", .int(2)))).pretty() == lines("a  b", "-  -", "1  2"))
        #expect(list(map(("a", .int(1))), map(("a", .int(2)))).pretty() == lines("a", "-", "1", "2"))
    }

    @Test func listsThatAreNotAllMapsOrHaveNoKeysAreNotTables() {
        #expect(list(map(("a", .int(1)), ("b", .int(2))), .int(3)).pretty() == "[{a: 1, b: 2}, 3]")
        #expect(list(map(), map()).pretty() == "[{}, {}]")
        #expect(list().pretty() == "[]")
    }

    @Test func onlyTheOutermostListOfMapsIsATable() {
        let rows = list(map(("a", .int(1)), ("b", .int(2))), map(("a", .int(3)), ("b", .int(4))))
        #expect(map(("rows", rows)).pretty() == "{rows: [{a: 1, b: 2}, {a: 3, b: 4}]}")
    }

    @Test func aCellWithALineBreakFallsBackToTheIndentedForm() {
        // U+2028 is not a control character, and quoting does not escape it: the cell would break, and
        // so would the row's literal form.
        let v = list(map(("a", .string("x\u{2028}y")), ("b", .int(1))), map(("a", .string("z")), ("b", .int(2))))
        #expect(v.pretty() == lines(
            "[",
            "  {",
            "    a: \"x\u{2028}y\",",
            "    b: 1",
            "  },",
            "  {a: \"z\", b: 2}",
            "]"
        ))
    }

    @Test func aTableWiderThan200ColumnsFallsBackToTheIndentedForm() {
        let wide = String(repeating: "w", count: 196)
        let fits = list(map(("a", .string(wide)), ("b", .int(1))), map(("a", .string("x")), ("b", .int(22))))
        // 196 + 2 + 2 = 200 columns: still a table, even at width 80.
        #expect(fits.pretty().split(separator: "\n").map(\.count) == [200, 200, 200, 200])
        let tooWide = list(map(("a", .string(wide + "w")), ("b", .int(1))), map(("a", .string("x")), ("b", .int(22))))
        #expect(tooWide.pretty() == lines(
            "[",
            "  {",
            "    a: \"\(wide)w\",",
            "    b: 1",
            "  },",
            "  {a: \"x\", b: 22}",
            "]"
        ))
        // A wider terminal allows a wider table.
        #expect(tooWide.pretty(width: 300).hasPrefix("a"))
    }

    @Test func aDeeplyNestedListPrintsWithoutExhaustingTheStack() {
        let deep = nested(100_000)
        let text = Value.list(deep).pretty()
        let printed = text.split(separator: "\n")
        // One line per level down to where the literal form stops, `…`, and the closing brackets.
        #expect(printed.count == 2 * Printer.maxDepth + 1)
        #expect(printed[Printer.maxDepth].trimmingPrefix(while: { $0 == " " }) == "…")
        #expect(!text.contains("0"))
        dismantle(deep)
    }

    @Test func cyclesPrintAnEllipsisWhereTheLiteralFormDoes() {
        let xs = ListRef([.int(1)])
        xs.items.append(.list(xs))
        #expect(Value.list(xs).pretty() == "[1, …]")
        #expect(Value.list(xs).pretty(width: 5) == lines("[", "  1,", "  …", "]"))
        let m = MapRef()
        m["self"] = .map(m)
        m["inner"] = list(.map(m), .string(String(repeating: "q", count: 20)))
        #expect(Value.map(m).pretty(width: 30) == lines(
            "{",
            "  self: …,",
            "  inner: [",
            "    …,",
            "    \"qqqqqqqqqqqqqqqqqqqq\"",
            "  ]",
            "}"
        ))
        // In a table, a row's cells are inside the list and the row.
        let rows = ListRef()
        let row = MapRef()
        row["list"] = .list(rows)
        row["row"] = .map(row)
        rows.items = [.map(row), .map(row)]
        #expect(Value.list(rows).pretty() == lines("list  row", "----  ---", "…     …", "…     …"))
        // Break the cycles so the test does not leak them.
        xs.items = []
        m.entries = [:]
        rows.items = []
    }

    @Test func aHugeListPrintsTheLineBudgetAndCountsTheRest() {
        let v = Value.list(ListRef((0..<1_000_000).map { .int($0) }))
        let printed = v.pretty().split(separator: "\n")
        #expect(printed.count == PrettyPrinter.elementBudget + 3)
        #expect(printed[PrettyPrinter.elementBudget] == "  999,")
        #expect(printed[PrettyPrinter.elementBudget + 1] == "  … 999000 more")
        #expect(printed.last == "]")
    }

    @Test func aHugeTablePrintsTheLineBudgetAndCountsTheRest() {
        let v = Value.list(ListRef((0..<1_000_000).map { map(("n", .int($0)), ("even", .bool($0 % 2 == 0))) }))
        let printed = v.pretty().split(separator: "\n")
        #expect(printed.count == 2 + PrettyPrinter.elementBudget + 1)
        #expect(printed[2] == "  0  true")
        #expect(printed.last == "… 999000 more")
    }

    @Test func theBudgetIsSharedByNestedValues() {
        let big = list(.string(String(repeating: "b", count: 80)), .int(2))
        let v = Value.list(ListRef(Array(repeating: big, count: 1000)))
        let printed = v.pretty().split(separator: "\n")
        // Each inner list costs one element and its own two elements two more: 333 lists print whole (four
        // lines each, with the closing bracket), the 334th gets only its own line.
        #expect(Array(printed[1333...]) == ["  [", "    … 2 more", "  ],", "  … 666 more", "]"])
        #expect(printed.count == 1 + 333 * 4 + 3 + 2)
    }

    @Test func exponentiallySharedStructureStaysBounded() {
        var v = list(.int(1), .int(2))
        for _ in 0..<40 { v = list(v, v) }
        for width in [80, Int.max] {
            let text = v.pretty(width: width)
            #expect(text.contains("more"))
            #expect(text.split(separator: "\n").count < 2 * PrettyPrinter.elementBudget)
        }
    }
}
