import Testing
@testable import MendKit

/// The message of the MendError that `body` throws, or nil when it throws none.
func errorMessage(_ body: () throws -> Any) -> String? {
    do {
        _ = try body()
        return nil
    } catch let e as MendError {
        return e.message
    } catch {
        return "not a MendError: \(error)"
    }
}

private func op(_ o: BinaryOp, _ l: Value, _ r: Value) throws -> String {
    try Operators.binary(o, l, r).literal
}

private let s = 1_000_000_000

@Suite struct OperatorsTests {
    @Test func integerArithmeticIsGoLike() throws {
        #expect(try op(.add, .int(2), .int(3)) == "5")
        #expect(try op(.sub, .int(2), .int(3)) == "-1")
        #expect(try op(.mul, .int(-4), .int(3)) == "-12")
        #expect(try op(.div, .int(7), .int(2)) == "3")
        #expect(try op(.div, .int(-7), .int(2)) == "-3")
        #expect(try op(.mod, .int(-7), .int(2)) == "-1")
        #expect(try op(.mod, .int(7), .int(-2)) == "1")
    }

    @Test func floatsMixWithInts() throws {
        #expect(try op(.div, .float(7), .int(2)) == "3.5")
        #expect(try op(.div, .int(7), .float(2)) == "3.5")
        #expect(try op(.add, .int(1), .float(0.5)) == "1.5")
        #expect(try op(.mul, .float(1.5), .float(2)) == "3.0")
        #expect(try op(.mod, .float(-7.5), .int(2)) == "-1.5")
    }

    @Test func divisionByZeroIsAnError() {
        let cases: [(BinaryOp, Value, Value)] = [
            (.div, .int(1), .int(0)), (.mod, .int(1), .int(0)), (.div, .float(1), .int(0)),
            (.div, .int(1), .float(0)), (.div, .float(1), .float(-0.0)), (.mod, .float(1.5), .float(0)),
            (.div, .duration(s), .int(0)), (.div, .duration(s), .float(0)), (.div, .duration(s), .duration(0)),
            (.mod, .duration(s), .duration(0)), (.div, .size(1024), .size(0)),
        ]
        for (o, l, r) in cases {
            #expect(errorMessage { try Operators.binary(o, l, r) } == "division by zero", "\(l.literal) \(o.rawValue) \(r.literal)")
        }
    }

    @Test func overflowIsAnErrorNotATrap() {
        #expect(errorMessage { try Operators.binary(.add, .int(.max), .int(1)) }
            == "integer overflow in 9223372036854775807 + 1")
        #expect(errorMessage { try Operators.binary(.sub, .int(.min), .int(1)) }
            == "integer overflow in -9223372036854775808 - 1")
        #expect(errorMessage { try Operators.binary(.mul, .int(.max), .int(2)) }
            == "integer overflow in 9223372036854775807 * 2")
        #expect(errorMessage { try Operators.binary(.div, .int(.min), .int(-1)) }
            == "integer overflow in -9223372036854775808 / -1")
        #expect(errorMessage { try Operators.binary(.mod, .int(.min), .int(-1)) }
            == "integer overflow in -9223372036854775808 % -1")
        #expect(errorMessage { try Operators.negate(.int(.min)) } == "integer overflow in -(-9223372036854775808)")
        #expect(errorMessage { try Operators.binary(.add, .duration(.max), .duration(1)) }
            == "duration overflow in 2562047h47m16.854775807s + 1ns")
        #expect(errorMessage { try Operators.binary(.mul, .size(1 << 40), .int(1 << 30)) }
            == "size overflow in 1TiB * 1073741824")
        #expect(errorMessage { try Operators.binary(.mul, .duration(s), .float(1e300)) }
            == "duration overflow in 1s * 1e+300")
        #expect(errorMessage { try Operators.binary(.mul, .duration(s), .float(.nan)) }
            == "duration overflow in 1s * nan")
        #expect(errorMessage { try Operators.negate(.size(.min)) } != nil)
    }

    @Test func stringConcatenationAndRepetition() throws {
        #expect(try op(.add, .string("a"), .string("b")) == #""ab""#)
        #expect(try op(.mul, .string("-"), .int(3)) == #""---""#)
        #expect(try op(.mul, .int(2), .string("ab")) == #""abab""#)
        #expect(try op(.mul, .string("x"), .int(0)) == #""""#)
        #expect(errorMessage { try Operators.binary(.add, .string("n="), .int(1)) }
            == #"cannot add string and int: + joins strings only with strings; use "${x}" or str(x)"#)
        #expect(errorMessage { try Operators.binary(.add, .int(1), .string("a")) }?.contains("str(x)") == true)
        #expect(errorMessage { try Operators.binary(.mul, .string("x"), .int(-1)) }
            == "cannot repeat a string -1 times: the count must not be negative")
        #expect(errorMessage { try Operators.binary(.mul, .string("xy"), .int(.max)) }?
            .hasPrefix("string repetition too long") == true)
    }

    @Test func listConcatenationMakesANewList() throws {
        let a = ListRef([.int(1)])
        let b = ListRef([.int(2)])
        let c = try Operators.binary(.add, .list(a), .list(b))
        #expect(c.literal == "[1, 2]")
        #expect(a.items.count == 1 && b.items.count == 1)
        #expect(errorMessage { try Operators.binary(.add, .list(a), .int(1)) } == "cannot add list and int")
    }

    @Test func durationsAndSizes() throws {
        #expect(try op(.add, .duration(s), .duration(s / 2)) == "1.5s")
        #expect(try op(.sub, .size(2048), .size(1024)) == "1KiB")
        #expect(try op(.mul, .duration(2 * s), .int(3)) == "6s")
        #expect(try op(.mul, .int(3), .duration(2 * s)) == "6s")
        #expect(try op(.mul, .duration(s), .float(1.5)) == "1.5s")
        #expect(try op(.mul, .float(0.5), .size(1 << 30)) == "512MiB")
        #expect(try op(.div, .duration(s), .int(3)) == "333.333333ms")
        #expect(try op(.div, .duration(2 * s), .int(3)) == "666.666667ms")
        #expect(try op(.div, .duration(-2 * s), .int(3)) == "-666.666667ms")
        #expect(try op(.div, .duration(s), .float(4)) == "250ms")
        #expect(try op(.div, .duration(s), .duration(4 * s)) == "0.25")
        #expect(try op(.div, .size(1 << 30), .size(1 << 29)) == "2.0")
        #expect(try op(.mod, .duration(7 * s), .duration(2 * s)) == "1s")
        #expect(try Operators.negate(.duration(s)).literal == "-1s")
        #expect(try Operators.negate(.size(1024)).literal == "-1KiB")
        #expect(try Operators.negate(.float(1.5)).literal == "-1.5")
    }

    @Test func mixingAUnitWithAPlainNumberNamesTheFix() {
        #expect(errorMessage { try Operators.binary(.add, .size(1 << 29), .int(1)) }
            == "cannot add size and int: give the number a unit, e.g. 512MiB")
        #expect(errorMessage { try Operators.binary(.sub, .int(1), .size(1)) }
            == "cannot subtract int and size: give the number a unit, e.g. 512MiB")
        #expect(errorMessage { try Operators.binary(.add, .duration(s), .float(1)) }
            == "cannot add duration and float: give the number a unit, e.g. 5s")
        #expect(errorMessage { try Operators.binary(.lt, .duration(s), .int(10)) }
            == "cannot compare duration and int: give the number a unit, e.g. 5s")
        #expect(errorMessage { try Operators.binary(.ge, .int(10), .size(1)) }
            == "cannot compare int and size: give the number a unit, e.g. 512MiB")
        #expect(errorMessage { try Operators.binary(.add, .duration(s), .size(1)) } == "cannot add duration and size")
        #expect(errorMessage { try Operators.binary(.mul, .duration(s), .duration(s)) }
            == "cannot multiply duration by duration: multiply by a plain number")
        #expect(errorMessage { try Operators.binary(.div, .int(1), .duration(s)) } == "cannot divide int and duration: give the number a unit, e.g. 5s")
        #expect(errorMessage { try Operators.binary(.mod, .size(5), .size(2)) }
            == "cannot take the remainder of size and size")
        #expect(errorMessage { try Operators.negate(.string("a")) }
            == "cannot negate string: unary '-' needs a number, duration or size")
    }

    @Test func comparisons() throws {
        #expect(try op(.lt, .int(1), .float(1.5)) == "true")
        #expect(try op(.ge, .float(2), .int(2)) == "true")
        #expect(try op(.lt, .string("abc"), .string("abd")) == "true")
        #expect(try op(.gt, .duration(2 * s), .duration(s)) == "true")
        #expect(try op(.le, .size(1024), .size(1000)) == "false")
        let v110 = try #require(Version("1.10")), v19 = try #require(Version("1.9"))
        #expect(try op(.gt, .version(v110), .version(v19)) == "true")
        #expect(try op(.lt, .float(.nan), .int(1)) == "false")
        #expect(try op(.ge, .float(.nan), .float(.nan)) == "false")
        #expect(errorMessage { try Operators.binary(.lt, .int(1), .string("a")) } == "cannot compare int and string")
        #expect(errorMessage { try Operators.binary(.lt, .bool(true), .bool(false)) } == "cannot compare bool and bool")
        #expect(errorMessage { try Operators.compare(.float(.nan), .int(1)) } == "cannot compare nan: it is not ordered")
    }

    @Test func intsAndFloatsCompareExactly() throws {
        let big = 1 << 53
        #expect(!Operators.equal(.int(big + 1), .float(Double(big))))
        #expect(try Operators.compare(.int(big + 1), .float(Double(big))) == 1)
        #expect(try Operators.compare(.int(.max), .float(9_223_372_036_854_775_808.0)) == -1)
        #expect(try Operators.compare(.float(-1e300), .int(.min)) == -1)
        #expect(try Operators.compare(.int(2), .float(2.5)) == -1)
        #expect(try Operators.compare(.int(-2), .float(-2.5)) == 1)
        #expect(Operators.equal(.int(1), .float(1.0)))
    }

    @Test func equality() throws {
        #expect(Operators.equal(.null, .null))
        #expect(!Operators.equal(.int(1), .string("1")))
        #expect(!Operators.equal(.float(.nan), .float(.nan)))
        #expect(Operators.equal(list(.int(1), list(.string("a"))), list(.float(1), list(.string("a")))))
        #expect(!Operators.equal(list(.int(1)), list(.int(1), .int(2))))
        #expect(!Operators.equal(list(.string("a")), list(.string("b"))))
        #expect(Operators.equal(map(("a", .int(1)), ("b", .int(2))), map(("b", .int(2)), ("a", .int(1)))))
        #expect(!Operators.equal(map(("a", .int(1))), map(("a", .int(2)))))
        #expect(!Operators.equal(map(("a", .int(1))), map(("b", .int(1)))))
        #expect(!Operators.equal(list(), map()))
        let v12 = try #require(Version("1.2")), v120 = try #require(Version("1.2.0"))
        #expect(Operators.equal(.version(v12), .version(v120)))
        #expect(try op(.ne, .duration(s), .duration(s)) == "false")
        #expect(!Operators.equal(.duration(1), .size(1)))
    }

    @Test func functionsAreEqualByIdentity() {
        let f = Builtin(name: "f", doc: "") { _ in .null }
        let g = Builtin(name: "f", doc: "") { _ in .null }
        #expect(Operators.equal(.function(.builtin(f)), .function(.builtin(f))))
        #expect(!Operators.equal(.function(.builtin(f)), .function(.builtin(g))))
        let xs = ListRef(), ys = ListRef()
        #expect(Operators.equal(.function(.bound(f, .list(xs))), .function(.bound(f, .list(xs)))))
        #expect(!Operators.equal(.function(.bound(f, .list(xs))), .function(.bound(f, .list(ys)))))
    }

    @Test func equalityOfDeepStructuresDoesNotOverflowTheStack() {
        let a = nested(200_000), b = nested(200_000), c = nested(200_001)
        #expect(Operators.equal(.list(a), .list(b)))
        #expect(!Operators.equal(.list(a), .list(c)))
        dismantle(a); dismantle(b); dismantle(c)
    }

    @Test func equalityOfCyclicStructuresTerminates() {
        let a = ListRef([.int(1)]), b = ListRef([.int(1)]), c = ListRef([.int(2)])
        a.items.append(.list(a))
        b.items.append(.list(b))
        c.items.append(.list(c))
        #expect(Operators.equal(.list(a), .list(a)))
        #expect(Operators.equal(.list(a), .list(b)))
        #expect(!Operators.equal(.list(a), .list(c)))
        let m = MapRef(), n = MapRef()
        m["self"] = .map(m)
        n["self"] = .map(n)
        #expect(Operators.equal(.map(m), .map(n)))
        a.items = []; b.items = []; c.items = []; m.entries = [:]; n.entries = [:]
    }

    @Test func sharedStructureIsComparedInLinearTime() {
        var x = list(.int(1)), y = list(.int(1))
        for _ in 0..<200 { x = list(x, x); y = list(y, y) }
        #expect(Operators.equal(x, y))
    }

    @Test func membership() throws {
        #expect(try op(.in, .int(2), list(.int(1), .float(2))) == "true")
        #expect(try op(.notIn, .int(3), list(.int(1))) == "true")
        #expect(try op(.in, .string("a"), map(("a", .int(1)))) == "true")
        #expect(try op(.in, .float(1), .map(MapRef([.int(1): .null]))) == "true")
        #expect(try op(.in, list(), map(("a", .int(1)))) == "false")
        #expect(try op(.in, .string("ell"), .string("hello")) == "true")
        #expect(try op(.in, .string(""), .string("hello")) == "true")
        #expect(try op(.notIn, .string("x"), .string("hello")) == "true")
        #expect(errorMessage { try Operators.binary(.in, .int(1), .string("123")) }
            == "'in' a string needs a string on the left, got int: use str(x) in s")
        #expect(errorMessage { try Operators.binary(.in, .int(1), .int(5)) }
            == "cannot use 'in' with int: the right side must be a list, map or string")
    }
}
