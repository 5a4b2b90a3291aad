import CMendSupport

/// A change made or planned in a REPL session, for `:changes`.
public struct SessionChange {
    /// The step it belongs to: a step's name, or the REPL input that made it.
    public let step: String
    public let change: ChangeReport
    /// Planned under `:dry on`, not made.
    public let planned: Bool
}

/// A step run from the REPL failed. Its changes were undone, as a run undoes a failed run,
/// unless the session plans (`:dry on`) or was started with `--no-rollback`.
public struct StepFailure: Error, Sendable {
    /// The failed step as it ended (a copy: the session's own report goes on changing with `:undo`).
    public struct Step: Sendable {
        public let index: Int
        /// As reports show it, secrets masked.
        public let name: String
        public let error: ErrorReport?
        public let changes: [Change]

        init(_ report: StepReport) {
            index = report.index
            name = report.name
            error = report.error
            changes = report.changes.map { Change(kind: $0.kind, target: $0.target, applied: $0.applied, undone: $0.undone) }
        }
    }

    /// One change of the failed step: made or not, and whether rollback (or, planning, forgetting)
    /// took it back.
    public struct Change: Sendable {
        public let kind: String
        public let target: String
        public let applied: Bool
        public let undone: Bool
    }

    public let step: Step
    /// What could not be undone.
    public let rollbackErrors: [RollbackError]
    /// The signal or timeout that stopped the step, if one did.
    public let interruption: Interrupted?
}

/// What `:undo` did.
public struct UndoOutcome {
    /// Undone (or, when planning, forgotten), newest first.
    public var undone: [ChangeReport] = []
    /// Left as they are, with why: a command, a value changed since mend made it, a failed write.
    public var notUndone: [(change: ChangeReport, reason: String)] = []
    /// What failed after the changes were written back (``Resource/finishUndo(on:)``), as "kind: error".
    public var followUpErrors: [String] = []
}

/// The engine serving the REPL (docs/repl.md). A REPL input is a small program run in the
/// session's module; host changes it makes outside a step are journalled as one step named after
/// the input, so `mend runs` and `mend rollback` see a session like a run. The host lock is held
/// only while an input that changes the host runs (and while `:undo` works), so an idle session
/// never blocks a `mend run` elsewhere. A failing step undoes its own changes; earlier inputs'
/// changes stay until `:undo`.
extension Engine {
    final class SessionState {
        /// The input being evaluated.
        var input = ""
        /// The step holding the changes the current input makes outside any step.
        var inputEntry: StepEntry?
        /// Commands `:undo` has already said it cannot undo (by order), so it says it once.
        var passedOver: Set<Int> = []
        let detach: () -> Void
        init(detach: @escaping () -> Void) { self.detach = detach }
    }

    /// Starts serving the REPL: host changes are allowed outside steps, SIGINT and SIGTERM
    /// interrupt the running input (after the change in hand) instead of ending the process.
    public func beginSession() {
        guard session == nil else { return }
        // The run id comes with the journal, at the first change.
        report = RunReport(file: "<repl>", isPlan: isPlanning, host: HostSummary(reading: host), runId: nil)
        session = SessionState(detach: attach())
        interpreter.isInteractive = true
        _ = mend_interrupt_take()
        mend_interrupt_install()
    }

    /// Ends the session: closes its journal (its changes stay made) and puts the interpreter back.
    /// A session a signal ended (`interrupted`: a dropped SSH session) that kept changes is
    /// journalled as interrupted, so the next run and `mend runs` name it.
    public func endSession(interrupted: Bool = false) {
        guard let session else { return }
        let kept = steps.contains { $0.changes.contains { !$0.planned && $0.report.applied && !$0.report.undone } }
        let status = kept ? (interrupted ? "interrupted" : "changed") : "ok"
        try? journal?.append(.object([("type", .string("end")), ("status", .string(status)), ("runbook", .null)]))
        journal = nil
        lock = nil
        session.detach()
        interpreter.isInteractive = false
        self.session = nil
        mend_interrupt_arm_timeout(0)
        mend_interrupt_uninstall()
        _ = mend_interrupt_take()
    }

    /// Runs one REPL input compiled into `module`; returns its last expression's value. Throws
    /// ``StepFailure`` when a step in it failed, ``LockHeld`` when another run holds the host, and
    /// the interpreter's errors (``MendError``, ``Interrupted``, …) otherwise.
    public func evaluate(_ unit: CompiledUnit, in module: Module, input: String) throws -> Value {
        try withInput(input) { try interpreter.run(unit, module: module) }
    }

    /// Runs a step now (`:step NAME` for a step of a loaded file), journalled like any step.
    public func runStep(_ step: StepCall) throws {
        try withInput(":step \(step.name)") { try interpreter.run(step) }
    }

    /// `:dry on|off`. Leaving dry mode forgets the planned changes and the overlay; returns how
    /// many planned changes were dropped.
    @discardableResult
    public func setPlanning(_ on: Bool) -> Int {
        guard on != isPlanning else { return 0 }
        isPlanning = on
        if on { return 0 }
        var dropped = 0
        for entry in steps {
            let count = entry.changes.count
            entry.changes.removeAll { $0.planned }
            dropped += count - entry.changes.count
            entry.report.changes = entry.changes.map(\.report)
        }
        overlay = [:]
        assumptions = []
        return dropped
    }

    /// Every change of the session, oldest first.
    public var sessionChanges: [SessionChange] {
        orderedChanges().map { SessionChange(step: $0.entry.report.name, change: $0.change.report, planned: $0.change.planned) }
    }

    /// `:undo` (the newest change) or `:undo all` (every change, newest first). A change whose
    /// target was changed since mend made it is left alone unless `force`. When planning, the
    /// newest planned change is forgotten instead. Throws ``LockHeld`` when another run holds the host.
    public func undo(all: Bool, force: Bool = false) throws -> UndoOutcome {
        if isPlanning { return forgetPlanned(all: all) }
        var outcome = UndoOutcome()
        let pending = orderedChanges().reversed().filter {
            !$0.change.planned && !$0.change.report.undone && !$0.change.report.compensation
        }
        // The lock guards writes; commands alone are only reported.
        if pending.contains(where: { $0.change.resource != nil }) {
            do {
                try startJournal()
            } catch is SetupFailed {
                throw setupError ?? MendError("cannot take the host lock")
            }
        }
        defer { lock = nil }
        var followUps = UndoFollowUps()
        for (_, change) in pending {
            guard let resource = change.resource else {
                if session?.passedOver.insert(change.order).inserted != false {
                    outcome.notUndone.append((change.report, "a command cannot be undone"))
                }
                continue
            }
            do {
                let now = try resource.read(change.target, on: host)
                // A change that failed before it took effect leaves nothing to undo, and is not
                // what `:undo` means.
                if !change.report.applied, resource.same(now, change.before) {
                    change.report.undone = true
                    continue
                }
                if !resource.same(now, change.before) {
                    if !force, !resource.isLeftByChange(now, after: change.after) {
                        let shown = redactor.redact(ChangeReport.shortText(resource.reportValue(now)))
                        outcome.notUndone.append((change.report, "changed since mend made it (now \(shown)); `:undo force` restores it anyway"))
                        if all { continue } else { break }
                    }
                    try resource.write(change.target, change.before, on: host)
                }
                followUps.undid(resource)
                change.report.undone = true
                outcome.undone.append(change.report)
                try? journal?.append(.object([("type", .string("undone")), ("seq", .int(change.sequence))]))
            } catch {
                outcome.notUndone.append((change.report, describe(error, span: nil, timeout: nil).message))
            }
            if !all { break }
        }
        for failure in followUps.finish(on: host) {
            outcome.followUpErrors.append("\(failure.kind): \(describe(failure.error, span: nil, timeout: nil).message)")
        }
        return outcome
    }

    // MARK: Helpers

    /// The steps' changes in the order they were made or planned.
    private func orderedChanges() -> [(entry: StepEntry, change: ChangeEntry)] {
        steps.flatMap { entry in entry.changes.map { (entry, $0) } }.sorted { $0.change.order < $1.change.order }
    }

    /// Drops the newest planned change (or all).
    private func forgetPlanned(all: Bool) -> UndoOutcome {
        var outcome = UndoOutcome()
        let planned = orderedChanges().filter(\.change.planned)
        let forgotten = all ? planned : Array(planned.suffix(1))
        forget(Set(forgotten.map(\.change.order)))
        outcome.undone = forgotten.reversed().map(\.change.report)
        return outcome
    }

    /// Removes planned changes (by order) and rebuilds the overlay from the rest.
    private func forget(_ orders: Set<Int>) {
        for entry in steps {
            entry.changes.removeAll { orders.contains($0.order) }
            entry.report.changes = entry.changes.map(\.report)
        }
        overlay = [:]
        // An assumption made after a forgotten change may rest on it: it goes too.
        if let first = orders.min() { assumptions.removeAll { $0.order > first } }
        var states: [(order: Int, key: String, state: JSON)] = assumptions
        for (_, change) in orderedChanges() where change.planned {
            if let resource = change.resource { states.append((change.order, Engine.key(resource, change.target), change.after)) }
        }
        for item in states.sorted(by: { $0.order < $1.order }) { overlay[item.key] = item.state }
    }

    /// Runs an input: catches a failed step to undo its changes, and lets the lock go afterwards.
    private func withInput<T>(_ input: String, _ body: () throws -> T) throws -> T {
        guard let session else { throw MendError("the engine is not in a REPL session") }
        session.input = input
        let firstStep = steps.count
        defer {
            if let entry = session.inputEntry {
                entry.report.status = entry.changes.isEmpty ? .ok : isPlanning ? .wouldChange : .changed
            }
            session.inputEntry = nil
            lock = nil
            MemoryBudget.disarm()
        }
        if let limit = options.maxMemory { try MemoryBudget.arm(limit: limit) }
        do {
            return try interpreter.onLargeStackIfNeeded(body)
        } catch is StepFailed {
            guard let failed = steps[firstStep...].last(where: { $0.report.status == .failed }) else {
                throw MendError("a step failed")
            }
            // Taken now: the session goes on, and the next input must not see it.
            let interruption = Interrupted.isPending ? Interrupted.pending() : nil
            _ = mend_interrupt_take()
            let errorsBefore = report.rollbackErrors.count
            MemoryBudget.disarm()
            if isPlanning {
                // Planned, a failed step's changes are forgotten as a run would undo them; its
                // report keeps them, marked.
                let shown = failed.report.changes
                for change in shown { change.undone = true }
                forget(Set(failed.changes.map(\.order)))
                failed.report.changes = shown
            } else if options.rollsBack {
                _ = rollBack([failed])
            }
            throw StepFailure(step: StepFailure.Step(failed.report), rollbackErrors: Array(report.rollbackErrors[errorsBefore...]),
                              interruption: interruption)
        } catch let interrupted as Interrupted {
            _ = mend_interrupt_take()
            throw interrupted
        } catch is SetupFailed {
            throw setupError ?? MendError("cannot start the journal")
        }
    }

    /// The step that holds the current input's changes outside any step, journalled when it
    /// first changes something; nil outside a session.
    func sessionEntry() throws -> StepEntry? {
        // While `:load` runs a file's top-level code the interpreter is not interactive: host
        // changes and commands there are refused, as in a run.
        guard let session, interpreter.isInteractive else { return nil }
        if let entry = session.inputEntry { return entry }
        let name = Engine.stepName(forInput: session.input)
        redactor.update(from: interpreter.resolvedParams)
        let step = StepReport(index: steps.count + 1, name: redactor.redact(name), confirm: nil, hasRollbackBlock: false)
        let file = SourceFile(name: "<repl>", text: session.input)
        let entry = StepEntry(report: step, name: name, rollback: nil, span: Span(file, 0, file.bytes.count))
        entry.bodyStarted = true
        steps.append(entry)
        report.steps.append(step)
        session.inputEntry = entry
        return entry
    }

    /// An input's first line, shortened: the name its changes are journalled under.
    static func stepName(forInput input: String) -> String {
        let first = input.split(separator: "\n").first ?? ""
        let line = first.drop { $0 == " " || $0 == "\t" }
        return line.count > 60 ? String(line.prefix(59)) + "…" : String(line)
    }
}
