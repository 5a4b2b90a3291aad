import CMendSupport

/// How a run goes: plan or apply, which steps, whether to roll back, where the journal lives.
public struct EngineOptions {
    /// A plan (`mend plan`, `--dry-run`): changes are recorded and overlaid, never made.
    public var isPlan = false
    /// `--step NAME`: only steps whose name matches one of these run (`*` and `?` are wildcards).
    public var selectedSteps: [String] = []
    /// `--from N`: the bodies of steps numbered below N are skipped.
    public var fromStep: Int?
    /// False with `--no-rollback`: a failure leaves the host as it found it.
    public var rollsBack = true
    /// Where the lock and journals live; nil runs without either (embedders, tests).
    public var stateDirectory: StateDirectory?
    /// `--detailed-exitcode`: exit 2 when changes were made (or, in a plan, are pending).
    public var detailedExitCode = false
    /// `--max-memory`: the run fails (and rolls back) once the process's resident size passes this
    /// many bytes; nil sets no budget (embedders, tests). See ``MemoryBudget``.
    public var maxMemory: Int?
    /// The command that watches a `confirm` step from outside this process (``ConfirmWatchdog``):
    /// the argv before the run id and `--state-dir DIR`, e.g. `["/usr/bin/mend", "watchdog"]`. nil
    /// arms none: the step is then guarded by this process alone (embedders, tests).
    public var watchdogCommand: [String]?

    public init() {}
}

/// The operator's answer to a step waiting for its confirmation.
public enum ConfirmationAnswer: Sendable {
    case confirmed
    case declined
}

/// Told as a run goes, for live progress, and asked for the operator's answer when a `confirm`
/// step waits. Every method has a default: nothing to show, and no answers (then only
/// `mend confirm` confirms). The library never reads the terminal itself: an embedder that has
/// one answers through ``confirmationAnswer(for:waitingAtMost:)``.
public protocol EngineObserver: AnyObject {
    func stepStarted(_ step: StepReport)
    func stepFinished(_ step: StepReport)
    /// A step that changed the host waits `nanoseconds` for its confirmation. `answerable`: this
    /// observer takes the operator's answer (``answersConfirmations``); `mend confirm` from
    /// another shell confirms in any case.
    func waitingForConfirmation(_ step: StepReport, nanoseconds: Int, answerable: Bool)
    /// True when ``confirmationAnswer(for:waitingAtMost:)`` can answer (the `mend` executable:
    /// when standard input is a terminal).
    var answersConfirmations: Bool { get }
    /// Waits at most `milliseconds` for the operator's answer; nil when none came. Called again
    /// and again while the step waits; between calls the engine looks for `mend confirm`, signals
    /// and the deadline.
    func confirmationAnswer(for step: StepReport, waitingAtMost milliseconds: Int) -> ConfirmationAnswer?
    func rollbackStarted()
    /// The rollback undid what it could of a step's changes; its rollback block runs next.
    func changesUndone(_ step: StepReport)
    func rollbackFinished(_ report: RunReport)
}

extension EngineObserver {
    public func stepStarted(_ step: StepReport) {}
    public func stepFinished(_ step: StepReport) {}
    public func waitingForConfirmation(_ step: StepReport, nanoseconds: Int, answerable: Bool) {}
    public var answersConfirmations: Bool { false }
    public func confirmationAnswer(for step: StepReport, waitingAtMost milliseconds: Int) -> ConfirmationAnswer? { nil }
    public func rollbackStarted() {}
    public func changesUndone(_ step: StepReport) {}
    public func rollbackFinished(_ report: RunReport) {}
}

/// Runs a runbook's steps: applies changes (journal first) or plans them over an overlay, keeps
/// the statuses, and on a failure undoes everything newest first (docs/runbooks.md).
///
/// ```swift
/// let interpreter = Interpreter()
/// let unit = try interpreter.compile(source)
/// let engine = Engine(interpreter: interpreter, host: Host(), options: options)
/// let report = try engine.run(unit)      // report.status, report.exitCode
/// ```
public final class Engine: StepRunner, Effects {
    public let host: Host
    public let options: EngineOptions
    public var observer: (any EngineObserver)?
    /// Masks secret params in everything the run shows.
    public let redactor = Redactor()
    /// Changes are planned over the overlay, not made: a plan, or the REPL's `:dry on`.
    public internal(set) var isPlanning: Bool

    /// The interpreter holds the engine (as its step runner and effects), not the reverse.
    unowned let interpreter: Interpreter
    /// Planned states by kind and target: reads in a plan see these.
    var overlay: [String: JSON] = [:]
    /// What a plan assumed without a change of its own (``assume(_:_:_:)``), in the order of
    /// changes, so that forgetting planned changes (the REPL's `:undo` in dry mode) can rebuild
    /// the overlay with the assumptions made before them.
    var assumptions: [(order: Int, key: String, state: JSON)] = []
    var steps: [StepEntry] = []
    var current: StepEntry?
    private var inRollbackBlock = false
    /// The watchdog of the `confirm` step being run, once armed.
    private var watchdog: ConfirmWatchdog?
    var journal: Journal?
    /// Journals the temporary files of the host's writes.
    let temporaryFiles: JournalTemporaryFiles
    var sequence = 0
    /// Orders changes, planned ones too (journal sequence numbers count made ones only).
    var order = 0
    /// Set while the engine serves the REPL.
    var session: SessionState?
    var report = RunReport(file: "", isPlan: false, host: HostSummary(name: "", os: "", kernel: ""), runId: nil)

    /// A step while the run lasts: its report and what rollback needs.
    final class StepEntry {
        let report: StepReport
        /// The name unmasked, for the journal (which keeps the masked one too, for output).
        let name: String
        let rollback: Value?
        let span: Span
        var changes: [ChangeEntry] = []
        var bodyStarted = false
        /// Its `step` record is in the journal (written before its first change).
        var journalled = false
        /// `--step` and `--from` chose it (or none were given).
        var selected = true
        /// The step failed for want of privileges (exit 77).
        var deniedPermission = false
        var checks: Range<Int> = 0..<0
        init(report: StepReport, name: String, rollback: Value?, span: Span) {
            self.report = report
            self.name = name
            self.rollback = rollback
            self.span = span
        }
    }

    /// A change with the states undo needs.
    struct ChangeEntry {
        let report: ChangeReport
        /// Nil for a command: it cannot be undone.
        let resource: (any Resource)?
        let target: String
        let before: JSON
        let after: JSON
        /// The journal's sequence number (0 when planned).
        let sequence: Int
        let order: Int
        var planned: Bool { sequence == 0 }
    }

    /// A failed step ends the run; not a ``MendError``, so no `catch` in the runbook stops it.
    struct StepFailed: Error {}

    /// The lock or the journal could not be set up: the run stops before its first step, and
    /// ``run(_:)`` throws ``setupError``.
    struct SetupFailed: Error {}
    var setupError: (any Error)?
    var lock: StateDirectory.Lock?

    /// Takes the host lock and starts the journal at the first change (work that changes nothing
    /// needs neither, nor root), then records the steps begun since the last change: a rollback
    /// from the journal names their rollback blocks.
    func journalSteps() throws {
        try startJournal()
        guard let journal else { return }
        // `mend rollback` and `mend runs` show the masked name and title: they have no params to mask with.
        for step in steps where step.bodyStarted && !step.journalled {
            try journal.append(.object([
                ("type", .string("step")), ("index", .int(step.report.index)), ("name", .string(step.name)),
                ("shown", .string(step.report.name)), ("has_rollback", .bool(step.rollback != nil)),
                ("runbook", interpreter.title.map { .string(redactor.redact($0)) } ?? .null),
            ]))
            step.journalled = true
        }
    }

    func startJournal() throws {
        guard let directory = options.stateDirectory else { return }
        do {
            // A session takes the lock for each input that changes the host, and keeps its journal.
            if lock == nil {
                if let runId = report.runId {
                    lock = try directory.lock(runId: runId)
                } else {
                    let (lock, runId) = try directory.lockForNewRun()
                    self.lock = lock
                    report.runId = runId
                }
                RunHistory.removeLeftoverTemporaryFiles(in: directory)
            }
            guard journal == nil, let runId = report.runId else { return }
            let journal = try Journal.create(at: directory.journalPath(runId))
            try journal.append(.object([
                ("type", .string("begin")), ("run_id", .string(runId)), ("file", .string(report.file)),
                ("root", .string(host.root)), ("host", .string(report.host.name)), ("pid", .int(host.processID)),
                ("started", .int(host.wallClockSeconds())),
            ]))
            self.journal = journal
            temporaryFiles.journal = journal
        } catch {
            setupError = error
            throw SetupFailed()
        }
    }

    public init(interpreter: Interpreter, host: Host, options: EngineOptions) {
        self.interpreter = interpreter
        let temporaryFiles = JournalTemporaryFiles()
        self.temporaryFiles = temporaryFiles
        self.host = host.recordingTemporaryFiles(temporaryFiles)
        self.options = options
        isPlanning = options.isPlan
    }

    /// Runs the program. Throws only when the run cannot start (``LockHeld``, a ``HostError`` of the
    /// state directory) or on a ``UsageError`` from a param; every other outcome is in the report.
    public func run(_ unit: CompiledUnit) throws -> RunReport {
        let started = milliseconds()
        // However the run ends (but killed), its confirm watchdog is no longer needed.
        defer { watchdog?.disarm() }
        // The run id comes with the journal, at the first change.
        report = RunReport(file: unit.file.name, isPlan: options.isPlan, host: HostSummary(reading: host), runId: nil)
        defer { lock = nil }

        _ = mend_interrupt_take()
        mend_interrupt_install()
        defer {
            mend_interrupt_arm_timeout(0)
            mend_interrupt_uninstall()
            _ = mend_interrupt_take()
        }
        let detach = attach()
        defer { detach() }
        if let limit = options.maxMemory { try MemoryBudget.arm(limit: limit) }
        defer { MemoryBudget.disarm() }

        var outcome = Outcome()
        try interpreter.onLargeStackIfNeeded {
            do {
                _ = try interpreter.run(unit)
                // Top-level code after the last step, too, may end over the budget.
                try Interrupted.check()
            } catch is StepFailed {
                outcome.failed = true
            } catch let usage as UsageError {
                throw usage
            } catch is SetupFailed {
                if let setupError { throw setupError }
            } catch let failed as PreconditionFailed {
                outcome.preconditionFailed = true
                let messages = failed.failures.enumerated().map { k, f in k == 0 ? f.message : "\(f.message) (\(f.span.description))" }
                report.error = ErrorReport(message: redactor.redact(messages.joined(separator: "; ")),
                                           location: failed.span?.description,
                                           rendered: redactor.redact(failed.diagnostics.rendered()))
            } catch {
                outcome.failed = true
                outcome.invalidRunbook = error is Diagnostics
                report.error = describe(error, span: nil, timeout: nil)
            }
            outcome.permissionDenied = outcome.permissionDenied || steps.contains { $0.report.error != nil && $0.deniedPermission }
            // A failure before any step began leaves nothing to roll back, and says nothing of it.
            if outcome.failed, !isPlanning, options.rollsBack, steps.contains(where: \.bodyStarted) {
                // The memory that ended the run is freed by now; the rollback gets no budget of its own.
                MemoryBudget.disarm()
                outcome.rolledBack = rollBack(steps)
            }
        }
        if !outcome.failed, !outcome.preconditionFailed, let message = selectorsSelectedNothing() {
            outcome.selectedNothing = true
            report.error = ErrorReport(message: redactor.redact(message), location: nil,
                                       rendered: redactor.redact("error: \(message)\n"))
        }
        finish(outcome, started: started)
        return report
    }

    /// Makes the interpreter run its steps and changes through the engine, its output masked;
    /// returns what puts the interpreter back.
    func attach() -> () -> Void {
        let saved = (interpreter.stepRunner, interpreter.effects, interpreter.output, interpreter.logObserver)
        interpreter.stepRunner = self
        interpreter.effects = self
        interpreter.output = RedactingOutput(saved.2, redactor: redactor, interpreter: interpreter)
        interpreter.logObserver = { [unowned self] line in
            redactor.update(from: self.interpreter.resolvedParams)
            let text = redactor.redact(line)
            if let current { current.report.logs.append(text) } else { report.logs.append(text) }
        }
        return { [interpreter] in (interpreter.stepRunner, interpreter.effects, interpreter.output, interpreter.logObserver) = saved }
    }

    /// What the run came to, for its status and exit code.
    private struct Outcome {
        var failed = false
        var preconditionFailed = false
        var invalidRunbook = false
        /// `--step`/`--from` were given and chose none of the steps the run saw.
        var selectedNothing = false
        var permissionDenied = false
        var rolledBack = false
    }

    private func finish(_ outcome: Outcome, started: Int) {
        redactor.update(from: interpreter.resolvedParams)
        report.runbook = interpreter.title.map(redactor.redact)
        report.params = interpreter.resolvedParams.map { p in
            (p.name, p.secret ? .string(Redactor.mask) : redactor.redact(p.value.reportJSON))
        }
        var inSteps = Set<Int>()
        for entry in steps { inSteps.formUnion(entry.checks) }
        report.checks = interpreter.checks.indices.filter { !inSteps.contains($0) }.map { redacted(interpreter.checks[$0]) }
        let failedChecks = report.allChecks.contains { !$0.ok }
        let statuses = report.steps.map(\.status)
        if outcome.preconditionFailed {
            report.status = .preconditionFailed
        } else if !report.rollbackErrors.isEmpty {
            report.status = .rollbackIncomplete
        } else if outcome.failed, outcome.rolledBack {
            report.status = .rolledBack
        } else if outcome.failed || failedChecks || outcome.selectedNothing {
            report.status = .failed
        } else if statuses.contains(.wouldChange) {
            report.status = .wouldChange
        } else if statuses.contains(.changed) {
            report.status = .changed
        } else {
            report.status = .ok
        }
        let changed = report.status == .changed || report.status == .wouldChange
        report.exitCode = outcome.selectedNothing ? 64
            : outcome.invalidRunbook ? 65
            : outcome.preconditionFailed ? 4
            : report.status == .rollbackIncomplete ? 3
            : outcome.permissionDenied ? 77
            : outcome.failed || failedChecks ? 1
            : changed && options.detailedExitCode ? 2 : 0
        report.durationMs = milliseconds() - started
        try? journal?.append(.object([("type", .string("end")), ("status", .string(report.status.rawValue)),
                                      ("runbook", report.runbook.map(JSON.string) ?? .null)]))
    }

    // MARK: Steps

    public func runStep(_ call: StepCall, in interpreter: Interpreter) throws {
        redactor.update(from: interpreter.resolvedParams)
        let step = StepReport(index: steps.count + 1, name: redactor.redact(call.name), confirm: call.confirm,
                              hasRollbackBlock: call.rollback != nil)
        let entry = StepEntry(report: step, name: call.name, rollback: call.rollback, span: call.span)
        steps.append(entry)
        report.steps.append(step)
        entry.selected = isSelected(call, index: step.index)
        if let reason = skipReason(call, index: step.index) {
            step.status = .skipped
            step.skippedReason = reason
            observer?.stepFinished(step)
            return
        }
        observer?.stepStarted(step)
        let started = milliseconds()
        let firstCheck = interpreter.checks.count
        current = entry
        entry.bodyStarted = true
        defer {
            current = nil
            entry.checks = firstCheck..<interpreter.checks.count
            step.checks = interpreter.checks[entry.checks].map(redacted)
            step.durationMs = milliseconds() - started
            observer?.stepFinished(step)
        }
        do {
            if let timeout = call.timeout { mend_interrupt_arm_timeout(Int64(timeout)) }
            _ = try interpreter.call(call.body, [])
            // The VM polls at jumps and calls only: straight-line code can end the body with the
            // memory budget (or a signal) already tripped, and the step is not ok then.
            try Interrupted.check()
            mend_interrupt_arm_timeout(0)
            if let confirm = call.confirm, !isPlanning, entry.changes.contains(where: { $0.report.applied }) {
                try waitForConfirmation(entry, nanoseconds: confirm)
            }
            step.status = entry.changes.isEmpty ? .ok : isPlanning ? .wouldChange : .changed
        } catch let setup as SetupFailed {
            mend_interrupt_arm_timeout(0)
            step.status = .failed
            if let setupError { step.error = describe(setupError, span: nil, timeout: nil) }
            throw setup
        } catch {
            mend_interrupt_arm_timeout(0)
            step.status = .failed
            step.error = describe(error, span: call.span, timeout: call.timeout)
            entry.deniedPermission = (error as? MendError)?.kind == .permission
            throw StepFailed()
        }
    }

    /// The error of a run whose `--step`/`--from` chose none of its steps (steps can be dynamic,
    /// so this is known when the run ends), listing the steps it saw; nil otherwise.
    private func selectorsSelectedNothing() -> String? {
        var selectors: [String] = options.selectedSteps.map { "--step \($0)" }
        if let from = options.fromStep { selectors.append("--from \(from)") }
        guard !selectors.isEmpty, !steps.contains(where: \.selected) else { return nil }
        let seen = steps.isEmpty ? "the runbook has no steps"
            : "its steps: " + steps.map { "\($0.report.index). \($0.name)" }.joined(separator: ", ")
        return "\(selectors.joined(separator: " ")) selected no step, so nothing ran (\(seen))"
    }

    /// Why a step does not run, or nil when it does.
    private func skipReason(_ call: StepCall, index: Int) -> String? {
        if call.when == false { return "when false" }
        if let from = options.fromStep, index < from { return "before --from \(from)" }
        if !isSelected(call, index: index) { return "not selected by --step" }
        return nil
    }

    /// True when `--step` and `--from` (if given) choose the step.
    private func isSelected(_ call: StepCall, index: Int) -> Bool {
        if let from = options.fromStep, index < from { return false }
        return options.selectedSteps.isEmpty || options.selectedSteps.contains { Engine.glob($0, matches: call.name) }
    }

    /// Shell-style matching: `*` any run of characters, `?` one character.
    static func glob(_ pattern: String, matches text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    // MARK: Effects

    public func state(of resource: any Resource, _ target: String) throws -> JSON {
        if let planned = overlay[Engine.key(resource, target)] { return planned }
        do {
            return try resource.read(target, on: host)
        } catch let error as HostError where isPlanning && error.isPermissionDenied {
            // A plan needs no privileges: what cannot be read is planned over as unknown.
            guard let unknown = resource.unknownState(target, reason: error.message, on: host) else { throw error }
            return unknown
        }
    }

    public func perform(_ change: Change) throws {
        let resource = change.resource
        if resource.same(change.before, change.after) { return }
        guard let entry = try current ?? sessionEntry() else {
            throw MendError("\(change.resource.kind) \(change.target): host changes happen inside a step")
        }
        // One diff per file per step: from the step's first before-state of the file to this after.
        let earlier = entry.changes.filter { $0.resource?.kind == resource.kind && $0.target == change.target }
        let target = Value.escapingControlCharacters(redactor.redact(change.target))
        let before = redactor.redact(resource.reportValue(change.before)), after = redactor.redact(resource.reportValue(change.after))
        let diffBefore = earlier.first.map { redactor.redact(resource.reportValue($0.before)) } ?? before
        // Masked before the diff is made: a diff shows a secret of several lines one line at a time.
        let shown = ChangeReport(kind: resource.kind, target: target, before: before, after: after,
                                 note: change.note.map(redactor.redact),
                                 diff: resource.showsDiff ? diff(diffBefore, after, target) : nil,
                                 undoable: true, compensation: inRollbackBlock)
        for e in earlier where resource.showsDiff {
            e.report.diff = nil
            e.report.isSuperseded = true
        }
        order += 1
        if isPlanning {
            overlay[Engine.key(resource, change.target)] = change.after
            entry.changes.append(ChangeEntry(report: shown, resource: resource, target: change.target, before: change.before,
                                             after: change.after, sequence: 0, order: order))
            entry.report.changes.append(shown)
            return
        }
        let hadLock = lock != nil
        try journalSteps()
        if !hadLock, lock != nil, !resource.same(try resource.read(change.target, on: host), change.before) {
            // The before-state was read before the lock was taken: another run may have changed the
            // target since. Undoing to a stale state would undo that run's change too.
            throw MendError("\(resource.kind) \(target) changed while this run took the host lock "
                            + "(another mend run held it); run again to start from the new state")
        }
        try guardConfirmStep(entry)
        sequence += 1
        try journal?.append(.object([
            ("type", .string("change")), ("seq", .int(sequence)), ("step", .int(entry.report.index)),
            ("kind", .string(resource.kind)), ("target", .string(change.target)), ("before", change.before),
            ("after", change.after), ("undoable", .bool(true)), ("compensation", .bool(inRollbackBlock)),
            // The target as output shows it, for `mend rollback`: it has no params to mask with.
            ("shown", .string(target)),
        ]))
        // Recorded before it is made: a change that fails half-way is undone too.
        entry.changes.append(ChangeEntry(report: shown, resource: resource, target: change.target, before: change.before,
                                         after: change.after, sequence: sequence, order: order))
        entry.report.changes.append(shown)
        try resource.write(change.target, change.after, on: host)
        shown.applied = true
        try journal?.append(.object([("type", .string("applied")), ("seq", .int(sequence))]))
        // A signal stops the run after the change in hand, never in the middle of one.
        try Interrupted.check()
    }

    public func assume(_ resource: any Resource, _ target: String, _ state: JSON) {
        guard isPlanning else { return }
        let key = Engine.key(resource, target)
        overlay[key] = state
        order += 1
        assumptions.append((order, key, state))
    }

    public func runCommand(_ text: String, readonly: Bool, _ body: () throws -> ProcessResult) throws -> ProcessResult? {
        if readonly { return try body() }
        guard let entry = try current ?? sessionEntry() else {
            throw MendError("\(text): a command that may change the host runs inside a step (or mark it readonly: true)")
        }
        let shown = ChangeReport(kind: "run", target: Value.escapingControlCharacters(redactor.redact(text)), before: .null,
                                 after: .string(isPlanning ? "not run in a plan" : "ran"), note: nil, diff: nil,
                                 undoable: false, compensation: inRollbackBlock)
        entry.report.changes.append(shown)
        order += 1
        if isPlanning {
            entry.changes.append(ChangeEntry(report: shown, resource: nil, target: text, before: .null, after: .null,
                                             sequence: 0, order: order))
            return nil
        }
        try journalSteps()
        try guardConfirmStep(entry)
        sequence += 1
        try journal?.append(.object([
            ("type", .string("change")), ("seq", .int(sequence)), ("step", .int(entry.report.index)),
            ("kind", .string("run")), ("target", .string(text)), ("before", .null), ("after", .null),
            ("undoable", .bool(false)), ("compensation", .bool(inRollbackBlock)), ("shown", .string(shown.target)),
        ]))
        entry.changes.append(ChangeEntry(report: shown, resource: nil, target: text, before: .null, after: .null,
                                         sequence: sequence, order: order))
        let result = try body()
        shown.applied = true
        try journal?.append(.object([("type", .string("applied")), ("seq", .int(sequence)), ("status", .int(Int(result.status)))]))
        return result
    }

    // MARK: Rollback

    /// Undoes `entries` (the run's steps, or a failed REPL step) newest first: each step's changes,
    /// then its rollback block. Returns true when anything was undone or a rollback block ran.
    func rollBack(_ entries: [StepEntry]) -> Bool {
        _ = mend_interrupt_take()
        watchdog?.rollingBack()
        observer?.rollbackStarted()
        var acted = false
        var followUps = UndoFollowUps()
        for entry in entries.reversed() where entry.bodyStarted {
            var undoneAll = true
            for change in entry.changes.reversed() where !change.report.compensation && !change.report.undone {
                guard let resource = change.resource else {
                    if entry.rollback == nil {
                        undoneAll = false
                        report.rollbackErrors.append(RollbackError(
                            target: change.report.target,
                            message: "a command cannot be undone, and step \(entry.report.index) has no rollback block"))
                    }
                    continue
                }
                do {
                    let now = try resource.read(change.target, on: host)
                    let restored = resource.same(now, change.before)
                    // A change that failed before it took effect leaves nothing to undo.
                    if restored, !change.report.applied { continue }
                    followUps.undid(resource)
                    if !restored { try resource.write(change.target, change.before, on: host) }
                    change.report.undone = true
                    acted = true
                    try? journal?.append(.object([("type", .string("undone")), ("seq", .int(change.sequence))]))
                } catch {
                    undoneAll = false
                    report.rollbackErrors.append(RollbackError(target: change.report.target,
                                                               message: redactor.redact(describe(error, span: nil, timeout: nil).message)))
                }
            }
            observer?.changesUndone(entry.report)
            if let block = entry.rollback {
                acted = true
                current = entry
                inRollbackBlock = true
                interpreter.stepDepth += 1
                do {
                    _ = try interpreter.call(block, [])
                    // The block is the compensation for the step's commands.
                    for change in entry.changes where change.resource == nil && !change.report.compensation {
                        change.report.undone = true
                        try? journal?.append(.object([("type", .string("undone")), ("seq", .int(change.sequence))]))
                    }
                } catch {
                    undoneAll = false
                    let e = describe(error, span: entry.span, timeout: nil)
                    report.rollbackErrors.append(RollbackError(
                        target: "rollback block of step \(entry.report.index) \"\(entry.report.name)\"",
                        message: e.message + (e.location.map { " (\($0))" } ?? "")))
                }
                interpreter.stepDepth -= 1
                inRollbackBlock = false
                current = nil
                _ = mend_interrupt_take()
            }
            if entry.report.status == .changed, undoneAll { entry.report.status = .rolledBack }
        }
        for failure in followUps.finish(on: host) {
            report.rollbackErrors.append(RollbackError(target: failure.kind,
                                                       message: redactor.redact(describe(failure.error, span: nil, timeout: nil).message)))
        }
        observer?.rollbackFinished(report)
        return acted
    }

    // MARK: Confirmation

    /// Before a change of a `confirm` step in a run: the watchdog is armed (or its deadline pushed
    /// on), so the change is undone even if this process dies before the step is confirmed.
    private func guardConfirmStep(_ entry: StepEntry) throws {
        guard entry.report.confirm != nil, !isPlanning, let runId = report.runId, let directory = options.stateDirectory,
              let command = options.watchdogCommand else { return }
        if watchdog == nil { watchdog = ConfirmWatchdog(directory: directory, command: command, host: host) }
        try watchdog?.willChange(runId: runId, step: entry.report.index)
    }

    /// Holds a changed step until the observer's operator answers or `mend confirm` confirms;
    /// fails it when time runs out.
    private func waitForConfirmation(_ entry: StepEntry, nanoseconds: Int) throws {
        let step = entry.report
        let directory = options.stateDirectory
        if let directory, let runId = report.runId {
            try directory.announce(StateDirectory.PendingConfirmation(
                runId: runId, step: step.index, name: step.name, pid: host.processID,
                deadline: host.wallClockSeconds() + (nanoseconds + 999_999_999) / 1_000_000_000))
        }
        defer { directory?.clearConfirmation() }
        try watchdog?.waiting(nanoseconds: nanoseconds)
        let answerable = observer?.answersConfirmations == true
        observer?.waitingForConfirmation(step, nanoseconds: nanoseconds, answerable: answerable)
        let deadline = milliseconds() + nanoseconds / 1_000_000
        while milliseconds() < deadline {
            try Interrupted.check()
            if let directory, let runId = report.runId, directory.isConfirmed(runId: runId, step: step.index) {
                watchdog?.disarm()
                return
            }
            let slice = min(100, deadline - milliseconds())
            let asked = milliseconds()
            switch answerable ? observer?.confirmationAnswer(for: step, waitingAtMost: slice) : nil {
            case .confirmed?:
                watchdog?.disarm()
                return
            case .declined?: throw MendError("not confirmed: declined at the terminal", span: entry.span)
            case nil:
                // An observer without an answer may return at once: wait out the slice here.
                let left = slice - (milliseconds() - asked)
                if left > 0 { host.sleep(nanoseconds: left * 1_000_000) }
            }
        }
        throw MendError("not confirmed within \(Value.formatDuration(nanoseconds))", span: entry.span)
    }

    // MARK: Helpers

    static func key(_ resource: any Resource, _ target: String) -> String {
        resource.kind + "\u{0}" + target
    }

    /// A unified diff of two report values, already masked: texts, or null for a missing file;
    /// nil when either side is neither (a digest, an unknown content).
    private func diff(_ before: JSON, _ after: JSON, _ path: String) -> String? {
        func text(_ v: JSON) -> String?? {
            switch v {
            case .string(let s): return .some(s)
            case .null: return .some(nil)
            default: return nil
            }
        }
        guard let a = text(before), let b = text(after) else { return nil }
        return Diff.unified(a, b, path: path)
    }

    private func redacted(_ check: CheckResult) -> CheckResult {
        redactor.isEmpty ? check : CheckResult(ok: check.ok, message: redactor.redact(check.message), location: check.location)
    }

    /// An error as reports show it, secrets masked.
    func describe(_ error: any Error, span: Span?, timeout: Int?) -> ErrorReport {
        let message: String
        var location = span?.description
        var rendered: String?
        switch error {
        case let e as MendError:
            message = e.message
            var located = e
            if located.span == nil { located.span = span }
            rendered = located.rendered()
            if let s = located.span { location = s.description }
        case let i as Interrupted:
            if case .timeout = i.reason, let timeout {
                message = "the step ran longer than its timeout of \(Value.formatDuration(timeout))"
            } else {
                message = i.description
            }
        case let d as Diagnostics:
            message = d.items.first?.message ?? "the runbook does not compile"
            rendered = d.rendered()
            if let first = d.items.first { location = first.span.description }
        case let h as HostError:
            message = h.message
        default:
            message = "\(error)"
        }
        let text = rendered ?? span.map { Diagnostic($0, message).rendered() } ?? "error: \(message)\n"
        return ErrorReport(message: redactor.redact(message), location: location, rendered: redactor.redact(text))
    }

    /// Milliseconds of the host's monotonic clock.
    func milliseconds() -> Int {
        host.monotonicMilliseconds()
    }
}
