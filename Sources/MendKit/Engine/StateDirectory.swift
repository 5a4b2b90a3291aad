import Glibc

/// Another run holds the host lock (exit 75).
public struct LockHeld: Error, Sendable, CustomStringConvertible {
    /// What the holder wrote into the lock file: its pid and run id (nil when unreadable).
    public let pid: Int?
    public let runId: String?

    public var description: String {
        var holder = "another mend run holds the lock"
        if let pid { holder += " (pid \(pid)" + (runId.map { ", run \($0)" } ?? "") + ")" }
        return holder + "; wait for it to finish, or check `mend runs`"
    }
}

/// The state directory (`/var/lib/mend`, `--state-dir`): the host lock, one journal per run in
/// `runs/`, and the files through which `mend confirm` answers a waiting step. Mode 0700, files 0600.
public final class StateDirectory {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    var runsPath: String { path + "/runs" }
    var lockPath: String { path + "/lock" }
    var pendingConfirmPath: String { path + "/confirm.pending" }
    var confirmedPath: String { path + "/confirm.ok" }

    /// Creates the directory and `runs/` (0700) when missing and tightens their modes. A path with
    /// a NUL byte is an error: the calls below would take a shorter one (`lock` prepares first, so
    /// no lock or journal is made there either).
    public func prepare() throws(HostError) {
        try Host.refuseNUL(path, "the state directory")
        for dir in [path, runsPath] {
            if mkdir(dir, 0o700) != 0, errno != EEXIST {
                if errno == ENOENT {
                    try makeParents(of: dir)
                    if mkdir(dir, 0o700) == 0 { continue }
                }
                throw HostError.last("cannot create the state directory \(dir)")
            }
            if chmod(dir, 0o700) != 0 { throw HostError.last("cannot secure the state directory \(dir)") }
        }
    }

    private func makeParents(of dir: String) throws(HostError) {
        // A relative path's parents are relative too: never made at the filesystem's root.
        var prefix = dir.hasPrefix("/") ? "" : "."
        for part in dir.split(separator: "/").dropLast() {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0, errno != EEXIST { throw HostError.last("cannot create the state directory's parent \(prefix)") }
        }
    }

    /// The held host lock: the kernel releases it when the process ends, however it ends.
    public final class Lock {
        private let fd: Int32
        init(fd: Int32) { self.fd = fd }

        /// Writes who holds the lock (`PID RUN-ID`) into the lock file, for ``LockHeld`` and `mend runs`.
        func name(_ holder: String) {
            let text = Array("\(Host.local.processID) \(holder)\n".utf8)
            ftruncate(fd, 0)
            _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }

        /// Releases the lock.
        public func release() {
            flock(fd, LOCK_UN)
        }
        deinit {
            // Unlocked first: a child forked but not yet exec'd shares the descriptor, and would
            // hold the lock past close(2).
            flock(fd, LOCK_UN)
            close(fd)
        }
    }

    /// Takes the host lock, naming `holder` (a run id) in the lock file, or throws ``LockHeld`` naming the holder.
    public func lock(runId holder: String) throws -> Lock {
        try prepare()
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw HostError.last("cannot open the lock \(lockPath)") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let busy = errno == EWOULDBLOCK
            let holder = lockHolder()
            close(fd)
            guard busy else { throw HostError.last("cannot lock \(lockPath)") }
            throw LockHeld(pid: holder?.pid, runId: holder?.runId)
        }
        let lock = Lock(fd: fd)
        lock.name(holder)
        return lock
    }

    /// Who the lock file names: the last process that took the lock (it may have ended).
    func lockHolder() -> (pid: Int, runId: String?)? {
        let text = String(decoding: (try? Host.local.read(lockPath)) ?? [], as: UTF8.self)
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard let pid = words.first.flatMap({ Int($0) }) else { return nil }
        return (pid, words.dropFirst().first.map(String.init))
    }

    /// True while the lock is held by the process that the lock file names.
    func isHeld(byRun runId: String) -> Bool {
        guard let holder = lockHolder(), holder.runId == runId, Host.local.processExists(holder.pid) else { return false }
        let fd = open(lockPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        // A shared lock is refused only while someone holds the exclusive one.
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return true
    }

    /// Takes the host lock for a new run and gives the run its id: the lock makes ids unique and
    /// ordered (see ``newRunId(after:)``).
    public func lockForNewRun() throws -> (lock: Lock, runId: String) {
        let lock = try lock(runId: "starting")
        let runId = StateDirectory.newRunId(after: runIds().last)
        lock.name(runId)
        return (lock, runId)
    }

    /// The path of a run's journal.
    public func journalPath(_ runId: String) -> String { "\(runsPath)/\(runId).journal" }

    /// The ids of the journalled runs, oldest first: by their sequence number, which counts runs
    /// within this state directory, so the order holds however the clock moved.
    public func runIds() -> [String] {
        let names = Host.local.entries(runsPath)?.map(\.name) ?? []
        let ids = names.filter { $0.hasSuffix(".journal") && !$0.hasPrefix(".") }.map { String($0.dropLast(8)) }
        return ids.sorted { a, b in
            let (sa, sb) = (StateDirectory.sequence(of: a), StateDirectory.sequence(of: b))
            return sa != sb ? sa < sb : a < b
        }
    }

    /// The sequence number of a run id (`20261204-181500-0000042` → 42); -1 for an id of another
    /// form. Seven digits at least: the ids of earlier versions end in six hex digits, which may all
    /// be decimal ones and must not pass for a sequence number.
    static func sequence(of runId: String) -> Int {
        let parts = runId.split(separator: "-")
        guard parts.count == 3, parts[0].count == 8, parts[1].count == 6, parts[2].count >= 7,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let n = Int(parts[2]) else { return -1 }
        return n
    }

    /// A run id: the UTC time the run took the lock (at its first change) and its sequence number
    /// in the state directory, e.g. `20261125-121730-0000042`; the number is one more than that of
    /// `previous` (the newest run).
    static func newRunId(after previous: String?) -> String {
        // `2026-11-25T12:17:30Z` → `20261125` and `121730`.
        let digits = Host.local.utcTimestamp().filter(\.isNumber)
        let n = String(max(0, previous.map(sequence(of:)) ?? 0) + 1)
        return "\(digits.prefix(8))-\(digits.suffix(6))-" + String(repeating: "0", count: max(0, 7 - n.count)) + n
    }

    // MARK: Confirmation

    /// A step waiting for `mend confirm`.
    public struct PendingConfirmation: Sendable {
        public let runId: String
        public let step: Int
        public let name: String
        public let pid: Int
        /// Seconds since the epoch.
        public let deadline: Int
    }

    /// Announces a step waiting for confirmation.
    func announce(_ pending: PendingConfirmation) throws(HostError) {
        unlink(confirmedPath)
        let record = JSON.object([("run_id", .string(pending.runId)), ("step", .int(pending.step)),
                                  ("name", .string(pending.name)), ("pid", .int(pending.pid)),
                                  ("deadline", .int(pending.deadline))])
        try Host.local.writeAtomically(pendingConfirmPath, Array(record.text.utf8), mode: 0o600, uid: Host.local.realUserID, gid: Host.local.realGroupID)
    }

    /// The step waiting for confirmation, if its process still runs.
    public func pendingConfirmation() -> PendingConfirmation? {
        guard let bytes = try? Host.local.read(pendingConfirmPath),
              let record = JSON.parse(String(decoding: bytes, as: UTF8.self)),
              let runId = record["run_id"]?.string, let step = record["step"]?.int,
              let pid = record["pid"]?.int, let deadline = record["deadline"]?.int else { return nil }
        guard Host.local.processExists(pid) else { return nil }
        return PendingConfirmation(runId: runId, step: step, name: record["name"]?.string ?? "", pid: pid, deadline: deadline)
    }

    /// Confirms the waiting step (`mend confirm`).
    public func confirm(_ pending: PendingConfirmation) throws(HostError) {
        let text = Array("\(pending.runId) \(pending.step)\n".utf8)
        try Host.local.writeAtomically(confirmedPath, text, mode: 0o600, uid: Host.local.realUserID, gid: Host.local.realGroupID)
    }

    /// True once `mend confirm` answered this step.
    func isConfirmed(runId: String, step: Int) -> Bool {
        guard let bytes = try? Host.local.read(confirmedPath) else { return false }
        return String(decoding: bytes, as: UTF8.self) == "\(runId) \(step)\n"
    }

    /// Removes the confirmation files of a step that stopped waiting.
    func clearConfirmation() {
        unlink(pendingConfirmPath)
        unlink(confirmedPath)
    }
}
