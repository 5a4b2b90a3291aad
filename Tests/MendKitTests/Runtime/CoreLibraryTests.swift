import Testing
@testable import MendKit

/// A stand-in for the interpreter: records printed and logged lines and calls builtin function values.
final class FakeContext: BuiltinContext {
    var printed: [String] = []
    var logged: [String] = []
    let effects: any Effects = ReadOnlyEffects()
    var choices: [String: String] = [:]

    func call(_ function: Value, _ arguments: [Value]) throws -> Value {
        switch function {
        case .function(.builtin(let b)): return try FakeContext.invoke(b, arguments, context: self)
        case .function(.bound(let b, let receiver)):
            return try FakeContext.invoke(b, arguments, receiver: receiver, context: self)
        default: throw MendError("the fake context calls only builtins, got \(function.typeName)")
        }
    }

    func printLine(_ text: String) { printed.append(text) }
    func logLine(_ text: String) { logged.append(text) }

    /// Binds positional and labelled arguments to the builtin's parameters (the rest to `rest` when
    /// variadic) and runs it.
    static func invoke(_ b: Builtin, _ positional: [Value], labelled: [String: Value] = [:],
                       receiver: Value = .null, context: FakeContext) throws -> Value {
        var values = [Value?](repeating: nil, count: b.params.count)
        var rest: [Value] = []
        for (i, v) in positional.enumerated() {
            if i < values.count { values[i] = v } else if b.variadic { rest.append(v) } else {
                throw MendError("\(b.signature): too many arguments")
            }
        }
        for (label, v) in labelled {
            guard let i = b.params.firstIndex(where: { $0.name == label }) else {
                throw MendError("\(b.signature): no parameter '\(label)'")
            }
            values[i] = v
        }
        var args = Arguments(builtin: b, values: values, rest: rest, receiver: receiver, context: context)
        return try b.body(&args)
    }
}

/// The core library in a registry, with a fake context to run it.
final class Library {
    let registry = Registry()
    let context = FakeContext()

    init() { CoreLibrary.register(into: registry) }

    /// Calls a core function.
    func call(_ name: String, _ args: Value..., labelled: [String: Value] = [:]) throws -> Value {
        guard let b = registry.functions[name] else { throw MendError("no function \(name)") }
        return try FakeContext.invoke(b, args, labelled: labelled, context: context)
    }

    /// Calls a method of a string or list.
    func method(_ receiver: Value, _ name: String, _ args: Value...) throws -> Value {
        let type = receiver.typeName
        guard let b = registry.methods[type]?[name] else { throw MendError("no method \(type).\(name)") }
        return try FakeContext.invoke(b, args, receiver: receiver, context: context)
    }

    /// The literal form of a core function's result.
    func eval(_ name: String, _ args: Value..., labelled: [String: Value] = [:]) throws -> String {
        guard let b = registry.functions[name] else { throw MendError("no function \(name)") }
        return try FakeContext.invoke(b, args, labelled: labelled, context: context).literal
    }
}

/// A builtin usable as a function value in map/filter/sort.
private func fn(_ name: String, _ body: @escaping @Sendable (Value) throws -> Value) -> Value {
    .function(.builtin(Builtin(name: name, params: [Builtin.Param("x")], doc: "") { args in try body(args.value(0)) }))
}

private func strings(_ xs: String...) -> Value { .list(ListRef(xs.map { .string($0) })) }
private func ints(_ xs: Int...) -> Value { .list(ListRef(xs.map { .int($0) })) }
private let second = 1_000_000_000

@Suite struct CoreLibraryTests {
    let lib = Library()

    @Test func everyBuiltinIsRegisteredWithDocsAndAnExample() throws {
        let functions = "len str int float bool abs min max range sort keys values get log print sleep env now version matches format fail type"
        for name in functions.split(separator: " ") {
            let b = try #require(lib.registry.functions[String(name)], "missing \(name)")
            #expect(b.kind == .function && b.namespace == nil)
        }
        for name in "split join trim lines starts_with ends_with replace upper lower contains".split(separator: " ") {
            let b = try #require(lib.registry.methods["string"]?[String(name)], "missing string.\(name)")
            #expect(b.kind == .method && b.qualifiedName == "string.\(name)")
        }
        for name in "map filter contains append".split(separator: " ") {
            let b = try #require(lib.registry.methods["list"]?[String(name)], "missing list.\(name)")
            #expect(b.kind == .method)
        }
        let all = Array(lib.registry.functions.values) + lib.registry.methods.values.flatMap(\.values)
        #expect(all.count == 23 + 10 + 4)
        for b in all {
            let summary = b.doc.split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
            #expect(summary.count > 10 && summary.hasSuffix("."), "\(b.qualifiedName): \(summary)")
            #expect(!b.example.isEmpty, "\(b.qualifiedName) has no example")
            #expect(!b.changesHost)
        }
        #expect(lib.registry.lookup("string.split")?.signature == "string.split(sep?)")
        #expect(lib.registry.lookup("get")?.signature == "get(container, key, default?)")
    }

    @Test func len() throws {
        #expect(try lib.eval("len", .string("héllo")) == "5")
        #expect(try lib.eval("len", .string("👨‍👩‍👧")) == "1")
        #expect(try lib.eval("len", ints(1, 2, 3)) == "3")
        #expect(try lib.eval("len", map(("a", .int(1)))) == "1")
        #expect(errorMessage { try lib.call("len", .int(5)) } == "len: 'value' must be a string, list or map, got int")
    }

    @Test func str() throws {
        #expect(try lib.call("str", .float(1.5)).display == "1.5")
        #expect(try lib.eval("str", .string("x")) == #""x""#)
        #expect(try lib.eval("str", strings("a")) == #""[\"a\"]""#)
        #expect(try lib.eval("str", .duration(90 * second)) == #""1m30s""#)
        #expect(try lib.eval("str", .version(try #require(Version("1.2")))) == #""1.2""#)
    }

    @Test func int() throws {
        #expect(try lib.eval("int", .string("  1_024 ")) == "1024")
        #expect(try lib.eval("int", .string("-5")) == "-5")
        #expect(try lib.eval("int", .float(2.9)) == "2")
        #expect(try lib.eval("int", .float(-2.9)) == "-2")
        #expect(try lib.eval("int", .bool(true)) == "1")
        #expect(try lib.eval("int", .size(2048)) == "2048")
        #expect(try lib.eval("int", .duration(second)) == "1000000000")
        #expect(errorMessage { try lib.call("int", .string("abc")) } == #"cannot convert "abc" to int"#)
        for bad in ["", "1__0", "_1", "1_", "1.5", "0x10", "99999999999999999999", "- 1"] {
            #expect(errorMessage { try lib.call("int", .string(bad)) } != nil, "int(\"\(bad)\")")
        }
        #expect(errorMessage { try lib.call("int", .float(1e20)) } == "cannot convert 1e+20 to int: out of range")
        #expect(errorMessage { try lib.call("int", .float(.infinity)) } == "cannot convert inf to int")
        #expect(errorMessage { try lib.call("int", .float(.nan)) } == "cannot convert nan to int")
        #expect(errorMessage { try lib.call("int", ints()) } == "cannot convert list to int")
    }

    @Test func float() throws {
        #expect(try lib.eval("float", .string(" 1.5 ")) == "1.5")
        #expect(try lib.eval("float", .int(2)) == "2.0")
        #expect(try lib.eval("float", .duration(1_500_000_000)) == "1.5")
        #expect(try lib.eval("float", .size(1024)) == "1024.0")
        #expect(errorMessage { try lib.call("float", .string("x")) } == #"cannot convert "x" to float"#)
        #expect(errorMessage { try lib.call("float", .null) } == "cannot convert nil to float")
    }

    @Test func bool() throws {
        for (text, value) in [("Yes", true), ("on", true), ("TRUE", true), ("1", true), ("no", false),
                              ("Off", false), ("false", false), ("0", false)] {
            #expect(try lib.eval("bool", .string(text)) == String(value))
        }
        #expect(try lib.eval("bool", .int(0)) == "false")
        #expect(try lib.eval("bool", .int(-2)) == "true")
        #expect(errorMessage { try lib.call("bool", .string("maybe")) }
            == #"cannot convert "maybe" to bool (expected true/false, yes/no, on/off or 1/0)"#)
        #expect(errorMessage { try lib.call("bool", .float(1)) } == "cannot convert float to bool")
    }

    @Test func abs() throws {
        #expect(try lib.eval("abs", .int(-3)) == "3")
        #expect(try lib.eval("abs", .float(-2.5)) == "2.5")
        #expect(try lib.eval("abs", .duration(-second)) == "1s")
        #expect(try lib.eval("abs", .size(-1024)) == "1KiB")
        #expect(errorMessage { try lib.call("abs", .int(.min)) } == "integer overflow in -(-9223372036854775808)")
        #expect(errorMessage { try lib.call("abs", .string("1")) }
            == "abs: 'value' must be a number, duration or size, got string")
    }

    @Test func minAndMax() throws {
        #expect(try lib.eval("min", .int(3), .float(1.5), .int(2)) == "1.5")
        #expect(try lib.eval("max", .int(3), .float(1.5), .int(2)) == "3")
        #expect(try lib.eval("max", list(.duration(2 * second), .duration(second / 2), .duration(60 * second))) == "1m0s")
        #expect(try lib.eval("min", strings("b", "a", "c")) == #""a""#)
        #expect(try lib.eval("min", .int(7)) == "7")
        #expect(errorMessage { try lib.call("min", ints()) } == "min: the list is empty (check len(xs) > 0 first)")
        #expect(errorMessage { try lib.call("max", ints()) } == "max: the list is empty (check len(xs) > 0 first)")
        #expect(errorMessage { try lib.call("min", .int(1), .string("a")) } == "cannot compare int and string")
        #expect(errorMessage { try lib.call("max", .size(1), .int(2)) }
            == "cannot compare size and int: give the number a unit, e.g. 512MiB")
    }

    @Test func range() throws {
        #expect(try lib.eval("range", .int(5)) == "[0, 1, 2, 3, 4]")
        #expect(try lib.eval("range", .int(2), .int(5)) == "[2, 3, 4]")
        #expect(try lib.eval("range", .int(10), .int(0), .int(-3)) == "[10, 7, 4, 1]")
        #expect(try lib.eval("range", .int(0), .int(10), .int(5)) == "[0, 5]")
        #expect(try lib.eval("range", .int(0)) == "[]")
        #expect(try lib.eval("range", .int(-3)) == "[]")
        #expect(try lib.eval("range", .int(5), .int(0)) == "[]")
        #expect(try lib.eval("range", .int(.max - 1), .int(.max)) == "[9223372036854775806]")
        #expect(try lib.eval("range", .int(.max - 2), .int(.max), .int(.max)) == "[9223372036854775805]")
        #expect(errorMessage { try lib.call("range", .int(1), .int(2), .int(0)) } == "range: step must not be 0")
        #expect(errorMessage { try lib.call("range", .int(200_000_000)) }
            == "range: 200000000 elements is more than 100000000; loop with `for i in range(…)` instead")
        #expect(errorMessage { try lib.call("range", .int(.min), .int(.max)) }?.hasPrefix("range: 18446744073709551615 elements") == true)
        #expect(errorMessage { try lib.call("range", .string("3")) } == "range: 'start_or_stop' must be an int, got string")
    }

    @Test func sort() throws {
        let xs = ints(3, 1, 2)
        #expect(try lib.eval("sort", xs) == "[1, 2, 3]")
        #expect(xs.literal == "[3, 1, 2]")
        #expect(try lib.eval("sort", xs, labelled: ["reverse": .bool(true)]) == "[3, 2, 1]")
        let words = strings("bb", "a", "cc", "d", "eee")
        let length = fn("length") { v in
            guard case .string(let s) = v else { throw MendError("not a string") }
            return .int(s.count)
        }
        // Stable: equal keys keep their order, also when reversed.
        #expect(try lib.eval("sort", words, labelled: ["key": length]) == #"["a", "d", "bb", "cc", "eee"]"#)
        #expect(try lib.eval("sort", words, labelled: ["key": length, "reverse": .bool(true)])
            == #"["eee", "bb", "cc", "a", "d"]"#)
        #expect(try lib.eval("sort", words, .null, .bool(false)) == #"["a", "bb", "cc", "d", "eee"]"#)
        #expect(try lib.eval("sort", list(.float(2.5), .int(1), .int(3))) == "[1, 2.5, 3]")
        #expect(errorMessage { try lib.call("sort", list(.int(1), .string("a"))) } != nil)
        #expect(errorMessage { try lib.call("sort", list(.string("a"), .int(1))) } == "cannot compare int and string")
        #expect(errorMessage { try lib.call("sort", xs, .int(1)) } == "sort: 'key' must be a function, got int")
        #expect(errorMessage { try lib.call("sort", xs, labelled: ["reverse": .int(1)]) }
            == "sort: 'reverse' must be a bool, got int")
        #expect(errorMessage { try lib.call("sort", .string("cba")) } == "sort: 'list' must be a list, got string")
    }

    @Test func keysValuesAndGet() throws {
        let m = map(("b", .int(2)), ("a", .int(1)))
        #expect(try lib.eval("keys", m) == #"["b", "a"]"#)
        #expect(try lib.eval("values", m) == "[2, 1]")
        #expect(try lib.eval("get", m, .string("a")) == "1")
        #expect(try lib.eval("get", m, .string("z")) == "nil")
        #expect(try lib.eval("get", m, .string("z"), .int(0)) == "0")
        #expect(try lib.eval("get", m, ints(), .int(0)) == "0")
        let xs = ints(10, 20, 30)
        #expect(try lib.eval("get", xs, .int(-1)) == "30")
        #expect(try lib.eval("get", xs, .int(3), .string("none")) == #""none""#)
        #expect(try lib.eval("get", xs, .int(-4)) == "nil")
        #expect(errorMessage { try lib.call("get", xs, .string("a")) } == "get: 'key' must be an int, got string")
        #expect(errorMessage { try lib.call("get", .string("abc"), .int(0)) }
            == "get: 'container' must be a map or a list, got string")
        #expect(errorMessage { try lib.call("keys", xs) } == "keys: 'map' must be a map, got list")
    }

    @Test func printAndLogUseDisplayForms() throws {
        #expect(try lib.eval("print", .string("free:"), .size(50_004_092_273), strings("a"), .null) == "nil")
        #expect(try lib.eval("print") == "nil")
        #expect(lib.context.printed == [#"free: 46.57GiB ["a"] nil"#, ""])
        _ = try lib.call("log", .string("restarting"), .int(1))
        #expect(lib.context.logged == ["restarting 1"])
    }

    @Test func sleepNowAndEnv() throws {
        let before = try lib.call("now")
        guard case .float(let t0) = before else { Issue.record("now() is not a float"); return }
        #expect(t0 > 1.7e9)
        let clock = ContinuousClock()
        let elapsed = try clock.measure { _ = try lib.call("sleep", .duration(20_000_000)) }
        #expect(elapsed >= .milliseconds(20))
        #expect(errorMessage { try lib.call("sleep", .duration(-second)) }
            == "sleep: the duration must not be negative, got -1s")
        #expect(errorMessage { try lib.call("sleep", .int(1)) } == "sleep: 'duration' must be a duration (e.g. 5s), got int")
        guard case .string(let path) = try lib.call("env", .string("PATH")) else {
            Issue.record("PATH is not set")
            return
        }
        #expect(!path.isEmpty)
        #expect(try lib.eval("env", .string("MEND_TEST_SURELY_UNSET")) == "nil")
        #expect(try lib.eval("env", .string("MEND_TEST_SURELY_UNSET"), .string("d")) == #""d""#)
    }

    /// getenv takes a C string and matches a name up to `=`: `PATH\0x` would read PATH, and `A=B`
    /// the rest of A's value when it starts with `B=`.
    @Test func envNamesWithANULByteOrEqualsAreErrors() {
        #expect(errorMessage { try lib.call("env", .string("PATH\0x")) } == #"env: 'name' contains a NUL byte (\0 at offset 4)"#)
        #expect(errorMessage { try lib.call("env", .string("PATH=")) }
                == #"env: 'name' must be a variable name without "=", got "PATH=""#)
    }

    @Test func version() throws {
        #expect(try lib.eval("version", .string("v1.21.10")) == #"version("v1.21.10")"#)
        #expect(try Operators.binary(.gt, lib.call("version", .string("1.21.10")), lib.call("version", .string("1.9"))).literal == "true")
        #expect(errorMessage { try lib.call("version", .string("abc")) }
            == #"version: cannot parse "abc" as a version (expected e.g. "1.2.3")"#)
        #expect(errorMessage { try lib.call("version", .int(1)) } == "version: 'text' must be a string, got int")
    }

    @Test func matches() throws {
        #expect(try lib.eval("matches", .string("kernel 6.1.0-13"), .string(#"^kernel \d+\."#)) == "true")
        #expect(try lib.eval("matches", .string("abc"), .string("b")) == "true")
        #expect(try lib.eval("matches", .string("abc"), .string("^b")) == "false")
        #expect(try lib.eval("matches", .string("é"), .string("^.$")) == "true")
        let bad = errorMessage { try lib.call("matches", .string("a"), .string("(unclosed")) }
        #expect(bad?.hasPrefix(#"matches: invalid regex "(unclosed": "#) == true, "\(bad ?? "no error")")
        #expect(errorMessage { try lib.call("matches", .string("a"), .int(1)) } == "matches: 'regex' must be a string, got int")
    }

    @Test func format() throws {
        #expect(try lib.call("format", .string("{:>6.2}"), .float(3.14159)).display == "  3.14")
        #expect(try lib.call("format", .string("{} is {}"), .string("x"), strings("a")).display == #"x is ["a"]"#)
        #expect(try lib.call("format", .string("{1}{0}{1}"), .int(1), .int(2)).display == "212")
        #expect(try lib.call("format", .string("{{}} {{{}}}"), .int(5)).display == "{} {5}")
        #expect(try lib.call("format", .string("[{:*^7}]"), .string("ab")).display == "[**ab***]")
        #expect(try lib.call("format", .string("[{:<4}][{:4}][{:4}]"), .int(1), .int(2), .string("s")).display
            == "[1   ][   2][s   ]")
        #expect(try lib.call("format", .string("{:.0} {:.3}"), .float(2.5), .int(2)).display == "2 2.000")
        #expect(try lib.call("format", .string("{:-<8}|"), .duration(1_500_000_000)).display == "1.5s----|")
        #expect(try lib.call("format", .string("{:2}"), .string("long")).display == "long")
        #expect(try lib.call("format", .string("héllo")).display == "héllo")
        #expect(errorMessage { try lib.call("format", .string("{} {}"), .int(1)) }
            == "format: field {} needs argument 2, but 1 was given")
        #expect(errorMessage { try lib.call("format", .string("a { b"), .int(1)) }
            == "format: '{' without a closing '}' (write {{ for a literal brace)")
        #expect(errorMessage { try lib.call("format", .string("a } b")) }
            == "format: '}' without an opening '{' (write }} for a literal brace)")
        #expect(errorMessage { try lib.call("format", .string("{:.2}"), .string("x")) }
            == "format: precision .2 applies to numbers, got string")
        #expect(errorMessage { try lib.call("format", .string("{:x}"), .int(1)) }
            == "format: bad spec in {:x}: expected [[fill]align][width][.precision], e.g. {:>8.2}")
        #expect(errorMessage { try lib.call("format", .string("{a}"), .int(1)) }
            == "format: bad field {a}: expected {}, {0} or {:spec}")
        #expect(errorMessage { try lib.call("format", .string("{:99999999999}"), .int(1)) }
            == "format: width in {:99999999999} is over 1000000")
    }

    @Test func failAndType() throws {
        do {
            _ = try lib.call("fail", .string("no disks found"))
            Issue.record("fail did not throw")
        } catch let e as MendError {
            #expect(e.message == "no disks found")
            #expect(e.kind == .failure)
        }
        #expect(try lib.eval("type", .duration(5)) == #""duration""#)
        #expect(try lib.eval("type", .null) == #""nil""#)
        #expect(try lib.eval("type", .size(1)) == #""size""#)
        #expect(try lib.eval("type", fn("f") { $0 }) == #""function""#)
    }

    @Test func stringMethods() throws {
        #expect(try lib.method(.string("  a b\t\nc  "), "split").literal == #"["a", "b", "c"]"#)
        #expect(try lib.method(.string(""), "split").literal == "[]")
        #expect(try lib.method(.string("a, b,,c"), "split", .string(",")).literal == #"["a", " b", "", "c"]"#)
        #expect(try lib.method(.string("a::b"), "split", .string("::")).literal == #"["a", "b"]"#)
        #expect(errorMessage { try lib.method(.string("a"), "split", .string("")) }
            == "string.split: the separator must not be empty")
        #expect(try lib.method(.string(", "), "join", list(.string("a"), .int(1), .duration(2 * second))).literal
            == #""a, 1, 2s""#)
        #expect(errorMessage { try lib.method(.string(","), "join", .string("ab")) }
            == "string.join: 'list' must be a list, got string")
        #expect(try lib.method(.string("  eth0\n"), "trim").literal == #""eth0""#)
        #expect(try lib.method(.string("a\nb\r\nc\n"), "lines").literal == #"["a", "b", "c"]"#)
        #expect(try lib.method(.string("a\n\nb"), "lines").literal == #"["a", "", "b"]"#)
        #expect(try lib.method(.string(""), "lines").literal == "[]")
        #expect(try lib.method(.string("net.core"), "starts_with", .string("net.")).literal == "true")
        #expect(try lib.method(.string("x.service"), "ends_with", .string(".socket")).literal == "false")
        #expect(try lib.method(.string("a-b-c"), "replace", .string("-"), .string("_")).literal == #""a_b_c""#)
        #expect(errorMessage { try lib.method(.string("a"), "replace", .string(""), .string("x")) }
            == "string.replace: 'old' must not be empty")
        #expect(try lib.method(.string("eth0"), "upper").literal == #""ETH0""#)
        #expect(try lib.method(.string("YES"), "lower").literal == #""yes""#)
        #expect(try lib.method(.string("Active: failed"), "contains", .string("fail")).literal == "true")
        #expect(errorMessage { try lib.method(.string("a"), "contains", .int(1)) }
            == "string.contains: 'text' must be a string, got int")
    }

    @Test func aMethodChecksItsReceiver() throws {
        let split = try #require(lib.registry.methods["string"]?["split"])
        #expect(errorMessage { try FakeContext.invoke(split, [], receiver: .int(1), context: lib.context) }
            == "string.split: called on int, expected a string")
        let append = try #require(lib.registry.methods["list"]?["append"])
        #expect(errorMessage { try FakeContext.invoke(append, [.int(1)], receiver: .string("a"), context: lib.context) }
            == "list.append: called on string, expected a list")
    }

    @Test func listMethods() throws {
        let xs = ints(1, 2, 3, 4)
        let double = fn("double") { try Operators.binary(.mul, $0, .int(2)) }
        #expect(try lib.method(xs, "map", double).literal == "[2, 4, 6, 8]")
        let even = fn("even") { .bool(try Operators.equal(Operators.binary(.mod, $0, .int(2)), .int(0))) }
        #expect(try lib.method(xs, "filter", even).literal == "[2, 4]")
        #expect(xs.literal == "[1, 2, 3, 4]")
        #expect(errorMessage { try lib.method(xs, "filter", double) }
            == "list.filter: the function must return a bool, got int")
        #expect(errorMessage { try lib.method(xs, "map", .int(1)) } == "list.map: 'fn' must be a function, got int")
        #expect(errorMessage { try lib.method(xs, "map", fn("boom") { _ in throw MendError("boom") }) } == "boom")
        #expect(try lib.method(xs, "contains", .float(2)).literal == "true")
        #expect(try lib.method(xs, "contains", .string("2")).literal == "false")
        #expect(try lib.method(xs, "append", .int(5)).literal == "nil")
        #expect(xs.literal == "[1, 2, 3, 4, 5]")
    }
}
