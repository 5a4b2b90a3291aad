/// A journalled run as `mend runs` lists it.
public struct RunSummary: Sendable {
    public let id: String
    /// Seconds since the epoch.
    public let started: Int
    public let file: String
    public let runbook: String?
    /// The `--root` the run acted on ("/" for the live system).
    public let root: String
    /// The host name the run's report gave (read under its `--root`; "unknown" when it has none).
    public let host: String
    /// `changed`, `rolled_back`, …; `running` while its process holds the lock; `interrupted`
    /// when the run ended without finishing its journal; `rolled back by mend rollback` after one.
    public let status: String
    /// Changes made and not undone.
    public let outstanding: Int
    /// Byte offsets of damaged journal records: what they held is unknown.
    public let damage: [Int]

    /// True when the run ended without finishing and left changes (or damage) behind: the next
    /// run warns about it.
    public var needsAttention: Bool { status == "interrupted" && (outstanding > 0 || !damage.isEmpty) }
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
    /// Temporary files a write was about to create: one may be left if the process died in it.
    var temporaryFiles: [String] = []
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
            case "temporary":
                if let path = record["path"]?.string { temporaryFiles.append(path) }
            default:
                break
            }
        }
    }

    var begin: JSON? { records.first { $0["type"]?.string == "begin" } }

    /// True while the mend that began the journal still runs: a REPL session holds the lock only
    /// while an input runs, and is not interrupted between inputs.
    var isLiveSession: Bool {
        guard let pid = begin?["pid"]?.int, pid != Host.local.processID else { return false }
        return Host.local.processName(pid)?.hasPrefix("mend") == true
    }

    /// The last word on the run: its end record, or a later `mend rollback`.
    var status: String? {
        for record in records.reversed() {
            switch record["type"]?.string {
            case "rollback": return record["status"]?.string.map { "\($0.replacing("_", with: " ")) by mend rollback" }
            // A `mend rollback` that began and never finished: as unfinished as a killed run.
            case "rollback_started": return nil
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
    /// The journalled runs, oldest first (a journal that cannot be read at all is listed with
    /// its error as the status).
    public static func runs(in directory: StateDirectory) -> [RunSummary] {
        directory.runIds().map { id in summary(of: id, in: directory) }
    }

    /// One run's summary.
    static func summary(of id: String, in directory: StateDirectory) -> RunSummary {
        let contents: Journal.Contents
        do {
            contents = try Journal.read(at: directory.journalPath(id))
        } catch {
            return RunSummary(id: id, started: 0, file: "", runbook: nil, root: "", host: "",
                              status: "unreadable: \(error.message)", outstanding: 0, damage: [])
        }
        let run = JournalledRun(records: contents.records)
        let running = run.status == nil && (directory.isHeld(byRun: id) || run.isLiveSession)
        // A run that died between making a change and marking it applied may have made it.
        let unfinished = run.status == nil
        let outstanding = run.changes.filter {
            !$0.compensation && !$0.undone && ($0.applied || !$0.undoable || unfinished)
        }.count
        // Without a readable start record the root is unknown — never the live system.
        return RunSummary(id: id, started: run.begin?["started"]?.int ?? 0, file: run.begin?["file"]?.string ?? "",
                          runbook: run.runbook, root: run.begin.map { $0["root"]?.string ?? "/" } ?? "?",
                          host: run.begin?["host"]?.string ?? "", status: running ? "running" : run.status ?? "interrupted",
                          outstanding: outstanding, damage: contents.damage)
    }

    /// Earlier runs that ended without finishing and left changes behind, oldest first.
    public static func interruptedRuns(in directory: StateDirectory) -> [RunSummary] {
        runs(in: directory).filter(\.needsAttention)
    }

    /// The warning a run and `mend runs` give about an interrupted run.
    public static func warning(about run: RunSummary) -> String {
        var text = "run \(run.id) was interrupted with \(run.outstanding) change\(run.outstanding == 1 ? "" : "s") outstanding"
        if !run.damage.isEmpty {
            text += " and \(run.damage.count) damaged journal record\(run.damage.count == 1 ? "" : "s")"
        }
        return text + "; undo with `mend rollback \(run.id)`"
    }

    /// Removes the temporary files that runs which died while writing may have left (a kill -9
    /// between creating one and renaming it over its target). Called holding the lock, so no
    /// write of another mend is under way.
    static func removeLeftoverTemporaryFiles(in directory: StateDirectory) {
        for id in directory.runIds() {
            guard let records = try? Journal.records(at: directory.journalPath(id)) else { continue }
            let run = JournalledRun(records: records)
            guard run.status == nil else { continue }
            for path in run.temporaryFiles { _ = removeTemporaryFile(path) }
        }
    }

    /// Removes one temporary file a write announced, if it is still there and has the name mend
    /// gives its temporary files; true when it removed one.
    static func removeTemporaryFile(_ path: String) -> Bool {
        guard let name = path.split(separator: "/").last, name.hasPrefix("."), name.contains(".mend-"),
              let info = try? Host.local.info(path), info.isRegular else { return false }
        return (try? Host.local.remove(path)) != nil
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
        /// Temporary files of an interrupted write, removed.
        public var removedTemporaryFiles: [String] = []
        /// Byte offsets of damaged journal records: changes they held may be outstanding.
        public var damage: [Int] = []
        /// True when every change is undone and the whole journal could be read.
        public var isComplete: Bool { notUndone.isEmpty && damage.isEmpty }
    }

    /// Undoes a journalled run newest first, holding the host lock. A change whose target no
    /// longer holds the journalled after-state is skipped with a warning unless `force`.
    public static func rollBack(_ id: String, in directory: StateDirectory, registry: Registry,
                                force: Bool) throws -> RollbackOutcome {
        let lock = try directory.lock(runId: "rollback-\(id)")
        defer { lock.release() }
        let path = directory.journalPath(id)
        let contents = try Journal.read(at: path)
        let run = JournalledRun(records: contents.records)
        var outcome = RollbackOutcome()
        outcome.damage = contents.damage
        guard let begin = run.begin else {
            throw HostError("the journal of run \(id) has no readable start record"
                            + (contents.damage.first.map { " (damaged record at offset \($0))" } ?? ""))
        }
        let root = begin["root"]?.string ?? "/"
        guard let info = try? Host.local.info(root), info.isDirectory else {
            throw HostError("run \(id) acted on --root \(root), which is no longer a directory")
        }
        let journal = try Journal.reopen(at: path)
        try journal.append(.object([("type", .string("rollback_started"))]))
        let host = Host(root: root, temporaryFiles: JournalTemporaryFiles(journal))
        for temporary in run.temporaryFiles where removeTemporaryFile(temporary) {
            outcome.removedTemporaryFiles.append(run.redactor.redact(temporary))
        }
        var stepsWithCommands = Set<Int>()
        var followUps = UndoFollowUps()
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
                    followUps.undid(resource)
                    if resource.undoneByFinishUndo { outcome.undone.append(label) } else { outcome.alreadyUndone.append(label) }
                } else if resource.isLeftByChange(now, after: change.after) || !change.applied || force {
                    // A change never marked applied was cut off half-made (its directories made,
                    // its file not yet): what is there is mend's own doing.
                    followUps.undid(resource)
                    try resource.write(change.target, change.before, on: host)
                    outcome.undone.append(label)
                } else {
                    outcome.notUndone.append((label, "changed since the run; --force restores the journalled state anyway"))
                    continue
                }
                try journal.append(.object([("type", .string("undone")), ("seq", .int(change.sequence))]))
            } catch {
                outcome.notUndone.append((label, run.redactor.redact(message(of: error))))
            }
        }
        for failure in followUps.finish(on: host) {
            outcome.notUndone.append((failure.kind, run.redactor.redact(message(of: failure.error))))
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

    /// An error as a sentence, whatever its type.
    private static func message(of error: any Error) -> String {
        switch error {
        case let e as HostError: return e.message
        case let e as MendError: return e.message
        case let e as any CustomStringConvertible: return e.description
        default: return "\(error)"
        }
    }
}
