import Glibc
import CMendSupport

/// What reading one line came to.
enum LineInput: Equatable {
    case line(String)
    /// Ctrl-C at the prompt: the input being typed is dropped.
    case interrupted
    /// Ctrl-D, or the end of standard input.
    case end
    /// A signal that ends the session (SIGTERM; SIGINT too in a script), by name.
    case signal(String)
    /// A line that is not UTF-8, from a script (by its line number).
    case invalid(line: Int)
}

/// Where the REPL's input comes from: the line editor on a terminal, the plain reader otherwise.
/// Read on the main thread (readline's state is global).
@MainActor protocol LineReader: AnyObject {
    /// Reads a line, showing `prompt` when the reader shows prompts.
    func read(prompt: String) -> LineInput
    /// Keeps an entered input (its lines joined by newlines) in the history, when the reader has one.
    func remember(_ input: String)
}

/// What waiting for standard input came to.
enum InputWait {
    case ready
    /// Nothing yet (or a signal): look at the interrupt flag, then wait again.
    case again
    case failed
}

/// Waits up to 200 ms for standard input. Readers look at the interrupt flag before each wait;
/// the bound is how long a signal that lands between that look and poll(2) goes unseen.
func waitForStandardInput() -> InputWait {
    var fds = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
    let n = poll(&fds, 1, 200)
    if n > 0 { return .ready }
    return n == 0 || errno == EINTR ? .again : .failed
}

/// Reads standard input when it is not a terminal: no prompts, no echo, no history, so
/// `mend repl < script` and pipelines work.
@MainActor final class PlainReader: LineReader {
    private var buffer: [UInt8] = []
    /// Where the next line starts in `buffer`, and how far it is known to hold no newline: each
    /// byte is looked at once however long the lines.
    private var start = 0
    private var scanned = 0
    private var atEnd = false
    private var lineNumber = 0

    func read(prompt: String) -> LineInput {
        while true {
            if let newline = buffer[scanned...].firstIndex(of: 0x0A) {
                return take(upTo: newline, dropping: 1)
            }
            scanned = buffer.count
            if atEnd { return start == buffer.count ? .end : take(upTo: buffer.count, dropping: 0) }
            if start > 0 {
                buffer.removeFirst(start)
                scanned -= start
                start = 0
            }
            // SIGINT, SIGTERM or SIGHUP while waiting for input, or since the last input ended, ends a script.
            switch Int(mend_interrupt_take()) {
            case MEND_INTERRUPT_SIGINT: return .signal("SIGINT")
            case MEND_INTERRUPT_SIGTERM: return .signal("SIGTERM")
            case MEND_INTERRUPT_SIGHUP: return .signal("SIGHUP")
            default: break
            }
            switch waitForStandardInput() {
            case .again: continue
            case .failed: atEnd = true; continue
            case .ready: break
            }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
            } else if n == 0 || errno != EINTR {
                atEnd = true
            }
        }
    }

    func remember(_ input: String) {}

    private func take(upTo end: Int, dropping separator: Int) -> LineInput {
        var bytes = Array(buffer[start..<end])
        start = end + separator
        scanned = start
        lineNumber += 1
        if bytes.last == 0x0D { bytes.removeLast() }
        guard let text = String(validating: bytes, as: UTF8.self) else { return .invalid(line: lineNumber) }
        return .line(text)
    }
}
