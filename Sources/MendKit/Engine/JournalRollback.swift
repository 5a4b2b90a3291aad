/// A journalled run as `mend runs` lists it.
public struct RunSummary: Sendable {
    public let id: String
    /// Seconds since the epoch.
    public let started: Int
    public let file: String
    public let runbook: String?
    /// `changed`, `rolled_back`, …; `interrupted` when the run ended without finishing its journal,
    /// `rolled back by mend rollback` after one.
    public let status: String
    /// Changes made and not undone.
    public let outstanding: Int
}

/// The journal of one run, read back.
struct JournalledRun {
    struct ChangeRecord {
        let sequence: Int
        let step: Int
        let kind: String
        let target: String
        /// The target as output shows it, secrets masked (the target itself in journals older than that).
        let shown: String
        let before: JSON
        let after: JSON
        let undoable: Bool
        let compensation: Bool
        var applied = false
        var undone = false
    }

    let records: [JSON]
    var changes: [ChangeRecord] = []
    /// Step index → (name as output shows it, has a rollback block).
    var steps: [Int: (name: String, hasRollback: Bool)] = [:]
    /// Masks what output shows of the run with the secrets its masked names and targets stand for.
    let redactor = Redactor()

    init(records: [JSON]) {
        self.records = records
        var bySequence: [Int: Int] = [:]
        for record in records {
            switch record["type"]?.string {
            case "step":
                if let index = record["index"]?.int {
                    let name = record["name"]?.string ?? "", shown = record["shown"]?.string ?? name
                    redactor.learn(from: name, shown: shown)
                    steps[index] = (shown, record["has_rollback"]?.bool ?? false)
                }
            case "change":
                guard let seq = record["seq"]?.int, let kind = record["kind"]?.string, let target = record["target"]?.string else { continue }
                bySequence[seq] = changes.count
                let shown = record["shown"]?.string ?? target
                redactor.learn(from: target, shown: shown)
                changes.append(ChangeRecord(
                    sequence: seq, step: record["step"]?.int ?? 0, kind: kind, target: target, shown: shown,
                    before: record["before"] ?? .null, after: record["after"] ?? .null,
                    undoable: record["undoable"]?.bool ?? true, compensation: record["compensation"]?.bool ?? false))
            case "applied":
                if let seq = record["seq"]?.int, let k = bySequence[seq] { changes[k].applied = true }
            case "undone":
                if let seq = record["seq"]?.int, let k = bySequence[seq] { changes[k].undone = true }
            default:
                break
            }
        }
    }

    var begin: JSON? { records.first { $0["type"]?.string == "begin" } }

    /// The last word on the run: its end record, or a later `mend rollback`.
    var status: String? {
        for record in records.reversed() {
            switch record["type"]?.string {
            case "rollback": return record["status"]?.string.map { "\($0.replacing("_", with: " ")) by mend rollback" }
            case "end": return record["status"]?.string
            default: continue
            }
        }
        return nil
    }

    var runbook: String? {
        records.reversed().lazy.compactMap { $0["runbook"]?.string }.first
    }
}

/// `mend runs` and `mend rollback`: the journals in the state directory, and undoing a run from
/// its journal after the process that made it is gone (killed, or run with `--no-rollback`).
public enum RunHistory {
    /// The journalled runs, oldest first.
    public static func runs(in directory: StateDirectory) -> [RunSummary] {
        directory.runIds().compactMap { id in
            guard let records = try? Journal.records(at: directory.journalPath(id)) else { return nil }
            let run = JournalledRun(records: records)
            // A run that died between making a change and marking it applied may have made it.
            let unfinished = run.status == nil
            let outstanding = run.changes.filter {
                !$0.compensation && !$0.undone && ($0.applied || !$0.undoable || unfinished)
            }.count
            return RunSummary(id: id, started: run.begin?["started"]?.int ?? 0, file: run.begin?["file"]?.string ?? "",
                              runbook: run.runbook, status: run.status ?? "interrupted", outstanding: outstanding)
        }
    }

    /// The id `last` stands for: the newest run.
    public static func resolve(_ id: String, in directory: StateDirectory) throws(UsageError) -> String {
        let ids = directory.runIds()
        if id == "last" {
            guard let last = ids.last else { throw UsageError("no runs are journalled in \(directory.path)") }
            return last
        }
        guard ids.contains(id) else { throw UsageError("no run \(id) in \(directory.path) (see `mend runs`)") }
        return id
    }

    /// What `mend rollback` did, as output shows it (secrets masked).
    public struct RollbackOutcome: Sendable {
        public var undone: [String] = []
        /// Changes already back in their before-state.
        public var alreadyUndone: [String] = []
        /// Changes left alone, with why: changed since the run (without --force), a command.
        public var notUndone: [(target: String, reason: String)] = []
        /// Steps whose rollback blocks could not run (they are code; only a run can run them).
        public var skippedBlocks: [String] = []
        /// True when every change is undone.
        public var isComplete: Bool { notUndone.isEmpty }
    }

    /// Undoes a journalled run newest first, holding the host lock. A change whose target no
    /// longer holds the journalled after-state is skipped with a warning unless `force`.
    public static func rollBack(_ id: String, in directory: StateDirectory, registry: Registry,
                                force: Bool) throws -> RollbackOutcome {
        let lock = try directory.lock(runId: "rollback-\(id)")
        defer { lock.release() }
        let path = directory.journalPath(id)
        let run = JournalledRun(records: try Journal.records(at: path))
        guard let begin = run.begin else { throw HostError("the journal of run \(id) has no start record") }
        let host = Host(root: begin["root"]?.string ?? "/")
        let journal = try Journal.reopen(at: path)
        var outcome = RollbackOutcome()
        var stepsWithCommands = Set<Int>()
        for change in run.changes.reversed() where !change.compensation && !change.undone {
            let label = "\(change.kind) \(change.shown)"
            guard change.undoable else {
                stepsWithCommands.insert(change.step)
                outcome.notUndone.append((label, "a command cannot be undone"))
                continue
            }
            guard let resource = registry.resources[change.kind] else {
                outcome.notUndone.append((label, "this mend does not know changes of kind '\(change.kind)'"))
                continue
            }
            do {
                let now = try resource.read(change.target, on: host)
                if resource.same(now, change.before) {
                    outcome.alreadyUndone.append(label)
                } else if resource.same(now, change.after) || force {
                    try resource.write(change.target, change.before, on: host)
                    outcome.undone.append(label)
                } else {
                    outcome.notUndone.append((label, "changed since the run; --force restores the journalled state anyway"))
                    continue
                }
                try journal.append(.object([("type", .string("undone")), ("seq", .int(change.sequence))]))
            } catch {
                outcome.notUndone.append((label, run.redactor.redact((error as? HostError)?.message ?? "\(error)")))
            }
        }
        for (index, step) in run.steps.sorted(by: { $0.key > $1.key }) where step.hasRollback {
            outcome.skippedBlocks.append("\(index). \(step.name)" + (stepsWithCommands.contains(index) ? " (it ran commands)" : ""))
        }
        try journal.append(.object([
            ("type", .string("rollback")), ("status", .string(outcome.isComplete ? "rolled_back" : "rollback_incomplete")),
            ("force", .bool(force)),
        ]))
        return outcome
    }
}
