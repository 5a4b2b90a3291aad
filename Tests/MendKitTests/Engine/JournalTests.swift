import Foundation
import Glibc
import Testing
@testable import MendKit

/// A file state as ``FileResource`` records it, with this process's owner so tests work as any user.
private func fileState(_ text: String?, mode: UInt32 = 0o644) -> JSON {
    guard let text else { return FileResource.State(exists: false).json }
    return FileResource.State(exists: true, mode: mode, uid: geteuid(), gid: getegid(), content: Array(text.utf8)).json
}

/// Builds a journal by hand, as a run killed part-way would have left it.
private struct HandMadeJournal {
    let directory: StateDirectory
    let runId: String
    let journal: Journal
    private var seq = 0

    init(directory: StateDirectory, runId: String, root: String) throws {
        try directory.prepare()
        self.directory = directory
        self.runId = runId
        journal = try Journal.create(at: directory.journalPath(runId))
        try journal.append(.object([("type", .string("begin")), ("run_id", .string(runId)), ("file", .string("hand.mend")),
                                    ("root", .string(root)), ("pid", .int(1)), ("started", .int(1_700_000_000))]))
    }

    func step(_ index: Int, _ name: String, hasRollback: Bool = false) throws {
        try journal.append(.object([("type", .string("step")), ("index", .int(index)), ("name", .string(name)),
                                    ("has_rollback", .bool(hasRollback)), ("runbook", .string("hand made"))]))
    }

    /// A file change; `applied: false` is a change whose process died before it could say so.
    @discardableResult
    mutating func file(_ target: String, step: Int, before: String?, after: String?, applied: Bool = true,
                       compensation: Bool = false) throws -> Int {
        seq += 1
        try journal.append(.object([
            ("type", .string("change")), ("seq", .int(seq)), ("step", .int(step)), ("kind", .string("file")),
            ("target", .string(target)), ("before", fileState(before)), ("after", fileState(after)),
            ("undoable", .bool(true)), ("compensation", .bool(compensation)),
        ]))
        if applied { try journal.append(.object([("type", .string("applied")), ("seq", .int(seq))])) }
        return seq
    }

    mutating func command(_ text: String, step: Int) throws {
        seq += 1
        try journal.append(.object([
            ("type", .string("change")), ("seq", .int(seq)), ("step", .int(step)), ("kind", .string("run")),
            ("target", .string(text)), ("before", .null), ("after", .null), ("undoable", .bool(false)),
            ("compensation", .bool(false)),
        ]))
        try journal.append(.object([("type", .string("applied")), ("seq", .int(seq)), ("status", .int(0))]))
    }
}

/// Puts a file into a journalled state exactly (mode and owner included).
private func place(_ text: String, at target: String, on host: MendKit.Host) throws {
    try FileResource().write(target, fileState(text), on: host)
}

@Suite struct JournalTests {
    private let sampleRecords: [JSON] = [
        .object([("type", .string("begin")), ("run_id", .string("r1")), ("n", .int(-3))]),
        .object([("type", .string("change")), ("text", .string("line1\nline2 \"quoted\" \\ tab\t ünï 😀\u{1}")),
                 ("list", .array([.null, .bool(true), .double(1.5)]))]),
        .object([("type", .string("end")), ("status", .string("ok"))]),
    ]

    private func writeSample(_ path: String) throws {
        let journal = try Journal.create(at: path)
        for record in sampleRecords { try journal.append(record) }
    }

    @Test func recordsRoundTrip() throws {
        try withScratch { dir in
            let path = dir.at("/run.journal")
            try writeSample(path)
            #expect(try Journal.records(at: path) == sampleRecords)
            // Each line is `LENGTH CRC32 JSON`.
            let lines = try #require(dir.read("/run.journal")).split(separator: "\n")
            #expect(lines.count == 3)
            let first = lines[0].split(separator: " ", maxSplits: 2)
            #expect(Int(first[0]) == first[2].utf8.count)
            #expect(first[1].count == 8 && first[1].allSatisfy(\.isHexDigit))
            // Reopening appends.
            let reopened = try Journal.reopen(at: path)
            try reopened.append(.object([("type", .string("rollback"))]))
            #expect(try Journal.records(at: path).count == 4)
        }
    }

    @Test func aJournalIsCreatedOnceWithMode0600() throws {
        try withScratch { dir in
            let path = dir.at("/run.journal")
            try writeSample(path)
            #expect(dir.info("/run.journal").map { $0.st_mode & 0o7777 } == 0o600)
            #expect(throws: HostError.self) { _ = try Journal.create(at: path) }
            #expect(throws: HostError.self) { _ = try Journal.records(at: dir.at("/missing.journal")) }
        }
    }

    /// A torn last line may hide lost records (a truncated file): it is damage, at its offset.
    @Test func aTornLastRecordIsDamage() throws {
        try withScratch { dir in
            let path = dir.at("/run.journal")
            try writeSample(path)
            let bytes = try #require(dir.bytes("/run.journal"))
            let lastLineStart = try #require(bytes.dropLast().lastIndex(of: 0x0A)) + 1
            // Cut in the middle of the last record, just before its newline, and right after its header.
            for cut in [lastLineStart + (bytes.count - lastLineStart) / 2, bytes.count - 1, lastLineStart + 3] {
                try dir.write("/torn.journal", bytes: Array(bytes[..<cut]))
                let read = try Journal.read(at: dir.at("/torn.journal"))
                #expect(read.records == Array(sampleRecords.prefix(2)), "cut at \(cut)")
                #expect(read.damage == [lastLineStart], "cut at \(cut)")
            }
        }
    }

    @Test func aDamagedRecordEndsTheReadableJournal() throws {
        try withScratch { dir in
            let path = dir.at("/run.journal")
            try writeSample(path)
            var bytes = try #require(dir.bytes("/run.journal"))
            // Flip a letter of "ok" in the last record: still valid JSON, but the CRC no longer matches.
            let k = try #require(bytes.lastIndex(of: UInt8(ascii: "k")))
            bytes[k] = UInt8(ascii: "K")
            try dir.write("/flipped.journal", bytes: bytes)
            #expect(try Journal.records(at: dir.at("/flipped.journal")) == Array(sampleRecords.prefix(2)))

            // Damage in the middle record: it is skipped and reported, the records after it are read.
            var middle = try #require(dir.bytes("/run.journal"))
            let m = try #require(middle.firstIndex(of: UInt8(ascii: "q")))
            middle[m] ^= 0x01
            try dir.write("/middle.journal", bytes: middle)
            let read = try Journal.read(at: dir.at("/middle.journal"))
            #expect(read.records == [sampleRecords[0], sampleRecords[2]])
            let secondLine = try #require(middle.firstIndex(of: 0x0A)) + 1
            #expect(read.damage == [secondLine])

            // A wrong length makes the record unreadable too.
            let text = try #require(dir.read("/run.journal"))
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let parts = lines[2].split(separator: " ", maxSplits: 1)
            let length = try #require(Int(parts[0]))
            let wrongLength = lines[0] + "\n" + lines[1] + "\n" + "\(length + 1) " + parts[1] + "\n"
            try dir.write("/length.journal", wrongLength)
            #expect(try Journal.records(at: dir.at("/length.journal")) == Array(sampleRecords.prefix(2)))
        }
    }

    @Test func aNegativeLengthIsDamageNotACrash() throws {
        try withScratch { dir in
            // "-4" once made the reader build a reversed range and trap.
            try dir.write("/j", "-4 aaaaa\nbb x\n")
            #expect(try Journal.records(at: dir.at("/j")) == [])
            try dir.write("/k", "x\n\n \n")
            #expect(try Journal.records(at: dir.at("/k")) == [])
        }
    }

    @Test func reopeningEndsATornTailSoNewRecordsCanBeReadAndTheDamageStays() throws {
        try withScratch { dir in
            let path = dir.at("/run.journal")
            try writeSample(path)
            let intact = try #require(dir.bytes("/run.journal"))
            try dir.write("/run.journal", bytes: intact + Array("57 0badf00d {\"type\":\"cha".utf8), mode: 0o600)
            let journal = try Journal.reopen(at: path)
            try journal.append(.object([("type", .string("rollback"))]))
            let read = try Journal.read(at: path)
            #expect(read.records == sampleRecords + [.object([("type", .string("rollback"))])])
            #expect(read.damage == [intact.count])
            #expect(dir.info("/run.journal").map { $0.st_mode & 0o7777 } == 0o600)
        }
    }

    @Test func crc32MatchesZlib() {
        #expect(Journal.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(Journal.crc32([]) == 0)
    }

    // MARK: state directory and lock

    @Test func prepareMakesPrivateDirectories() throws {
        try withScratch { dir in
            let state = StateDirectory(path: dir.at("/var/lib/mend"))
            try state.prepare()
            #expect(dir.info("/var/lib/mend").map { $0.st_mode & 0o7777 } == 0o700)
            #expect(dir.info("/var/lib/mend/runs").map { $0.st_mode & 0o7777 } == 0o700)
            // An existing, too open directory is tightened.
            chmod(dir.at("/var/lib/mend"), 0o755)
            try state.prepare()
            #expect(dir.info("/var/lib/mend").map { $0.st_mode & 0o7777 } == 0o700)
            #expect(state.runIds().isEmpty)
        }
    }

    /// mkdir and open take C strings, which end at a NUL byte: `/state\0x` would be `/state`.
    @Test func aStateDirectoryWithANULByteIsRefused() throws {
        try withScratch { dir in
            let state = StateDirectory(path: dir.at("/state\0x"))
            #expect(throws: HostError.self) { try state.prepare() }
            #expect(throws: HostError.self) { _ = try state.lock(runId: "20260101-000000-aaaaaa") }
            #expect(!dir.exists("/state"))
        }
    }

    @Test func aSecondLockNamesTheHolder() throws {
        try withScratch { dir in
            let state = StateDirectory(path: dir.at("/state"))
            let first = try state.lock(runId: "20260101-000000-aaaaaa")
            #expect(dir.read("/state/lock") == "\(getpid()) 20260101-000000-aaaaaa\n")
            #expect(dir.info("/state/lock").map { $0.st_mode & 0o7777 } == 0o600)
            do {
                _ = try state.lock(runId: "second")
                Issue.record("a second lock was granted")
            } catch let held as LockHeld {
                #expect(held.pid == Int(getpid()))
                #expect(held.runId == "20260101-000000-aaaaaa")
                #expect(held.description.contains("pid \(getpid()), run 20260101-000000-aaaaaa"))
            }
            #expect(dir.read("/state/lock") == "\(getpid()) 20260101-000000-aaaaaa\n", "the loser leaves the file alone")
            first.release()
            let second = try state.lock(runId: "second")
            #expect(dir.read("/state/lock") == "\(getpid()) second\n")
            second.release()
        }
    }

    @Test func aDroppedLockIsFreeEvenWhileACopyOfItsDescriptorLives() throws {
        try withScratch { dir in
            let state = StateDirectory(path: dir.at("/state"))
            var held: StateDirectory.Lock? = try state.lock(runId: "first")
            // A child forked and not yet exec'd holds such a copy; dup(2) makes one in-process.
            let copy = try #require(openDescriptors().first { $0.target == dir.at("/state/lock") }.map { dup($0.fd) })
            defer { close(copy) }
            #expect(held != nil)
            held = nil
            let second = try state.lock(runId: "second")
            second.release()
        }
    }

    /// This process's open descriptors and what they point at.
    private func openDescriptors() -> [(fd: Int32, target: String)] {
        (Host.local.entries("/proc/self/fd") ?? []).compactMap { entry in
            guard let fd = Int32(entry.name) else { return nil }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink("/proc/self/fd/\(entry.name)", &buffer, buffer.count - 1)
            guard n > 0 else { return nil }
            return (fd, String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    /// Ids come from the state directory under its lock: each one's sequence number is one more
    /// than the newest's, so runs sort by start however many share a second (or the clock moved).
    @Test func runIdsCountRunsInTheirStateDirectory() throws {
        try withScratch { dir in
            let state = StateDirectory(path: dir.at("/state"))
            var ids: [String] = []
            for _ in 0..<12 {
                let (lock, id) = try state.lockForNewRun()
                _ = try Journal.create(at: state.journalPath(id))
                lock.release()
                ids.append(id)
            }
            #expect(Set(ids).count == ids.count)
            #expect(state.runIds() == ids, "oldest first, by sequence, not by the text of the id")
            for (k, id) in ids.enumerated() {
                #expect(id.wholeMatch(of: /(\d{8})-(\d{6})-\d{7}/) != nil, "\(id)")
                #expect(id.hasSuffix(String(format7(k + 1))), "\(id)")
                let month = Int(id.dropFirst(4).prefix(2)) ?? 0, day = Int(id.dropFirst(6).prefix(2)) ?? 0
                let hour = Int(id.dropFirst(9).prefix(2)) ?? 99
                #expect((1...12).contains(month) && (1...31).contains(day) && (0...23).contains(hour), "\(id)")
            }
            // An id from a clock that went back still sorts after the newest.
            _ = try Journal.create(at: state.journalPath("19990101-000000-0000013"))
            #expect(state.runIds().last == "19990101-000000-0000013")
            // A name of another form sorts first, and is kept; so does an earlier version's id whose
            // six hex digits happen to be decimal ones: it is no sequence number.
            _ = try Journal.create(at: state.journalPath("20260101-000000-3fa2c1"))
            _ = try Journal.create(at: state.journalPath("20260102-000000-987654"))
            #expect(state.runIds().prefix(2) == ["20260101-000000-3fa2c1", "20260102-000000-987654"])
            #expect(StateDirectory.newRunId(after: state.runIds().last).hasSuffix("-0000014"))
        }
    }

    private func format7(_ n: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: 7 - s.count) + s
    }

    // MARK: an engine run's journal

    @Test func aRunJournalsEveryChangeBeforeAndAfterItIsMade() throws {
        try withScratch { root in
            let state = StateDirectory(path: root.at("/state"))
            let h = EngineHarness(root: root)
            h.options.stateDirectory = state
            let report = try h.run("""
                runbook "journalled"
                step "one" { file.write("/a", "1\\n") }
                step "two" { run("true") }
                """)
            let runId = try #require(report.runId)
            #expect(state.runIds() == [runId])
            #expect(root.info("/state/runs/\(runId).journal").map { $0.st_mode & 0o7777 } == 0o600)
            let records = try Journal.records(at: state.journalPath(runId))
            // The write's temporary file is journalled before it exists (a kill -9 may leave it).
            #expect(records.compactMap { $0["type"]?.string }
                    == ["begin", "step", "change", "temporary", "applied", "step", "change", "applied", "end"])
            #expect(records[0]["root"] == .string(root.path))
            #expect(records[0]["run_id"] == .string(runId))
            #expect(records[2]["before"] == fileState(nil))
            #expect(records[2]["after"] == fileState("1\n"))
            #expect(records[3]["path"]?.string?.hasPrefix(root.path + "/.a.mend-") == true)
            #expect(records[6]["undoable"] == .bool(false))
            #expect(records[8]["status"] == .string("changed"))
            let summary = try #require(RunHistory.runs(in: state).first)
            #expect(summary.id == runId && summary.status == "changed" && summary.runbook == "journalled")
            #expect(summary.outstanding == 2)
            // The lock is released when the run ends.
            try state.lock(runId: "after").release()
        }
    }

    @Test func aRunJournalsRealValuesForUndoAndMaskedOnesForOutput() throws {
        try withScratch { root in
            let state = StateDirectory(path: root.at("/state"))
            let h = EngineHarness(root: root)
            h.options.stateDirectory = state
            h.parameters = ["token": "s3cr3t"]
            h.options.rollsBack = false
            let report = try h.run("""
                runbook "journalled s3cr3t"
                secret param token = ""
                step "write ${token}" {
                  file.write("/d-${token}/f", token)
                  run("true", token)
                } rollback { }
                step "stop" { fail("stop") }
                """)
            #expect(report.status == .failed)
            let records = try Journal.records(at: state.journalPath(try #require(report.runId)))
            let step = try #require(records.first { $0["type"] == .string("step") })
            #expect(step["name"] == .string("write s3cr3t") && step["shown"] == .string("write ••••"))
            #expect(step["runbook"] == .string("journalled ••••"))
            let changes = records.filter { $0["type"] == .string("change") }
            #expect(changes.map { $0["target"] } == [.string("/d-s3cr3t/f"), .string("true s3cr3t")])
            #expect(changes.map { $0["shown"] } == [.string("/d-••••/f"), .string("true ••••")])
            #expect(changes.first?["after"]?["text"] == .string("s3cr3t"), "undo needs the real states")

            // What `mend rollback` shows: the masked forms, and errors masked with what they stand for.
            try FileManager.default.removeItem(atPath: root.at("/d-s3cr3t/f"))
            try FileManager.default.createDirectory(atPath: root.at("/d-s3cr3t/f"), withIntermediateDirectories: false)
            let outcome = try RunHistory.rollBack(try #require(report.runId), in: state, registry: .standard(), force: false)
            #expect(outcome.notUndone.map(\.target) == ["run true ••••", "file /d-••••/f"])
            let reason = try #require(outcome.notUndone.last?.reason)
            #expect(reason.contains("/d-••••/f") && !reason.contains("s3cr3t"), "\(reason)")
            #expect(outcome.skippedBlocks == ["1. write •••• (it ran commands)"])
            #expect(RunHistory.runs(in: state).first?.runbook == "journalled ••••")
        }
    }

    @Test func aPlanKeepsNoJournal() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            h.options.stateDirectory = StateDirectory(path: root.at("/state"))
            let report = try h.run(#"step "one" { file.write("/a", "1\n") }"#, plan: true)
            #expect(report.runId == nil && report.status == .wouldChange)
            #expect(!root.exists("/state"))
        }
    }

    // MARK: mend rollback

    /// A host root at `dir/host` (created) and a state directory at `dir/state`.
    private func hostAndState(in dir: ScratchDirectory) throws -> (MendKit.Host, StateDirectory) {
        let host = MendKit.Host(root: dir.at("/host"))
        try FileManager.default.createDirectory(atPath: host.root, withIntermediateDirectories: true)
        return (host, StateDirectory(path: dir.at("/state")))
    }

    @Test func rollBackRestoresNewestFirstAndNamesWhatItCannotUndo() throws {
        try withScratch { dir in
            let (host, state) = try hostAndState(in: dir)
            var journal = try HandMadeJournal(directory: state, runId: "20260101-000000-0000001", root: host.root)
            try journal.step(1, "config", hasRollback: true)
            try journal.file("/etc/new.conf", step: 1, before: nil, after: "new\n")
            try journal.file("/etc/app.conf", step: 1, before: "old\n", after: "mid\n")
            // Two changes of one target: only newest first gets back to "old".
            try journal.file("/etc/app.conf", step: 1, before: "mid\n", after: "final\n")
            try journal.step(2, "restart", hasRollback: true)
            try journal.command("systemctl restart app", step: 2)
            try journal.step(3, "plain")
            try place("new\n", at: "/etc/new.conf", on: host)
            try place("final\n", at: "/etc/app.conf", on: host)

            let outcome = try RunHistory.rollBack("20260101-000000-0000001", in: state, registry: .standard(), force: false)
            #expect(outcome.undone == ["file /etc/app.conf", "file /etc/app.conf", "file /etc/new.conf"])
            #expect(outcome.alreadyUndone.isEmpty)
            #expect(outcome.notUndone.map(\.target) == ["run systemctl restart app"])
            #expect(outcome.notUndone.map(\.reason) == ["a command cannot be undone"])
            #expect(outcome.skippedBlocks == ["2. restart (it ran commands)", "1. config"])
            #expect(!outcome.isComplete)
            #expect(dir.read("/host/etc/app.conf") == "old\n")
            #expect(!dir.exists("/host/etc/new.conf"))

            let records = try Journal.records(at: state.journalPath("20260101-000000-0000001"))
            #expect(records.filter { $0["type"] == .string("undone") }.compactMap { $0["seq"]?.int } == [3, 2, 1])
            #expect(records.last?["status"] == .string("rollback_incomplete"))
            let summary = try #require(RunHistory.runs(in: state).first)
            #expect(summary.status == "rollback incomplete by mend rollback")
            #expect(summary.outstanding == 1, "the command")

            // A second rollback finds the undone changes journalled and leaves them be.
            let again = try RunHistory.rollBack(try RunHistory.resolve("last", in: state), in: state, registry: .standard(), force: false)
            #expect(again.undone.isEmpty && again.alreadyUndone.isEmpty)
            #expect(dir.read("/host/etc/app.conf") == "old\n")
        }
    }

    @Test func rollBackSkipsADriftedTargetUnlessForced() throws {
        try withScratch { dir in
            let (host, state) = try hostAndState(in: dir)
            let id = "20260101-000000-0000002"
            var journal = try HandMadeJournal(directory: state, runId: id, root: host.root)
            try journal.step(1, "edit")
            try journal.file("/drifted", step: 1, before: "old\n", after: "new\n")
            try journal.file("/fine", step: 1, before: "a\n", after: "b\n")
            try place("edited by hand\n", at: "/drifted", on: host)
            try place("b\n", at: "/fine", on: host)

            let outcome = try RunHistory.rollBack(id, in: state, registry: .standard(), force: false)
            #expect(outcome.undone == ["file /fine"])
            #expect(outcome.notUndone.map(\.target) == ["file /drifted"])
            #expect(outcome.notUndone.first?.reason.contains("changed since the run") == true)
            #expect(dir.read("/host/drifted") == "edited by hand\n")
            #expect(dir.read("/host/fine") == "a\n")

            let forced = try RunHistory.rollBack(id, in: state, registry: .standard(), force: true)
            #expect(forced.undone == ["file /drifted"])
            #expect(forced.isComplete)
            #expect(dir.read("/host/drifted") == "old\n")
            #expect(RunHistory.runs(in: state).first?.status == "rolled back by mend rollback")
        }
    }

    @Test func rollBackOfAChangeNeverMarkedApplied() throws {
        try withScratch { dir in
            let (host, state) = try hostAndState(in: dir)
            let id = "20260101-000000-0000003"
            var journal = try HandMadeJournal(directory: state, runId: id, root: host.root)
            try journal.step(1, "edit")
            // Killed after the write but before the `applied` record: the target holds the after-state.
            try journal.file("/made", step: 1, before: "old\n", after: "new\n", applied: false)
            // Killed before the write: the target still holds the before-state.
            try journal.file("/not-made", step: 1, before: nil, after: "new\n", applied: false)
            try place("new\n", at: "/made", on: host)

            let summary = try #require(RunHistory.runs(in: state).first)
            #expect(summary.status == "interrupted")
            let outcome = try RunHistory.rollBack(id, in: state, registry: .standard(), force: false)
            #expect(outcome.undone == ["file /made"])
            #expect(outcome.alreadyUndone == ["file /not-made"])
            #expect(outcome.isComplete)
            #expect(dir.read("/host/made") == "old\n")
            #expect(!dir.exists("/host/not-made"))
        }
    }

    @Test func rollBackOfAJournalWithATornTailIsRecorded() throws {
        try withScratch { dir in
            let (host, state) = try hostAndState(in: dir)
            let id = "20260101-000000-0000005"
            var journal = try HandMadeJournal(directory: state, runId: id, root: host.root)
            try journal.step(1, "edit")
            try journal.file("/a", step: 1, before: nil, after: "new\n")
            try place("new\n", at: "/a", on: host)
            // The run died while writing its next record.
            let fd = open(state.journalPath(id), O_WRONLY | O_APPEND)
            #expect(fd >= 0)
            _ = "60 1234abcd {\"type\":\"chan".withCString { write(fd, $0, strlen($0)) }
            close(fd)

            let outcome = try RunHistory.rollBack(id, in: state, registry: .standard(), force: false)
            // What could be read is undone; the torn record may have hidden more: incomplete.
            #expect(outcome.undone == ["file /a"] && !outcome.isComplete && outcome.damage.count == 1)
            #expect(!dir.exists("/host/a"))
            // The rollback's own records are readable: the run is no longer "interrupted".
            let summary = try #require(RunHistory.runs(in: state).first)
            #expect(summary.status == "rollback incomplete by mend rollback")
            #expect(summary.outstanding == 0)
        }
    }

    @Test func rollBackLeavesCompensationAloneAndNeedsTheLock() throws {
        try withScratch { dir in
            let (host, state) = try hostAndState(in: dir)
            let id = "20260101-000000-0000004"
            var journal = try HandMadeJournal(directory: state, runId: id, root: host.root)
            try journal.step(1, "edit", hasRollback: true)
            try journal.file("/incident", step: 1, before: nil, after: "noted\n", compensation: true)
            try place("noted\n", at: "/incident", on: host)

            let held = try state.lock(runId: "busy")
            #expect(throws: LockHeld.self) { _ = try RunHistory.rollBack(id, in: state, registry: .standard(), force: false) }
            held.release()

            let outcome = try RunHistory.rollBack(id, in: state, registry: .standard(), force: false)
            #expect(outcome.undone.isEmpty && outcome.notUndone.isEmpty)
            #expect(outcome.skippedBlocks == ["1. edit"])
            #expect(dir.read("/host/incident") == "noted\n")
        }
    }

    @Test func resolveFindsTheLastRun() throws {
        try withScratch { dir in
            let state = StateDirectory(path: dir.at("/state"))
            #expect(throws: UsageError.self) { _ = try RunHistory.resolve("last", in: state) }
            for id in ["20260101-000000-0000002", "20260101-000000-0000001"] {
                _ = try HandMadeJournal(directory: state, runId: id, root: dir.path)
            }
            #expect(try RunHistory.resolve("last", in: state) == "20260101-000000-0000002")
            #expect(try RunHistory.resolve("20260101-000000-0000001", in: state) == "20260101-000000-0000001")
            #expect(throws: UsageError.self) { _ = try RunHistory.resolve("nope", in: state) }
            #expect(RunHistory.runs(in: state).map(\.id) == ["20260101-000000-0000001", "20260101-000000-0000002"])
        }
    }
}
