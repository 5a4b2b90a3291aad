extension Value {
    /// The value as reports show it (docs/runbooks.md, Reports): sizes as integer bytes, durations as
    /// strings in literal syntax (`"2.1s"`), versions as strings, functions by name.
    public var reportJSON: JSON {
        reportJSON(depth: 0)
    }

    private func reportJSON(depth: Int) -> JSON {
        guard depth < 64 else { return .string("…") }
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .float(let f): return .double(f)
        case .string(let s): return .string(s)
        case .duration: return .string(literal)
        case .size(let s): return .int(s)
        case .version(let v): return .string(v.text)
        case .list(let l): return .array(l.items.map { $0.reportJSON(depth: depth + 1) })
        case .map(let m):
            return .object(m.entries.map { key, value in (key.value.display, value.reportJSON(depth: depth + 1)) })
        case .function: return .string(display)
        case .cell(let c): return c.value.reportJSON(depth: depth)
        }
    }
}
