import Synchronization

/// A runbook's text as bytes, with its name for diagnostics.
///
/// The lexer works on UTF-8 bytes; lines and character columns are computed only when a
/// diagnostic needs them, so large files cost nothing extra until something goes wrong.
public final class SourceFile: Sendable {
    /// The name shown in diagnostics (`ubuntu.mend`, `<eval>`, `std/list`).
    public let name: String
    /// The file's bytes, validated as UTF-8 by ``SourceFile/validate()``.
    public let bytes: [UInt8]
    /// The number of the text's first line: a REPL input read from a script reports the script's
    /// line numbers.
    public let firstLine: Int
    /// The offsets where lines start, found at the first diagnostic; behind a lock because a
    /// file (in a span of an error) may be read from any thread.
    private let lineStarts = Mutex<[Int]?>(nil)

    public init(name: String, bytes: [UInt8], firstLine: Int = 1) {
        self.name = name
        self.bytes = bytes
        self.firstLine = firstLine
    }

    public convenience init(name: String, text: String, firstLine: Int = 1) {
        self.init(name: name, bytes: Array(text.utf8), firstLine: firstLine)
    }

    /// Checks the bytes before lexing: invalid UTF-8 and NUL bytes are reported at their location
    /// instead of being silently repaired.
    public func validate() -> Diagnostic? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b == 0 {
                return Diagnostic(Span(self, i, i + 1), "the file contains a NUL byte: a runbook is text")
            }
            if b < 0x80 { i += 1; continue }
            let len: Int
            let minScalar: UInt32
            if b & 0xE0 == 0xC0 { len = 2; minScalar = 0x80 }
            else if b & 0xF0 == 0xE0 { len = 3; minScalar = 0x800 }
            else if b & 0xF8 == 0xF0 { len = 4; minScalar = 0x10000 }
            else { return invalidUTF8(at: i) }
            if i + len > n { return invalidUTF8(at: i) }
            var scalar = UInt32(b) & (0xFF >> (len + 1))
            for k in 1..<len {
                let c = bytes[i + k]
                if c & 0xC0 != 0x80 { return invalidUTF8(at: i) }
                scalar = scalar << 6 | UInt32(c & 0x3F)
            }
            if scalar < minScalar || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) {
                return invalidUTF8(at: i)
            }
            i += len
        }
        return nil
    }

    private func invalidUTF8(at offset: Int) -> Diagnostic {
        Diagnostic(Span(self, offset, offset + 1),
                   "the file is not valid UTF-8 (byte 0x\(String(bytes[offset], radix: 16, uppercase: true))): save it as UTF-8")
    }

    private func starts() -> [Int] {
        if let known = lineStarts.withLock({ $0 }) { return known }
        var result = [0]
        bytes.withUnsafeBufferPointer { buffer in
            var i = 0
            let n = buffer.count
            while i < n {
                if buffer[i] == 0x0A { result.append(i + 1) }
                i += 1
            }
        }
        lineStarts.withLock { $0 = result }
        return result
    }

    /// The 1-based line and character column of a byte offset.
    public func location(of offset: Int) -> (line: Int, column: Int) {
        let table = starts()
        var lo = 0, hi = table.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if table[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        let start = table[lo]
        let end = min(max(offset, start), bytes.count)
        return (lo + firstLine, characterCount(start, end) + 1)
    }

    /// The text of line number `line` (counted from ``firstLine``), without its newline.
    public func lineText(_ line: Int) -> String {
        let (start, end) = lineRange(line)
        return decode(start, end)
    }

    /// The byte range of line number `line` (counted from ``firstLine``), without its line break
    /// (`\n` or `\r\n`).
    public func lineRange(_ number: Int) -> (start: Int, end: Int) {
        let table = starts()
        let line = number - firstLine + 1
        guard line >= 1, line <= table.count else { return (bytes.count, bytes.count) }
        let start = table[line - 1]
        var end = line < table.count ? table[line] - 1 : bytes.count
        if end > start, bytes[end - 1] == 0x0D { end -= 1 }
        return (start, max(start, end))
    }

    /// Characters (as a reader counts them) in a byte range; invalid bytes count one each.
    func characterCount(_ start: Int, _ end: Int) -> Int {
        decode(start, end).count
    }

    func decode(_ start: Int, _ end: Int) -> String {
        String(decoding: bytes[start..<end], as: UTF8.self)
    }
}

/// A range of bytes in a source file; every AST node and runtime error carries one.
public struct Span: Sendable {
    public let file: SourceFile
    public let start: Int
    public let end: Int

    public init(_ file: SourceFile, _ start: Int, _ end: Int) {
        self.file = file
        self.start = start
        self.end = max(start, end)
    }

    /// `file:line:col` as used in reports.
    public var description: String {
        let (line, column) = file.location(of: start)
        return "\(file.name):\(line):\(column)"
    }

    /// The span from the start of `self` to the end of `other`.
    public func through(_ other: Span) -> Span { Span(file, start, max(end, other.end)) }

    /// The source text the span covers.
    public var text: String { file.decode(start, min(end, file.bytes.count)) }
}
