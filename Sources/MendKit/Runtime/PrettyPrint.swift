import OrderedCollections

/// How the REPL and `mend eval` print a result: readable at a terminal, built on the literal form.
extension Value {
    /// The value as the REPL and `mend eval` print it: its literal form when that fits in `width` columns
    /// on one line; otherwise maps and lists one element per line, indented by two spaces; a list of maps
    /// as a table.
    ///
    /// - Inside the indented form, each element prints on one line when it fits in what is left of the
    ///   width (comma included), else indented in turn. Keys print as in the literal form.
    /// - A list prints as a table when every element is a map and it holds at least two of them, or one
    ///   with at least two keys (a lone one-key map reads better as its literal): a column per key, in
    ///   order of first appearance, under a header row and a row of dashes. A cell is the literal form of
    ///   its value, except that a non-empty string without control characters shows without quotes; a
    ///   missing key leaves the cell empty; numeric columns are right-aligned. Only the outermost value
    ///   becomes a table, since a table cannot sit inside the bracketed form. When a cell would hold a
    ///   line break, or the table would be wider than `max(width, 200)`, the list prints as any other.
    /// - Nesting, cycles and shared structure print as in ``literal`` (`…`). At most
    ///   ``PrettyPrinter/elementBudget`` elements and rows print in all; each list, map or table left
    ///   unfinished ends with a `… N more` line. Past ``ValueLimits/maxStringBytes`` bytes in all, or
    ///   once an interruption is pending (the memory budget), printing stops with a `…` line.
    /// - Widths count Characters, not terminal columns.
    public func pretty(width: Int = 80) -> String {
        var printer = PrettyPrinter(width: width)
        printer.write(self)
        return printer.lines.joined(separator: "\n")
    }
}

/// Lays out a value for ``Value/pretty(width:)``, bounded in lines, depth and work whatever the value.
struct PrettyPrinter {
    /// Elements and table rows printed in all, each starting a line. The literal form's budget of a
    /// million elements makes sense on one line, not as a million lines to scroll through.
    static let elementBudget = 1000
    /// The largest width honoured, wider than any terminal. It bounds the work of a fit test and the
    /// length of a line, and keeps every one-line form far below the literal's element budget, so a form
    /// that fits is exactly what ``Value/literal`` prints.
    static let maxWidth = 4096
    /// The widest a table may be, however narrow the width: a table that wraps still reads better
    /// than the same rows as maps.
    static let minTableWidth = 200

    let width: Int
    private(set) var lines: [String] = [] {
        didSet { bytes += (lines.last?.utf8.count ?? 0) + 1 }
    }
    /// Bytes of the lines so far: past ``ValueLimits/maxStringBytes``, or when an interruption is
    /// pending, printing stops (``stopped``) with a `…` line. A list holding one large string many
    /// times would otherwise print it in full on as many lines.
    private var bytes = 0
    private(set) var stopped = false
    private var poll = 0
    private var budget = PrettyPrinter.elementBudget
    /// The lists and maps being printed, outermost first, shared with the one-line forms inside them so
    /// a cycle shows `…` where the literal form shows it.
    private var path: Set<ObjectIdentifier> = []

    init(width: Int) {
        self.width = min(width, PrettyPrinter.maxWidth)
    }

    mutating func write(_ value: Value) {
        if case .list(let l) = value, let rows = table(l) {
            lines = rows
        } else {
            layout(value, depth: 0, indent: "", lead: "", trail: "")
        }
    }

    /// Writes `value` after `lead` (its key and `: `, if any) at `indent`, followed by `trail` (its comma,
    /// if any): on one line when that fits in the width, else as a bracketed block.
    private mutating func layout(_ value: Value, depth: Int, indent: String, lead: String, trail: String) {
        let room = width - indent.count - lead.count - trail.count
        if stopped { return }
        if let text = oneLine(value, depth: depth, limit: room) {
            lines.append(indent + lead + text + trail)
            return
        }
        switch value {
        case .list(let l) where canEnter(l, depth: depth):
            block(l, open: "[", close: "]", count: l.items.count, depth: depth, indent: indent, lead: lead,
                  trail: trail) { ("", l.items[$0]) }
        case .map(let m) where canEnter(m, depth: depth):
            block(m, open: "{", close: "}", count: m.entries.count, depth: depth, indent: indent, lead: lead,
                  trail: trail) { index in
                let entry = m.entries.elements[index]
                return (PrettyPrinter.keyText(entry.key) + ": ", entry.value)
            }
        case .cell(let c) where depth < Printer.maxDepth:
            layout(c.value, depth: depth + 1, indent: indent, lead: lead, trail: trail)
        case .list, .map, .cell:
            // Too deep or on the path: the literal form cuts it short here too.
            lines.append(indent + lead + "…" + trail)
        default:
            // A scalar too long for the line or holding a line break: it cannot be broken up.
            if case .string(let s) = value, bytes + s.utf8.count > ValueLimits.maxStringBytes {
                stop()
                return
            }
            lines.append(indent + lead + value.literal + trail)
        }
    }

    /// Writes a list or map as `open`, one element per line indented by two more spaces, and `close`.
    /// `element` gives an element's lead (its key and `: `, or nothing) and value.
    private mutating func block(_ container: AnyObject, open: String, close: String, count: Int, depth: Int,
                                indent: String, lead: String, trail: String,
                                element: (Int) -> (lead: String, value: Value)) {
        let id = ObjectIdentifier(container)
        path.insert(id)
        defer { path.remove(id) }
        lines.append(indent + lead + open)
        let inner = indent + "  "
        for index in 0..<count {
            poll &+= 1
            if bytes > ValueLimits.maxStringBytes || (poll & 255 == 0 && Interrupted.isPending) { stop() }
            if stopped { return }
            guard budget > 0 else {
                lines.append(inner + "… \(count - index) more")
                break
            }
            budget -= 1
            let (elementLead, value) = element(index)
            layout(value, depth: depth + 1, indent: inner, lead: elementLead, trail: index < count - 1 ? "," : "")
        }
        lines.append(indent + close + trail)
    }

    /// Ends the printing where it is, with a `…` line.
    private mutating func stop() {
        if !stopped { lines.append("…") }
        stopped = true
    }

    /// The rows of `list` as a table, or nil when it does not print as one.
    private mutating func table(_ list: ListRef) -> [String]? {
        let items = list.items
        guard case .map(let first)? = items.first,
              items.count >= 2 || first.entries.count >= 2,
              items.allSatisfy({ if case .map = $0 { true } else { false } })
        else { return nil }
        let shown = min(items.count, budget)
        let limit = max(width, PrettyPrinter.minTableWidth)
        let listID = ObjectIdentifier(list)
        path.insert(listID)
        defer { path.remove(listID) }

        var columns = OrderedSet<MapKey>()
        for case .map(let row) in items.prefix(shown) { columns.append(contentsOf: row.entries.keys) }
        guard !columns.isEmpty else { return nil }

        let headers = columns.map { PrettyPrinter.cellText(plainString: $0.value) ?? $0.value.literal }
        guard headers.allSatisfy({ !$0.contains(where: \.isNewline) }) else { return nil }
        // Cells of each shown row by column; nil for a missing key.
        var rows: [[String?]] = []
        var widths = headers.map(\.count)
        var numeric = Array(repeating: true, count: columns.count)
        for case .map(let row) in items.prefix(shown) {
            let rowID = ObjectIdentifier(row)
            path.insert(rowID)
            defer { path.remove(rowID) }
            var cells: [String?] = []
            for (column, key) in columns.enumerated() {
                guard let value = row.entries[key] else {
                    cells.append(nil)
                    continue
                }
                // A cell sits where the literal form prints a list's map's value: two levels deep.
                guard let text = PrettyPrinter.cellText(plainString: value) ?? oneLine(value, depth: 2, limit: limit),
                      text.count <= limit, !text.contains(where: \.isNewline)
                else { return nil }
                widths[column] = max(widths[column], text.count)
                numeric[column] = numeric[column] && value.isNumber
                cells.append(text)
            }
            rows.append(cells)
        }
        guard widths.reduce(2 * (columns.count - 1), +) <= limit else { return nil }

        /// One row, each cell padded to its column's width; no spaces at the end of the line.
        func line(_ cells: [String]) -> String {
            var text = ""
            for (column, cell) in cells.enumerated() {
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                text += (column > 0 ? "  " : "") + (numeric[column] ? padding + cell : cell + padding)
            }
            while text.last == " " { text.removeLast() }
            return text
        }
        var out = [line(headers), line(widths.map { String(repeating: "-", count: $0) })]
        out += rows.map { line($0.map { $0 ?? "" }) }
        budget -= shown
        if shown < items.count { out.append("… \(items.count - shown) more") }
        return out
    }

    /// A string as a table cell or header shows it, bare, when that is unambiguous: not empty and without
    /// control characters; nil for any other value.
    private static func cellText(plainString value: Value) -> String? {
        guard case .string(let s) = value, !s.isEmpty,
              !s.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return nil }
        return s
    }

    /// A map key as the literal form prints it: bare when identifier-like, else as a literal.
    private static func keyText(_ key: MapKey) -> String {
        if case .string(let s) = key, Value.isBareKey(s) { return s }
        return key.value.literal
    }

    /// True when a list or map at `depth` prints its elements rather than `…`: the literal form's rule.
    private func canEnter(_ container: AnyObject, depth: Int) -> Bool {
        depth < Printer.maxDepth && !path.contains(ObjectIdentifier(container))
    }

    /// The literal form of `value`, nested `depth` deep in the containers on `path`, or nil when it is
    /// longer than `limit` characters or holds a line break.
    private func oneLine(_ value: Value, depth: Int, limit: Int) -> String? {
        var printer = Printer(path: path, limit: limit)
        printer.write(value, depth: depth)
        // Stopped (an interruption): not known to fit, so not shown as if it did.
        return printer.exceeded || printer.stopped ? nil : printer.out
    }
}

extension Value {
    /// True for the values a table right-aligns: ints, floats, sizes and durations.
    fileprivate var isNumber: Bool {
        switch self {
        case .int, .float, .size, .duration: return true
        default: return false
        }
    }
}
