import Testing
@testable import MendKit

/// Builds a list value.
func list(_ items: Value...) -> Value { .list(ListRef(items)) }

/// Builds a map value with string keys, in order.
func map(_ pairs: (String, Value)...) -> Value {
    let m = MapRef()
    for (k, v) in pairs { m[k] = v }
    return .map(m)
}

/// Breaks a long chain of nested lists one link at a time, so freeing it does not recurse
/// once per level (which would overflow the stack of a test thread).
func dismantle(_ root: ListRef) {
    var current = root
    while case .list(let next)? = current.items.first {
        current.items = []
        current = next
    }
}

/// `depth` lists nested in each other around 0: `[[[0]]]`.
func nested(_ depth: Int) -> ListRef {
    var current = ListRef([.int(0)])
    for _ in 1..<depth { current = ListRef([.list(current)]) }
    return current
}

@Suite struct FormattingTests {
    @Test(arguments: [
        (0, "0s"), (1, "1ns"), (999, "999ns"), (1_100, "1.1µs"), (2_200_000, "2.2ms"), (100_000_000, "100ms"),
        (1_000_000_000, "1s"), (1_500_000_000, "1.5s"), (2_100_000_000, "2.1s"), (90_000_000_000, "1m30s"),
        (3_600_000_000_000, "1h0m0s"), (3_600_000_000_001, "1h0m0.000000001s"), (86_400_000_000_000, "24h0m0s"),
        (-5_000_000_000, "-5s"), (-1, "-1ns"),
        (Int.max, "2562047h47m16.854775807s"), (Int.min, "-2562047h47m16.854775808s"),
    ])
    func durationsPrintLikeGo(ns: Int, text: String) {
        #expect(Value.formatDuration(ns) == text)
        #expect(Value.duration(ns).literal == text)
    }

    @Test(arguments: [
        (0, "0B"), (512, "512B"), (1023, "1023B"), (1024, "1KiB"), (1034, "1.01KiB"), (1500, "1.46KiB"),
        (1536, "1.5KiB"), (1024 * 1024 - 1, "1MiB"), (16 << 30, "16GiB"), (50_004_092_273, "46.57GiB"),
        (1_000_000_000_000, "931.32GiB"), (-2048, "-2KiB"), (Int.max, "8388608TiB"), (Int.min, "-8388608TiB"),
    ])
    func sizesPrintInTheLargestBinaryUnit(bytes: Int, text: String) {
        #expect(Value.formatSize(bytes) == text)
        #expect(Value.size(bytes).literal == text)
    }

    @Test func floatsAlwaysShowAPointOrAnExponent() {
        #expect(Value.float(1).literal == "1.0")
        #expect(Value.float(1.5).literal == "1.5")
        #expect(Value.float(-0.0).literal == "-0.0")
        #expect(Value.float(0.1 + 0.2).literal == "0.30000000000000004")
        #expect(Value.float(1e16).literal == "1e+16")
        #expect(Value.float(1e-5).literal == "1e-05")
        #expect(Value.float(.infinity).literal == "inf")
        #expect(Value.float(.nan).literal == "nan")
    }

    @Test func scalars() {
        #expect(Value.null.literal == "nil")
        #expect(Value.bool(true).literal == "true")
        #expect(Value.int(-42).literal == "-42")
        #expect(Value.int(Int.min).display == "-9223372036854775808")
    }

    @Test func stringsAreQuotedInLiteralFormAndBareInDisplayForm() {
        let s = Value.string("say \"hi\"\n\tpath\\ $HOME ${x}\r\0\u{1}")
        #expect(s.literal == #""say \"hi\"\n\tpath\\ $HOME \${x}\r\0\u{1}""#)
        #expect(s.display == "say \"hi\"\n\tpath\\ $HOME ${x}\r\0\u{1}")
        #expect(Value.string("héllo 😀").literal == "\"héllo 😀\"")
    }

    @Test func versions() throws {
        let v = try #require(Version("1.2.3"))
        #expect(Value.version(v).literal == #"version("1.2.3")"#)
        #expect(Value.version(v).display == "1.2.3")
        #expect(list(.version(v)).display == #"[version("1.2.3")]"#)
    }

    @Test func listsAndMapsShowElementsInLiteralForm() {
        #expect(list(.int(1), .string("a"), .float(2), .duration(1_500_000_000)).display == #"[1, "a", 2.0, 1.5s]"#)
        #expect(list().literal == "[]")
        let m = MapRef()
        m["name"] = .string("x")
        m["any key"] = .int(1)
        m.entries[.int(1)] = .int(2)
        m["if"] = .int(3)
        m["_private9"] = .null
        m["9lives"] = .null
        #expect(Value.map(m).display == #"{name: "x", "any key": 1, 1: 2, "if": 3, _private9: nil, "9lives": nil}"#)
        #expect(map().literal == "{}")
    }

    @Test func functionsPrintTheirName() {
        let b = Builtin(name: "len", doc: "") { _ in .null }
        #expect(Value.function(.builtin(b)).literal == "<fn len>")
        let m = Builtin(namespace: "string", name: "split", kind: .method, doc: "") { _ in .null }
        #expect(Value.function(.bound(m, .string("a"))).display == "<fn string.split>")
    }

    @Test func cyclesPrintAnEllipsis() {
        let xs = ListRef([.int(1)])
        xs.items.append(.list(xs))
        #expect(Value.list(xs).literal == "[1, …]")
        let m = MapRef()
        m["self"] = .map(m)
        m["list"] = .list(xs)
        #expect(Value.map(m).literal == "{self: …, list: [1, …]}")
        // Break the cycles so the test does not leak them.
        xs.items = []
        m.entries = [:]
    }

    @Test func aSharedListIsNotACycle() {
        let shared = list(.int(1))
        #expect(list(shared, shared).literal == "[[1], [1]]")
    }

    @Test func nestingDeeperThan64PrintsAnEllipsis() {
        let deep = nested(100_000)
        let text = Value.list(deep).literal
        #expect(text.filter { $0 == "[" }.count == Printer.maxDepth)
        #expect(text.contains("…"))
        #expect(!text.contains("0"))
        dismantle(deep)
    }

    @Test func exponentiallySharedStructureStopsAtTheBudget() {
        var v = list(.int(1), .int(2))
        for _ in 0..<40 { v = list(v, v) }
        let text = v.literal
        #expect(text.contains("…"))
        #expect(text.filter { $0 == "1" }.count <= Printer.elementBudget)
    }
}
