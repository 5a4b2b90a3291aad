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
                let parts: [Substring]
                if let sep = try args.optionalString(0, nilIsAbsent: true) {
                    guard !sep.isEmpty else { throw MendError("string.split: the separator must not be empty") }
                    parts = s.split(separator: sep, omittingEmptySubsequences: false)
                } else {
                    parts = s.split(whereSeparator: \.isWhitespace)
                }
                return .list(ListRef(parts.map { .string(String($0)) }))
            },
            Builtin.method(of: "string", "join", params: [Param("list")], doc: """
                Joins the elements of a list into one string, with this string between them.
                Elements are written in display form, so strings are not quoted.
                """, example: #"", ".join(["a", 1, 2s])  # "a, 1, 2s""#) { args in
                let sep = try args.receiverString()
                let parts = try args.list(0).items.map(\.display)
                let bytes = parts.reduce(sep.utf8.count * max(0, parts.count - 1)) { $0 + $1.utf8.count }
                try ValueLimits.checkString(bytes, "string.join")
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
                // "\r\n" is a single Character in Swift, so one test covers both line ends.
                var lines = s.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
                if lines.last?.isEmpty == true { lines.removeLast() }
                return .list(ListRef(lines.map { .string(String($0)) }))
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
}
