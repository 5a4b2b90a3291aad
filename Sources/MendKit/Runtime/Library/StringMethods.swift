/// The methods of strings: `"a,b".split(",")`, `s.trim()`, ….
extension CoreLibrary {
    /// Builtins of namespace "string" and kind `.method`; the string is `args.receiver`.
    static var stringMethods: [Builtin] {
        [
            Builtin.method(of: "string", "split", params: [.optional("sep")], doc: """
                Splits the string into a list of strings.
                Without a separator it splits on runs of white space and drops empty parts; with one it
                splits on every occurrence and keeps empty parts. An empty separator is an error.
                """, example: #""a, b,,c".split(",")  # ["a", " b", "", "c"]"#) { args in
                let s = try args.receiverString()
                let sep = try args.optionalString(0, nilIsAbsent: true)
                if sep?.isEmpty == true { throw MendError("string.split: the separator must not be empty") }
                return .list(ListRef(try CoreLibrary.split(s, separator: sep)))
            },
            Builtin.method(of: "string", "join", params: [Param("list")], doc: """
                Joins the elements of a list into one string, with this string between them.
                Elements are written in display form, so strings are not quoted.
                """, example: #"", ".join(["a", 1, 2s])  # "a, 1, 2s""#) { args in
                let sep = try args.receiverString()
                let items = try args.list(0).items
                // Counted as they print, so a list of many large (or shared) values stops early.
                var bytes = sep.utf8.count * max(0, items.count - 1)
                try ValueLimits.checkString(bytes, "string.join")
                var poll = InterruptPoll()
                let parts = try items.map { item in
                    try poll.tick()
                    let text = try item.displayText("string.join")
                    bytes += text.utf8.count
                    try ValueLimits.checkString(bytes, "string.join")
                    return text
                }
                return .string(parts.joined(separator: sep))
            },
            Builtin.method(of: "string", "trim", doc: """
                The string without white space (spaces, tabs, newlines) at either end.
                """, example: #""  eth0\n".trim()  # "eth0""#) { args in
                .string(try args.receiverString().trimmingCharacters())
            },
            Builtin.method(of: "string", "lines", doc: """
                Splits the string into lines at \\n or \\r\\n.
                A final line break does not make an empty last line.
                """, example: #""a\nb\r\nc\n".lines()  # ["a", "b", "c"]"#) { args in
                let s = try args.receiverString()
                return .list(ListRef(try CoreLibrary.lines(of: s)))
            },
            Builtin.method(of: "string", "starts_with", params: [Param("prefix")], doc: """
                True when the string begins with the prefix.
                """, example: #""net.core.somaxconn".starts_with("net.")  # true"#) { args in
                .bool(try args.receiverString().hasPrefix(try args.string(0)))
            },
            Builtin.method(of: "string", "ends_with", params: [Param("suffix")], doc: """
                True when the string ends with the suffix.
                """, example: #""nginx.service".ends_with(".service")  # true"#) { args in
                .bool(try args.receiverString().hasSuffix(try args.string(0)))
            },
            Builtin.method(of: "string", "replace", params: [Param("old"), Param("new")], doc: """
                The string with every occurrence of `old` replaced by `new`.
                An empty `old` is an error.
                """, example: #""a-b-c".replace("-", "_")  # "a_b_c""#) { args in
                let s = try args.receiverString()
                let old = try args.string(0)
                guard !old.isEmpty else { throw MendError("string.replace: 'old' must not be empty") }
                let new = try args.string(1)
                // Counted only when the result might be too long: at most one occurrence per len(old) bytes.
                let growth = new.utf8.count - old.utf8.count
                if growth > 0, s.utf8.count + s.utf8.count / old.utf8.count * growth > ValueLimits.maxStringBytes {
                    try ValueLimits.checkString(s.utf8.count + s.ranges(of: old).count * growth, "string.replace")
                }
                return .string(s.replacing(old, with: new))
            },
            Builtin.method(of: "string", "upper", doc: """
                The string in upper case.
                """, example: #""eth0".upper()  # "ETH0""#) { args in
                .string(try args.receiverString().uppercased())
            },
            Builtin.method(of: "string", "lower", doc: """
                The string in lower case.
                """, example: #""YES".lower()  # "yes""#) { args in
                .string(try args.receiverString().lowercased())
            },
            Builtin.method(of: "string", "contains", params: [Param("text")], doc: """
                True when the text occurs in the string (the same as `text in s`).
                """, example: #""Active: failed".contains("failed")  # true"#) { args in
                .bool(try Operators.contains(.string(try args.receiverString()), .string(try args.string(0))))
            },
        ]
    }

    /// `s.split(separator)`: on every occurrence of a (non-empty) separator, keeping empty parts,
    /// or on runs of white space without them. Polls for an interruption, and more than
    /// `maxElements` parts is an error.
    static func split(_ s: String, separator: String?, maxElements: Int = ValueLimits.maxElements) throws -> [Value] {
        var parts = Parts("string.split", limit: maxElements)
        if let sep = separator {
            var start = s.startIndex
            while let found = s[start...].firstRange(of: sep) {
                try parts.append(s[start..<found.lowerBound])
                start = found.upperBound
            }
            try parts.append(s[start...])
        } else {
            var start: String.Index?
            var i = s.startIndex
            for c in s {
                let next = s.utf8.index(i, offsetBy: c.utf8.count)
                if c.isWhitespace {
                    if let first = start { try parts.append(s[first..<i]) }
                    start = nil
                } else if start == nil {
                    start = i
                }
                try parts.tick()
                i = next
            }
            if let first = start { try parts.append(s[first...]) }
        }
        return parts.items
    }

    /// `s.lines()`: the lines of `s` without their `\n` or `\r\n`. Polls for an interruption, and
    /// more than `maxElements` lines is an error.
    static func lines(of s: String, maxElements: Int = ValueLimits.maxElements) throws -> [Value] {
        // By bytes: a line feed is always a Character of its own or the end of "\r\n", so a
        // line ends at every LF, before the CR that comes first.
        var lines = Parts("string.lines", limit: maxElements)
        let utf8 = s.utf8
        var start = utf8.startIndex
        var i = start
        while i < utf8.endIndex {
            if utf8[i] == UInt8(ascii: "\n") {
                var end = i
                if end > start, utf8[utf8.index(before: end)] == UInt8(ascii: "\r") { end = utf8.index(before: end) }
                try lines.append(s[start..<end])
                start = utf8.index(after: i)
            }
            try lines.tick()
            i = utf8.index(after: i)
        }
        if start < utf8.endIndex { try lines.append(s[start...]) }
        return lines.items
    }
}

/// The parts `split` and `lines` cut a string into, as they are made: within the element limit,
/// and polling for an interruption, since one call may make millions.
private struct Parts {
    let what: String
    let limit: Int
    private(set) var items: [Value] = []
    private var poll = InterruptPoll()

    init(_ what: String, limit: Int) {
        self.what = what
        self.limit = limit
    }

    mutating func append(_ part: Substring) throws {
        if items.count >= limit {
            throw MendError("\(what): \(items.count + 1) elements is over the limit of \(limit) elements")
        }
        items.append(.string(String(part)))
        try poll.tick()
    }

    /// Counts a step of the scan that made no part.
    mutating func tick() throws {
        try poll.tick()
    }
}
