import Foundation
import Glibc
import Testing
@testable import MendKit

// MARK: helpers (shared with JournalTests and the namespace tests)

/// What a run printed (`print`) and wrote to standard error (`log`, diagnostics).
final class EngineTestOutput: OutputSink {
    var out = ""
    var err = ""
    func standardOutput(_ text: String) { out += text }
    func standardError(_ text: String) { err += text }
}

/// A fresh directory from mkdtemp, by its real path (so `MendKit.Host(root:)` paths match the files
/// the test writes). Removed by ``remove()``; ``withScratch(_:)`` removes it even on failure.
struct ScratchDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/mend-unit-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { $0.baseAddress.map { mkdtemp($0) != nil } ?? false }
        guard made else { throw ScratchError("mkdtemp failed: \(String(cString: strerror(errno)))") }
        let raw = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let real = realpath(raw, nil) else { throw ScratchError("realpath \(raw) failed") }
        defer { free(real) }
        path = String(cString: real)
    }

    /// Removes the directory and everything in it.
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The absolute path of `relative` (a path as a runbook names it under `--root`).
    func at(_ relative: String) -> String {
        path + (relative.hasPrefix("/") ? relative : "/" + relative)
    }

    /// Writes a file (parents created) with an exact mode, whatever the umask.
    func write(_ relative: String, _ text: String, mode: mode_t = 0o644) throws {
        try write(relative, bytes: Array(text.utf8), mode: mode)
    }

    func write(_ relative: String, bytes: [UInt8], mode: mode_t = 0o644) throws {
        let file = at(relative)
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: file, contents: Data(bytes)) else {
            throw ScratchError("cannot write \(file)")
        }
        guard chmod(file, mode) == 0 else { throw ScratchError("cannot chmod \(file)") }
    }

    /// A symbolic link at `relative` pointing at `target` (as given, relative or absolute).
    func link(_ relative: String, to target: String) throws {
        let file = at(relative)
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        guard symlink(target, file) == 0 else { throw ScratchError("cannot link \(file)") }
    }

    /// The text of a file, or nil when there is none.
    func read(_ relative: String) -> String? {
        bytes(relative).map { String(decoding: $0, as: UTF8.self) }
    }

    func bytes(_ relative: String) -> [UInt8]? {
        FileManager.default.contents(atPath: at(relative)).map { Array($0) }
    }

    /// True when anything (a file, a directory, a dangling link) is at `relative`.
    func exists(_ relative: String) -> Bool {
        var s = stat()
        return lstat(at(relative), &s) == 0
    }

    /// lstat of `relative`, or nil when there is nothing.
    func info(_ relative: String) -> stat? {
        var s = stat()
        return lstat(at(relative), &s) == 0 ? s : nil
    }
}

struct ScratchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` with a fresh scratch directory, removed afterwards whatever happens.
func withScratch<T>(_ body: (ScratchDirectory) throws -> T) throws -> T {
    let dir = try ScratchDirectory()
    defer { dir.remove() }
    return try body(dir)
}

/// Runs runbook source through an ``Engine`` over a ``Host`` rooted in a scratch directory.
final class EngineHarness {
    let root: ScratchDirectory
    let output = EngineTestOutput()
    let registry: Registry
    var options = EngineOptions()
    var parameters: [String: String] = [:]
    /// The source file's name: a path inside the root lets relative imports work.
    var fileName = "test.mend"

    init(root: ScratchDirectory, registry: Registry = .standard()) {
        self.root = root
        self.registry = registry
    }

    /// Compiles and runs `source`; compile errors are thrown as ``Diagnostics``.
    func run(_ source: String, plan: Bool = false) throws -> RunReport {
        let interpreter = Interpreter(registry: registry, output: output)
        interpreter.parameters = parameters
        let unit = try interpreter.compile(SourceFile(name: fileName, text: source))
        var options = self.options
        if plan { options.isPlan = true }
        let engine = Engine(interpreter: interpreter, host: MendKit.Host(root: root.path), options: options)
        return try engine.run(unit)
    }
}

extension RunReport {
    /// The step with this name (nil records an issue in the caller's expectations).
    func step(_ name: String) -> StepReport? { steps.first { $0.name == name } }
}

/// A resource the host refuses to write (EACCES), for exit 77 even when the tests run as root.
private struct RefusingResource: Resource {
    var kind: String { "refusing" }
    func read(_ target: String, on host: MendKit.Host) throws -> JSON { .string("old") }
    func write(_ target: String, _ state: JSON, on host: MendKit.Host) throws {
        throw HostError("cannot write \(target): Permission denied", code: EACCES)
    }
}

/// The standard registry plus `demo.deny(key)`, a host change the host refuses.
private func registryWithRefusal() -> Registry {
    let registry = Registry.standard()
    registry.register(resource: RefusingResource())
    registry.register(Builtin(namespace: "demo", name: "deny", params: [Builtin.Param("key")], changesHost: true,
                              doc: "A change the host refuses.") { args in
        let key = try args.string(0)
        try args.context.effects.perform(Change(RefusingResource(), target: key, before: .string("old"), after: .string("new")))
        return .bool(true)
    })
    return registry
}

/// A value kept in a file under the root whose undo the host refuses: writing "old" back fails.
private struct FragileResource: Resource {
    var kind: String { "fragile" }
    func read(_ target: String, on host: MendKit.Host) throws -> JSON {
        guard let bytes = try host.read(host.resolve(target)) else { return .string("old") }
        return .string(String(decoding: bytes, as: UTF8.self))
    }
    func write(_ target: String, _ state: JSON, on host: MendKit.Host) throws {
        guard let text = state.string, text != "old" else { throw HostError("cannot restore \(target)", code: EIO) }
        try host.writeAtomically(host.resolve(target), Array(text.utf8), mode: 0o644, uid: geteuid(), gid: getegid())
    }
}

/// The standard registry plus `demo.fragile(path, value)`, a change whose undo fails.
private func registryWithFragile() -> Registry {
    let registry = Registry.standard()
    registry.register(resource: FragileResource())
    registry.register(Builtin(namespace: "demo", name: "fragile", params: [Builtin.Param("path"), Builtin.Param("value")],
                              changesHost: true, doc: "A change whose undo fails.") { args in
        let path = try args.string(0)
        let before = try args.context.effects.state(of: FragileResource(), path)
        try args.context.effects.perform(Change(FragileResource(), target: path, before: before, after: .string(try args.string(1))))
        return .bool(true)
    })
    return registry
}

// MARK: tests

@Suite struct EngineTests {
    // MARK: statuses

    @Test func okChangedAndSkippedSteps() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            let report = try h.run("""
                step "reads" { let x = file.exists("/a") }
                step "writes" { file.write("/a", "hi\\n") }
                step "again" { file.write("/a", "hi\\n") }
                step "skipped" when false { file.write("/b", "x\\n") }
                """)
            #expect(report.steps.map(\.status) == [.ok, .changed, .ok, .skipped])
            #expect(report.steps.map(\.index) == [1, 2, 3, 4])
            #expect(report.step("skipped")?.skippedReason == "when false")
            #expect(report.step("writes")?.skippedReason == nil)
            #expect(report.status == .changed)
            #expect(report.exitCode == 0)
            #expect(report.runId == nil, "no state directory, no run id")
            #expect(root.read("/a") == "hi\n")
            #expect(!root.exists("/b"))
            let change = try #require(report.step("writes")?.changes.first)
            #expect(change.kind == "file" && change.target == "/a" && change.applied && !change.undone)
            #expect(change.before == .null && change.after == .string("hi\n"))
            #expect(change.note == "created (mode 0644)")
        }
    }

    @Test func detailedExitCodeReportsChanges() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            h.options.detailedExitCode = true
            let changed = try h.run(#"step "w" { file.write("/a", "1\n") }"#)
            #expect(changed.status == .changed && changed.exitCode == 2)
            let unchanged = try h.run(#"step "w" { file.write("/a", "1\n") }"#)
            #expect(unchanged.status == .ok && unchanged.exitCode == 0)
            let planned = try h.run(#"step "w" { file.write("/a", "2\n") }"#, plan: true)
            #expect(planned.status == .wouldChange && planned.exitCode == 2)
            #expect(root.read("/a") == "1\n")
        }
    }

    @Test func aFailedStepRollsBackTheEarlierOnes() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            let report = try h.run("""
                step "one" { file.write("/a", "1\\n") }
                step "two" {
                  file.write("/b", "2\\n")
                  fail("boom")
                }
                step "three" { file.write("/c", "3\\n") }
                print("not reached")
                """)
            #expect(report.steps.map(\.status) == [.rolledBack, .failed])
            #expect(report.status == .rolledBack)
            #expect(report.exitCode == 1)
            #expect(report.rollbackErrors.isEmpty)
            let error = try #require(report.step("two")?.error)
            #expect(error.message == "boom")
            #expect(error.location == "test.mend:4:3")
            #expect(error.rendered.contains("^"))
            #expect(report.steps.allSatisfy { $0.changes.allSatisfy { $0.applied && $0.undone } })
            #expect(!root.exists("/a") && !root.exists("/b") && !root.exists("/c"))
            #expect(!h.output.out.contains("not reached"))
        }
    }

    @Test func noRollbackLeavesTheHostAsTheFailureFoundIt() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            h.options.rollsBack = false
            let report = try h.run("""
                step "one" { file.write("/a", "1\\n") }
                step "two" { fail("boom") }
                """)
            #expect(report.steps.map(\.status) == [.changed, .failed])
            #expect(report.status == .failed && report.exitCode == 1)
            #expect(root.read("/a") == "1\n")
        }
    }

    @Test func aPlanChangesNothingAndSaysWouldChange() throws {
        try withScratch { root in
            try root.write("/etc/app.conf", "old\n")
            let h = EngineHarness(root: root)
            let report = try h.run("""
                step "edit" { file.write("/etc/app.conf", "new\\n") }
                step "same" { file.write("/etc/app.conf", "new\\n") }
                """, plan: true)
            #expect(report.isPlan && report.runId == nil)
            #expect(report.steps.map(\.status) == [.wouldChange, .ok])
            #expect(report.status == .wouldChange && report.exitCode == 0)
            let change = try #require(report.steps[0].changes.first)
            #expect(!change.applied)
            #expect(change.diff == "--- a/etc/app.conf\n+++ b/etc/app.conf\n@@ -1 +1 @@\n-old\n+new\n")
            #expect(root.read("/etc/app.conf") == "old\n")
        }
    }

    @Test func skippedReasonsForStepSelectionAndFrom() throws {
        try withScratch { root in
            let source = """
                print("top")
                step "install go" { file.write("/go", "x\\n") }
                step "install node" { file.write("/node", "x\\n") }
                step "configure" { file.write("/conf", "x\\n") }
                """
            let h = EngineHarness(root: root)
            h.options.selectedSteps = ["install *"]
            h.options.fromStep = 2
            let report = try h.run(source)
            #expect(report.steps.map(\.status) == [.skipped, .changed, .skipped])
            #expect(report.steps[0].skippedReason == "before --from 2")
            #expect(report.steps[2].skippedReason == "not selected by --step")
            #expect(h.output.out == "top\n", "top-level code always runs")
            #expect(!root.exists("/go") && root.exists("/node") && !root.exists("/conf"))
        }
    }

    @Test func stepNamesMatchShellStyleGlobs() {
        #expect(Engine.glob("install *", matches: "install go"))
        #expect(Engine.glob("*", matches: ""))
        #expect(Engine.glob("a?c", matches: "abc"))
        #expect(!Engine.glob("a?c", matches: "ac"))
        #expect(Engine.glob("*go*", matches: "install go now"))
        #expect(!Engine.glob("install", matches: "install go"))
        #expect(Engine.glob("a*b*c", matches: "aXbYbZc"))
    }

    // MARK: dynamic steps

    @Test func dynamicStepsAreNumberedInRunOrder() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            let report = try h.run("""
                fn deploy(name) {
                  step "deploy ${name}" { log("deploying ${name}") }
                }
                step "first" { }
                for i in range(3) {
                  step "loop ${i}" when i != 1 { }
                }
                deploy("api")
                deploy("web")
                """)
            #expect(report.steps.map(\.name) == ["first", "loop 0", "loop 1", "loop 2", "deploy api", "deploy web"])
            #expect(report.steps.map(\.index) == [1, 2, 3, 4, 5, 6])
            #expect(report.steps.map(\.status) == [.ok, .ok, .skipped, .ok, .ok, .ok])
            #expect(report.step("deploy web")?.logs == ["deploying web"])
        }
    }

    @Test func aStepStartedInsideAnotherStepThroughAFunctionIsAnError() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            // Passed as a value, so the compiler cannot see the nesting; the runtime must.
            let report = try h.run("""
                fn inner() { step "inner" { } }
                fn call(f) { f() }
                step "outer" {
                  file.write("/a", "1\\n")
                  call(inner)
                }
                """)
            #expect(report.steps.map(\.name) == ["outer"])
            #expect(report.steps[0].status == .failed)
            #expect(report.steps[0].error?.message.contains(#"step "inner" starts inside another step"#) == true)
            #expect(report.status == .rolledBack && report.exitCode == 1)
            #expect(!root.exists("/a"))
        }
    }

    // MARK: plan overlay

    @Test func aPlanReadsItsOwnPlannedWritesAndRemovals() throws {
        try withScratch { root in
            try root.write("/old", "stale\n")
            let h = EngineHarness(root: root)
            let report = try h.run("""
                step "write" { file.write("/etc/app.conf", "new\\n") }
                step "verify write" {
                  assert file.exists("/etc/app.conf")
                  assert file.read("/etc/app.conf") == "new\\n"
                }
                step "remove" { file.remove("/old") }
                step "verify removal" { assert not file.exists("/old") }
                step "edit again" { file.line("/etc/app.conf", "more") }
                print(file.read("/etc/app.conf"))
                """, plan: true)
            #expect(report.steps.map(\.status) == [.wouldChange, .ok, .wouldChange, .ok, .wouldChange])
            #expect(report.status == .wouldChange)
            #expect(h.output.out == "new\nmore\n\n")
            // The second edit's before is the planned state, not the host's.
            let edit = try #require(report.step("edit again")?.changes.first)
            #expect(edit.before == .string("new\n") && edit.after == .string("new\nmore\n"))
            #expect(report.step("write")?.changes.first?.diff?.hasPrefix("--- /dev/null\n+++ b/etc/app.conf\n") == true)
            #expect(report.step("remove")?.changes.first?.note == "removed")
            // The host is untouched: no file, no directory, the old file still there.
            #expect(!root.exists("/etc"))
            #expect(root.read("/old") == "stale\n")
        }
    }

    @Test func aPlannedAssertThatFailsFailsThePlan() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            let report = try h.run("""
                step "write" { file.write("/a", "1\\n") }
                step "verify" { assert file.read("/a") == "2\\n" } rollback { print("a plan runs no rollback block") }
                """, plan: true)
            #expect(report.steps.map(\.status) == [.wouldChange, .failed])
            #expect(report.status == .failed && report.exitCode == 1, "a plan does not roll back")
            #expect(report.step("verify")?.error?.message.contains(#"left "1\n", right "2\n""#) == true)
            #expect(h.output.out == "")
        }
    }

    @Test func whenSeesThePlannedState() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            let report = try h.run("""
                step "create flag" { file.write("/flag", "on\\n") }
                step "if flag" when file.exists("/flag") { file.write("/other", "x\\n") }
                step "unless flag" when not file.exists("/flag") { file.write("/third", "x\\n") }
                """, plan: true)
            #expect(report.steps.map(\.status) == [.wouldChange, .wouldChange, .skipped])
            #expect(report.step("unless flag")?.skippedReason == "when false")
            #expect(!root.exists("/flag") && !root.exists("/other"))
        }
    }

    // MARK: rollback

    @Test func rollbackGoesNewestFirstWithEachStepsBlockAfterItsChanges() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            // Each block prints which files exist when it runs: its own step's changes are
            // already undone, the earlier steps' not yet.
            let report = try h.run("""
                fn state() { return "a=${file.exists("/a")} b=${file.exists("/b")} c=${file.exists("/c")}" }
                step "one" { file.write("/a", "1\\n") } rollback { print("rb one: ${state()}") }
                step "skipped" when false { } rollback { print("never: a skipped step's body did not start") }
                step "two" { file.write("/b", "2\\n") } rollback { print("rb two: ${state()}") }
                step "three" {
                  file.write("/c", "3\\n")
                  fail("boom")
                } rollback { print("rb three: ${state()}") }
                """)
            #expect(h.output.out == """
                rb three: a=true b=true c=false
                rb two: a=true b=false c=false
                rb one: a=false b=false c=false

                """)
            #expect(report.steps.map(\.status) == [.rolledBack, .skipped, .rolledBack, .failed])
            #expect(report.status == .rolledBack && report.exitCode == 1)
        }
    }

    @Test func changesWithinAStepAreUndoneNewestFirst() throws {
        try withScratch { root in
            try root.write("/x", "0\n")
            let h = EngineHarness(root: root)
            // Undone oldest first, /x would end as "1"; newest first it is "0" again.
            let report = try h.run("""
                step "edit" {
                  file.write("/x", "1\\n")
                  file.write("/x", "2\\n")
                  file.write("/dir/y", "new\\n")
                  fail("stop")
                }
                """)
            #expect(report.steps[0].changes.count == 3)
            #expect(report.steps[0].changes.allSatisfy { $0.undone })
            #expect(root.read("/x") == "0\n")
            #expect(!root.exists("/dir"), "the directory made for the file is removed again")
        }
    }

    @Test func changesInRollbackBlocksAreCompensationAndStay() throws {
        try withScratch { root in
            let state = try ScratchDirectory()
            defer { state.remove() }
            let h = EngineHarness(root: root)
            h.options.stateDirectory = StateDirectory(path: state.path + "/mend")
            let report = try h.run("""
                step "deploy" {
                  file.write("/app", "v2\\n")
                  fail("health check failed")
                } rollback {
                  file.write("/incident", "rolled back\\n")
                }
                """)
            #expect(report.status == .rolledBack)
            #expect(!root.exists("/app"))
            #expect(root.read("/incident") == "rolled back\n")
            let changes = report.steps[0].changes
            #expect(changes.map(\.target) == ["/app", "/incident"])
            #expect(changes.map(\.compensation) == [false, true])
            #expect(changes.map(\.applied) == [true, true])
            #expect(changes.map(\.undone) == [true, false])

            // Journalled as compensation, applied, never undone.
            let runId = try #require(report.runId)
            let records = try Journal.records(at: StateDirectory(path: state.path + "/mend").journalPath(runId))
            let compensation = try #require(records.first { $0["type"] == .string("change") && $0["target"] == .string("/incident") })
            #expect(compensation["compensation"] == .bool(true))
            let seq = try #require(compensation["seq"]?.int)
            #expect(records.contains { $0["type"] == .string("applied") && $0["seq"]?.int == seq })
            #expect(!records.contains { $0["type"] == .string("undone") && $0["seq"]?.int == seq })
            #expect(records.contains { $0["type"] == .string("undone") && $0["seq"]?.int == seq - 1 })
        }
    }

    @Test func aFailingRollbackBlockIsReportedAndTheRestStillRuns() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            let report = try h.run("""
                step "one" { file.write("/a", "1\\n") } rollback { print("rb one") }
                step "two" { file.write("/b", "2\\n") } rollback {
                  fail("the block broke")
                }
                step "three" { fail("boom") }
                """)
            #expect(report.rollbackErrors.count == 1)
            let error = try #require(report.rollbackErrors.first)
            #expect(error.target == #"rollback block of step 2 "two""#)
            #expect(error.message.hasPrefix("the block broke"))
            #expect(error.message.contains("test.mend:3:3"))
            #expect(h.output.out == "rb one\n")
            #expect(!root.exists("/a") && !root.exists("/b"))
            #expect(report.status == .rollbackIncomplete && report.exitCode == 3)
        }
    }

    @Test func aFailedCommandWithoutARollbackBlockCannotBeUndone() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            let marker = root.at("/marker")
            let report = try h.run("""
                step "cmd" {
                  run("touch", "\(marker)")
                  fail("boom")
                }
                """)
            #expect(report.status == .rollbackIncomplete && report.exitCode == 3)
            #expect(report.rollbackErrors.map(\.message) == ["a command cannot be undone, and step 1 has no rollback block"])
            #expect(report.rollbackErrors.first?.target == "touch \(marker)")
            #expect(report.steps[0].changes.first?.undoable == false)
            #expect(root.exists("/marker"))
        }
    }

    @Test func aRollbackBlockCompensatesForCommands() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            let marker = root.at("/marker")
            let report = try h.run("""
                step "cmd" {
                  run("touch", "\(marker)")
                  fail("boom")
                } rollback {
                  run("rm", "\(marker)")
                }
                """)
            #expect(report.rollbackErrors.isEmpty)
            #expect(report.status == .rolledBack && report.exitCode == 1)
            let changes = report.steps[0].changes
            #expect(changes.map(\.kind) == ["run", "run"])
            #expect(changes.map(\.undone) == [true, false])
            #expect(changes.map(\.compensation) == [false, true])
            #expect(!root.exists("/marker"))
        }
    }

    @Test func aFailedUndoIsReportedAndTheRestStillRuns() throws {
        try withScratch { root in
            let h = EngineHarness(root: root, registry: registryWithFragile())
            let report = try h.run("""
                step "one" { file.write("/a", "1\\n") } rollback { print("rb one") }
                step "fragile" { demo.fragile("/f", "new") } rollback { print("rb fragile") }
                step "three" { fail("boom") }
                """)
            #expect(report.rollbackErrors.map(\.target) == ["/f"])
            #expect(report.rollbackErrors.map(\.message) == ["cannot restore /f"])
            #expect(report.step("fragile")?.status == .changed, "not rolled back: its undo failed")
            #expect(report.step("one")?.status == .rolledBack)
            #expect(h.output.out == "rb fragile\nrb one\n")
            #expect(!root.exists("/a"))
            #expect(root.read("/f") == "new")
            #expect(report.status == .rollbackIncomplete && report.exitCode == 3)
        }
    }

    @Test func aTopLevelAssertAfterStepsRollsThemBack() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            let report = try h.run("""
                step "one" { file.write("/a", "1\\n") }
                assert file.read("/a") == "2\\n", "top-level stop"
                step "never" { file.write("/b", "1\\n") }
                """)
            #expect(report.steps.map(\.name) == ["one"])
            #expect(report.steps[0].status == .rolledBack)
            #expect(report.error?.message == #"top-level stop — left "1\n", right "2\n""#)
            #expect(report.error?.location == "test.mend:2:1")
            #expect(report.status == .rolledBack && report.exitCode == 1)
            #expect(!root.exists("/a") && !root.exists("/b"))
        }
    }

    @Test func aTopLevelRuntimeErrorBeforeAnyStepFailsTheRun() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            let report = try h.run("""
                let xs = [1]
                print(xs[3])
                """)
            #expect(report.steps.isEmpty)
            #expect(report.status == .failed && report.exitCode == 1)
            #expect(report.error?.message.contains("index") == true)
        }
    }

    // MARK: try / catch

    @Test func tryCannotCatchAStepsFailure() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            let report = try h.run("""
                fn risky() {
                  step "risky" {
                    file.write("/a", "1\\n")
                    fail("boom")
                  }
                }
                try {
                  risky()
                } catch e {
                  print("caught ${e.message}")
                }
                print("after")
                """)
            #expect(h.output.out == "", "a step's failure ends the run; no catch sees it")
            #expect(report.steps.map(\.status) == [.failed])
            #expect(report.status == .rolledBack && report.exitCode == 1)
            #expect(!root.exists("/a"))
        }
    }

    @Test func tryInsideAStepCatchesAFailedAssert() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            let report = try h.run("""
                step "tolerant" {
                  try {
                    assert 1 == 2, "not equal"
                  } catch e {
                    log("caught ${e.kind}: ${e.message}")
                  }
                  file.write("/a", "1\\n")
                }
                """)
            #expect(report.steps.map(\.status) == [.changed])
            #expect(report.steps[0].logs == ["caught assertion: not equal — left 1, right 2"])
            #expect(report.status == .changed && report.exitCode == 0)
            #expect(root.read("/a") == "1\n")
        }
    }

    @Test func tryInsideAStepCatchesABuiltinFailure() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            let report = try h.run("""
                step "tolerant" {
                  let text = "default"
                  try {
                    text = file.read("/missing")
                  } catch e {
                    print(e.message)
                  }
                }
                """)
            #expect(report.steps.map(\.status) == [.ok])
            #expect(h.output.out == "file.read: /missing does not exist\n")
        }
    }

    // MARK: checks and logs

    @Test func checksLandInTheirStepOrTheRun() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            let report = try h.run("""
                check 1 + 1 == 2, "arithmetic"
                step "audit" {
                  file.write("/a", "1\\n")
                  check file.read("/a") == "2\\n", "content is 2"
                  check true
                }
                check false, "top-level failure"
                """)
            #expect(report.checks.map(\.message) == ["arithmetic", "top-level failure"])
            #expect(report.checks.map(\.ok) == [true, false])
            let checks = try #require(report.step("audit")?.checks)
            #expect(checks.map(\.ok) == [false, true])
            #expect(checks[0].message == #"content is 2 — left "1\n", right "2\n""#)
            #expect(checks[0].location == "test.mend:4:3")
            #expect(checks[1].message == "true")
            #expect(report.allChecks.count == 4)
            // A failed check fails the run but rolls nothing back.
            #expect(report.steps[0].status == .changed)
            #expect(report.status == .failed && report.exitCode == 1)
            #expect(root.read("/a") == "1\n")
            // The report shows failed checks; the interpreter does not print them too.
            #expect(!h.output.err.contains("check failed"))
        }
    }

    @Test func logLinesLandInTheirStep() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            let report = try h.run("""
                log("starting")
                step "one" {
                  log("in one")
                  log("still one")
                }
                step "two" { }
                log("done")
                """)
            #expect(report.logs == ["starting", "done"])
            #expect(report.step("one")?.logs == ["in one", "still one"])
            #expect(report.step("two")?.logs == [])
            #expect(h.output.err.contains("in one\n"), "log lines still go to standard error")
        }
    }

    // MARK: exit codes

    @Test func aFailedRequireRunsNothing() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            let report = try h.run("""
                require 1 == 2, "first requirement"
                require false, "second requirement"
                step "never" { file.write("/a", "1\\n") }
                """)
            #expect(report.status == .preconditionFailed && report.exitCode == 4)
            #expect(report.steps.isEmpty)
            #expect(report.error?.message.hasPrefix("first requirement; second requirement (test.mend:2:1)") == true)
            #expect(!root.exists("/a"))
        }
    }

    @Test func aRefusedChangeExits77() throws {
        try withScratch { root in
            let h = EngineHarness(root: root, registry: registryWithRefusal())
            let report = try h.run("""
                step "one" { file.write("/a", "1\\n") }
                step "refused" { demo.deny("key") }
                """)
            #expect(report.steps.map(\.status) == [.rolledBack, .failed])
            #expect(report.step("refused")?.error?.message == "cannot write key: Permission denied")
            #expect(report.exitCode == 77)
            #expect(!root.exists("/a"), "rollback still done")
        }
    }

    @Test func aBrokenImportIsAnInvalidRunbook() throws {
        try withScratch { root in
            try root.write("/lib.mend", "fn broken( {\n")
            let h = EngineHarness(root: root)
            h.fileName = root.at("/main.mend")
            let report = try h.run("""
                import "./lib.mend" as lib
                step "never" { file.write("/a", "1\\n") }
                """)
            #expect(report.exitCode == 65)
            #expect(report.status == .failed)
            #expect(report.error?.location?.contains("lib.mend") == true)
            #expect(!root.exists("/a"))
        }
    }

    @Test func anUnknownParamTypeIsAUsageError() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            h.parameters = ["count": "many"]
            #expect(throws: UsageError.self) {
                _ = try h.run("""
                    param count = 3
                    step "s" { }
                    """)
            }
        }
    }

    @Test func aHeldLockStopsTheRunBeforeItsFirstStep() throws {
        try withScratch { root in
            let directory = StateDirectory(path: root.at("/state"))
            let held = try directory.lock(runId: "other-run")
            defer { held.release() }
            let h = EngineHarness(root: root)
            h.options.stateDirectory = directory
            do {
                _ = try h.run("""
                    print("before")
                    step "s" { file.write("/a", "1\\n") }
                    """)
                Issue.record("expected LockHeld")
            } catch let error as LockHeld {
                #expect(error.pid == Int(getpid()) && error.runId == "other-run")
            }
            #expect(h.output.out == "before\n", "top-level code before the first step runs")
            #expect(!root.exists("/a"))
            #expect(directory.runIds().isEmpty, "no journal without the lock")
        }
    }

    @Test func aProgramWithoutStepsNeedsNoStateDirectory() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            h.options.stateDirectory = StateDirectory(path: root.at("/state"))
            let report = try h.run(#"print("just a script")"#)
            #expect(report.status == .ok && report.exitCode == 0)
            #expect(h.output.out == "just a script\n")
            #expect(!root.exists("/state"))
        }
    }

    // MARK: confirm

    @Test func aStepWithoutChangesOrInAPlanIsNotHeld() throws {
        try withScratch { root in
            // Were either held, the run would wait the full minute and fail "not confirmed".
            let h = EngineHarness(root: root)
            let applied = try h.run(#"step "noop" confirm 60s { file.exists("/a") }"#)
            #expect(applied.steps.map(\.status) == [.ok])
            #expect(applied.steps.first?.confirm == 60_000_000_000)
            let planned = try h.run(#"step "w" confirm 60s { file.write("/a", "1\n") }"#, plan: true)
            #expect(planned.steps.map(\.status) == [.wouldChange])
        }
    }

    @Test func anUnconfirmedStepFailsAndRollsBack() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            let report = try h.run(#"step "risky" confirm 200ms { file.write("/a", "1\n") }"#)
            #expect(report.steps.map(\.status) == [.failed])
            #expect(report.steps.first?.error?.message == "not confirmed within 200ms")
            #expect(report.status == .rolledBack && report.exitCode == 1)
            #expect(!root.exists("/a"))
        }
    }

    @Test func mendConfirmKeepsTheChanges() throws {
        try withScratch { root in
            let statePath = root.at("/state")
            // Answers as `mend confirm` would, once the step announces itself (gives up after 60 s).
            Thread.detachNewThread {
                let directory = StateDirectory(path: statePath)
                for _ in 0..<1200 {
                    if let pending = directory.pendingConfirmation() {
                        try? directory.confirm(pending)
                        return
                    }
                    usleep(50_000)
                }
            }
            let h = EngineHarness(root: root)
            h.options.stateDirectory = StateDirectory(path: statePath)
            let report = try h.run(#"step "risky" confirm 60s { file.write("/a", "1\n") }"#)
            #expect(report.steps.map(\.status) == [.changed])
            #expect(report.status == .changed)
            #expect(root.read("/a") == "1\n")
            #expect(StateDirectory(path: statePath).pendingConfirmation() == nil)
            #expect(!root.exists("/state/confirm.ok") && !root.exists("/state/confirm.pending"))
        }
    }

    // MARK: secrets

    @Test func secretsAreMaskedEverywhereTheRunShows() throws {
        try withScratch { root in
            let h = EngineHarness(root: root)
            h.parameters = ["token": "s3cr3t-t0ken"]
            let report = try h.run("""
                secret param token = ""
                param region = "eu"
                step "deploy ${token}" {
                  file.write("/etc/app.env", "REGION=${region}\\nTOKEN=${token}\\n")
                  check token == "x", "token is ${token}"
                  print("using ${token}")
                  log("logged ${token}")
                }
                step "fail ${token}" { fail("bad token ${token}") }
                """)
            let secret = "s3cr3t-t0ken"
            let deploy = try #require(report.steps.first)
            #expect(deploy.name == "deploy ••••")
            let change = try #require(deploy.changes.first)
            #expect(change.after == .string("REGION=eu\nTOKEN=••••\n"))
            #expect(change.diff?.contains("+TOKEN=••••") == true)
            #expect(change.diff?.contains(secret) == false)
            #expect(deploy.checks.first?.message == #"token is •••• — left "••••", right "x""#)
            #expect(deploy.logs == ["logged ••••"])
            #expect(h.output.out == "using ••••\n")
            #expect(!h.output.err.contains(secret))
            let failed = try #require(report.steps.last)
            #expect(failed.name == "fail ••••")
            #expect(failed.error?.message == "bad token ••••")
            #expect(failed.error?.rendered.contains(secret) == false)
            #expect(report.params.map(\.0) == ["token", "region"])
            #expect(report.params.map(\.1) == [.string("••••"), .string("eu")])
            // The host gets the real value; rollback removed it again.
            #expect(report.status == .rolledBack)
            #expect(!root.exists("/etc/app.env"))
        }
    }

    @Test func secretsInPlannedChangesAreMasked() throws {
        try withScratch { root in
            try root.write("/etc/app.env", "TOKEN=old\n")
            let h = EngineHarness(root: root)
            h.parameters = ["token": "hunter2-long"]
            let report = try h.run("""
                secret param token = ""
                step "write" { file.write("/etc/app.env", "TOKEN=${token}\\n") }
                """, plan: true)
            let change = try #require(report.steps.first?.changes.first)
            #expect(change.before == .string("TOKEN=old\n"))
            #expect(change.after == .string("TOKEN=••••\n"))
            #expect(change.diff == "--- a/etc/app.env\n+++ b/etc/app.env\n@@ -1 +1 @@\n-TOKEN=old\n+TOKEN=••••\n")
        }
    }

    @Test func aSecretOfSeveralLinesIsMaskedWholeInADiff() throws {
        try withScratch { root in
            try root.write("/etc/key.pem", "old key\n")
            let h = EngineHarness(root: root)
            h.parameters = ["key": "-----BEGIN-----\nMIIBsecretbody\n-----END-----"]
            let report = try h.run("""
                secret param key = ""
                step "write" { file.write("/etc/key.pem", key + "\\n") }
                """, plan: true)
            // Masked after the diff split it, each of its lines would show.
            let change = try #require(report.steps.first?.changes.first)
            #expect(change.diff == "--- a/etc/key.pem\n+++ b/etc/key.pem\n@@ -1 +1 @@\n-old key\n+••••\n")
        }
    }

    @Test func redactorMasksASecretQuotedForAShell() {
        let redactor = Redactor()
        redactor.update(from: [ResolvedParam(name: "token", value: .string("it's"), secret: true)])
        #expect(redactor.redact(#"run echo 'it'\''s': ran"#) == "run echo '••••': ran")
    }

    @Test func redactorLearnsTheSecretsAMaskedFormStandsFor() {
        let redactor = Redactor()
        redactor.learn(from: "/etc/d-alpha/x-beta.conf", shown: "/etc/d-••••/x-••••.conf")
        #expect(redactor.redact("cannot create /etc/d-alpha: File exists; beta") == "cannot create /etc/d-••••: File exists; ••••")
        // Side by side, two secrets are one to learn; a form that does not fit its text teaches nothing.
        let joined = Redactor()
        joined.learn(from: "/srv/onetwo", shown: "/srv/••••••••")
        joined.learn(from: "/srv/x", shown: "/opt/••••")
        #expect(joined.redact("/srv/onetwo /opt/x one") == "/srv/•••• /opt/x one")
    }

    @Test func redactorMasksLongerSecretsFirst() {
        let redactor = Redactor()
        #expect(redactor.isEmpty)
        redactor.update(from: [
            ResolvedParam(name: "short", value: .string("abc"), secret: true),
            ResolvedParam(name: "long", value: .string("abcdef"), secret: true),
            ResolvedParam(name: "empty", value: .string(""), secret: true),
            ResolvedParam(name: "plain", value: .string("visible"), secret: false),
        ])
        #expect(!redactor.isEmpty)
        #expect(redactor.redact("x abcdef y abc z visible") == "x •••• y •••• z visible")
        #expect(redactor.redact(JSON.object([("abc", .array([.string("abcdef"), .int(1)]))]))
                == .object([("••••", .array([.string("••••"), .int(1)]))]))
    }
}
