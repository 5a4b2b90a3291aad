/// How values print: the literal form (REPL output, elements of lists and maps) and the display form
/// (`print`, `str()`, `"${x}"`, `join`).
extension Value {
    /// The literal form: strings quoted and escaped, versions as `version("1.2.3")`, everything else as
    /// in ``display``. Nesting deeper than 64 levels, a cycle, or more than ``Printer/elementBudget``
    /// elements in all print as `…`; so does the rest of a text past ``ValueLimits/maxStringBytes``
    /// bytes, or of one whose printing a pending interruption cut short.
    public var literal: String {
        var printer = Printer()
        printer.write(self, depth: 0)
        if printer.stopped { printer.finishCut() }
        return printer.out
    }

    /// The display form as a runbook's own text (`str`, `print`, `"${x}"`, `format`, `join`): like
    /// ``display``, but a text past ``ValueLimits/maxStringBytes`` bytes is an error naming `what`,
    /// and a pending interruption (the memory budget, a signal) stops the printing and is thrown.
    func displayText(_ what: @autoclosure () -> String) throws -> String {
        switch self {
        case .string(let s): return s
        case .version(let v): return v.text
        default: break
        }
        var printer = Printer()
        printer.write(self, depth: 0)
        if printer.stopped {
            try Interrupted.check()
            throw ValueLimits.stringTooLong(printer.out.utf8.count, what())
        }
        return printer.out
    }

    /// The display form: a string is its bare text and a version its text (`1.2.3`); anything else
    /// prints in its literal form, with strings nested in lists and maps quoted.
    public var display: String {
        switch self {
        case .string(let s): return s
        case .version(let v): return v.text
        default: return literal
        }
    }

    /// A duration in nanoseconds written exactly like Go's `time.Duration.String`:
    /// `0s`, `1.5µs`, `100ms`, `2.1s`, `1m30s`, `1h0m0s`, `-5s`.
    public static func formatDuration(_ ns: Int) -> String {
        // The magnitude as unsigned, so Int.min has one too.
        var u = ns.magnitude
        var out = ""
        if u < 1_000_000_000 {
            let unit: String
            let precision: Int
            switch u {
            case 0: return "0s"
            case ..<1_000: unit = "ns"; precision = 0
            case ..<1_000_000: unit = "µs"; precision = 3
            default: unit = "ms"; precision = 6
            }
            let (whole, fraction) = splitFraction(u, digits: precision)
            out = String(whole) + fraction + unit
        } else {
            let (seconds, fraction) = splitFraction(u, digits: 9)
            u = seconds
            out = String(u % 60) + fraction + "s"
            u /= 60
            if u > 0 {
                out = String(u % 60) + "m" + out
                u /= 60
                if u > 0 { out = String(u) + "h" + out }
            }
        }
        return ns < 0 ? "-" + out : out
    }

    /// A size in bytes in the largest binary unit (up to TiB, the largest a literal can name) with
    /// at most two decimals and no trailing zeros: `512B`, `1.46KiB`, `16GiB`, `46.57GiB`.
    public static func formatSize(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        let magnitude = bytes.magnitude
        var index = 0
        while index + 1 < units.count, magnitude >= UInt(1) << (10 * (index + 1)) { index += 1 }
        let unit = UInt(1) << (10 * index)
        var whole = magnitude / unit
        // Hundredths, rounded half up; the remainder is below 2^40, so ×100 cannot overflow.
        var hundredths = ((magnitude % unit) * 100 + unit / 2) / unit
        if hundredths == 100 {
            whole += 1
            hundredths = 0
        }
        // 1023.999KiB rounds to 1024KiB: say 1MiB instead.
        if whole == 1024, index + 1 < units.count {
            whole = 1
            index += 1
        }
        var text = String(whole)
        if hundredths > 0 {
            text += hundredths % 10 == 0 ? ".\(hundredths / 10)" : (hundredths < 10 ? ".0\(hundredths)" : ".\(hundredths)")
        }
        return (bytes < 0 ? "-" : "") + text + units[index]
    }

    /// Splits `value / 10^digits` into its whole part and its fraction (`.5`, or empty when zero),
    /// without trailing zeros: Go's `fmtFrac`.
    private static func splitFraction(_ value: UInt, digits: Int) -> (UInt, String) {
        var v = value
        var fraction: [Character] = []
        var significant = false
        for _ in 0..<digits {
            let digit = v % 10
            significant = significant || digit != 0
            if significant { fraction.append(Character(String(digit))) }
            v /= 10
        }
        return (v, fraction.isEmpty ? "" : "." + String(fraction.reversed()))
    }

    /// A float that reads back as the same value and always shows a '.' or an exponent.
    static func formatFloat(_ f: Double) -> String {
        // Swift's description is the shortest round-trip form and already writes `1.0`, `1e-05`, `inf`.
        f.description
    }

    /// A string as a double-quoted literal with the escapes the lexer reads back.
    static func quote(_ s: String) -> String {
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        // `${` would start an interpolation when read back; a lone `$` is literal. A `$` waits for
        // the next scalar to know which it is (no array of the scalars: the string may be large).
        var dollar = false
        for scalar in s.unicodeScalars {
            if dollar {
                out += scalar == "{" ? "\\$" : "$"
                dollar = false
            }
            switch scalar {
            case "$": dollar = true
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: appendEscapingControl(scalar, to: &out)
            }
        }
        if dollar { out += "$" }
        return out + "\""
    }

    /// A name as output shows it: control characters escaped as the lexer writes them (`\n`,
    /// `\u{1B}`), so a path holding a newline cannot fake a line of a plan.
    public static func escapingControlCharacters(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return s }
        var out = ""
        for scalar in s.unicodeScalars { appendEscapingControl(scalar, to: &out) }
        return out
    }

    private static func appendEscapingControl(_ scalar: Unicode.Scalar, to out: inout String) {
        switch scalar {
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        case "\0": out += "\\0"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }

    /// True when a map key prints bare: an identifier that is not a reserved word.
    static func isBareKey(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic)
        else { return false }
        let rest = s.unicodeScalars.dropFirst()
        return rest.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
            && Keyword(rawValue: s) == nil
    }
}

/// Writes the literal form of a value, bounded in depth, cycles and total size so that printing any
/// value terminates without exhausting the stack.
struct Printer {
    /// Containers nested deeper than this print as `…`.
    static let maxDepth = 64
    /// Elements printed in all; past it the rest print as `…`. Shared sub-lists (`[x, x]` nested 64 deep)
    /// would otherwise print 2^64 elements.
    static let elementBudget = 1_000_000

    private(set) var out = ""
    private var budget = Printer.elementBudget
    /// Set when the text passed ``ValueLimits/maxStringBytes`` bytes or an interruption was
    /// pending: printing stopped there (shared strings, `[s, s, …]`, print far more than they hold).
    private(set) var stopped = false
    private var poll = 0
    /// The lists and maps being printed, outermost first: meeting one again is a cycle.
    private var path: Set<ObjectIdentifier>
    /// With a limit, printing stops once the text is longer than this many characters or holds a
    /// line break (``exceeded``): the pretty printer's test of whether a value fits on a line, which
    /// must not print a million elements to find out.
    private let limit: Int
    private var length = 0
    private(set) var exceeded = false

    /// `path`: the containers the value sits in, so a cycle through them shows `…` where the whole
    /// value's literal form would.
    init(path: Set<ObjectIdentifier> = [], limit: Int = .max) {
        self.path = path
        self.limit = limit
    }

    mutating func write(_ value: Value, depth: Int) {
        if exceeded || stopped { return }
        switch value {
        case .null: emit("nil")
        case .bool(let b): emit(b ? "true" : "false")
        case .int(let i): emit(String(i))
        case .float(let f): emit(Value.formatFloat(f))
        case .string(let s):
            // Quoted, it is at least two bytes longer: over the limit, it is not even built.
            if out.utf8.count + s.utf8.count + 2 > ValueLimits.maxStringBytes {
                stopped = true
                return
            }
            // Nor is one with more characters than a limited printer has room for (quoted, two more).
            if limit != .max, s.utf8.count + 2 > limit - length,
               s.index(s.startIndex, offsetBy: max(0, limit - length - 1), limitedBy: s.endIndex) != nil {
                exceeded = true
                return
            }
            emit(Value.quote(s))
        case .duration(let d): emit(Value.formatDuration(d))
        case .size(let s): emit(Value.formatSize(s))
        case .version(let v): emit("version(" + Value.quote(v.text) + ")")
        case .function(let f): emit("<fn \(f.name)>")
        case .cell(let c):
            // Cells never reach runbooks; bound them anyway, since one could hold another.
            if depth < Printer.maxDepth { write(c.value, depth: depth + 1) } else { emit("…") }
        case .list(let l):
            guard enter(l, depth: depth) else { return }
            emit("[")
            writeElements(l.items, depth: depth) { printer, item in printer.write(item, depth: depth + 1) }
            emit("]")
            path.remove(ObjectIdentifier(l))
        case .map(let m):
            guard enter(m, depth: depth) else { return }
            emit("{")
            writeElements(Array(m.entries), depth: depth) { printer, entry in
                if case .string(let s) = entry.key, Value.isBareKey(s) {
                    printer.emit(s)
                } else {
                    printer.write(entry.key.value, depth: depth + 1)
                }
                printer.emit(": ")
                printer.write(entry.value, depth: depth + 1)
            }
            emit("}")
            path.remove(ObjectIdentifier(m))
        }
    }

    /// Ends the text of a printing that stopped early with `…`.
    mutating func finishCut() {
        out += "…"
    }

    private mutating func emit(_ text: String) {
        out += text
        if out.utf8.count > ValueLimits.maxStringBytes { stopped = true }
        // Counting characters costs a pass over the text: only a limited printer pays it.
        guard limit != .max else { return }
        length += text.count
        if length > limit || text.contains(where: \.isNewline) { exceeded = true }
    }

    /// Starts printing a container; false (having written `…`) when it is too deep or already on the path.
    private mutating func enter(_ ref: AnyObject, depth: Int) -> Bool {
        let id = ObjectIdentifier(ref)
        if depth >= Printer.maxDepth || path.contains(id) {
            emit("…")
            return false
        }
        path.insert(id)
        return true
    }

    private mutating func writeElements<T>(_ elements: [T], depth: Int, _ writeOne: (inout Printer, T) -> Void) {
        for (index, element) in elements.enumerated() {
            if exceeded || stopped { return }
            poll &+= 1
            if poll & 1023 == 0, Interrupted.isPending {
                stopped = true
                return
            }
            if index > 0 { emit(", ") }
            if budget <= 0 {
                emit("…")
                return
            }
            budget -= 1
            writeOne(&self, element)
        }
    }
}
