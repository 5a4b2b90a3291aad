/// What happened to a step (docs/runbooks.md, Steps).
public enum StepStatus: String, Sendable {
    case ok, changed, failed, skipped
    case rolledBack = "rolled_back"
    case wouldChange = "would_change"
}

/// The outcome of a whole run; the first that applies wins (docs/runbooks.md, Exit codes).
public enum RunStatus: String, Sendable {
    case preconditionFailed = "precondition_failed"
    case rollbackIncomplete = "rollback_incomplete"
    case rolledBack = "rolled_back"
    case failed
    case wouldChange = "would_change"
    case changed, ok
}

/// An error as a report shows it.
public struct ErrorReport: Sendable {
    public let message: String
    /// `file:line:col`, when the error has a place in the runbook.
    public let location: String?
    /// The full text for a terminal: located, with the source line, a caret and the call chain.
    public let rendered: String
}

/// A change made, planned or undone, with its values as reports show them (secrets masked).
public final class ChangeReport {
    public let kind: String
    public let target: String
    public let before: JSON
    public let after: JSON
    public let note: String?
    /// A unified diff of a file's content (nil for other kinds, and for a change of a file that a
    /// later change in the same step changes again: that one carries the step's whole diff).
    public internal(set) var diff: String?
    /// True when a later change in the same step changes the same target again and its diff
    /// covers this one: reports give this one a line of its own, not its whole before and after.
    public internal(set) var isSuperseded = false
    /// False for commands (`run`, `sh`): mend cannot undo them.
    public let undoable: Bool
    /// Made by a rollback block: compensation, never undone again.
    public let compensation: Bool
    public internal(set) var applied = false
    public internal(set) var undone = false

    init(kind: String, target: String, before: JSON, after: JSON, note: String?, diff: String?, undoable: Bool,
         compensation: Bool) {
        self.kind = kind
        self.target = target
        self.before = before
        self.after = after
        self.note = note
        self.diff = diff
        self.undoable = undoable
        self.compensation = compensation
    }
}

/// One step as the run reached it.
public final class StepReport {
    /// From 1, in the order steps ran.
    public let index: Int
    public let name: String
    public internal(set) var status: StepStatus = .ok
    /// Why a skipped step did not run: "when false", "not selected by --step", "before --from 3".
    public internal(set) var skippedReason: String?
    public internal(set) var durationMs = 0
    public internal(set) var changes: [ChangeReport] = []
    public internal(set) var checks: [CheckResult] = []
    public internal(set) var error: ErrorReport?
    /// What `log` wrote while the step ran.
    public internal(set) var logs: [String] = []
    /// The step's `confirm` window in nanoseconds.
    public let confirm: Int?
    public let hasRollbackBlock: Bool

    init(index: Int, name: String, confirm: Int?, hasRollbackBlock: Bool) {
        self.index = index
        self.name = name
        self.confirm = confirm
        self.hasRollbackBlock = hasRollbackBlock
    }
}

/// Where the run happened, for reports.
public struct HostSummary: Sendable {
    public let name: String
    public let os: String
    public let kernel: String
}

/// A rollback action that did not succeed.
public struct RollbackError: Sendable {
    public let target: String
    public let message: String
}

/// Everything a run did: the source of the text, JSON, JUnit and Markdown reports.
public final class RunReport {
    /// From `runbook "…"`.
    public internal(set) var runbook: String?
    public let file: String
    public let isPlan: Bool
    public internal(set) var status: RunStatus = .ok
    public let host: HostSummary
    /// Param values as reports show them (secrets masked).
    public internal(set) var params: [(String, JSON)] = []
    public internal(set) var steps: [StepReport] = []
    /// Checks outside any step.
    public internal(set) var checks: [CheckResult] = []
    public internal(set) var rollbackErrors: [RollbackError] = []
    /// The journal's id; nil in a plan and in a run that changed nothing (neither keeps a journal).
    public internal(set) var runId: String?
    public internal(set) var durationMs = 0
    /// An error outside any step (an assert at top level, a runtime error), or the failed requires.
    public internal(set) var error: ErrorReport?
    /// What `log` wrote outside any step.
    public internal(set) var logs: [String] = []
    /// The process exit code this outcome gives (docs/runbooks.md, Exit codes).
    public internal(set) var exitCode: Int32 = 0

    init(file: String, isPlan: Bool, host: HostSummary, runId: String?) {
        self.file = file
        self.isPlan = isPlan
        self.host = host
        self.runId = runId
    }

    /// Every check, in steps and outside them.
    public var allChecks: [CheckResult] { steps.flatMap(\.checks) + checks }
}

extension HostSummary {
    /// The host's name, OS and kernel for a run's report, from its facts; "unknown" for what cannot be read.
    public init(reading host: Host) {
        let reader = FactsReader(host: host)
        self.init(name: (try? reader.hostName()) ?? "unknown", os: (try? reader.osPretty()) ?? "unknown",
                  kernel: (try? reader.kernelRelease()) ?? "unknown")
    }
}
