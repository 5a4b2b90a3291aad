import Glibc

/// The watchdog of a `confirm` step: a process of its own, in a session of its own, that rolls the
/// run back from its journal when the step was not confirmed in time — also when mend itself was
/// killed, lost its SSH connection or hangs on a frozen terminal, which would otherwise leave a
/// risky change (a firewall rule that locks the operator out) in place.
///
/// The engine arms it before the step's first change: it writes `watchdog` in the state directory
/// (the run, mend's pid, the deadline, the watchdog's pid; mode 0600) and starts the watchdog
/// command. The deadline is pushed on at each change of the step (the step's work may take its
/// time), set to the confirm window when the wait for confirmation starts, and pushed far out while
/// mend rolls back by itself. Confirming the step, or the end of the run however it ends normally,
/// removes the file, and the watchdog, which reads it every 100 ms, exits. At the deadline it asks
/// mend to stop (SIGTERM: mend rolls back and removes the file), kills it if it has not ended in 10 s,
/// and rolls back what is still outstanding in the journal, as `mend rollback RUN-ID` would.
public final class ConfirmWatchdog {
    /// How long past the confirm window the watchdog waits, for mend's own "not confirmed" to win.
    static let margin = 1.0
    /// The deadline while the step's body runs: pushed on at each change.
    static let bodyAllowance = 30.0
    /// The deadline while mend rolls back by itself: the watchdog is a backstop for a hung rollback.
    static let rollbackAllowance = 300.0

    /// The record in the state directory.
    public struct Record: Sendable {
        public let runId: String
        public let step: Int
        /// mend's pid.
        public let pid: Int
        public var watchdogPid: Int
        /// Seconds since the epoch.
        public var deadline: Double

        var json: JSON {
            .object([("run_id", .string(runId)), ("step", .int(step)), ("pid", .int(pid)),
                     ("watchdog_pid", .int(watchdogPid)), ("deadline", .double(deadline))])
        }

        init(runId: String, step: Int, pid: Int, watchdogPid: Int, deadline: Double) {
            self.runId = runId
            self.step = step
            self.pid = pid
            self.watchdogPid = watchdogPid
            self.deadline = deadline
        }

        init?(_ json: JSON) {
            guard let runId = json["run_id"]?.string, let step = json["step"]?.int, let pid = json["pid"]?.int,
                  let watchdogPid = json["watchdog_pid"]?.int else { return nil }
            let deadline = json["deadline"].flatMap { value -> Double? in
                if case .double(let d) = value { return d }
                return value.int.map(Double.init)
            }
            guard let deadline else { return nil }
            self.init(runId: runId, step: step, pid: pid, watchdogPid: watchdogPid, deadline: deadline)
        }
    }

    private let directory: StateDirectory
    private let command: [String]
    private let host: Host
    private var record: Record?

    /// `command`: the watchdog's argv before the run id and `--state-dir DIR` (`[mend, "watchdog"]`).
    init(directory: StateDirectory, command: [String], host: Host) {
        self.directory = directory
        self.command = command
        self.host = host
    }

    static func path(in directory: StateDirectory) -> String { directory.path + "/watchdog" }

    /// The armed watchdog of a state directory, if its process still runs.
    public static func armed(in directory: StateDirectory) -> Record? {
        guard let bytes = try? Host.local.read(path(in: directory)),
              let record = JSON.parse(String(decoding: bytes, as: UTF8.self)).flatMap(Record.init),
              Host.local.processExists(record.watchdogPid) else { return nil }
        return record
    }

    /// Before a change of a `confirm` step: arms the watchdog for the step, or pushes its deadline on.
    func willChange(runId: String, step: Int) throws {
        let deadline = host.wallClock() + Self.bodyAllowance
        if var record, record.runId == runId, record.step == step {
            record.deadline = max(record.deadline, deadline)
            self.record = record
            try write(record)
            return
        }
        // The file first, so the watchdog finds it when it starts.
        var record = Record(runId: runId, step: step, pid: host.processID, watchdogPid: 0, deadline: deadline)
        try write(record)
        do {
            record.watchdogPid = try host.spawnDetached(command + [runId, "--state-dir", directory.path])
        } catch {
            try? Host.local.remove(Self.path(in: directory))
            throw MendError("cannot start the confirm watchdog (\(error)): the step's changes are not made without it", kind: .host)
        }
        self.record = record
        try write(record)
    }

    /// The wait for confirmation starts: the deadline is the window (and a margin) from now.
    func waiting(nanoseconds: Int) throws {
        guard var record else { return }
        record.deadline = host.wallClock() + Double(nanoseconds) / 1e9 + Self.margin
        self.record = record
        try write(record)
    }

    /// mend rolls back by itself: the watchdog steps in only if that hangs.
    func rollingBack() {
        guard var record else { return }
        record.deadline = host.wallClock() + Self.rollbackAllowance
        self.record = record
        try? write(record)
    }

    /// The step was confirmed, or the run is over: the watchdog exits.
    func disarm() {
        guard record != nil else { return }
        try? Host.local.remove(Self.path(in: directory))
        record = nil
    }

    private func write(_ record: Record) throws {
        do {
            try Host.local.writeAtomically(Self.path(in: directory), Array(record.json.text.utf8), mode: 0o600,
                                           uid: Host.local.realUserID, gid: Host.local.realGroupID)
        } catch {
            throw MendError("cannot arm the confirm watchdog: \(error.message)", kind: .host)
        }
    }

    // MARK: The watchdog process

    /// What the watchdog did.
    public enum Outcome: Equatable, Sendable {
        /// Disarmed in time (confirmed, or the run ended).
        case disarmed
        /// The deadline passed: the run was rolled back (mend by itself, or the watchdog).
        case rolledBack
        /// The rollback could not undo everything: what it said.
        case rollbackIncomplete(String)
    }

    /// The watchdog's loop (`mend watchdog RUN-ID`): waits for the deadline of the record naming
    /// `runId`, then stops mend and rolls the run back. Returns when the record is gone.
    public static func watch(runId: String, directory: StateDirectory, registry: Registry,
                             log: (String) -> Void = { _ in }) -> Outcome {
        let host = Host.local
        while true {
            guard let bytes = try? host.read(path(in: directory)),
                  let record = JSON.parse(String(decoding: bytes, as: UTF8.self)).flatMap(Record.init),
                  record.runId == runId else { return .disarmed }
            guard host.wallClock() >= record.deadline else {
                host.sleep(nanoseconds: 100_000_000)
                continue
            }
            log("run \(runId): step \(record.step) was not confirmed in time; rolling back")
            // Signalled only while it holds this run's lock: a pid alone may have been reused.
            if directory.isHeld(byRun: runId) {
                host.send(SIGTERM, to: record.pid)
                if !waitUntilGone(record.pid, seconds: 10) {
                    log("mend (pid \(record.pid)) did not stop: killing it")
                    host.send(SIGKILL, to: record.pid)
                    _ = waitUntilGone(record.pid, seconds: 5)
                }
            }
            defer {
                try? Host.local.remove(path(in: directory))
                // mend, killed while it waited, left its announcement of the waiting step.
                if directory.pendingConfirmation() == nil { directory.clearConfirmation() }
            }
            do {
                let outcome = try RunHistory.rollBack(runId, in: directory, registry: registry, force: false)
                guard outcome.isComplete else {
                    let reasons = outcome.notUndone.map { "\($0.target): \($0.reason)" } + outcome.damage.map { "damaged journal record at \($0)" }
                    return .rollbackIncomplete(reasons.joined(separator: "; "))
                }
                return .rolledBack
            } catch {
                return .rollbackIncomplete("\(error)")
            }
        }
    }

    /// Waits until the process is gone (or a zombie); false when it still runs after `seconds`.
    private static func waitUntilGone(_ pid: Int, seconds: Double) -> Bool {
        let end = Host.local.wallClock() + seconds
        while Host.local.wallClock() < end {
            if !Host.local.processExists(pid) || isZombie(pid) { return true }
            Host.local.sleep(nanoseconds: 50_000_000)
        }
        return false
    }

    private static func isZombie(_ pid: Int) -> Bool {
        guard let bytes = try? Host.local.read("/proc/\(pid)/stat"), let close = bytes.lastIndex(of: UInt8(ascii: ")")),
              close + 2 < bytes.count else { return false }
        return bytes[close + 2] == UInt8(ascii: "Z")
    }
}
