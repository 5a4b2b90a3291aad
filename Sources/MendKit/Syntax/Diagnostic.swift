/// A located error: `FILE:LINE:COL: error: message`, the source line and a caret.
public struct Diagnostic: Error, Sendable {
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
        let file = span.file
        let (line, column) = file.location(of: span.start)
        var out = "\(file.name):\(line):\(column): error: \(message)\n"
        // Only the part of the line around the caret is decoded: a 2 MB line costs no more than a short one.
        let (lineStart, lineEnd) = file.lineRange(line)
        let caret = min(max(span.start, lineStart), lineEnd)
        var lo = max(lineStart, caret - 1024)
        while lo > lineStart, file.bytes[lo] & 0xC0 == 0x80 { lo -= 1 }
        var hi = min(lineEnd, caret + 1024)
        while hi < lineEnd, file.bytes[hi] & 0xC0 == 0x80 { hi += 1 }
        let before = file.decode(lo, caret).map(Diagnostic.visible)
        let after = file.decode(caret, hi).map(Diagnostic.visible)
        let (shown, caretColumn) = Diagnostic.window(before + after, before.count, cutBefore: lo > lineStart, cutAfter: hi < lineEnd)
        let pad = String(shown.prefix(caretColumn).map { $0 == "\t" ? "\t" : " " })
        var width = 1
        if span.end > caret, span.end <= lineEnd {
            width = min(file.characterCount(caret, min(span.end, hi)), max(1, shown.count - caretColumn))
        }
        out += "  " + String(shown) + "\n"
        out += "  " + pad + "^" + String(repeating: "~", count: max(0, min(width, 60) - 1)) + "\n"
        for note in notes { out += note + "\n" }
        return out
    }

    /// Control characters (a NUL byte, an escape sequence) would garble the terminal: they show as
    /// their Unicode control pictures (␀, ␛), one character each so the caret still lines up.
    static func visible(_ c: Character) -> Character {
        guard c != "\t", c.unicodeScalars.count == 1, let v = c.unicodeScalars.first?.value else { return c }
        if v < 0x20 { return Character(UnicodeScalar(0x2400 + v)!) }
        if v == 0x7F { return "\u{2421}" }
        return c
    }

    /// Cuts a long line to about 100 characters around `index`, marking cuts with `…`.
    /// `cutBefore`/`cutAfter` say that `text` is itself a piece of a longer line.
    static func window(_ text: [Character], _ index: Int, cutBefore: Bool = false, cutAfter: Bool = false) -> ([Character], Int) {
        let limit = 100
        guard text.count > limit || cutBefore || cutAfter else { return (text, min(index, text.count)) }
        let lo = max(0, min(index - 40, text.count - limit))
        let hi = min(text.count, lo + limit)
        var shown: [Character] = []
        var caret = index - lo
        if lo > 0 || cutBefore { shown.append("…"); caret += 1 }
        shown.append(contentsOf: text[lo..<hi])
        if hi < text.count || cutAfter { shown.append("…") }
        return (shown, min(caret, shown.count))
    }
}

/// Several diagnostics from one pass (the parser reports up to 20).
public struct Diagnostics: Error, Sendable {
    public let items: [Diagnostic]
    public init(_ items: [Diagnostic]) { self.items = items }
    public func rendered() -> String { items.map { $0.rendered() }.joined() }
}
