import Glibc
import CMendSupport
import CReadline

/// The terminal line editor: GNU readline with history and Tab completion. Only this type
/// touches readline, so the rest of mend (and MendKit) never depends on it.
///
/// It reads with readline's callback interface and poll(2) rather than `readline()`: mend's
/// SIGINT handler only sets a flag, and the poll loop turns that flag into "drop the current
/// input" — readline itself installs no signal handlers (Swift cannot unwind a longjmp).
@MainActor final class LineEditor: LineReader {
    /// What Tab offers: candidates replacing the text from a UTF-8 offset of the line up to the cursor.
    struct Completion {
        var start: Int
        var candidates: [String]
        var appendsSpace: Bool
    }

    /// The editor readline's C callbacks reach; set while `read` runs. Readline's state is
    /// global: the editor belongs to the main actor, and the callbacks check they run there.
    private static var active: LineEditor?
    /// Bytes of readline's word in front of the completer's candidates, at the last Tab: the
    /// candidate list leaves them out.
    private static var sharedPrefix = 0
    /// The name readline reads `$if mend` settings under; it keeps the pointer.
    private static let name = strdup("mend")

    /// What Tab offers for the text before the cursor.
    var complete: (_ textBeforeCursor: String) -> Completion = { _ in Completion(start: 0, candidates: [], appendsSpace: false) }
    private let historyPath: String?
    private let historyLimit: Int32
    private var received: LineInput?
    /// The further lines of a pasted block (readline hands a bracketed paste over as one line).
    private var pasted: [String] = []
    /// With standard output redirected, prompts and echo go to the terminal on standard error.
    private let promptsOnStderr = isatty(1) == 0

    /// `historyPath` nil keeps no history file; the file is created mode 0600 (typed lines may
    /// hold secrets) and keeps the last `historyLimit` inputs.
    init(historyPath: String?, historyLimit: Int = 1000) {
        self.historyPath = historyPath
        self.historyLimit = Int32(historyLimit)
        mend_rl_setup(LineEditor.name, LineEditor.completionFunction, LineEditor.displayFunction, promptsOnStderr ? 1 : 0)
        mend_continued_install()
        using_history()
        stifle_history(self.historyLimit)
        if let historyPath {
            let fd = open(historyPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            if fd >= 0 {
                // Also an older file: typed lines may hold secrets.
                fchmod(fd, 0o600)
                Glibc.close(fd)
            }
            read_history(historyPath)
        }
    }

    /// Writes the history back, its last `historyLimit` entries: each input was appended as it was
    /// entered (nothing is lost if the session dies), this bounds the file.
    func close() {
        if let historyPath { write_history(historyPath) }
    }

    func read(prompt: String) -> LineInput {
        if !pasted.isEmpty { return .line(pasted.removeFirst()) }
        received = nil
        LineEditor.active = self
        defer { LineEditor.active = nil }
        mend_rl_install(prompt, LineEditor.lineHandler)
        while received == nil {
            switch Int(mend_interrupt_take()) {
            case MEND_INTERRUPT_SIGINT:
                mend_rl_cancel_line()
                return .interrupted
            case MEND_INTERRUPT_SIGTERM:
                rl_callback_handler_remove()
                return .signal("SIGTERM")
            case MEND_INTERRUPT_SIGHUP:
                // The terminal is gone: end the session as SIGTERM does.
                rl_callback_handler_remove()
                return .signal("SIGHUP")
            default:
                break
            }
            if mend_continued_take() != 0 { mend_rl_resume() }
            switch waitForStandardInput() {
            case .ready:
                rl_callback_read_char()
            case .again:
                break
            case .failed:
                rl_callback_handler_remove()
                received = .end
            }
        }
        return received ?? .end
    }

    func remember(_ input: String) {
        // Like a shell's ignorespace: an input typed with a leading space stays out of the history.
        guard !input.allSatisfy(\.isWhitespace), input.first != " " else { return }
        if let last = mend_rl_last_history(), String(cString: last) == input { return }
        add_history(input)
        if let historyPath { append_history(1, historyPath) }
    }

    // MARK: readline callbacks

    private static let lineHandler: @convention(c) (UnsafeMutablePointer<CChar>?) -> Void = { line in
        // Removed here, as readline documents: left installed, it would show the prompt again
        // before the input has run.
        rl_callback_handler_remove()
        let text = line.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: strlen($0)), as: UTF8.self) }
        free(line)
        MainActor.assumeIsolated { active?.take(text) }
    }

    /// A line readline handed over (nil: Ctrl-D on an empty line).
    private func take(_ text: String?) {
        let editor = self
        guard let text else {
            // Ctrl-D on an empty line: end the prompt's line as a shell does.
            if editor.promptsOnStderr { Console.error("") } else { Console.write("\n") }
            editor.received = .end
            return
        }
        // Lines as the lexer sees them: a form feed or U+2028 typed in a line does not end it.
        var lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }.map(String.init)
        if lines.count > 1, lines.last == "" { lines.removeLast() }
        editor.received = .line(lines.first ?? "")
        editor.pasted = Array(lines.dropFirst())
    }

    private static let completionFunction: @convention(c) (UnsafePointer<CChar>?, Int32, Int32)
        -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { _, start, end in
        mend_rl_completion_begin()
        guard let buffer = mend_rl_line_buffer() else { return nil }
        let line = Array(UnsafeRawBufferPointer(start: buffer, count: strlen(buffer)))
        let point = min(Int(end), line.count)
        let found: (matches: [[UInt8]], appendsSpace: Bool)? = MainActor.assumeIsolated {
            guard let editor = active else { return nil }
            let completion = editor.complete(String(decoding: line[..<point], as: UTF8.self))
            sharedPrefix = max(0, min(completion.start, point) - Int(start))
            return (readlineMatches(completion, line: line, wordStart: Int(start), point: point), completion.appendsSpace)
        }
        guard let found else { return nil }
        if found.matches.count == 1, found.appendsSpace { mend_rl_completion_append_space() }
        return cArray(found.matches)
    }

    /// Lists several candidates as the completer gave them (`get  list  set`, not `sysctl.get
    /// sysctl.list …`): readline's word may start before the member, key component or file name
    /// being completed.
    private static let displayFunction: @convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, Int32, Int32)
        -> Void = { matches, count, _ in
        guard let matches, count > 0 else { return }
        let sharedPrefix = MainActor.assumeIsolated { LineEditor.sharedPrefix }
        var shown: [[UInt8]] = []
        for k in 1...Int(count) {
            guard let match = matches[k] else { continue }
            let bytes = Array(UnsafeRawBufferPointer(start: match, count: strlen(match)))
            shown.append(bytes.count > sharedPrefix ? Array(bytes[sharedPrefix...]) : bytes)
        }
        let longest = shown.map { String(decoding: $0, as: UTF8.self).count }.max() ?? 0
        guard let array = cArray([[]] + shown) else { return }
        defer {
            for k in 0...shown.count { free(array[k]) }
            free(array)
        }
        mend_rl_display_matches(array, Int32(shown.count), Int32(longest))
    }

    /// Readline replaces its own word (from `wordStart`); the completer's candidates replace the
    /// text from `completion.start`. Shifts the candidates to readline's word, and puts their
    /// common prefix first when there are several, as readline expects.
    static func readlineMatches(_ completion: Completion, line: [UInt8], wordStart: Int, point: Int) -> [[UInt8]] {
        let ours = min(max(completion.start, 0), point)
        let theirs = min(max(wordStart, 0), point)
        var matches: [[UInt8]] = []
        for candidate in completion.candidates {
            var bytes = Array(candidate.utf8)
            if theirs < ours {
                bytes = Array(line[theirs..<ours]) + bytes
            } else if theirs > ours {
                let typed = line[ours..<theirs]
                guard bytes.starts(with: typed) else { continue }
                bytes.removeFirst(typed.count)
            }
            matches.append(bytes)
        }
        guard matches.count > 1 else { return matches }
        var common = matches[0]
        for match in matches.dropFirst() {
            let n = zip(common, match).prefix { $0 == $1 }.count
            common.removeLast(common.count - n)
        }
        // Never cut a UTF-8 sequence in half.
        var lead = common.count
        while lead > 0, common[lead - 1] & 0xC0 == 0x80 { lead -= 1 }
        if lead > 0, common[lead - 1] >= 0xC0 {
            let first = common[lead - 1]
            let length = first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : 2
            if common.count - (lead - 1) < length { common.removeLast(common.count - (lead - 1)) }
        }
        return [common] + matches
    }

    /// A NULL-terminated array of malloc'd strings: readline frees it and them.
    private static func cArray(_ matches: [[UInt8]]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        guard !matches.isEmpty,
              let raw = malloc((matches.count + 1) * MemoryLayout<UnsafeMutablePointer<CChar>?>.stride) else { return nil }
        let array = raw.bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: matches.count + 1)
        for (k, bytes) in matches.enumerated() {
            array[k] = (bytes + [0]).withUnsafeBufferPointer { source in
                source.withMemoryRebound(to: CChar.self) { $0.baseAddress.flatMap { strdup($0) } }
            }
        }
        array[matches.count] = nil
        return array
    }
}
