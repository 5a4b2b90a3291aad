#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CMendSupport

/// What reading one line came to.
enum LineInput: Equatable {
    case line(String)
    /// Ctrl-C at the prompt: the input being typed is dropped.
    case interrupted
    /// Ctrl-D, the end of standard input, or SIGTERM.
    case end
    /// A line that is not UTF-8, from a script (by its line number).
    case invalid(line: Int)
}

/// Where the REPL's input comes from: the line editor on a terminal, the plain reader otherwise.
protocol LineReader: AnyObject {
    /// Reads a line, showing `prompt` when the reader shows prompts.
    func read(prompt: String) -> LineInput
    /// Keeps an entered line in the history, when the reader has one.
    func remember(_ line: String)
}

/// Reads standard input when it is not a terminal: no prompts, no echo, no history, so
/// `mend repl < script` and pipelines work.
final class PlainReader: LineReader {
    private var buffer: [UInt8] = []
    private var atEnd = false
    private var lineNumber = 0

    func read(prompt: String) -> LineInput {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                return take(upTo: newline, dropping: 1)
            }
            if atEnd { return buffer.isEmpty ? .end : take(upTo: buffer.count, dropping: 0) }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
            } else if n == 0 {
                atEnd = true
            } else if errno == EINTR {
                // SIGINT or SIGTERM while waiting for input ends a script.
                if Int(mend_interrupt_take()) != MEND_INTERRUPT_NONE { return .end }
            } else {
                atEnd = true
            }
        }
    }

    func remember(_ line: String) {}

    private func take(upTo end: Int, dropping separator: Int) -> LineInput {
        var bytes = Array(buffer[..<end])
        buffer.removeFirst(end + separator)
        lineNumber += 1
        if bytes.last == 0x0D { bytes.removeLast() }
        guard let text = String(validating: bytes, as: UTF8.self) else { return .invalid(line: lineNumber) }
        return .line(text)
    }
}
