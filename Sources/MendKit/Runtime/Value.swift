import OrderedCollections

/// A runtime value. Scalars are plain data; lists and maps are shared references, as in Python.
public enum Value {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    /// Nanoseconds.
    case duration(Int)
    /// Bytes.
    case size(Int)
    case version(Version)
    case list(ListRef)
    case map(MapRef)
    case function(Function)
    /// A captured variable's storage; never visible to runbooks.
    case cell(Cell)

    /// The type name with its article, for messages: `an int`, `a list`.
    public var aTypeName: String {
        let name = typeName
        return (name.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + name
    }

    /// The type name used in messages (`int`, `size`, `list`, …).
    public var typeName: String {
        switch self {
        case .null: return "nil"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "string"
        case .duration: return "duration"
        case .size: return "size"
        case .version: return "version"
        case .list: return "list"
        case .map: return "map"
        case .function: return "function"
        case .cell: return "cell"
        }
    }
}

/// A mutable list shared by reference.
public final class ListRef {
    @exclusivity(unchecked) public var items: [Value]
    public init(_ items: [Value] = []) { self.items = items }

    deinit {
        if items.contains(where: { $0.isContainer }) {
            var pending: [Value] = []
            swap(&pending, &items)
            Value.releaseIteratively(&pending)
        }
    }
}

/// An insertion-ordered map shared by reference.
public final class MapRef {
    @exclusivity(unchecked) public var entries: OrderedDictionary<MapKey, Value>
    public init(_ entries: OrderedDictionary<MapKey, Value> = [:]) { self.entries = entries }

    deinit {
        if entries.values.contains(where: { $0.isContainer }) {
            var pending = Array(entries.values)
            entries = [:]
            Value.releaseIteratively(&pending)
        }
    }

    /// Reads a string key (facts and reports use string keys).
    public subscript(_ key: String) -> Value? {
        get { entries[.string(key)] }
        set { entries[.string(key)] = newValue }
    }
}

extension Value {
    var isContainer: Bool {
        switch self {
        case .list, .map: return true
        default: return false
        }
    }

    /// Frees nested lists and maps with a work list instead of recursion, so a value nested a
    /// million levels deep does not overflow the stack when it goes away.
    static func releaseIteratively(_ pending: inout [Value]) {
        while !pending.isEmpty {
            let item = pending.removeLast()
            if case .list(var l) = item {
                _ = consume item
                if isKnownUniquelyReferenced(&l) {
                    pending.append(contentsOf: l.items)
                    l.items = []
                }
            } else if case .map(var m) = item {
                _ = consume item
                if isKnownUniquelyReferenced(&m) {
                    pending.append(contentsOf: m.entries.values)
                    m.entries = [:]
                }
            }
        }
    }
}

/// A hashable map key: the scalar values. `1` and `1.0` are the same key.
public enum MapKey: Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case duration(Int)
    case size(Int)
    case version(String)

    /// The key for a value, or nil when the value cannot be a key (lists, maps, functions, and
    /// nan, which equals nothing: a map would hold a `nan` key it could never find again).
    public init?(_ value: Value) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .float(let f):
            if f.isNaN { return nil }
            if f == f.rounded(), abs(f) < 9.2e18 { self = .int(Int(f)) } else { self = .float(f) }
        case .string(let s): self = .string(s)
        case .duration(let d): self = .duration(d)
        case .size(let s): self = .size(s)
        case .version(let v): self = .version(v.normalized)
        case .list, .map, .function, .cell: return nil
        }
    }

    /// The key for a value, or an error saying why it cannot be one.
    public static func of(_ value: Value) throws -> MapKey {
        if let key = MapKey(value) { return key }
        if case .float(let f) = value, f.isNaN { throw MendError("nan cannot be a map key: it equals nothing, itself included") }
        throw MendError("\(value.aTypeName) cannot be a map key")
    }

    /// The key as a value again.
    public var value: Value {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .float(let f): return .float(f)
        case .string(let s): return .string(s)
        case .duration(let d): return .duration(d)
        case .size(let s): return .size(s)
        case .version(let v): return .version(Version(v) ?? Version(components: ["0"], suffix: "", text: v))
        }
    }
}

/// A mutable box for a variable that a closure captures (by reference).
public final class Cell {
    @exclusivity(unchecked) public var value: Value
    public init(_ value: Value) { self.value = value }
}

/// A callable value: a runbook function (closure) or a builtin.
public enum Function {
    case closure(Closure)
    case builtin(Builtin)
    /// A method bound to its receiver (`xs.append`). Indirect because a Value holds a Function.
    indirect case bound(Builtin, Value)

    public var name: String {
        switch self {
        case .closure(let c): return c.proto.name
        case .builtin(let b), .bound(let b, _): return b.qualifiedName
        }
    }
}

/// A software version that compares component by component: `1.21.10 > 1.9`.
public final class Version {
    /// The numeric components as digits without leading zeros ("0" for zero): any length
    /// compares exactly, where an integer would overflow.
    public let components: [String]
    /// A pre-release or build suffix (`-rc1`); a version with one sorts before the same version without.
    public let suffix: String
    /// The text it was made from.
    public let text: String

    public init(components: [String], suffix: String, text: String) {
        self.components = components
        self.suffix = suffix
        self.text = text
    }

    /// Parses `1.21.10`, `v1.2`, `go1.21.5`, `2.17-rc1`; nil if no leading number.
    public convenience init?(_ text: String) {
        var s = Substring(text.trimmingCharacters())
        if s.hasPrefix("go") { s = s.dropFirst(2) } else if s.hasPrefix("v") || s.hasPrefix("V") { s = s.dropFirst() }
        var parts: [String] = []
        var rest = s
        while true {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty else { break }
            let significant = digits.drop { $0 == "0" }
            parts.append(significant.isEmpty ? "0" : String(significant))
            rest = rest.dropFirst(digits.count)
            if rest.first == ".", let next = rest.dropFirst().first, next.isASCII, next.isNumber {
                rest = rest.dropFirst()
            } else {
                break
            }
        }
        guard !parts.isEmpty else { return nil }
        var suffix = String(rest)
        if suffix.hasPrefix("-") || suffix.hasPrefix("+") || suffix.hasPrefix("~") { suffix.removeFirst() }
        self.init(components: parts, suffix: suffix, text: text)
    }

    /// Components without trailing zeros, plus the suffix: equal versions share it.
    var normalized: String {
        var c = components
        while c.count > 1, c.last == "0" { c.removeLast() }
        return c.joined(separator: ".") + (suffix.isEmpty ? "" : "-" + suffix)
    }

    /// -1, 0 or 1.
    public func compare(_ other: Version) -> Int {
        let n = max(components.count, other.components.count)
        for k in 0..<n {
            let a = k < components.count ? components[k] : "0"
            let b = k < other.components.count ? other.components[k] : "0"
            // Digits without leading zeros: the longer is the larger, else they compare as text.
            if a != b { return (a.count, a) < (b.count, b) ? -1 : 1 }
        }
        if suffix == other.suffix { return 0 }
        if suffix.isEmpty { return 1 }
        if other.suffix.isEmpty { return -1 }
        return suffix < other.suffix ? -1 : 1
    }
}

extension String {
    /// The string without leading and trailing white space (spaces, tabs, newlines).
    func trimmingCharacters() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) ?? first
        return String(scalars[first...last])
    }
}
