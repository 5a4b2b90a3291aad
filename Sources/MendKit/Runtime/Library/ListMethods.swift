/// The methods of lists: `xs.map(f)`, `xs.append(v)`, ….
extension CoreLibrary {
    /// Builtins of namespace "list" and kind `.method`; the list is `args.receiver`.
    static var listMethods: [Builtin] {
        [
            Builtin.method(of: "list", "map", params: [Param("fn")], doc: """
                A new list with the function applied to each element.
                """, example: #"[1, 2, 3].map(fn(x) => x * 2)  # [2, 4, 6]"#) { args in
                // A snapshot: the function may change the list while we go.
                let items = try args.receiverList().items
                let fn = try args.function(0)
                // A runbook function polls as it is called; a builtin one (`xs.map(str)`) may not.
                var poll = InterruptPoll()
                return .list(ListRef(try items.map {
                    try poll.tick()
                    return try args.context.call(fn, [$0])
                }))
            },
            Builtin.method(of: "list", "filter", params: [Param("fn")], doc: """
                A new list of the elements for which the function returns true.
                The function must return a bool.
                """, example: #"[1, 2, 3, 4].filter(fn(x) => x % 2 == 0)  # [2, 4]"#) { args in
                let items = try args.receiverList().items
                let fn = try args.function(0)
                var poll = InterruptPoll()
                return .list(ListRef(try items.filter { item in
                    try poll.tick()
                    let keep = try args.context.call(fn, [item])
                    guard case .bool(let b) = keep else {
                        throw MendError("list.filter: the function must return a bool, got \(keep.typeName)")
                    }
                    return b
                }))
            },
            Builtin.method(of: "list", "contains", params: [Param("value")], doc: """
                True when an element equals the value (the same as `v in xs`).
                """, example: #"[1, 2, 3].contains(2.0)  # true"#) { args in
                .bool(try Operators.contains(.list(try args.receiverList()), try args.value(0)))
            },
            Builtin.method(of: "list", "append", params: [Param("value")], doc: """
                Adds the value at the end of the list, in place; returns nil.
                Every variable that refers to the list sees the change.
                """, example: #"let xs = [1]; xs.append(2); xs  # [1, 2]"#) { args in
                let list = try args.receiverList()
                try ValueLimits.checkElements(list.items.count + 1, "list.append")
                list.items.append(try args.value(0))
                return .null
            },
        ]
    }
}
