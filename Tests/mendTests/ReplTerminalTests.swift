import Glibc
import Testing

/// A program in a real terminal: tmux runs it in a pane, takes keys and shows the screen.
/// Each session has its own tmux server (its own socket), so tests run in parallel.
final class TerminalSession {
    private let socket: String
    let directory: TemporaryDirectory

    /// Starts the shell command line `command(dir)` in a 100×30 terminal; `dir` is a temporary
    /// directory that lives as long as the session. When the command ends, the pane shows `EXIT=<status>`.
    init(_ command: (String) -> String) throws {
        guard try system("command -v tmux >/dev/null 2>&1") == 0 else {
            throw TestFailure(description: "the terminal tests need tmux (apt-get install tmux; scripts/test installs it)")
        }
        directory = try TemporaryDirectory()
        socket = directory.path + "/tmux.sock"
        let shell = "\(command(directory.path)); echo EXIT=$?; sleep 600"
        guard try system("tmux -S \(shellQuote(socket)) -f /dev/null new-session -d -s mend -x 100 -y 30 \(shellQuote(shell))") == 0 else {
            throw TestFailure(description: "tmux could not start a session")
        }
    }

    deinit {
        _ = try? system("tmux -S \(shellQuote(socket)) kill-server >/dev/null 2>&1")
    }

    /// Types text literally.
    func type(_ text: String) throws {
        _ = try system("tmux -S \(shellQuote(socket)) send-keys -t mend -l \(shellQuote(text))")
    }

    /// Pastes `text` as a terminal does with bracketed paste on.
    func paste(_ text: String) throws {
        _ = try system("tmux -S \(shellQuote(socket)) set-buffer -- \(shellQuote(text))")
        _ = try system("tmux -S \(shellQuote(socket)) paste-buffer -p -t mend")
    }

    /// Types a line and presses Enter.
    func enter(_ line: String) throws {
        try type(line)
        try press("Enter")
    }

    /// Presses keys by tmux's names: Enter, Tab, Up, C-c, C-d.
    func press(_ keys: String...) throws {
        for key in keys { _ = try system("tmux -S \(shellQuote(socket)) send-keys -t mend \(key)") }
    }

    /// The visible screen, trailing blank lines dropped.
    func screen() throws -> String {
        let file = directory.path + "/screen"
        _ = try system("tmux -S \(shellQuote(socket)) capture-pane -p -t mend >\(shellQuote(file))")
        var lines = try readFile(file).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.last?.allSatisfy(\.isWhitespace) == true { lines.removeLast() }
        return lines.joined(separator: "\n")
    }

    /// Waits (up to 20 s: the machines are slow and busy) until the screen satisfies `condition`;
    /// returns the screen, or fails showing it.
    @discardableResult
    func waitFor(_ what: String, _ condition: (String) -> Bool) throws -> String {
        var last = ""
        for _ in 0..<400 {
            last = try screen()
            if condition(last) { return last }
            usleep(50_000)
        }
        throw TestFailure(description: "the terminal never showed \(what); the screen was:\n\(last)")
    }

    /// Waits for a line of the screen equal to `line` (trailing spaces ignored).
    @discardableResult
    func waitForLine(_ line: String) throws -> String {
        try waitFor("the line \"\(line)\"") { screen in
            screen.split(separator: "\n").contains { $0.trimmingTrailingSpaces == line }
        }
    }

    /// Waits until the screen's last non-empty line, trailing spaces ignored, is `line`.
    @discardableResult
    func waitForLastLine(_ line: String) throws -> String {
        try waitFor("the last line \"\(line)\"") { screen in
            screen.split(separator: "\n").last?.trimmingTrailingSpaces == line
        }
    }
}

extension Substring {
    var trimmingTrailingSpaces: String {
        var s = self
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}

/// `mend repl` at a real terminal: GNU readline's editing, completion, history and Ctrl-C/Ctrl-D.
@Suite("mend repl in a terminal")
struct ReplTerminalTests {
    /// Starts the REPL with its history in `history` and a private state directory.
    private func start(history: String? = nil, arguments: String = "") throws -> TerminalSession {
        let session = try TerminalSession { dir in
            "env MEND_HISTORY=\(shellQuote(history ?? dir + "/history")) NO_COLOR=1 \(shellQuote(MendBinary.path)) repl"
                + " --state-dir \(shellQuote(dir + "/state")) \(arguments)"
        }
        try session.waitFor("the first prompt") { $0.contains("mend>") || $0.contains("mend(dry)>") }
        return session
    }

    @Test func tabCompletesNamespacesAndSysctlKeys() throws {
        let t = try start()
        try t.type("sysc")
        try t.press("Tab")
        try t.waitForLine("mend> sysctl")
        try t.type(".get(\"net.co")
        try t.press("Tab")
        // A directory of keys completes with its dot, and the string stays open.
        try t.waitForLine("mend> sysctl.get(\"net.core.")
        try t.type("somax")
        try t.press("Tab")
        try t.waitForLine("mend> sysctl.get(\"net.core.somaxconn")
        try t.enter("\")")
        let somaxconn = try readFile("/proc/sys/net/core/somaxconn").filter(\.isNumber)
        try t.waitForLine(somaxconn)
    }

    @Test func severalCandidatesAreListedByTheirLastPart() throws {
        let t = try start()
        try t.type("sysctl.")
        try t.press("Tab", "Tab")
        let listing = try t.waitFor("the sysctl builtins listed") { $0.contains("persisted") }
        let line = listing.split(separator: "\n").first { $0.contains("persisted") }.map(String.init) ?? ""
        #expect(line.split(separator: " ") == ["get", "list", "persisted", "set"], "\(listing)")
        // The line being edited is drawn again below the list.
        try t.waitFor("the line redrawn") { $0.hasSuffix("mend> sysctl.") }
        try t.press("C-c")
        // File names keep their extensions in the list.
        try writeFile(t.directory.path + "/node.mend", "")
        try writeFile(t.directory.path + "/notes.txt", "")
        try t.type(":load \(t.directory.path)/no")
        try t.press("Tab", "Tab")
        let files = try t.waitFor("the files listed") { $0.contains("notes.txt") }
        #expect(files.split(separator: "\n").contains { $0.split(separator: " ") == ["node.mend", "notes.txt"] }, "\(files)")
    }

    @Test func tabCompletesVariablesMembersAndMetaCommands() throws {
        let t = try start()
        try t.enter("let limits = {nofile: 65536, nproc: 4096}")
        try t.waitForLine("mend>")
        try t.type("limits.nof")
        try t.press("Tab")
        try t.waitForLine("mend> limits.nofile")
        try t.press("Enter")
        try t.waitForLine("65536")
        try t.type(":he")
        try t.press("Tab")
        try t.type("sysctl.se")
        try t.press("Tab")
        try t.waitForLine("mend> :help sysctl.set")
        try t.press("Enter")
        try t.waitFor("the reference of sysctl.set") { $0.contains("Example:") }
    }

    @Test func aThreeLineFunctionDefinitionWorks() throws {
        let t = try start()
        try t.enter("fn area(w, h) {")
        try t.waitForLine("...")
        try t.enter("return w * h")
        try t.enter("}")
        try t.enter("area(6, 7)")
        let screen = try t.waitForLine("42")
        #expect(screen.contains("...   return w * h"), "a continuation prompt while the brace is open:\n\(screen)")
    }

    @Test func historyFromThePreviousSessionComesBackWithUp() throws {
        let dir = try TemporaryDirectory()
        let history = dir.path + "/history"
        do {
            let first = try start(history: history)
            try first.enter("let remembered = 41 + 1")
            try first.waitForLine("mend>")
            try first.enter(":quit")
            try first.waitForLine("EXIT=0")
        }
        var info = stat()
        #expect(stat(history, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600, "typed lines may hold secrets: the history is private")
        let second = try start(history: history)
        try second.press("Up")
        try second.waitForLine("mend> :quit")
        try second.press("Up")
        try second.waitForLine("mend> let remembered = 41 + 1")
        try second.press("Enter")
        try second.enter("remembered")
        try second.waitForLine("42")
    }

    @Test func aMultiLineInputComesBackWholeWithUp() throws {
        let dir = try TemporaryDirectory()
        let history = dir.path + "/history"
        do {
            let first = try start(history: history)
            try first.enter("fn cube(x) {")
            try first.enter("return x * x * x")
            try first.enter("}")
            try first.enter("let after = 1")
            try first.waitForLine("mend>")
            try first.press("C-d")
            try first.waitForLine("EXIT=0")
        }
        let second = try start(history: history)
        try second.press("Up", "Up")
        try second.waitForLine("mend> fn cube(x) {")
        try second.waitForLine("return x * x * x")
        try second.press("Enter")
        try second.enter("cube(3)")
        try second.waitForLine("27")
    }

    @Test func theHistoryFileIsBounded() throws {
        let dir = try TemporaryDirectory()
        let history = dir.path + "/history"
        try writeFile(history, (1...1500).map { "old line \($0)" }.joined(separator: "\n") + "\n")
        let t = try start(history: history)
        try t.enter("let fresh = 1")
        try t.waitForLine("mend>")
        try t.press("C-d")
        try t.waitForLine("EXIT=0")
        // Entries, not counting the timestamp lines that mark where each new one starts.
        let entries = try readFile(history).split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(entries.count == 1000)
        #expect(entries.last == "let fresh = 1")
        #expect(entries.first == "old line 502")
    }

    @Test func ctrlCDropsTheInputAndCtrlDLeaves() throws {
        let t = try start()
        try t.enter("[1,")
        try t.waitForLine("...")
        try t.type("2")
        try t.press("C-c")
        try t.waitFor("a fresh prompt after Ctrl-C") { $0.hasSuffix("mend>") || $0.hasSuffix("mend> ") }
        try t.enter("6 * 7")
        let screen = try t.waitForLine("42")
        #expect(!screen.contains("error"), "the dropped input must not run:\n\(screen)")
        // Ctrl-C also stops a running input, and the session goes on.
        // The key is pressed once the loop runs: a signal key discards the terminal's unread input.
        try t.enter("print(\"looping\"); while true { }")
        try t.waitForLine("looping")
        try t.press("C-c")
        try t.waitFor("the interruption") { $0.contains("interrupted by SIGINT") }
        try t.enter("1 + 1")
        try t.waitForLine("2")
        try t.waitForLastLine("mend>")
        try t.press("C-d")
        try t.waitForLine("EXIT=0")
    }

    @Test func aPastedBlockRunsLineByLine() throws {
        let t = try start()
        // As readline does with a bracketed paste: the block waits for Enter, then runs line by line.
        try t.paste("let pasted = 20\nlet more = pasted + 1\nmore * 2")
        try t.press("Enter")
        try t.waitForLine("42")
        try t.enter("more")
        try t.waitForLine("21")
        #expect(try !t.screen().contains("error"))
    }

    @Test func withStandardOutputRedirectedPromptsStayOnTheTerminal() throws {
        let t = try TerminalSession { dir in
            "env MEND_HISTORY= \(shellQuote(MendBinary.path)) repl --state-dir \(shellQuote(dir + "/state")) >\(shellQuote(dir + "/out"))"
        }
        try t.waitFor("the first prompt") { $0.contains("mend>") }
        try t.enter("6 * 7")
        try t.waitForLine("mend> 6 * 7")
        // Ctrl-D only at the next prompt: pressed while the line still runs, the terminal is in
        // canonical mode and the end-of-file is lost when readline switches it back to raw mode.
        try t.waitForLastLine("mend>")
        try t.press("C-d")
        try t.waitForLine("EXIT=0")
        #expect(try readFile(t.directory.path + "/out") == "42\n")
    }

    @Test func anOldHistoryFileIsMadePrivate() throws {
        let dir = try TemporaryDirectory()
        let history = dir.path + "/history"
        try writeFile(history, "let old = 1\n")
        #expect(chmod(history, 0o644) == 0)
        let t = try start(history: history)
        try t.press("Up")
        try t.waitForLine("mend> let old = 1")
        var info = stat()
        #expect(stat(history, &info) == 0 && info.st_mode & 0o777 == 0o600)
    }

    @Test func lineEditingWorksAgainAfterCtrlZAndFg() throws {
        let t = try TerminalSession { dir in "env PS1='$ ' bash --norc --noprofile" }
        try t.waitFor("the shell") { $0.contains("$") }
        try t.enter("MEND_HISTORY= \(shellQuote(MendBinary.path)) repl --state-dir \(shellQuote(t.directory.path + "/state"))")
        try t.waitFor("the first prompt") { $0.contains("mend>") }
        try t.type("1 + ")
        // Ctrl-Z only once the text is read: the terminal discards unread input when it signals.
        try t.waitForLine("mend> 1 +")
        try t.press("C-z")
        try t.waitFor("the stopped job") { $0.contains("Stopped") }
        try t.enter("fg")
        try t.waitForLastLine("mend> 1 +")
        // Editing keys work again: Left moves back over the typed 2 before the 4 goes in.
        try t.type("2")
        try t.press("Left")
        try t.type("4")
        try t.waitForLine("mend> 1 + 42")
        try t.press("Enter")
        try t.waitForLine("43")
    }

    @Test func theDryPromptShowsThatNothingChanges() throws {
        let t = try start(arguments: "--dry")
        try t.waitFor("the dry prompt") { $0.contains("mend(dry)>") }
        try t.enter(":dry off")
        try t.waitFor("the normal prompt") { $0.hasSuffix("mend>") || $0.hasSuffix("mend> ") }
    }
}
