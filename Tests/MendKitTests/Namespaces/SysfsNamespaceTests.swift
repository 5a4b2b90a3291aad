import Foundation
import Glibc
import Testing
@testable import MendKit



private let enabled = "/sys/kernel/mm/transparent_hugepage/enabled"

@Suite struct SysfsChoiceTests {
    @Test func theBracketedOptionIsTheChoice() throws {
        let choice = try #require(SysfsChoice("always madvise [never]"))
        #expect(choice.options == ["always", "madvise", "never"] && choice.chosen == "never")
        #expect(choice.rendered(choosing: "always") == "[always] madvise never")
        let defrag = try #require(SysfsChoice("always defer defer+madvise [madvise] never"))
        #expect(defrag.chosen == "madvise" && defrag.options.count == 5)
        #expect(SysfsChoice("[mq-deadline] kyber bfq none")?.chosen == "mq-deadline")
    }

    @Test func otherTextIsNoChoice() {
        for text in ["0-7", "1", "", "[a] [b] c", "always [madvise]\nnever", "[] x", "a [b"] {
            #expect(SysfsChoice(text) == nil, "\(text)")
        }
    }

    @Test func pathsAreUnderSys() throws {
        #expect(try SysfsResource.path("kernel/mm/transparent_hugepage/enabled") == enabled)
        #expect(try SysfsResource.path(enabled) == enabled)
        #expect(try SysfsResource.path("/sys//kernel/./mm/../mm/transparent_hugepage/enabled") == enabled)
        for bad in ["/etc/passwd", "../etc/passwd", "kernel/../../x", "", "/sys", "/system/x"] {
            #expect(throws: MendError.self, "\(bad)") { _ = try SysfsResource.path(bad) }
        }
        #expect(throws: MendError.self) { _ = try SysfsResource.path("/etc/passwd", in: "sysfs.get") }
        do {
            _ = try SysfsResource.path("/etc/passwd", in: "sysfs.get")
        } catch let error as MendError {
            #expect(error.message.hasPrefix("sysfs.get: \"/etc/passwd\" is not under /sys"))
        }
    }
}

@Suite struct SysfsNamespaceTests {
    @Test func readsTheFixtureHosts() throws {
        let expected = ["ubuntu-22.04": "always", "centos-7": "always", "alpine-3.19": "never"]
        for host in FixtureRoot.hosts {
            try FixtureRoot.with(host) { dir in
                let (report, output) = try run("""
                    print(sysfs.choice("kernel/mm/transparent_hugepage/enabled"))
                    print(sysfs.get("/sys/kernel/mm/transparent_hugepage/enabled"))
                    print(sysfs.choice("kernel/mm/transparent_hugepage/defrag"))
                    """, in: dir)
                #expect(report.exitCode == 0, "\(host): \(failure(report) ?? "")")
                let content = try String(contentsOfFile: dir.at(enabled), encoding: .utf8).trimmingCharacters()
                #expect(output.out == "\(expected[host] ?? "?")\n\(content)\nmadvise\n", "\(host)")
            }
        }
    }

    @Test func aRunSetsTheChoiceAndKeepsTheBracketedForm() throws {
        try FixtureRoot.with("ubuntu-22.04") { dir in
            let source = """
                step "THP off" when sysfs.choice("kernel/mm/transparent_hugepage/enabled") != "never" {
                  sysfs.set("kernel/mm/transparent_hugepage/enabled", "never")
                }
                step "read back" {
                  print(sysfs.get("kernel/mm/transparent_hugepage/enabled"), sysfs.choice("kernel/mm/transparent_hugepage/enabled"))
                  print(sysfs.set("kernel/mm/transparent_hugepage/enabled", "never"))
                }
                """
            let (first, output) = try run(source, in: dir)
            #expect(first.exitCode == 0, "\(failure(first) ?? "")")
            #expect(first.steps.map(\.status) == [.changed, .ok])
            #expect(output.out == "always madvise [never] never\nfalse\n")
            #expect(dir.read(enabled) == "always madvise [never]\n")
            let change = try #require(first.steps.first?.changes.first)
            #expect(change.kind == "sysfs" && change.target == enabled)
            #expect(change.before == .string("always") && change.after == .string("never"))

            // The second run finds nothing to do: the step is skipped by its `when`.
            let (second, _) = try run(source, in: dir)
            #expect(second.steps.map(\.status) == [.skipped, .ok])
        }
    }

    @Test func aPlanSeesThePlannedChoiceAndLeavesTheRootAlone() throws {
        try FixtureRoot.with("ubuntu-22.04") { dir in
            let before = FixtureRoot.snapshot(dir.path)
            let (report, output) = try run("""
                step "THP off" {
                  sysfs.set("kernel/mm/transparent_hugepage/enabled", "never")
                  assert sysfs.choice("kernel/mm/transparent_hugepage/enabled") == "never"
                  print(sysfs.get("kernel/mm/transparent_hugepage/enabled"))
                }
                """, in: dir, plan: true)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(report.status == .wouldChange)
            #expect(output.out == "always madvise [never]\n")
            #expect(FixtureRoot.snapshot(dir.path) == before)
        }
    }

    @Test func undoRestoresTheFileExactly() throws {
        try FixtureRoot.with("centos-7") { dir in
            try dir.write("/sys/kernel/mm/transparent_hugepage/khugepaged/defrag", "1\n")
            let before = FixtureRoot.snapshot(dir.path)
            let (report, _) = try run("""
                step "tune" {
                  sysfs.set("kernel/mm/transparent_hugepage/enabled", "madvise")
                  sysfs.set("kernel/mm/transparent_hugepage/defrag", "never")
                  sysfs.set("kernel/mm/transparent_hugepage/khugepaged/defrag", 0)
                  assert sysfs.get("kernel/mm/transparent_hugepage/khugepaged/defrag") == "0"
                }
                step "fails" { fail("on purpose") }
                """, in: dir)
            #expect(report.status == .rolledBack, "\(failure(report) ?? "")")
            #expect(report.steps.first?.status == .rolledBack)
            #expect(FixtureRoot.snapshot(dir.path) == before)
            #expect(dir.read(enabled) == "[always] madvise never\n")
        }
    }

    @Test func aPlainFileIsSetAsText() throws {
        try withScratch { dir in
            try dir.write("/sys/block/sda/queue/read_ahead_kb", "128\n")
            let (report, output) = try run("""
                step "read ahead" {
                  print(sysfs.set("block/sda/queue/read_ahead_kb", 4096))
                  print(sysfs.get("block/sda/queue/read_ahead_kb"))
                  print(sysfs.set("/sys/block/sda/queue/read_ahead_kb", "4096"))
                }
                """, in: dir)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(output.out == "true\n4096\nfalse\n")
            #expect(dir.read("/sys/block/sda/queue/read_ahead_kb") == "4096\n")
            #expect(report.steps.first?.changes.map(\.after) == [.string("4096")])
        }
    }

    @Test func errorsNameTheFileAndTheOptions() throws {
        try FixtureRoot.with("ubuntu-22.04") { dir in
            let cases: [(String, String)] = [
                (#"sysfs.set("kernel/mm/transparent_hugepage/enabled", "nevr")"#,
                 "sysfs.set: \"nevr\" is not an option of \(enabled) (did you mean 'never'?); options: always, madvise, never"),
                (#"sysfs.get("kernel/mm/transparent_hugepage/enabeld")"#,
                 "sysfs.get: /sys/kernel/mm/transparent_hugepage/enabeld does not exist"),
                (#"sysfs.choice("kernel/mm/nothing")"#, "sysfs.choice: /sys/kernel/mm/nothing does not exist"),
                (#"sysfs.get("kernel/mm/transparent_hugepage")"#,
                 "sysfs.get: /sys/kernel/mm/transparent_hugepage is a directory, not a sysfs file"),
                (#"sysfs.set("kernel/mm/transparent_hugepage/enabled", true)"#,
                 "sysfs.set: 'value' must be a string or an int, got bool"),
                (#"sysfs.set("kernel/mm/transparent_hugepage/enabled", "a\nb")"#,
                 "sysfs.set: the value must be one non-empty line, got \"a\\nb\""),
            ]
            for (call, message) in cases {
                let (report, _) = try run("step \"x\" {\n  \(call)\n}\n", in: dir)
                #expect(report.exitCode == 1)
                #expect(failure(report) == message)
            }
            try dir.write("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "2097152\n")
            let (report, _) = try run(#"print(sysfs.choice("kernel/mm/transparent_hugepage/hpage_pmd_size"))"#, in: dir)
            #expect(failure(report) == "sysfs.choice: /sys/kernel/mm/transparent_hugepage/hpage_pmd_size has no bracketed choice"
                + " (it holds \"2097152\"; read it with sysfs.get)")
        }
    }

    /// A C string ends at its first NUL byte: the kernel would be asked for a shorter path.
    @Test func aPathWithANULByteIsAnErrorNamingTheArgument() throws {
        try FixtureRoot.with("ubuntu-22.04") { dir in
            let before = FixtureRoot.snapshot(dir.path)
            let cases = [
                (#"sysfs.get("kernel/mm\u{0}/transparent_hugepage/enabled")"#, #"sysfs.get: 'path' contains a NUL byte (\0 at offset 9)"#),
                (#"sysfs.choice("kernel/mm\u{0}/transparent_hugepage/enabled")"#,
                 #"sysfs.choice: 'path' contains a NUL byte (\0 at offset 9)"#),
                (#"sysfs.set("kernel/mm/transparent_hugepage/enabled\u{0}x", "never")"#,
                 #"sysfs.set: 'path' contains a NUL byte (\0 at offset 38)"#),
            ]
            for (call, message) in cases {
                let (report, _) = try run("step \"x\" {\n  print(\(call))\n}\n", in: dir)
                #expect(report.exitCode == 1)
                #expect(failure(report) == message)
            }
            #expect(FixtureRoot.snapshot(dir.path) == before)
        }
    }

    @Test func theResourceReadsAndWritesStates() throws {
        try FixtureRoot.with("alpine-3.19") { dir in
            let host = MendKit.Host(root: dir.path)
            let resource = SysfsResource()
            #expect(try resource.read(enabled, on: host) == .string("never"))
            try resource.write(enabled, .string("always"), on: host)
            #expect(dir.read(enabled) == "[always] madvise never\n")
            #expect(try resource.read(enabled, on: host) == .string("always"))
            #expect(throws: HostError.self) { try resource.write(enabled, .int(1), on: host) }
            let missing = #expect(throws: HostError.self) { _ = try resource.read("/sys/kernel/none", on: host) }
            #expect(missing?.code == ENOENT && missing?.message == "/sys/kernel/none does not exist")
        }
    }

    @Test func undoWorksFromTheRegistry() {
        #expect(Registry.standard().resources["sysfs"] is SysfsResource)
    }
}
