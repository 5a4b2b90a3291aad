/// The operators of the language on runtime values: arithmetic, comparison, equality and `in`.
///
/// Nothing here traps: integer overflow, division by zero and out-of-range conversions are
/// ``MendError``s (without a location; the evaluator adds the span of the expression).
public enum Operators {
    /// Applies a binary operator: `+ - * / %`, comparisons, `==`/`!=`, `in`/`not in`.
    public static func binary(_ op: BinaryOp, _ l: Value, _ r: Value) throws -> Value {
        switch op {
        case .add: return try add(l, r)
        case .sub: return try subtract(l, r)
        case .mul: return try multiply(l, r)
        case .div: return try divide(l, r)
        case .mod: return try remainder(l, r)
        case .eq: return .bool(equal(l, r))
        case .ne: return .bool(!equal(l, r))
        case .lt, .le, .gt, .ge: return .bool(try ordered(op, l, r))
        case .in: return .bool(try contains(r, l))
        case .notIn: return .bool(try !contains(r, l))
        }
    }

    /// Unary minus on an int, float, duration or size.
    public static func negate(_ v: Value) throws -> Value {
        switch v {
        case .int(let i):
            guard i != .min else { throw MendError("integer overflow in -(\(i))") }
            return .int(-i)
        case .float(let f): return .float(-f)
        case .duration(let d):
            guard d != .min else { throw MendError("duration overflow in -(\(v.literal))") }
            return .duration(-d)
        case .size(let s):
            guard s != .min else { throw MendError("size overflow in -(\(v.literal))") }
            return .size(-s)
        default: throw MendError("cannot negate \(v.typeName): unary '-' needs a number, duration or size")
        }
    }

    // MARK: - Arithmetic

    private static func add(_ l: Value, _ r: Value) throws -> Value {
        switch (l, r) {
        case (.int(let a), .int(let b)): return .int(try checked(a.addingReportingOverflow(b), l, "+", r))
        case (.string(let a), .string(let b)):
            try ValueLimits.checkString(a.utf8.count + b.utf8.count, "string +")
            return .string(a + b)
        case (.string, _), (_, .string):
            throw MendError("cannot add \(l.typeName) and \(r.typeName): "
                + "+ joins strings only with strings; use \"${x}\" or str(x)")
        case (.list(let a), .list(let b)):
            try ValueLimits.checkElements(a.items.count + b.items.count, "list +")
            return .list(ListRef(a.items + b.items))
        case (.duration(let a), .duration(let b)):
            return .duration(try checked(a.addingReportingOverflow(b), l, "+", r, kind: "duration"))
        case (.size(let a), .size(let b)):
            return .size(try checked(a.addingReportingOverflow(b), l, "+", r, kind: "size"))
        default:
            if let (a, b) = doubles(l, r) { return .float(a + b) }
            throw mismatch("add", l, r)
        }
    }

    private static func subtract(_ l: Value, _ r: Value) throws -> Value {
        switch (l, r) {
        case (.int(let a), .int(let b)): return .int(try checked(a.subtractingReportingOverflow(b), l, "-", r))
        case (.duration(let a), .duration(let b)):
            return .duration(try checked(a.subtractingReportingOverflow(b), l, "-", r, kind: "duration"))
        case (.size(let a), .size(let b)):
            return .size(try checked(a.subtractingReportingOverflow(b), l, "-", r, kind: "size"))
        default:
            if let (a, b) = doubles(l, r) { return .float(a - b) }
            throw mismatch("subtract", l, r)
        }
    }

    private static func multiply(_ l: Value, _ r: Value) throws -> Value {
        switch (l, r) {
        case (.int(let a), .int(let b)): return .int(try checked(a.multipliedReportingOverflow(by: b), l, "*", r))
        case (.string(let s), .int(let n)), (.int(let n), .string(let s)): return .string(try repeated(s, n))
        case (.duration(let d), .int), (.duration(let d), .float):
            return .duration(try scaled(d, by: r, l, "*", r, kind: "duration"))
        case (.int, .duration(let d)), (.float, .duration(let d)):
            return .duration(try scaled(d, by: l, l, "*", r, kind: "duration"))
        case (.size(let s), .int), (.size(let s), .float):
            return .size(try scaled(s, by: r, l, "*", r, kind: "size"))
        case (.int, .size(let s)), (.float, .size(let s)):
            return .size(try scaled(s, by: l, l, "*", r, kind: "size"))
        case (.duration, .duration), (.size, .size):
            throw MendError("cannot multiply \(l.typeName) by \(r.typeName): multiply by a plain number")
        default:
            if let (a, b) = doubles(l, r) { return .float(a * b) }
            throw mismatch("multiply", l, r)
        }
    }

    private static func divide(_ l: Value, _ r: Value) throws -> Value {
        switch (l, r) {
        case (.int(let a), .int(let b)):
            guard b != 0 else { throw MendError("division by zero") }
            // Swift's `/` truncates toward zero, like Go.
            return .int(try checked(a.dividedReportingOverflow(by: b), l, "/", r))
        case (.duration(let a), .duration(let b)), (.size(let a), .size(let b)):
            guard b != 0 else { throw MendError("division by zero") }
            return .float(Double(a) / Double(b))
        case (.duration(let d), .int(let n)), (.size(let d), .int(let n)):
            guard n != 0 else { throw MendError("division by zero") }
            let kind = l.typeName
            let q = try checked(d.dividedReportingOverflow(by: n), l, "/", r, kind: kind)
            // Round the quotient to the nearest whole ns/byte, half away from zero.
            let rem = d % n
            let roundAway = rem.magnitude >= n.magnitude - rem.magnitude && rem != 0
            let adjusted = roundAway ? ((d < 0) != (n < 0) ? q - 1 : q + 1) : q
            return kind == "duration" ? .duration(adjusted) : .size(adjusted)
        case (.duration(let d), .float(let f)), (.size(let d), .float(let f)):
            guard f != 0 else { throw MendError("division by zero") }
            let result = try wholeUnits(Double(d) / f, l, "/", r, kind: l.typeName)
            return l.typeName == "duration" ? .duration(result) : .size(result)
        default:
            if let (a, b) = doubles(l, r) {
                guard b != 0 else { throw MendError("division by zero") }
                return .float(a / b)
            }
            throw mismatch("divide", l, r)
        }
    }

    private static func remainder(_ l: Value, _ r: Value) throws -> Value {
        switch (l, r) {
        case (.int(let a), .int(let b)):
            guard b != 0 else { throw MendError("division by zero") }
            // Swift's `%` keeps the sign of the dividend, like Go.
            return .int(try checked(a.remainderReportingOverflow(dividingBy: b), l, "%", r))
        case (.duration(let a), .duration(let b)):
            guard b != 0 else { throw MendError("division by zero") }
            return .duration(try checked(a.remainderReportingOverflow(dividingBy: b), l, "%", r, kind: "duration"))
        default:
            if let (a, b) = doubles(l, r) {
                guard b != 0 else { throw MendError("division by zero") }
                return .float(a.truncatingRemainder(dividingBy: b))
            }
            throw mismatch("take the remainder of", l, r)
        }
    }

    /// The result of a `…ReportingOverflow` operation, or an "overflow in a op b" error.
    private static func checked(_ result: (partialValue: Int, overflow: Bool), _ l: Value, _ op: String,
                                _ r: Value, kind: String = "integer") throws -> Int {
        guard !result.overflow else { throw MendError("\(kind) overflow in \(l.literal) \(op) \(r.literal)") }
        return result.partialValue
    }

    /// A duration or size (in ns/bytes) times an int or float factor, rounded to whole units.
    private static func scaled(_ amount: Int, by factor: Value, _ l: Value, _ op: String, _ r: Value,
                               kind: String) throws -> Int {
        switch factor {
        case .int(let n): return try checked(amount.multipliedReportingOverflow(by: n), l, op, r, kind: kind)
        case .float(let f): return try wholeUnits(Double(amount) * f, l, op, r, kind: kind)
        default: throw mismatch("multiply", l, r)
        }
    }

    /// A float amount of ns/bytes rounded to an Int, or an overflow error when it does not fit.
    private static func wholeUnits(_ x: Double, _ l: Value, _ op: String, _ r: Value, kind: String) throws -> Int {
        let rounded = x.rounded()
        guard let n = Int(exactly: rounded) else {
            throw MendError("\(kind) overflow in \(l.literal) \(op) \(r.literal)")
        }
        return n
    }

    /// `s` repeated `n` times.
    private static func repeated(_ s: String, _ n: Int) throws -> String {
        guard n >= 0 else { throw MendError("cannot repeat a string \(n) times: the count must not be negative") }
        let (total, overflow) = s.utf8.count.multipliedReportingOverflow(by: n)
        guard !overflow, total <= ValueLimits.maxStringBytes else {
            throw MendError("string repetition too long: \(s.utf8.count) bytes × \(n) is over \(ValueLimits.maxStringBytes)")
        }
        return String(repeating: s, count: n)
    }

    /// Both operands as doubles when both are numbers and at least one is a float.
    private static func doubles(_ l: Value, _ r: Value) -> (Double, Double)? {
        switch (l, r) {
        case (.float(let a), .float(let b)): return (a, b)
        case (.float(let a), .int(let b)): return (a, Double(b))
        case (.int(let a), .float(let b)): return (Double(a), b)
        default: return nil
        }
    }

    /// The error for operands of the wrong types, naming the fix when a number lacks a unit.
    private static func mismatch(_ verb: String, _ l: Value, _ r: Value) -> MendError {
        MendError("cannot \(verb) \(l.typeName) and \(r.typeName)" + unitHint(l, r))
    }

    /// `: give the number a unit, e.g. 5s` when one side is a duration or size and the other a plain number.
    private static func unitHint(_ l: Value, _ r: Value) -> String {
        func isNumber(_ v: Value) -> Bool {
            switch v {
            case .int, .float: return true
            default: return false
            }
        }
        for (unitSide, other) in [(l, r), (r, l)] where isNumber(other) {
            switch unitSide {
            case .duration: return ": give the number a unit, e.g. 5s"
            case .size: return ": give the number a unit, e.g. 512MiB"
            default: continue
            }
        }
        return ""
    }

    // MARK: - Comparison

    /// `<`, `<=`, `>`, `>=`. Floats compare by IEEE rules, so any comparison with NaN is false.
    private static func ordered(_ op: BinaryOp, _ l: Value, _ r: Value) throws -> Bool {
        let c: Int
        if let nan = numericOrder(l, r) {
            guard let order = nan else { return false }
            c = order
        } else {
            c = try compare(l, r)
        }
        switch op {
        case .lt: return c < 0
        case .le: return c <= 0
        case .gt: return c > 0
        default: return c >= 0
        }
    }

    /// Orders two values of the same kind: numbers (ints and floats mixed, exactly), strings,
    /// durations, sizes and versions. -1, 0 or 1; any other pair, or NaN, is an error.
    public static func compare(_ a: Value, _ b: Value) throws -> Int {
        if let order = numericOrder(a, b) {
            guard let c = order else { throw MendError("cannot compare nan: it is not ordered") }
            return c
        }
        switch (a, b) {
        case (.string(let x), .string(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.duration(let x), .duration(let y)), (.size(let x), .size(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.version(let x), .version(let y)): return x.compare(y)
        default: throw MendError("cannot compare \(a.typeName) and \(b.typeName)" + unitHint(a, b))
        }
    }

    /// For two numbers: .some(order), or .some(nil) when a NaN makes them unordered; nil when not both numbers.
    private static func numericOrder(_ a: Value, _ b: Value) -> Int?? {
        switch (a, b) {
        case (.int(let x), .int(let y)): return .some(x < y ? -1 : (x == y ? 0 : 1))
        case (.float(let x), .float(let y)):
            if x.isNaN || y.isNaN { return .some(nil) }
            return .some(x < y ? -1 : (x == y ? 0 : 1))
        case (.int(let x), .float(let y)): return .some(compareExactly(x, y))
        case (.float(let x), .int(let y)): return .some(compareExactly(y, x).map { -$0 })
        default: return nil
        }
    }

    /// Compares an Int with a Double without rounding the Int (2^53 + 1 > 2^53 as a float); nil for NaN.
    private static func compareExactly(_ i: Int, _ d: Double) -> Int? {
        if d.isNaN { return nil }
        // 2^63 is exactly representable: every Int is below it and at or above -2^63.
        if d >= 9_223_372_036_854_775_808.0 { return -1 }
        if d < -9_223_372_036_854_775_808.0 { return 1 }
        let whole = d.rounded(.towardZero)
        guard let w = Int(exactly: whole) else { return nil }
        if i != w { return i < w ? -1 : 1 }
        let fraction = d - whole
        return fraction > 0 ? -1 : (fraction < 0 ? 1 : 0)
    }

    // MARK: - Equality

    /// `==`: never an error. Ints and floats compare numerically; lists and maps deeply (maps
    /// regardless of order); functions by identity; versions as versions (`1.2 == 1.2.0`); values of
    /// different types are unequal.
    ///
    /// Works with an explicit stack and remembers the pairs of containers already compared, so deep
    /// nesting cannot overflow the stack and cyclic structures terminate (a pair met again is
    /// assumed equal: any difference is found on another pair).
    public static func equal(_ a: Value, _ b: Value) -> Bool {
        var pending: [(Value, Value)] = [(a, b)]
        var seen: Set<Pair> = []
        while let (x, y) = pending.popLast() {
            switch (x, y) {
            case (.list(let p), .list(let q)):
                if p === q || !seen.insert(Pair(p, q)).inserted { continue }
                guard p.items.count == q.items.count else { return false }
                pending.append(contentsOf: zip(p.items, q.items))
            case (.map(let p), .map(let q)):
                if p === q || !seen.insert(Pair(p, q)).inserted { continue }
                guard p.entries.count == q.entries.count else { return false }
                for (key, value) in p.entries {
                    guard let other = q.entries[key] else { return false }
                    pending.append((value, other))
                }
            default:
                guard scalarEqual(x, y) else { return false }
            }
        }
        return true
    }

    /// Two containers being compared, by identity.
    private struct Pair: Hashable {
        let left: ObjectIdentifier
        let right: ObjectIdentifier
        init(_ left: AnyObject, _ right: AnyObject) {
            self.left = ObjectIdentifier(left)
            self.right = ObjectIdentifier(right)
        }
    }

    /// Equality of anything but two lists or two maps (a list and a scalar are simply unequal).
    private static func scalarEqual(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.float(let x), .float(let y)): return x == y
        case (.int(let x), .float(let y)), (.float(let y), .int(let x)): return compareExactly(x, y) == 0
        case (.string(let x), .string(let y)): return x == y
        case (.duration(let x), .duration(let y)), (.size(let x), .size(let y)): return x == y
        case (.version(let x), .version(let y)): return x.compare(y) == 0
        case (.function(let f), .function(let g)): return sameFunction(f, g)
        default: return false
        }
    }

    /// Functions are equal when they are the same closure or builtin (bound methods: also the same receiver).
    private static func sameFunction(_ f: Function, _ g: Function) -> Bool {
        switch (f, g) {
        case (.closure(let x), .closure(let y)): return x === y
        case (.builtin(let x), .builtin(let y)): return x === y
        case (.bound(let x, let v), .bound(let y, let w)): return x === y && sameReceiver(v, w)
        default: return false
        }
    }

    /// `xs.append == ys.append` only when `xs` and `ys` are the same list.
    private static func sameReceiver(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.list(let x), .list(let y)): return x === y
        case (.map(let x), .map(let y)): return x === y
        default: return equal(a, b)
        }
    }

    // MARK: - Membership

    /// `element in container`: an element of a list (by `==`), a key of a map, or a substring of a string.
    public static func contains(_ container: Value, _ element: Value) throws -> Bool {
        switch container {
        case .list(let l): return l.items.contains { equal($0, element) }
        case .map(let m):
            // A list or map can never be a key, so it is simply not in the map.
            guard let key = MapKey(element) else { return false }
            return m.entries[key] != nil
        case .string(let s):
            guard case .string(let sub) = element else {
                throw MendError("'in' a string needs a string on the left, got \(element.typeName): use str(x) in s")
            }
            return sub.isEmpty || s.contains(sub)
        default:
            throw MendError("cannot use 'in' with \(container.typeName): the right side must be a list, map or string")
        }
    }
}
