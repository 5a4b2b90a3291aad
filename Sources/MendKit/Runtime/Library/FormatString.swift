import Glibc

/// The mini-language of `format(fmt, args…)`: `{}` `{0}` `{:>8}` `{:*^10}` `{:.2}`, `{{` and `}}`.
enum FormatString {
    /// Widest field that may be padded to, so a typo cannot exhaust memory.
    static let maxWidth = 1_000_000
    /// Most digits after the point; enough for any double.
    static let maxPrecision = 100

    /// Fills the fields of `format` with `arguments` in display form.
    static func format(_ format: String, _ arguments: [Value]) throws -> String {
        var out = ""
        var next = 0
        var poll = InterruptPoll()
        // By index, not as an array of Characters (16 bytes each): the format may be large.
        var i = format.startIndex
        while i < format.endIndex {
            try poll.tick()
            let c = format[i]
            let after = format.index(after: i)
            let following = after < format.endIndex ? format[after] : nil
            if (c == "{" || c == "}"), following == c {
                // `{{` and `}}` are literal braces.
                out.append(c)
                i = format.index(after: after)
            } else if c == "{" {
                guard let close = format[after...].firstIndex(of: "}") else {
                    throw MendError("format: '{' without a closing '}' (write {{ for a literal brace)")
                }
                let text = try fill(String(format[after..<close]), arguments, next: &next)
                try ValueLimits.checkString(out.utf8.count + text.utf8.count, "format")
                out += text
                i = format.index(after: close)
            } else if c == "}" {
                throw MendError("format: '}' without an opening '{' (write }} for a literal brace)")
            } else {
                out.append(c)
                i = after
            }
        }
        try ValueLimits.checkString(out.utf8.count, "format")
        return out
    }

    /// The text of one field `index:spec` (both parts optional).
    private static func fill(_ field: String, _ arguments: [Value], next: inout Int) throws -> String {
        let parts = field.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let indexText = parts.first ?? ""
        let index: Int
        if indexText.isEmpty {
            index = next
            next += 1
        } else {
            guard let i = Int(indexText), i >= 0 else { throw MendError("format: bad field {\(field)}: expected {}, {0} or {:spec}") }
            index = i
        }
        guard index < arguments.count else {
            throw MendError("format: field {\(field)} needs argument \(index + 1), but \(arguments.count) \(arguments.count == 1 ? "was" : "were") given")
        }
        let spec = try Spec(parts.count > 1 ? String(parts[1]) : "", field: field)
        return try spec.apply(to: arguments[index])
    }

    /// `[[fill]align][width][.precision]`.
    private struct Spec {
        var fill: Character = " "
        var align: Character?
        var width = 0
        var precision: Int?

        init(_ text: String, field: String) throws {
            var rest = Substring(text)
            let aligns: Set<Character> = ["<", ">", "^"]
            if rest.count >= 2, aligns.contains(rest[rest.index(after: rest.startIndex)]) {
                fill = rest.removeFirst()
                align = rest.removeFirst()
            } else if let first = rest.first, aligns.contains(first) {
                align = rest.removeFirst()
            }
            let widthDigits = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(widthDigits.count)
            if !widthDigits.isEmpty {
                guard let w = Int(widthDigits), w <= FormatString.maxWidth else {
                    throw MendError("format: width in {\(field)} is over \(FormatString.maxWidth)")
                }
                width = w
            }
            if rest.first == "." {
                let digits = rest.dropFirst().prefix { $0.isASCII && $0.isNumber }
                guard let p = Int(digits), p <= FormatString.maxPrecision else {
                    throw MendError("format: bad precision in {\(field)}: expected .N with N at most \(FormatString.maxPrecision)")
                }
                precision = p
                rest = rest.dropFirst(1 + digits.count)
            }
            guard rest.isEmpty else {
                throw MendError("format: bad spec in {\(field)}: expected [[fill]align][width][.precision], e.g. {:>8.2}")
            }
        }

        func apply(to value: Value) throws -> String {
            var text: String
            var isNumber = false
            switch value {
            case .int(let i):
                isNumber = true
                text = precision.map { fixed(Double(i), $0) } ?? String(i)
            case .float(let f):
                isNumber = true
                text = precision.map { fixed(f, $0) } ?? value.display
            default:
                if let p = precision {
                    throw MendError("format: precision .\(p) applies to numbers, got \(value.typeName)")
                }
                text = try value.displayText("format")
            }
            guard width > 0 else { return text }
            let padding = width - text.count
            guard padding > 0 else { return text }
            // Numbers align right and everything else left unless the spec says otherwise, as in Python.
            switch align ?? (isNumber ? ">" : "<") {
            case ">": text = String(repeating: fill, count: padding) + text
            case "^":
                text = String(repeating: fill, count: padding / 2) + text
                    + String(repeating: fill, count: padding - padding / 2)
            default: text += String(repeating: fill, count: padding)
            }
            return text
        }

        /// `f` with exactly `digits` digits after the point, correctly rounded (C's `%.*f`).
        private func fixed(_ f: Double, _ digits: Int) -> String {
            // Enough for 309 integer digits, the point, maxPrecision digits, a sign and the NUL.
            var buffer = [CChar](repeating: 0, count: 512)
            let written = withVaList([Int32(digits), f]) { list in
                buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, "%.*f", list) }
            }
            guard written > 0 else { return Value.formatFloat(f) }
            return String(decoding: buffer.prefix(Int(written)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}
