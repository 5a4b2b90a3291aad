import Glibc
import MendKit

/// The operator's `y` or `n` for a `confirm` step, typed on standard input. The engine asks
/// through its observer (the library never reads the terminal); `mend run`, `mend plan` and
/// `mend repl` answer with this when standard input is a terminal.
final class TerminalConfirmation {
    /// Bytes of a line typed so far.
    private var line: [UInt8] = []
    /// Standard input ended or failed: no answer can come any more.
    private var closed = false

    /// Waits at most `milliseconds` for a whole line; `y`/`yes` confirm, `n`/`no` decline (any
    /// case, spaces ignored), any other line is passed over.
    func answer(waitingAtMost milliseconds: Int) -> ConfirmationAnswer? {
        let clock = Host.local
        let deadline = clock.monotonicMilliseconds() + milliseconds
        while !closed {
            let left = deadline - clock.monotonicMilliseconds()
            guard left > 0 else { return nil }
            var fds = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            guard poll(&fds, 1, Int32(left)) > 0 else { continue }
            var byte: UInt8 = 0
            guard read(0, &byte, 1) == 1 else {
                closed = true
                return nil
            }
            guard byte == 0x0A else {
                line.append(byte)
                continue
            }
            let answer = String(decoding: line, as: UTF8.self).lowercased().filter { !$0.isWhitespace }
            line = []
            if answer == "y" || answer == "yes" { return .confirmed }
            if answer == "n" || answer == "no" { return .declined }
        }
        return nil
    }
}

/// What `mend run` and `mend plan` tell the engine they watch: the text report's progress (in
/// the text format) and the terminal's answers to `confirm` steps (when standard input is one).
final class RunObserver: EngineObserver {
    private let reporter: TextReporter?
    private let terminal: TerminalConfirmation?

    init(reporter: TextReporter?, terminal: TerminalConfirmation?) {
        self.reporter = reporter
        self.terminal = terminal
    }

    func stepStarted(_ step: StepReport) { reporter?.stepStarted(step) }
    func stepFinished(_ step: StepReport) { reporter?.stepFinished(step) }
    func rollbackStarted() { reporter?.rollbackStarted() }
    func changesUndone(_ step: StepReport) { reporter?.changesUndone(step) }
    func rollbackFinished(_ report: RunReport) { reporter?.rollbackFinished(report) }

    func waitingForConfirmation(_ step: StepReport, nanoseconds: Int, answerable: Bool) {
        reporter?.waitingForConfirmation(step, nanoseconds: nanoseconds, answerable: answerable)
    }

    var answersConfirmations: Bool { terminal != nil }

    func confirmationAnswer(for step: StepReport, waitingAtMost milliseconds: Int) -> ConfirmationAnswer? {
        terminal?.answer(waitingAtMost: milliseconds)
    }
}
