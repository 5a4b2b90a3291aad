/// Live progress for people (`--format text`): a line per step as it ends with its status and
/// time, the changes under it (in a plan: before → after and a unified diff for files), the
/// rollback, and a summary line.
///
/// What a step prints comes after a header naming the step: on a terminal (`live`), a "running"
/// line shown while the step runs becomes that header when the step prints, and is replaced by
/// the result when it does not; elsewhere the header line is written before the step's first output.
public final class TextReporter: EngineObserver {
    private let write: (String) -> Void
    private let prompt: (String) -> Void
    private let colour: Bool
    private let live: Bool
    /// The running step whose header has not been written yet.
    private var headerPending: StepReport?
    /// The terminal's cursor is at the end of a "running" line.
    private var onRunningLine = false

    /// `write` takes the report; `prompt` takes the confirmation question (the terminal's stderr).
    /// `colour` adds ANSI colours (on a terminal, unless NO_COLOR is set); `live` shows a
    /// "running" line while a step runs (on a terminal).
    public init(colour: Bool, live: Bool = false, write: @escaping (String) -> Void, prompt: @escaping (String) -> Void) {
        self.colour = colour
        self.live = live
        self.write = write
        self.prompt = prompt
    }

    public func stepStarted(_ step: StepReport) {
        headerPending = step
        if live {
            write(paint("… \(step.index). \(step.name)  running", "90"))
            onRunningLine = true
        }
    }

    /// Called before the runbook writes output (or mend asks a question) while a step runs: the
    /// step's header goes first.
    public func beforeOutput() {
        guard let step = headerPending else { return }
        headerPending = nil
        if onRunningLine {
            write("\r\u{1B}[K")
            onRunningLine = false
        }
        write(paint("▸ \(step.index). \(step.name)", "1") + "\n")
    }

    private func paint(_ text: String, _ code: String) -> String {
        colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    private func mark(_ status: StepStatus) -> String {
        switch status {
        case .ok: return paint("✓", "32")
        case .changed, .wouldChange: return paint("●", "33")
        case .failed: return paint("✗", "31")
        case .skipped: return paint("-", "90")
        case .rolledBack: return paint("↺", "35")
        }
    }

    public func stepFinished(_ step: StepReport) {
        headerPending = nil
        if onRunningLine {
            write("\r\u{1B}[K")
            onRunningLine = false
        }
        var status = step.status.words
        if let reason = step.skippedReason { status += " (\(reason))" }
        var out = "\(mark(step.status)) \(step.index). \(step.name)  \(status)"
        if step.status != .skipped { out += paint("  \(step.durationMs) ms", "90") }
        out += "\n"
        for change in step.changes {
            out += "    \(change.summary)\n"
            if step.status == .wouldChange, change.hasDiff, let diff = change.diff {
                out += diff.split(separator: "\n", omittingEmptySubsequences: false).dropLast(diff.hasSuffix("\n") ? 1 : 0)
                    .map { "      " + colourDiffLine(String($0)) + "\n" }.joined()
            }
        }
        if step.confirm != nil, step.status == .wouldChange { out += "    (confirm: a run will wait for `mend confirm` or y)\n" }
        for check in step.checks where !check.ok { out += "    " + paint("check failed:", "31") + " \(check.message) (\(check.location))\n" }
        if let error = step.error { out += "    " + errorLine(error) }
        write(out)
    }

    /// The short form; the full diagnostic with its caret goes to standard error.
    private func errorLine(_ error: ErrorReport) -> String {
        paint("error:", "31") + " \(error.message)" + (error.location.map { " (\($0))" } ?? "") + "\n"
    }

    private func colourDiffLine(_ line: String) -> String {
        if line.hasPrefix("+"), !line.hasPrefix("+++") { return paint(line, "32") }
        if line.hasPrefix("-"), !line.hasPrefix("---") { return paint(line, "31") }
        if line.hasPrefix("@@") { return paint(line, "36") }
        return line
    }

    public func waitingForConfirmation(_ step: StepReport, nanoseconds: Int, answerable: Bool) {
        beforeOutput()
        let within = Value.formatDuration(nanoseconds)
        if answerable {
            prompt("Step \(step.index) \"\(step.name)\" changed the host. Keep the changes? "
                   + "Type y within \(within), or run `mend confirm` from another shell: ")
        } else {
            prompt("Step \(step.index) \"\(step.name)\" changed the host: waiting \(within) for `mend confirm`, "
                   + "then rolling back.\n")
        }
    }

    public func rollbackStarted() {
        write(paint("rolling back", "35") + "\n")
    }

    /// A step's changes are undone (before its rollback block runs, so the block's output follows them).
    public func changesUndone(_ step: StepReport) {
        for change in step.changes.reversed() where change.undone {
            write("    ↺ \(step.index). \(change.summary)\n")
        }
    }

    public func rollbackFinished(_ report: RunReport) {
        for error in report.rollbackErrors {
            write("    " + paint("could not undo", "31") + " \(error.target): \(error.message)\n")
        }
    }

    /// The end of the report: the run's error and the summary line.
    public func finished(_ report: RunReport) {
        var out = ""
        if let error = report.error { out += errorLine(error) }
        for check in report.checks where !check.ok {
            out += paint("check failed:", "31") + " \(check.message) (\(check.location))\n"
        }
        // A program without steps is a script: its output is what it prints.
        if !report.steps.isEmpty || report.status != .ok { out += report.summaryLine + "\n" }
        write(out)
    }
}
