/// The core library: global functions (`len`, `print`, `format`, …), string methods and list methods.
public enum CoreLibrary {
    typealias Param = Builtin.Param

    /// Registers every core function, string method and list method.
    public static func register(into registry: Registry) {
        for builtin in coreFunctions + stringMethods + listMethods {
            registry.register(builtin)
        }
    }

    /// The global functions.
    static var coreFunctions: [Builtin] {
        conversions + numbers + collections + output + environment + text + [typeBuiltin, failBuiltin]
    }

    // MARK: - Conversions

    private static var conversions: [Builtin] {
        [
            Builtin(name: "str", params: [Param("value")], doc: """
                The display form of a value as a string.
                Strings are returned as they are, versions as their text; lists and maps print their
                elements in literal form (strings quoted).
                """, example: #"str(1.5s) + " left"  # "1.5s left""#) { args in
                .string(try args.value(0).displayText("str"))
            },
            Builtin(name: "int", params: [Param("value")], doc: """
                Converts a value to an int.
                A float is truncated toward zero (inf and nan are errors); a string must hold a decimal
                integer (white space around it and `_` between digits are allowed); true/false give 1/0;
                a size gives its bytes and a duration its nanoseconds.
                """, example: #"int(" 1_024 ") + int(2.9)  # 1026"#) { args in
                .int(try toInt(args.value(0)))
            },
            Builtin(name: "float", params: [Param("value")], doc: """
                Converts a value to a float.
                Takes ints, floats and strings holding a number; a size gives its bytes and a duration
                its seconds.
                """, example: #"float(1500ms)  # 1.5"#) { args in
                .float(try toFloat(args.value(0)))
            },
            Builtin(name: "bool", params: [Param("value")], doc: """
                Converts a value to a bool.
                Strings true/false, yes/no, on/off and 1/0 in any case are accepted (anything else is an
                error); the int 0 is false and any other int true.
                """, example: #"bool("Yes")  # true"#) { args in
                .bool(try toBool(args.value(0)))
            },
            Builtin(name: "version", params: [Param("text")], doc: """
                Parses a software version that compares component by component.
                Accepts `1.21.10`, `v1.2`, `go1.21.5` and suffixes such as `2.17-rc1` (which sort before
                `2.17`); an unparseable text is an error.
                """, example: #"version("1.21.10") > version("1.9")  # true"#) { args in
                let v = try args.value(0)
                switch v {
                case .version: return v
                case .string(let s):
                    guard let parsed = Version(s) else {
                        throw MendError("version: cannot parse \(Value.quote(s)) as a version (expected e.g. \"1.2.3\")")
                    }
                    return .version(parsed)
                default: throw args.typeError(0, expected: "a string", got: v)
                }
            },
        ]
    }

    static func toInt(_ v: Value) throws -> Int {
        switch v {
        case .int(let i): return i
        case .float(let f):
            guard f.isFinite else { throw MendError("cannot convert \(Value.formatFloat(f)) to int") }
            guard let i = Int(exactly: f.rounded(.towardZero)) else {
                throw MendError("cannot convert \(Value.formatFloat(f)) to int: out of range")
            }
            return i
        case .string(let s):
            guard let i = parseInt(s) else { throw MendError("cannot convert \(Value.quote(s)) to int") }
            return i
        case .bool(let b): return b ? 1 : 0
        case .size(let n), .duration(let n): return n
        default: throw MendError("cannot convert \(v.typeName) to int")
        }
    }

    /// A decimal integer with an optional sign, white space around it and `_` between digits.
    private static func parseInt(_ text: String) -> Int? {
        var s = Substring(text.trimmingCharacters())
        var sign = ""
        if let first = s.first, first == "-" || first == "+" {
            sign = String(first)
            s = s.dropFirst()
        }
        guard let first = s.first, let last = s.last, first.isASCII, first.isNumber, last.isASCII, last.isNumber,
              !s.contains("__")
        else { return nil }
        let digits = s.filter { $0 != "_" }
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(sign + digits)
    }

    static func toFloat(_ v: Value) throws -> Double {
        switch v {
        case .int(let i): return Double(i)
        case .float(let f): return f
        case .string(let s):
            let trimmed = s.trimmingCharacters()
            guard !trimmed.contains("__"), let f = Double(trimmed.filter { $0 != "_" }) else {
                throw MendError("cannot convert \(Value.quote(s)) to float")
            }
            return f
        case .size(let n): return Double(n)
        case .duration(let n): return Double(n) / 1e9
        default: throw MendError("cannot convert \(v.typeName) to float")
        }
    }

    static func toBool(_ v: Value) throws -> Bool {
        switch v {
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .string(let s):
            switch s.trimmingCharacters().lowercased() {
            case "true", "yes", "on", "1": return true
            case "false", "no", "off", "0": return false
            default:
                throw MendError("cannot convert \(Value.quote(s)) to bool (expected true/false, yes/no, on/off or 1/0)")
            }
        default: throw MendError("cannot convert \(v.typeName) to bool")
        }
    }

    // MARK: - Numbers

    private static var numbers: [Builtin] {
        [
            Builtin(name: "abs", params: [Param("value")], doc: """
                The absolute value of an int, float, duration or size.
                abs of the smallest int is an overflow error.
                """, example: #"abs(-3) + abs(-2.5)  # 5.5"#) { args in
                let v = try args.value(0)
                switch v {
                case .int(let n) where n < 0, .duration(let n) where n < 0, .size(let n) where n < 0:
                    return try Operators.negate(v)
                case .int, .duration, .size: return v
                case .float(let f): return .float(Swift.abs(f))
                default: throw args.typeError(0, expected: "a number, duration or size", got: v)
                }
            },
            Builtin(name: "min", params: [Param("values")], variadic: true, doc: """
                The smallest of its arguments, or of the elements of a single list argument.
                Values must be comparable with each other (numbers, strings, durations, sizes or
                versions); an empty list is an error.
                """, example: #"min(3, 1.5, 2)  # 1.5"#) { args in
                try extreme(args, wanted: -1)
            },
            Builtin(name: "max", params: [Param("values")], variadic: true, doc: """
                The largest of its arguments, or of the elements of a single list argument.
                Values must be comparable with each other (numbers, strings, durations, sizes or
                versions); an empty list is an error.
                """, example: #"max([2s, 500ms, 1m])  # 1m0s"#) { args in
                try extreme(args, wanted: 1)
            },
            Builtin(name: "range", params: [Param("start_or_stop"), .optional("stop"), .optional("step")], doc: """
                A list of ints: range(n) is 0 … n-1, range(a, b) is a … b-1, range(a, b, step) counts by step.
                A negative step counts down; step 0 is an error, and so is a list of more than
                100000000 elements (`for i in range(…)` never builds the list).
                """, example: #"range(10, 0, -3)  # [10, 7, 4, 1]"#) { args in
                let (start, step, count) = try rangeBounds(args)
                guard count <= UInt128(ValueLimits.maxElements) else {
                    throw MendError("range: \(count) elements is more than \(ValueLimits.maxElements); loop with `for i in range(…)` instead")
                }
                var items: [Value] = []
                items.reserveCapacity(Int(count))
                var i = start
                var poll = InterruptPoll()
                for _ in 0..<Int(count) {
                    try poll.tick()
                    items.append(.int(i))
                    // The last addition may step past Int's range; it is never used.
                    i = i.addingReportingOverflow(step).partialValue
                }
                return .list(ListRef(items))
            },
        ]
    }

    /// The first element, the step and the element count of `range(…)`'s arguments.
    static func rangeBounds(_ args: Arguments) throws -> (start: Int, step: Int, count: UInt128) {
        let first = try args.int(0)
        let (start, stop) = try args.optionalInt(1).map { (first, $0) } ?? (0, first)
        let step = try args.optionalInt(2) ?? 1
        guard step != 0 else { throw MendError("range: step must not be 0") }
        // Int128 so that the span of any two Ints cannot overflow.
        let span = Int128(stop) - Int128(start)
        let stride = Int128(step)
        let count = span == 0 || (span > 0) != (stride > 0) ? 0 : (span.magnitude + stride.magnitude - 1) / stride.magnitude
        return (start, step, count)
    }

    /// min (`wanted` -1) or max (1) of the arguments or of a single list.
    private static func extreme(_ args: Arguments, wanted: Int) throws -> Value {
        let first = try args.value(0)
        var candidates = [first] + args.rest
        if args.rest.isEmpty, case .list(let l) = first { candidates = l.items }
        guard var best = candidates.first else {
            throw MendError("\(args.builtin.name): the list is empty (check len(xs) > 0 first)")
        }
        for v in candidates.dropFirst() where try Operators.compare(best, v) == -wanted {
            best = v
        }
        return best
    }

    // MARK: - Collections

    private static var collections: [Builtin] {
        [
            Builtin(name: "len", params: [Param("value")], doc: """
                The length of a string (in characters), a list or a map.
                """, example: #"len([1, 2, 3]) + len("héllo")  # 8"#) { args in
                let v = try args.value(0)
                switch v {
                case .string(let s): return .int(s.count)
                case .list(let l): return .int(l.items.count)
                case .map(let m): return .int(m.entries.count)
                default: throw args.typeError(0, expected: "a string, list or map", got: v)
                }
            },
            Builtin(name: "sort", params: [Param("list"), .optional("key"), .optional("reverse")], doc: """
                A new list with the elements in ascending order; the list itself is unchanged.
                The sort is stable. `key` is a function whose result is compared instead of the element;
                `reverse: true` sorts descending (equal elements keep their order). Elements that cannot be
                compared with each other (an int and a string) are an error.
                """, example: #"sort(["bb", "a", "ccc"], key: fn(s) => len(s), reverse: true)  # ["ccc", "bb", "a"]"#) { args in
                let items = try args.list(0).items
                var keys = items
                if let key = try args.optionalFunction(1, nilIsAbsent: true) {
                    keys = try items.map { try args.context.call(key, [$0]) }
                }
                let reverse = try args.optionalBool(2, nilIsAbsent: true) ?? false
                var order = Array(items.indices)
                var poll = InterruptPoll()
                try order.sort { a, b in
                    try poll.tick()
                    let c = try Operators.compare(keys[a], keys[b])
                    // Ties keep their original order in both directions: that is what makes it stable.
                    if c == 0 { return a < b }
                    return reverse ? c > 0 : c < 0
                }
                return .list(ListRef(order.map { items[$0] }))
            },
            Builtin(name: "keys", params: [Param("map")], doc: """
                A new list of a map's keys, in insertion order.
                """, example: #"keys({a: 1, b: 2})  # ["a", "b"]"#) { args in
                .list(ListRef(try args.map(0).entries.keys.map(\.value)))
            },
            Builtin(name: "values", params: [Param("map")], doc: """
                A new list of a map's values, in insertion order.
                """, example: #"values({a: 1, b: 2})  # [1, 2]"#) { args in
                .list(ListRef(Array(try args.map(0).entries.values)))
            },
            Builtin(name: "get", params: [Param("container"), Param("key"), .optional("default")], doc: """
                A map's value for a key, or a list's element at an index, or the default (nil) when absent.
                Negative list indexes count from the end. Use it instead of m.k or xs[i] when the key or
                index may be missing.
                """, example: #"get({a: 1}, "b", 0) + get([1, 2, 3], -1)  # 3"#) { args in
                let container = try args.value(0)
                let key = try args.value(1)
                let fallback = args.optional(2) ?? .null
                switch container {
                case .map(let m):
                    guard let k = MapKey(key) else { return fallback }
                    return m.entries[k] ?? fallback
                case .list(let l):
                    var index = try args.int(1)
                    if index < 0 { index += l.items.count }
                    return l.items.indices.contains(index) ? l.items[index] : fallback
                default:
                    throw args.typeError(0, expected: "a map or a list", got: container)
                }
            },
        ]
    }

    // MARK: - Output

    private static var output: [Builtin] {
        [
            Builtin(name: "print", variadic: true, doc: """
                Writes its arguments to standard output, separated by spaces, and a newline.
                Values print in display form: strings bare, everything else as in the REPL.
                """, example: #"print("free:", 50GB)  # prints free: 46.57GiB"#) { args in
                args.context.printLine(try CoreLibrary.spaced(args.rest, "print"))
                return .null
            },
            Builtin(name: "log", variadic: true, doc: """
                Writes a timestamped line to standard error and into the run's report.
                The text is formed as by print.
                """, example: #"log("restarting", "nginx")"#) { args in
                args.context.logLine(try CoreLibrary.spaced(args.rest, "log"))
                return .null
            },
        ]
    }

    // MARK: - Environment

    private static var environment: [Builtin] {
        [
            Builtin(name: "sleep", params: [Param("duration")], doc: """
                Pauses for a duration.
                A negative duration is an error.
                """, example: #"sleep(100ms)"#) { args in
                let ns = try args.duration(0)
                guard ns >= 0 else { throw MendError("sleep: the duration must not be negative, got \(Value.formatDuration(ns))") }
                try pause(nanoseconds: ns, on: args.context.effects.host)
                return .null
            },
            Builtin(name: "env", params: [Param("name"), .optional("default")], doc: """
                The value of an environment variable of the mend process, or the default (nil) when unset.
                """, example: #"env("HOME", "/root")  # "/root" when HOME is unset"#) { args in
                let name = try args.name(0)
                // getenv matches a name up to "=": `A=B` would read the rest of A's value.
                guard !name.contains("=") else {
                    throw MendError("env: 'name' must be a variable name without \"=\", got \(Value.quote(name))")
                }
                guard let value = args.context.effects.host.environmentValue(name) else {
                    return args.optional(1) ?? .null
                }
                return .string(value)
            },
            Builtin(name: "now", doc: """
                The current time as float seconds since the Unix epoch.
                Subtract two readings to measure how long something took.
                """, example: #"let t = now(); sleep(10ms); now() - t >= 0.01  # true"#) { args in
                .float(args.context.effects.host.wallClock())
            },
        ]
    }

    /// The display forms of `values` separated by spaces, the text of print and log: at most
    /// ``ValueLimits/maxStringBytes`` bytes (`what` names the builtin in the error).
    static func spaced(_ values: [Value], _ what: String) throws -> String {
        var bytes = max(0, values.count - 1)
        let parts = try values.map { value in
            let text = try value.displayText(what)
            bytes += text.utf8.count
            try ValueLimits.checkString(bytes, what)
            return text
        }
        return parts.joined(separator: " ")
    }

    /// Sleeps the whole time unless the run is interrupted (a signal, a step's timeout). Sleeps in
    /// slices: the signal may land on another thread and never interrupt this one's nanosleep.
    static func pause(nanoseconds ns: Int, on host: Host) throws {
        var left = ns
        while left > 0 {
            try Interrupted.check()
            let slice = min(left, 50_000_000)
            host.sleep(nanoseconds: slice)
            left -= slice
        }
        try Interrupted.check()
    }

    // MARK: - Text

    private static var text: [Builtin] {
        [
            Builtin(name: "matches", params: [Param("text"), Param("regex")], doc: """
                True when the regular expression matches anywhere in the text.
                Anchor it with ^ and $ to match the whole text. The syntax is RE2's subset . [abc] [^a-z] \\d \\w \\s
                (ASCII) \\b ^ $ | ( ) (?:) * + ? {n,m} and (?i) (?m) (?s). Matching takes time linear in the
                text and stops when the run is interrupted; backreferences and lookaround are refused.
                An invalid expression is an error that shows it and the offset of the mistake.
                """, example: #"matches("kernel 6.1.0-13", '^kernel \d+\.')  # true"#) { args in
                let text = try args.string(0)
                let pattern = try args.string(1)
                let regex: RegexPattern
                do {
                    regex = try RegexPattern(pattern)
                } catch {
                    throw MendError("matches: invalid regex \(Value.quote(pattern)): \(error)")
                }
                return .bool(try regex.matches(text))
            },
            Builtin(name: "format", params: [Param("format")], variadic: true, doc: """
                Fills the `{}` fields of a format string with the following arguments, in display form.
                `{}` takes the next argument and `{0}` one by index; `{{` and `}}` are literal braces.
                After a ':' a field may give a fill character and alignment (< left, > right, ^ center),
                a width and, for numbers, `.N` digits after the point.
                """, example: #"format("{:>6.2}|{:-<4}|{0}", 3.14159, "ab")  # "  3.14|ab--|3.14159""#) { args in
                .string(try FormatString.format(try args.string(0), args.rest))
            },
        ]
    }

    // MARK: - Errors and types

    private static let failBuiltin = Builtin(name: "fail", params: [Param("message")], doc: """
        Raises an error of kind "failure" with a message.
        A `try … catch e` block can catch it; otherwise it stops the run (and fails the current step).
        """, example: #"try { fail("no disks found") } catch e { print(e.message) }  # prints no disks found"#) { args in
        throw MendError(try args.value(0).display, kind: .failure)
    }

    private static let typeBuiltin = Builtin(name: "type", params: [Param("value")], doc: """
        The name of a value's type, as a string.
        One of "nil", "bool", "int", "float", "string", "duration", "size", "version", "list", "map"
        or "function".
        """, example: #"type(5s)  # "duration""#) { args in
        .string(try args.value(0).typeName)
    }
}

/// Receivers of methods: the value a method was called on, checked for its type.
extension Arguments {
    /// The receiver of a string method.
    func receiverString() throws -> String {
        guard case .string(let s) = receiver else {
            throw MendError("\(builtin.qualifiedName): called on \(receiver.typeName), expected a string")
        }
        return s
    }

    /// The receiver of a list method.
    func receiverList() throws -> ListRef {
        guard case .list(let l) = receiver else {
            throw MendError("\(builtin.qualifiedName): called on \(receiver.typeName), expected a list")
        }
        return l
    }
}
