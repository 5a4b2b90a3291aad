/// What a builtin needs from the interpreter running it.
public protocol BuiltinContext: AnyObject {
    /// Calls a function value (a closure or a builtin) with positional arguments.
    func call(_ function: Value, _ arguments: [Value]) throws -> Value
    /// Writes a line to standard output (`print`).
    func printLine(_ text: String)
    /// Writes a timestamped log line (`log`).
    func logLine(_ text: String)
    /// How the builtin reads and changes the host.
    var effects: any Effects { get }
    /// Choices a namespace makes for the rest of the run (`firewall.use`), by name: kept by the
    /// interpreter, never on the host.
    var choices: [String: String] { get set }
}

/// The arguments of one builtin call, bound to the builtin's parameters.
public struct Arguments {
    public let builtin: Builtin
    /// One slot per declared parameter; nil where an optional one was left out.
    public var values: [Value?]
    /// Extra positional arguments of a variadic builtin.
    public var rest: [Value]
    /// The receiver of a method call.
    public var receiver: Value
    public unowned let context: any BuiltinContext

    public init(builtin: Builtin, values: [Value?], rest: [Value] = [], receiver: Value = .null,
                context: any BuiltinContext) {
        self.builtin = builtin
        self.values = values
        self.rest = rest
        self.receiver = receiver
        self.context = context
    }

    /// The argument for parameter `index`; an error if it was not given.
    public func value(_ index: Int) throws -> Value {
        guard let v = optional(index) else { throw missing(index) }
        return v
    }

    private func missing(_ index: Int) -> MendError {
        MendError("\(builtin.signature): missing argument '\(builtin.params[index].name)'")
    }

    /// The argument for an optional parameter, or nil when it was left out. With `nilIsAbsent`,
    /// a `nil` passed for it counts as left out too (`sort(xs, key: nil)`).
    public func optional(_ index: Int, nilIsAbsent: Bool = false) -> Value? {
        guard index < values.count, let v = values[index] else { return nil }
        if nilIsAbsent, case .null = v { return nil }
        return v
    }

    /// An error naming this builtin and parameter, for a wrong argument.
    public func typeError(_ index: Int, expected: String, got: Value) -> MendError {
        let name = index < builtin.params.count ? builtin.params[index].name : "argument \(index + 1)"
        return MendError("\(builtin.qualifiedName): '\(name)' must be \(expected), got \(got.typeName)")
    }

    /// The argument for parameter `index` converted by `extract`; nil when it was left out, a
    /// type error naming the parameter and `expected` when it does not convert.
    private func typed<T>(_ index: Int, _ expected: String, nilIsAbsent: Bool = false, _ extract: (Value) -> T?) throws -> T? {
        guard let v = optional(index, nilIsAbsent: nilIsAbsent) else { return nil }
        guard let typed = extract(v) else { throw typeError(index, expected: expected, got: v) }
        return typed
    }

    /// The argument for parameter `index`, converted; a "missing argument" error when left out.
    private func required<T>(_ index: Int, _ typed: T?) throws -> T {
        guard let typed else { throw missing(index) }
        return typed
    }

    // MARK: Optional parameters
    //
    // Each returns nil when the argument was left out (or, with `nilIsAbsent`, given as `nil`), and
    // throws an error naming the builtin, the parameter and `expected` when it has another type.

    /// A string.
    public func optionalString(_ index: Int, expected: String = "a string", nilIsAbsent: Bool = false) throws -> String? {
        try typed(index, expected, nilIsAbsent: nilIsAbsent) { if case .string(let s) = $0 { s } else { nil } }
    }

    /// An int; a float with an integral value is taken as one.
    public func optionalInt(_ index: Int, expected: String = "an int", nilIsAbsent: Bool = false) throws -> Int? {
        try typed(index, expected, nilIsAbsent: nilIsAbsent) { v in
            switch v {
            case .int(let i): i
            case .float(let f) where f == f.rounded() && abs(f) < 9.2e18: Int(f)
            default: nil
            }
        }
    }

    /// An int or a float, as a float.
    public func optionalDouble(_ index: Int, expected: String = "a number", nilIsAbsent: Bool = false) throws -> Double? {
        try typed(index, expected, nilIsAbsent: nilIsAbsent) { v in
            switch v {
            case .int(let i): Double(i)
            case .float(let f): f
            default: nil
            }
        }
    }

    /// A bool.
    public func optionalBool(_ index: Int, expected: String = "a bool", nilIsAbsent: Bool = false) throws -> Bool? {
        try typed(index, expected, nilIsAbsent: nilIsAbsent) { if case .bool(let b) = $0 { b } else { nil } }
    }

    /// A duration, in nanoseconds.
    public func optionalDuration(_ index: Int, expected: String = "a duration (e.g. 5s)", nilIsAbsent: Bool = false) throws -> Int? {
        try typed(index, expected, nilIsAbsent: nilIsAbsent) { if case .duration(let d) = $0 { d } else { nil } }
    }

    /// A list.
    public func optionalList(_ index: Int, expected: String = "a list", nilIsAbsent: Bool = false) throws -> ListRef? {
        try typed(index, expected, nilIsAbsent: nilIsAbsent) { if case .list(let l) = $0 { l } else { nil } }
    }

    /// A map.
    public func optionalMap(_ index: Int, expected: String = "a map", nilIsAbsent: Bool = false) throws -> MapRef? {
        try typed(index, expected, nilIsAbsent: nilIsAbsent) { if case .map(let m) = $0 { m } else { nil } }
    }

    /// A function value (a runbook function or a builtin).
    public func optionalFunction(_ index: Int, expected: String = "a function", nilIsAbsent: Bool = false) throws -> Value? {
        try typed(index, expected, nilIsAbsent: nilIsAbsent) { if case .function = $0 { $0 } else { nil } }
    }

    // MARK: Required parameters
    //
    // As the optional getters, with an error naming the parameter when the argument is missing.

    public func string(_ index: Int) throws -> String { try required(index, optionalString(index)) }
    public func int(_ index: Int) throws -> Int { try required(index, optionalInt(index)) }
    public func double(_ index: Int) throws -> Double { try required(index, optionalDouble(index)) }
    public func bool(_ index: Int) throws -> Bool { try required(index, optionalBool(index)) }
    public func duration(_ index: Int) throws -> Int { try required(index, optionalDuration(index)) }
    public func list(_ index: Int) throws -> ListRef { try required(index, optionalList(index)) }
    public func map(_ index: Int) throws -> MapRef { try required(index, optionalMap(index)) }
    public func function(_ index: Int) throws -> Value { try required(index, optionalFunction(index)) }

    // MARK: Names
    //
    // A string that names something on the host — a path, a command word, a key, a user — reaches
    // the system as a C string and often a line of a configuration file. A C string ends at its
    // first NUL byte (`/etc/passwd\0.new` is `/etc/passwd` to open(2)), and a newline in a name
    // written into a configuration file starts a line of its own. These getters refuse what the
    // system or the file would read differently, with an error naming the parameter.

    /// What a name may not contain.
    public enum NameRule: Sendable {
        /// A NUL byte: paths, command arguments, environment names, which the kernel takes byte for
        /// byte up to the first NUL.
        case noNUL
        /// A NUL byte or any other control character (U+0001–U+001F, U+007F): names written into a
        /// line of a configuration file (a sysctl key, a limits.d domain, a unit name), which no
        /// such name holds and where a newline would add a line.
        case noControlCharacters
    }

    /// A string naming something on the host; an error naming the parameter when it holds what
    /// `rule` refuses.
    public func name(_ index: Int, _ rule: NameRule = .noNUL) throws -> String {
        try checked(string(index), "'\(builtin.params[index].name)'", rule)
    }

    /// As ``name(_:_:)`` for an optional parameter: nil when it was left out.
    public func optionalName(_ index: Int, _ rule: NameRule = .noNUL, expected: String = "a string",
                             nilIsAbsent: Bool = false) throws -> String? {
        try optionalString(index, expected: expected, nilIsAbsent: nilIsAbsent).map {
            try checked($0, "'\(builtin.params[index].name)'", rule)
        }
    }

    /// `text` unchanged when it holds nothing `rule` refuses; otherwise an error naming the builtin
    /// and `what` (`'value'`, `argument 3`), for strings the getters do not read themselves.
    @discardableResult
    public func checked(_ text: String, _ what: String, _ rule: NameRule = .noNUL) throws -> String {
        guard let refused = Arguments.refused(in: text, rule) else { return text }
        throw MendError("\(builtin.qualifiedName): \(what) contains \(refused)")
    }

    /// The first character of `text` that `rule` refuses, described with its offset (counted in
    /// characters, as `s[i]` counts): `a NUL byte (\0 at offset 11)`, `a control character (\n at
    /// offset 4)`; nil when there is none.
    public static func refused(in text: String, _ rule: NameRule) -> String? {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return nil }
        for (offset, character) in text.enumerated() {
            for scalar in character.unicodeScalars where scalar.value < 0x20 || scalar.value == 0x7F {
                if scalar == "\0" { return "a NUL byte (\\0 at offset \(offset))" }
                if rule == .noControlCharacters {
                    return "a control character (\(Value.quote(String(scalar)).dropFirst().dropLast()) at offset \(offset))"
                }
            }
        }
        return nil
    }
}
