extension Interpreter {
    static func equal(_ a: Value, _ b: Value) -> Bool {
        if case .int(let x) = a, case .int(let y) = b { return x == y }
        return Operators.equal(a, b)
    }

    /// The string form of map keys that are strings, for suggestions.
    private func stringKeys(_ m: MapRef) -> [String] {
        m.entries.keys.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
    }

    func missingKey(_ key: Value, _ m: MapRef) -> MendError {
        var hint = ""
        if case .string(let s) = key { hint = Suggest.hint(for: s, in: stringKeys(m)) }
        let k = key.literal
        return MendError("no key \(k) in map\(hint) (use get(m, \(k), default) or \(k) in m to test first)")
    }

    /// `x.name`: a map's key, or a method of a string or list as a function value.
    func getMember(_ object: Value, _ name: String) throws -> Value {
        switch object {
        case .map(let m):
            if let v = m[name] { return v }
            throw missingKey(.string(name), m)
        case .string, .list:
            return .function(.bound(try method(name, of: object), object))
        default:
            throw MendError("\(object.aTypeName) has no member '\(name)'")
        }
    }

    /// The method `name` of a string or list.
    func method(_ name: String, of receiver: Value) throws -> Builtin {
        let type = receiver.typeName
        let table = registry.methods[type] ?? [:]
        if let b = table[name] { return b }
        if table.isEmpty { throw MendError("a \(type) has no methods ('\(name)' was called on it)") }
        throw MendError("a \(type) has no method '\(name)'" + Suggest.hint(for: name, in: table.keys))
    }

    private func position(_ index: Value, count: Int, of what: String) throws -> Int {
        guard case .int(let i) = index else { throw MendError("a \(what) index must be an int, got \(index.typeName)") }
        let p = i < 0 ? count + i : i
        guard p >= 0, p < count else { throw MendError("index \(i) out of range for a \(what) of \(count)") }
        return p
    }

    func getIndex(_ object: Value, _ index: Value) throws -> Value {
        switch object {
        case .list(let l):
            return l.items[try position(index, count: l.items.count, of: "list")]
        case .map(let m):
            let key = try MapKey.of(index)
            if let v = m.entries[key] { return v }
            throw missingKey(index, m)
        case .string(let s):
            let characters = Array(s)
            return .string(String(characters[try position(index, count: characters.count, of: "string")]))
        default:
            throw MendError("cannot index \(object.aTypeName)")
        }
    }

    func setIndex(_ object: Value, _ index: Value, _ value: Value) throws {
        switch object {
        case .list(let l):
            l.items[try position(index, count: l.items.count, of: "list")] = value
        case .map(let m):
            let key = try MapKey.of(index)
            if m.entries[key] == nil { try ValueLimits.checkElements(m.entries.count + 1, "map entry") }
            m.entries[key] = value
        case .string:
            throw MendError("strings cannot be changed in place: build a new one (replace, slicing by interpolation)")
        default:
            throw MendError("cannot index \(object.aTypeName)")
        }
    }

    /// What a `for` loop walks: a list itself (live, by position); a snapshot of a map's keys or a
    /// string's characters. With two loop names: `[index, item]` or `[key, value]` pairs.
    func iterationItems(_ iterable: Value, pairs: Bool) throws -> ListRef {
        switch iterable {
        case .list(let l):
            guard pairs else { return l }
            return ListRef(l.items.enumerated().map { .list(ListRef([.int($0.offset), $0.element])) })
        case .map(let m):
            if pairs { return ListRef(m.entries.map { .list(ListRef([$0.key.value, $0.value])) }) }
            return ListRef(m.entries.keys.map(\.value))
        case .string(let s):
            let characters = s.map { Value.string(String($0)) }
            guard pairs else { return ListRef(characters) }
            return ListRef(characters.enumerated().map { .list(ListRef([.int($0.offset), $0.element])) })
        default:
            throw MendError("cannot loop over \(iterable.aTypeName) (loop over a list, a map or a string)")
        }
    }
}
