import Glibc
import ArgumentParser
import MendKit

struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Undo a journalled run (one that was killed, or ran with --no-rollback).",
        discussion: """
        Restores the run's journalled changes newest first. A change whose target no longer holds the state \
        the run left is skipped with a warning unless --force. Rollback blocks are code and cannot run here: \
        the output names the steps whose blocks were skipped. Commands (run, sh) cannot be undone.

        Exit codes: 0 everything undone · 3 something could not be undone · 64 no such run · \
        75 a run holds the lock · 77 not allowed to change what the run changed.
        """
    )

    @Argument(help: ArgumentHelp("`last` or a run id from `mend runs`.", valueName: "last|RUN-ID"))
    var which: String

    @Flag(help: "Restore journalled states even where the host changed since the run.")
    var force = false

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Where the journals live (default $MEND_STATE_DIR, else /var/lib/mend as root, $XDG_STATE_HOME/mend otherwise).", valueName: "DIR"))
    var stateDirectoryPath: String?

    func run() throws {
        try runCommand {
            let directory = stateDirectory(stateDirectoryPath)
            let id = try RunHistory.resolve(which, in: directory)
            // A dropped SSH session must not cut the undo short (SIGINT and SIGTERM still stop it:
            // each undo is journalled, and the next `mend rollback` goes on from there).
            signal(SIGHUP, SIG_IGN)
            let outcome: RunHistory.RollbackOutcome
            do {
                outcome = try RunHistory.rollBack(id, in: directory, registry: .standard(), force: force)
            } catch let held as LockHeld {
                throw CommandFailure(held)
            } catch let error as HostError where !error.isPermissionDenied {
                // A journal that cannot be read, or a root that is gone: the run's changes may
                // be outstanding, so the rollback is incomplete.
                throw CommandFailure(ExitStatus.rollbackIncomplete, "mend: \(error.message) (rollback incomplete)")
            } catch let error as HostError {
                throw CommandFailure(error)
            }
            var out = "rolling back run \(id)\n"
            for offset in outcome.damage {
                out += "  ! damaged record at offset \(offset) of the journal: a change it held may be outstanding\n"
            }
            for path in outcome.removedTemporaryFiles { out += "  ✗ removed \(path), left by an interrupted write\n" }
            for change in outcome.undone { out += "  ↺ \(change)\n" }
            for change in outcome.alreadyUndone { out += "  = \(change) (already as before)\n" }
            for (target, reason) in outcome.notUndone { out += "  ! \(target): \(reason)\n" }
            for step in outcome.skippedBlocks { out += "  rollback block of step \(step) not run: only a run can run it\n" }
            if outcome.undone.isEmpty, outcome.alreadyUndone.isEmpty, outcome.notUndone.isEmpty, outcome.damage.isEmpty,
               outcome.removedTemporaryFiles.isEmpty {
                out += "  nothing to undo\n"
            }
            out += outcome.isComplete ? "rolled back\n" : "rollback incomplete\n"
            Console.write(out)
            return outcome.isComplete ? ExitStatus.success : ExitStatus.rollbackIncomplete
        }
    }
}

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the journalled runs, oldest first (the newest last).",
        discussion: """
        OUTSTANDING counts changes made and not undone; `mend rollback ID` undoes them. ROOT is the \
        --root the run acted on (/ for the live system). A run that was interrupted with changes \
        outstanding is also named on standard error, as `mend run` does before it starts.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Where the journals live (default $MEND_STATE_DIR, else /var/lib/mend as root, $XDG_STATE_HOME/mend otherwise).", valueName: "DIR"))
    var stateDirectoryPath: String?

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    func run() throws {
        try runCommand {
            let directory = stateDirectory(stateDirectoryPath)
            let runs = RunHistory.runs(in: directory)
            let watchdog = ConfirmWatchdog.armed(in: directory)
            for run in runs where run.needsAttention { Console.error("mend: warning: " + RunHistory.warning(about: run)) }
            for run in runs { for offset in run.damage { Console.error("mend: run \(run.id): damaged record at offset \(offset)") } }
            if format == .json {
                Console.output(JSON.array(runs.map { json($0, watchdog: watchdog) }).prettyText)
                return ExitStatus.success
            }
            guard !runs.isEmpty else {
                Console.output("no runs are journalled")
                return ExitStatus.success
            }
            var rows = [["RUN ID", "STARTED (UTC)", "STATUS", "OUTSTANDING", "HOST", "ROOT", "RUNBOOK"]]
            for run in runs {
                let status = run.damage.isEmpty ? run.status : run.status + " (journal damaged)"
                rows.append([run.id, run.started > 0 ? utc(run.started) : "?", status, String(run.outstanding), run.host, run.root, run.runbook ?? run.file])
            }
            let last = rows[0].count - 1
            let widths = (0..<last).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                let padded = (0..<last).map { row[$0] + String(repeating: " ", count: widths[$0] - row[$0].count) }
                Console.output((padded + [row[last]]).joined(separator: "  "))
            }
            if let watchdog {
                Console.output("confirm watchdog armed (pid \(watchdog.watchdogPid)): rolls back run \(watchdog.runId) at "
                               + "\(utc(Int(watchdog.deadline.rounded(.up)))) UTC unless step \(watchdog.step) is confirmed (mend confirm)")
            }
            return ExitStatus.success
        }
    }

    private func json(_ run: RunSummary, watchdog: ConfirmWatchdog.Record?) -> JSON {
        let armed: JSON = watchdog.map { record in
            record.runId != run.id ? .null : .object([("pid", .int(record.watchdogPid)), ("step", .int(record.step)),
                                                      ("deadline", .string(utc(Int(record.deadline.rounded(.up)), iso: true)))])
        } ?? .null
        return .object([
            ("id", .string(run.id)), ("started", run.started > 0 ? .string(utc(run.started, iso: true)) : .null),
            ("status", .string(run.status)), ("outstanding", .int(run.outstanding)), ("host", .string(run.host)),
            ("root", .string(run.root)), ("runbook", run.runbook.map(JSON.string) ?? .null), ("file", .string(run.file)),
            ("damaged_records", .array(run.damage.map { .int($0) })), ("watchdog", armed),
        ])
    }

    private func utc(_ seconds: Int, iso: Bool = false) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let date = "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))"
        let time = "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
        return iso ? "\(date)T\(time)Z" : "\(date) \(time)"
    }
}

struct ConfirmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "confirm",
        abstract: "Confirm the step that is waiting (`confirm DURATION`), so its changes are kept.",
        discussion: """
        Run it from another shell — a new SSH login proves the host is still reachable after a risky \
        change. Exit 0 when a waiting step was confirmed, 1 when none is waiting.
        """
    )

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("The running mend's state directory (default $MEND_STATE_DIR, else /var/lib/mend as root, $XDG_STATE_HOME/mend otherwise).", valueName: "DIR"))
    var stateDirectoryPath: String?

    func run() throws {
        try runCommand {
            let directory = stateDirectory(stateDirectoryPath)
            guard let pending = directory.pendingConfirmation() else {
                Console.error("mend: no step is waiting for a confirmation")
                return ExitStatus.failed
            }
            do throws(HostError) {
                try directory.confirm(pending)
            } catch {
                throw CommandFailure(error)
            }
            Console.output("confirmed step \(pending.step) \"\(pending.name)\" of run \(pending.runId)")
            return ExitStatus.success
        }
    }
}
