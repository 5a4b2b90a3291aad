/// A located error: `FILE:LINE:COL: error: message`, the source line and a caret.
public struct Diagnostic: Error, @unchecked Sendable {
    public let span: Span
    public let message: String
    /// Extra lines printed after the caret (the chain of runbook calls for runtime errors).
    public var notes: [String]

    public init(_ span: Span, _ message: String, notes: [String] = []) {
        self.span = span
        self.message = message
        self.notes = notes
    }

    /// `file:line:col`.
    public var location: String { span.description }

    /// The full text: header, source line, caret, notes. Long lines are cut around the caret.
    public func rendered() -> String {
        let (line, column) = span.file.location(of: span.start)
        var out = "\(span.file.name):\(line):\(column): error: \(message)\n"
        let text = Array(span.file.lineText(line))
        let (shown, caretColumn) = Diagnostic.window(text, column - 1)
        let pad = String(shown.prefix(caretColumn).map { $0 == "\t" ? "\t" : " " })
        var width = 1
        let endLoc = span.file.location(of: span.end)
        if endLoc.line == line, endLoc.column > column {
            width = min(endLoc.column - column, max(1, shown.count - caretColumn))
        }
        out += "  " + String(shown) + "\n"
        out += "  " + pad + "^" + String(repeating: "~", count: max(0, min(width, 60) - 1)) + "\n"
        for note in notes { out += note + "\n" }
        return out
    }

    /// Cuts a long line to about 100 characters around `index`, marking cuts with `…`.
    static func window(_ text: [Character], _ index: Int) -> ([Character], Int) {
        let limit = 100
        guard text.count > limit else { return (text, min(index, text.count)) }
        let lo = max(0, min(index - 40, text.count - limit))
        let hi = min(text.count, lo + limit)
        var shown: [Character] = []
        var caret = index - lo
        if lo > 0 { shown.append("…"); caret += 1 }
        shown.append(contentsOf: text[lo..<hi])
        if hi < text.count { shown.append("…") }
        return (shown, min(caret, shown.count))
    }
}

/// Several diagnostics from one pass (the parser reports up to 20).
public struct Diagnostics: Error, @unchecked Sendable {
    public let items: [Diagnostic]
    public init(_ items: [Diagnostic]) { self.items = items }
    public func rendered() -> String { items.map { $0.rendered() }.joined() }
}
