import Foundation
import Glibc
import Testing
@testable import MendKit

/// Evaluates `source` with reads of the host under `root` (no engine: changes are refused).
private func evaluate(_ source: String, root: ScratchDirectory) throws -> Value {
    let interpreter = Interpreter(output: EngineTestOutput())
    interpreter.effects = ReadOnlyEffects(host: MendKit.Host(root: root.path))
    return try interpreter.evaluate(source)
}

/// The message of the error `source` fails with, or nil when it does not fail.
private func evaluationError(_ source: String, root: ScratchDirectory) -> String? {
    do {
        _ = try evaluate(source, root: root)
        return nil
    } catch let error as MendError {
        return error.message
    } catch {
        return "\(error)"
    }
}


private let managed = "/etc/sysctl.d/90-mend.conf"

@Suite struct SysctlKeyTests {
    @Test func dotsAndSlashesAreInterchangedAsInSysctlD() throws {
        #expect(try SysctlKey("net.core.somaxconn").path == "/proc/sys/net/core/somaxconn")
        #expect(try SysctlKey("net/core/somaxconn").name == "net.core.somaxconn")
        // A dot inside a path component (a VLAN interface) is a slash in the dotted form.
        #expect(try SysctlKey("net/ipv4/conf/eth0.200/forwarding").name == "net.ipv4.conf.eth0/200.forwarding")
        #expect(try SysctlKey("net.ipv4.conf.eth0/200.forwarding").path == "/proc/sys/net/ipv4/conf/eth0.200/forwarding")
        #expect(try SysctlKey("  vm.swappiness \n").name == "vm.swappiness")
        #expect(SysctlKey(components: ["net", "ipv4", "conf", "eth0.200", "forwarding"]).name == "net.ipv4.conf.eth0/200.forwarding")
    }

    @Test func malformedKeysAreRefused() throws {
        for text in ["", "net..core", ".net", "../etc/passwd", "net/../../etc", "vm swappiness", "a=b"] {
            #expect(throws: MendError.self, "\(text)") { try SysctlKey(text) }
        }
        #expect(try SysctlKey("", allowEmpty: true).path == "/proc/sys")
    }

    @Test func valuesAreTypedAndCompareByTheirWords() {
        #expect(SysctlValue.typed("4096\n").literal == "4096")
        #expect(SysctlValue.typed("32768\t60999\n").literal == "[32768, 60999]")
        #expect(SysctlValue.typed("5.15.0-105-generic\n").literal == "\"5.15.0-105-generic\"")
        #expect(SysctlValue.typed("-1").literal == "-1")
        // Beyond 64 bits a number stays text rather than being cut.
        #expect(SysctlValue.typed("18446744073709551615").literal == "\"18446744073709551615\"")
        #expect(SysctlValue.normalized("32768   60999\n") == "32768\t60999")
        #expect(SysctlValue.normalized("|/usr/bin/dump %p %s\n") == "|/usr/bin/dump %p %s")
        let resource = SysctlResource()
        #expect(resource.same(SysctlResource.state("32768 60999"), SysctlResource.state("32768\t60999\n")))
        #expect(!resource.same(SysctlResource.state("1"), SysctlResource.state("10")))
        #expect(resource.reportValue(SysctlResource.state("32768\t60999")) == .array([.int(32768), .int(60999)]))
    }
}

@Suite struct SysctlGetTests {
    @Test("typed values on each fixture host", arguments: FixtureRoot.hosts)
    func typedValues(_ host: String) throws {
        try FixtureRoot.with(host) { root throws in
            #expect(try evaluate(#"sysctl.get("net.core.somaxconn")"#, root: root).literal == "4096")
            #expect(try evaluate(#"sysctl.get("vm.swappiness")"#, root: root).literal == "60")
            #expect(try evaluate(#"sysctl.get("net.ipv4.ip_local_port_range")"#, root: root).literal == "[32768, 60999]")
            #expect(try evaluate(#"sysctl.get("net/ipv4/ip_local_port_range")[1]"#, root: root).literal == "60999")
            #expect(try evaluate(#"sysctl.get("fs.file-max") == 9223372036854775807"#, root: root).literal == "true")
            let hostname = try evaluate(#"sysctl.get("kernel.hostname")"#, root: root)
            guard case .string(let name) = hostname else {
                Issue.record("kernel.hostname is \(hostname.literal), not a string")
                return
            }
            #expect(name.hasPrefix("node-"))
        }
    }

    @Test func anUnknownKeySuggestsTheNearestOne() throws {
        try FixtureRoot.with("ubuntu-22.04") { root throws in
            #expect(evaluationError(#"sysctl.get("net.core.somaxcon")"#, root: root)
                    == "no sysctl key 'net.core.somaxcon' (did you mean net.core.somaxconn?)")
            // A misspelt group: the suggestion keeps the rest of the key.
            #expect(evaluationError(#"sysctl.get("net.cor.somaxconn")"#, root: root)
                    == "no sysctl key 'net.cor.somaxconn' (did you mean net.core.somaxconn?)")
            #expect(evaluationError(#"sysctl.get("vm.swapiness")"#, root: root)
                    == "no sysctl key 'vm.swapiness' (did you mean vm.swappiness?)")
            // Nothing near: no suggestion.
            #expect(evaluationError(#"sysctl.get("net.core.zzzzzzzzzz")"#, root: root) == "no sysctl key 'net.core.zzzzzzzzzz'")
            #expect(evaluationError(#"sysctl.get("net.core")"#, root: root)?.contains("is a group of sysctl keys") == true)
            #expect(evaluationError(#"sysctl.get("net..core")"#, root: root)?.contains("is not a sysctl key") == true)
        }
    }

    @Test func anUnknownKeyIsAnErrorInAStepToo() throws {
        try FixtureRoot.with("ubuntu-22.04") { root throws in
            let (report, _) = try run(#"step "s" { sysctl.set("net.core.somaxcon", 1) }"#, in: root)
            #expect(report.exitCode == 1)
            #expect(failure(report) == "no sysctl key 'net.core.somaxcon' (did you mean net.core.somaxconn?)")
        }
    }
}

/// A key names a file under /proc/sys and a line of /etc/sysctl.d/90-mend.conf: a NUL byte would cut
/// the file name short, a newline would start a second line in the file, and no key holds a control
/// character. Such a key is an error naming the argument, and so is a value with a NUL byte.
@Suite struct SysctlNamesTests {
    @Test func aKeyWithANULByteOrAControlCharacterIsRefused() throws {
        try FixtureRoot.with("ubuntu-22.04") { root throws in
            let before = FixtureRoot.snapshot(root.path)
            let cases = [
                (#"sysctl.get("net.core.somaxconn\u{0}")"#, #"sysctl.get: 'key' contains a NUL byte (\0 at offset 18)"#),
                (#"sysctl.persisted("vm.swappiness\u{1b}[0m")"#,
                 #"sysctl.persisted: 'key' contains a control character (\u{1B} at offset 13)"#),
                (#"sysctl.list("net\u{7f}")"#, #"sysctl.list: 'prefix' contains a control character (\u{7F} at offset 3)"#),
                (#"sysctl.set("vm.swappiness\nkernel.panic", 1, persist: true)"#,
                 #"sysctl.set: 'key' contains a control character (\n at offset 13)"#),
                (#"sysctl.set("net.core.somaxconn", "1024\u{0}8", persist: true)"#,
                 #"sysctl.set: 'value' contains a NUL byte (\0 at offset 4)"#),
            ]
            for (call, message) in cases {
                let (report, _) = try run("step \"s\" { print(\(call)) }", in: root)
                #expect(failure(report) == message)
                #expect(report.exitCode == 1)
            }
            #expect(FixtureRoot.snapshot(root.path) == before)
        }
    }
}

@Suite struct SysctlSetTests {
    @Test("set, keep, verify, and a second run changes nothing", arguments: FixtureRoot.hosts)
    func setIsKeptAndIdempotent(_ host: String) throws {
        try FixtureRoot.with(host) { root throws in
            let source = """
                step "set" {
                  print(sysctl.set("net.core.somaxconn", 65535))
                  print(sysctl.set("net.ipv4.ip_local_port_range", [1024, 65000]))
                }
                step "verify" {
                  assert sysctl.get("net.core.somaxconn") == 65535
                  assert sysctl.get("net.ipv4.ip_local_port_range") == [1024, 65000]
                }
                """
            let (first, out) = try run(source, in: root)
            #expect(first.exitCode == 0 && first.steps.map(\.status) == [.changed, .ok], "\(failure(first) ?? "")")
            #expect(out.out == "true\ntrue\n")
            let live = try #require(first.step("set")?.changes.first)
            #expect(live.kind == "sysctl" && live.target == "net.core.somaxconn")
            #expect(live.before == .int(4096) && live.after == .int(65535))
            #expect(root.read("/proc/sys/net/core/somaxconn") == "65535\n")
            // Written as the kernel prints it: numbers separated by a tab.
            #expect(root.read("/proc/sys/net/ipv4/ip_local_port_range") == "1024\t65000\n")
            let (second, out2) = try run(source, in: root)
            #expect(second.steps.map(\.status) == [.ok, .ok] && second.exitCode == 0)
            #expect(out2.out == "false\nfalse\n")
        }
    }

    @Test("a failed later step undoes the live value exactly", arguments: FixtureRoot.hosts)
    func undoRestoresTheOldValue(_ host: String) throws {
        try FixtureRoot.with(host) { root throws in
            let before = FixtureRoot.snapshot(root.path)
            let (report, _) = try run("""
                step "set" {
                  sysctl.set("net.core.somaxconn", 65535)
                  sysctl.set("vm.swappiness", 1, persist: true)
                  sysctl.set("net.ipv4.ip_local_port_range", "1024 65000")
                }
                step "boom" { fail("later step fails") }
                """, in: root)
            #expect(report.status == .rolledBack && report.exitCode == 1)
            #expect(report.step("set")?.status == .rolledBack)
            #expect(FixtureRoot.snapshot(root.path) == before, "undo left the root different")
        }
    }

    @Test func valuesOfEachType() throws {
        try FixtureRoot.with("ubuntu-22.04") { root throws in
            let (report, _) = try run("""
                step "types" {
                  sysctl.set("net.core.somaxconn", "8192")
                  sysctl.set("fs.file-max", 1MiB)
                  sysctl.set("kernel.hostname", "node b")
                }
                """, in: root)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(root.read("/proc/sys/net/core/somaxconn") == "8192\n")
            #expect(root.read("/proc/sys/fs/file-max") == "1048576\n")
            #expect(root.read("/proc/sys/kernel/hostname") == "node b\n")
            for (value, message) in [("true", "must be an int, a size, a string or a list of them, got bool"),
                                     (#""1\n2""#, "must be one line"),
                                     ("[]", "must be an int, a size, a string or a list of them, got list")] {
                let (bad, _) = try run(#"step "bad" { sysctl.set("vm.swappiness", \#(value)) }"#, in: root)
                #expect(bad.exitCode == 1)
                #expect(failure(bad)?.contains(message) == true, "\(value): \(failure(bad) ?? "no failure")")
            }
            let (flag, _) = try run(#"step "bad" { sysctl.set("vm.swappiness", 1, persist: "yes") }"#, in: root)
            #expect(failure(flag)?.contains("'persist' must be a bool") == true, "\(failure(flag) ?? "")")
            #expect(root.read("/proc/sys/vm/swappiness") == "60\n")
        }
    }

    @Test func aLiveOnlyChangeSaysWhatBootWillSet() throws {
        try FixtureRoot.with("ubuntu-22.04") { root throws in
            let (report, _) = try run(#"step "s" { sysctl.set("vm.swappiness", 1) }"#, in: root, plan: true)
            let change = try #require(report.step("s")?.changes.first)
            #expect(change.note == "not persisted: boot sets 60")
            #expect(change.summary == "sysctl vm.swappiness: 60 → 1 (not persisted: boot sets 60)")
            #expect(report.step("s")?.changes.count == 1)
        }
    }

    @Test func outsideAStepSetIsRefused() throws {
        try FixtureRoot.with("ubuntu-22.04") { root throws in
            #expect(evaluationError(#"sysctl.set("vm.swappiness", 1)"#, root: root)?.contains("changes the host") == true)
        }
    }
}

@Suite struct SysctlPersistTests {
    @Test("persist edits one managed file, and a second set changes nothing", arguments: FixtureRoot.hosts)
    func persistIsIdempotent(_ host: String) throws {
        try FixtureRoot.with(host) { root throws in
            let before = FixtureRoot.snapshot(root.path)
            let source = """
                step "persist" {
                  print(sysctl.set("vm.swappiness", 1, persist: true))
                  print(sysctl.set("net.core.somaxconn", 65535, persist: true))
                }
                step "verify" {
                  assert sysctl.persisted("vm.swappiness") == 1
                  assert sysctl.persisted("net.core.somaxconn") == 65535
                  assert sysctl.get("vm.swappiness") == 1
                }
                """
            let (first, out) = try run(source, in: root)
            #expect(first.exitCode == 0, "\(failure(first) ?? "")")
            #expect(out.out == "true\ntrue\n")
            // The live value and the persisted one are separate changes.
            let changes = try #require(first.step("persist")?.changes)
            #expect(changes.map(\.kind) == ["sysctl", "file", "sysctl", "file"])
            #expect(changes[1].target == managed && changes[1].note?.hasPrefix("vm.swappiness persisted: ") == true)
            #expect(changes[3].note == "net.core.somaxconn persisted: (none) → 65535")
            let text = root.read(managed)
            #expect(text == SysctlFiles.managedHeader + "vm.swappiness = 1\nnet.core.somaxconn = 65535\n")
            let (second, out2) = try run(source, in: root)
            #expect(second.steps.map(\.status) == [.ok, .ok], "\(failure(second) ?? "")")
            #expect(out2.out == "false\nfalse\n")
            #expect(root.read(managed) == text)
            // Only the managed file and the two live values changed: no other file was touched.
            let after = FixtureRoot.snapshot(root.path)
            let changed = Set(after.keys).union(before.keys).filter { after[$0] != before[$0] }
            // (/etc/sysctl.d itself is new where git kept no empty directory for it.)
            #expect(changed.subtracting(["etc/sysctl.d"])
                    == ["etc/sysctl.d/90-mend.conf", "proc/sys/vm/swappiness", "proc/sys/net/core/somaxconn"])
            #expect(!changed.contains("etc/sysctl.d") || before["etc/sysctl.d"] == nil)
        }
    }

    @Test func theKeysLineIsReplacedInPlaceAndNeverDuplicated() throws {
        try FixtureRoot.with("ubuntu-22.04") { root throws in
            try root.write(managed, """
                # local notes
                net/core/somaxconn=1024
                vm.swappiness = 10
                net.core.somaxconn = 2048

                """, mode: 0o640)
            let (report, _) = try run(#"step "s" { sysctl.set("net.core.somaxconn", 65535, persist: true) }"#, in: root)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(root.read(managed) == "# local notes\nnet.core.somaxconn = 65535\nvm.swappiness = 10\n")
            #expect((root.info(managed)?.st_mode ?? 0) & 0o7777 == 0o640, "the file keeps its mode")
            // The same value, however it is spaced, is left alone.
            try root.write(managed, "net.core.somaxconn=65535\n")
            let (again, _) = try run(#"step "s" { sysctl.set("net.core.somaxconn", 65535, persist: true) }"#, in: root)
            #expect(again.steps.map(\.status) == [.ok])
            #expect(root.read(managed) == "net.core.somaxconn=65535\n")
        }
    }

    @Test func persistingOnlyDriftShowsTheFileChangeAlone() throws {
        try FixtureRoot.with("ubuntu-22.04") { root throws in
            // Live already 60, boot sets 60 from /usr/lib/sysctl.d: persisting 60 still writes the managed file.
            let (report, _) = try run(#"step "s" { sysctl.set("net.core.somaxconn", 4096, persist: true) }"#, in: root, plan: true)
            let changes = try #require(report.step("s")?.changes)
            #expect(changes.map(\.kind) == ["file"])
            #expect(changes.first?.note == "net.core.somaxconn persisted: (none) → 4096")
        }
    }

    @Test func aLaterFileThatOverridesTheKeyFailsTheSetAndNamesIt() throws {
        try FixtureRoot.with("ubuntu-22.04") { root throws in
            // /etc/sysctl.d/99-sysctl.conf is a link to /etc/sysctl.conf, applied after 90-mend.conf.
            let conf = (root.read("/etc/sysctl.conf") ?? "") + "vm.swappiness = 10\n"
            try root.write("/etc/sysctl.conf", conf)
            let line = conf.split(separator: "\n", omittingEmptySubsequences: false).count - 1
            let before = FixtureRoot.snapshot(root.path)
            let (report, _) = try run(#"step "s" { sysctl.set("vm.swappiness", 1, persist: true) }"#, in: root)
            #expect(report.exitCode == 1)
            let message = try #require(failure(report))
            #expect(message.contains("/etc/sysctl.d/99-sysctl.conf:\(line) (a link to /etc/sysctl.conf) sets vm.swappiness = 10"),
                    "\(message)")
            #expect(FixtureRoot.snapshot(root.path) == before, "a refused persist changes nothing")
            // Setting the value the later file sets anyway is fine: boot applies it.
            let (same, _) = try run(#"step "s" { sysctl.set("vm.swappiness", 10, persist: true) }"#, in: root)
            #expect(same.exitCode == 0, "\(failure(same) ?? "")")
        }
    }

    @Test func aPlanSeesItsOwnPersistedEditAndTouchesNothing() throws {
        try FixtureRoot.with("alpine-3.19") { root throws in
            let before = FixtureRoot.snapshot(root.path)
            let (report, out) = try run("""
                step "persist" { sysctl.set("vm.swappiness", 1, persist: true) }
                step "verify" {
                  assert sysctl.get("vm.swappiness") == 1
                  assert sysctl.persisted("vm.swappiness") == 1
                  print(file.read("/etc/sysctl.d/90-mend.conf"))
                }
                """, in: root, plan: true)
            #expect(report.steps.map(\.status) == [.wouldChange, .ok], "\(failure(report) ?? "")")
            #expect(out.out == SysctlFiles.managedHeader + "vm.swappiness = 1\n\n")
            #expect(FixtureRoot.snapshot(root.path) == before)
        }
    }
}

@Suite struct SysctlPersistedTests {
    @Test func fixtureHostsBootValues() throws {
        try FixtureRoot.with("ubuntu-22.04") { root throws in
            #expect(try evaluate(#"sysctl.persisted("vm.swappiness")"#, root: root).literal == "60")
            #expect(try evaluate(#"sysctl.persisted("kernel.printk")"#, root: root).literal == "[4, 4, 1, 7]")
            // Commented out in /etc/sysctl.conf: not set at boot.
            #expect(try evaluate(#"sysctl.persisted("net.ipv4.ip_forward")"#, root: root).literal == "nil")
        }
        try FixtureRoot.with("centos-7") { root throws in
            #expect(try evaluate(#"sysctl.persisted("kernel.sysrq")"#, root: root).literal == "16")
        }
        try FixtureRoot.with("alpine-3.19") { root throws in
            #expect(try evaluate(#"sysctl.persisted("vm.swappiness")"#, root: root).literal == "60")
            #expect(try evaluate(#"sysctl.persisted("net/ipv4/ip_forward")"#, root: root).literal == "0")
        }
    }

    @Test func systemdOrderMaskingAndSysctlConfLast() throws {
        try withScratch { root throws in
            // Masking: the /etc file of a name hides /usr/lib's, a /dev/null link hides /run's.
            try root.write("/usr/lib/sysctl.d/50-default.conf", "a.masked = 1\nb.order = 1\n")
            try root.write("/etc/sysctl.d/50-default.conf", "; the admin's copy\nb.order = 2\n")
            try root.write("/run/sysctl.d/60-runtime.conf", "c.devnull = 3\n")
            try root.link("/etc/sysctl.d/60-runtime.conf", to: "/dev/null")
            try root.write("/lib/sysctl.d/60-runtime.conf", "c.devnull = 4\n")
            // Lexical order of names across directories: 70 (/lib) after 50 (/etc), 80 (/usr/local/lib) after 70.
            try root.write("/lib/sysctl.d/70-lib.conf", "b.order = 7\nd.mixed=1\n")
            try root.write("/usr/local/lib/sysctl.d/80-local.conf", "  -d/mixed   =   8 9  \n# d.mixed = 10\n")
            // /etc/sysctl.conf last of all, after a name sorting after "99".
            try root.write("/etc/sysctl.d/zz-last.conf", "e.last = 1\n")
            try root.write("/etc/sysctl.conf", "e.last = 2\n")
            // Globs set the keys no file names; -key exempts a key.
            try root.write("/usr/lib/sysctl.d/40-globs.conf", """
                net.ipv4.conf.*.rp_filter = 2
                net.ipv4.conf.lo.rp_filter = 0
                -net.ipv4.conf.eth1.rp_filter
                not an assignment
                """)
            // Files without .conf, hidden ones and directories are not read.
            try root.write("/etc/sysctl.d/README", "f.ignored = 1\n")
            try root.write("/etc/sysctl.d/.hidden.conf", "f.ignored = 2\n")
            try root.write("/etc/sysctl.d/dir.conf/x", "f.ignored = 3\n")
            let cases = [("a.masked", "nil"), ("b.order", "7"), ("c.devnull", "nil"), ("d.mixed", "[8, 9]"),
                         ("e.last", "2"), ("f.ignored", "nil"), ("net.ipv4.conf.eth0.rp_filter", "2"),
                         ("net.ipv4.conf.lo.rp_filter", "0"), ("net.ipv4.conf.eth1.rp_filter", "nil")]
            for (key, expected) in cases {
                #expect(try evaluate(#"sysctl.persisted("\#(key)")"#, root: root).literal == expected, "\(key)")
            }
            let files = try SysctlFiles.bootFiles(ReadOnlyEffects(host: MendKit.Host(root: root.path))).map(\.path)
            #expect(files == ["/usr/lib/sysctl.d/40-globs.conf", "/etc/sysctl.d/50-default.conf", "/etc/sysctl.d/60-runtime.conf",
                              "/lib/sysctl.d/70-lib.conf", "/usr/local/lib/sysctl.d/80-local.conf", "/etc/sysctl.d/zz-last.conf",
                              "/etc/sysctl.conf"])
        }
    }

    @Test func theWinningLineIsTheLastThatChangesTheValue() throws {
        try withScratch { root throws in
            try root.write("/etc/sysctl.d/10-a.conf", "vm.swappiness = 5\n")
            try root.write("/etc/sysctl.d/20-b.conf", "\nvm.swappiness = 5\n")
            try root.write("/etc/sysctl.d/30-c.conf", "vm.swappiness = 7\n")
            let effects = ReadOnlyEffects(host: MendKit.Host(root: root.path))
            let winner = try #require(try SysctlFiles.bootAssignment(for: SysctlKey("vm.swappiness"), effects))
            #expect(winner.location == "/etc/sysctl.d/30-c.conf:1" && winner.value == "7")
            try root.write("/etc/sysctl.d/30-c.conf", "vm.swappiness = 5\n")
            // Setting the same value again keeps the first assignment, as systemd-sysctl does.
            #expect(try SysctlFiles.bootAssignment(for: SysctlKey("vm.swappiness"), effects)?.location == "/etc/sysctl.d/10-a.conf:1")
        }
    }

    @Test func persistedWorksForKeysTheKernelDoesNotHave() throws {
        try withScratch { root throws in
            try root.write("/etc/sysctl.d/bridge.conf", "net.bridge.bridge-nf-call-iptables = 0\n")
            #expect(try evaluate(#"sysctl.persisted("net.bridge.bridge-nf-call-iptables")"#, root: root).literal == "0")
            #expect(try evaluate(#"sysctl.persisted("vm.swappiness")"#, root: root).literal == "nil")
        }
    }
}

@Suite struct SysctlListTests {
    @Test func listMapsEveryReadableKeyUnderAPrefix() throws {
        try FixtureRoot.with("ubuntu-22.04") { root throws in
            #expect(try evaluate(#"sysctl.list("net")"#, root: root).literal
                    == #"{"net.core.somaxconn": 4096, "net.ipv4.ip_local_port_range": [32768, 60999], "net.ipv4.tcp_max_syn_backlog": 1024}"#)
            #expect(try evaluate(#"sysctl.list("vm.swappiness")"#, root: root).literal == #"{"vm.swappiness": 60}"#)
            #expect(try evaluate(#"keys(sysctl.list())"#, root: root).literal == """
                ["fs.file-max", "kernel.hostname", "kernel.osrelease", "net.core.somaxconn", \
                "net.ipv4.ip_local_port_range", "net.ipv4.tcp_max_syn_backlog", "vm.swappiness"]
                """)
            // An entry that cannot be read is left out.
            try root.link("/proc/sys/net/core/broken", to: "/nowhere")
            #expect(try evaluate(#"keys(sysctl.list("net.core"))"#, root: root).literal == #"["net.core.somaxconn"]"#)
            #expect(evaluationError(#"sysctl.list("net.cor")"#, root: root) == "no sysctl key 'net.cor' (did you mean net.core?)")
            // A write-only entry (mode 0200, like vm.drop_caches) is no value, even to root.
            try root.write("/proc/sys/vm/drop_caches", "", mode: 0o200)
            #expect(try evaluate(#"keys(sysctl.list("vm"))"#, root: root).literal == #"["vm.swappiness"]"#)
            #expect(evaluationError(#"sysctl.get("vm.drop_caches")"#, root: root)?.contains("vm.drop_caches is write-only") == true)
        }
    }

    @Test func aPlanListsItsPlannedValues() throws {
        try FixtureRoot.with("centos-7") { root throws in
            let (report, out) = try run("""
                step "s" { sysctl.set("net.core.somaxconn", 65535) }
                print(sysctl.list("net.core"))
                """, in: root, plan: true)
            #expect(report.exitCode == 0)
            #expect(out.out == "{\"net.core.somaxconn\": 65535}\n")
        }
    }

    @Test func writeOnlyKeysOfTheLiveKernelAreLeftOut() throws {
        // Reading /proc/sys changes nothing; vm.drop_caches is write-only (mode 0200) on every kernel.
        let interpreter = Interpreter(output: EngineTestOutput())
        let value = try interpreter.evaluate(#"sysctl.list("vm")"#)
        guard case .map(let map) = value else {
            Issue.record("sysctl.list returned \(value.literal)")
            return
        }
        #expect(map["vm.swappiness"] != nil)
        #expect(map["vm.drop_caches"] == nil)
    }
}
