import Foundation
import Testing
@testable import MendKit

@Suite struct ServiceNameTests {
    @Test func systemdNamesGetTheirSuffix() throws {
        #expect(try ServiceName.canonical("node", for: "systemd", in: "t") == "node.service")
        #expect(try ServiceName.canonical("app@node1", for: "systemd", in: "t") == "app@node1.service")
        #expect(try ServiceName.canonical("app@.service", for: "systemd", in: "t") == "app@.service")
        #expect(try ServiceName.canonical("sshd.socket", for: "systemd", in: "t") == "sshd.socket")
        #expect(try ServiceName.canonical("node.js", for: "systemd", in: "t") == "node.js.service")
    }

    @Test func initScriptNamesDropTheSuffix() throws {
        #expect(try ServiceName.canonical("sshd.service", for: "openrc", in: "t") == "sshd")
        #expect(try ServiceName.canonical("crond", for: "sysv", in: "t") == "crond")
        #expect(throws: MendError.self) { try ServiceName.canonical("app@node1", for: "openrc", in: "t") }
    }

    @Test("names another file or argument are refused", arguments: ["", "../x", "a/b", "-x", ".hidden", "a b", "a\nb", "é"])
    func refused(_ name: String) {
        #expect(throws: MendError.self) { try ServiceName.canonical(name, for: "systemd", in: "t") }
    }

    @Test func templatesAndInstances() {
        #expect(ServiceName.template(of: "app@node1.service") == "app@.service")
        #expect(ServiceName.template(of: "app@.service") == nil)
        #expect(ServiceName.template(of: "ssh.service") == nil)
        #expect(ServiceName.isTemplate("app@.service"))
        #expect(!ServiceName.isTemplate("app@node1.service"))
    }

    @Test func aMisspeltTemplateSuggestsTheSameInstanceOfTheRightOne() {
        let known = ["app@.service", "ssh.service"]
        #expect(ServiceName.suggestion(for: "ap@node1.service", among: known) == "app@node1.service")
        #expect(ServiceName.suggestion(for: "shh.service", among: known) == "ssh.service")
        #expect(ServiceName.suggestion(for: "zzzzzz.service", among: known) == nil)
    }
}

@Suite struct ServiceManagerParsingTests {
    @Test func showOutputIsKeyValueLines() {
        let p = SystemdManager.parseShow("ActiveState=active\nExecStart={ path=/bin/x ; argv[]=/bin/x a=b }\nMainPID=42\n")
        #expect(p["ActiveState"] == "active")
        #expect(p["MainPID"] == "42")
        #expect(p["ExecStart"] == "{ path=/bin/x ; argv[]=/bin/x a=b }")
    }

    @Test func exitCodesAreNamed() {
        #expect(SystemdManager.exitCodeName("1") == "exited")
        #expect(SystemdManager.exitCodeName("2") == "killed")
        #expect(SystemdManager.exitCodeName("0") == nil)
    }

    @Test func openrcStatusCodes() {
        #expect(OpenRCManager.state(forStatus: 0).state == "active")
        #expect(OpenRCManager.state(forStatus: 3).state == "inactive")
        #expect(OpenRCManager.state(forStatus: 32) == ("failed", "crashed"))
        #expect(OpenRCManager.state(forStatus: 8).state == "activating")
    }

    @Test func lsbStatusCodes() {
        #expect(SysVManager.state(forStatus: 0).state == "active")
        #expect(SysVManager.state(forStatus: 1).state == "failed")
        #expect(SysVManager.state(forStatus: 3).state == "inactive")
        #expect(SysVManager.state(forStatus: 4).sub == "unknown")
    }

    @Test func runtimeStatesCompareByWhetherTheServiceRuns() {
        let r = ServiceRuntimeResource()
        func s(_ word: String, _ action: String? = nil) -> JSON {
            .object([("state", .string(word))] + (action.map { [("action", JSON.string($0))] } ?? []))
        }
        #expect(r.same(s("active"), s("activating")))
        #expect(!r.same(s("active"), s("inactive")))
        #expect(!r.same(s("failed"), s("inactive")), "reset_failed is a change")
        #expect(!r.same(s("active"), s("active", "restart")), "a restart is a change")
        #expect(r.reportValue(s("active", "restart")) == .string("restart"))
        #expect(r.reportValue(.object([("unknown", .string("offline"))])) == .string("unknown"))
    }
}

/// The namespace under --root on the fixture hosts: unit files, enablement and runlevel links
/// change offline; runtime state is unknown and runtime changes are planned but refused.
@Suite struct ServiceOfflineTests {
    static let unit = #""[Unit]\nDescription=node\n\n[Service]\nExecStart=/usr/local/bin/node\n\n[Install]\nWantedBy=multi-user.target\n""#
    static let script = ##""#!/sbin/openrc-run\ncommand=/usr/local/bin/node\n""##

    @Test("the manager is read from the image", arguments: [("ubuntu-22.04", "systemd"), ("centos-7", "systemd"), ("alpine-3.19", "openrc")])
    func manager(_ host: String, _ expected: String) throws {
        try FixtureRoot.with(host) { dir in
            let interpreter = Interpreter()
            interpreter.effects = ReadOnlyEffects(host: MendKit.Host(root: dir.path))
            let manager = try interpreter.evaluate("service.manager()")
            #expect(manager.literal == "\"\(expected)\"")
        }
    }

    @Test func statusUnderARootKnowsFilesButNotRuntime() throws {
        try FixtureRoot.with("ubuntu-22.04") { dir in
            let interpreter = Interpreter()
            interpreter.effects = ReadOnlyEffects(host: MendKit.Host(root: dir.path))
            let ssh = try interpreter.evaluate(#"let s = service.status("ssh"); [s.exists, s.load, s.enabled, s.state, s.active, s.unit_file]"#)
            #expect(ssh.literal == #"[true, "loaded", "enabled", "unknown", nil, "/lib/systemd/system/ssh.service"]"#)
            let tty = try interpreter.evaluate(#"let t = service.status("getty@tty1"); [t.exists, t.enabled]"#)
            #expect(tty.literal == #"[true, "enabled"]"#)
            #expect(try interpreter.evaluate(#"service.status("journald-x").exists"#).literal == "false")
            #expect(try interpreter.evaluate(#"service.instances("getty@")"#).literal == #"["getty@tty1.service"]"#)
        }
    }

    @Test("a plan of installing and enabling the node service touches nothing", arguments: FixtureRoot.hosts)
    func planTouchesNothing(_ host: String) throws {
        try FixtureRoot.with(host) { dir in
            let before = FixtureRoot.snapshot(dir.path)
            let (report, _) = try run(Self.nodeRunbook(now: true), in: dir, plan: true)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            let changes = report.steps.flatMap(\.changes)
            #expect(changes.map(\.kind) == ["service.unit", "service.enablement", "service"])
            #expect(changes.first { $0.kind == "service.enablement" }.map { "\($0.before.text) → \($0.after.text)" } == #""disabled" → "enabled""#)
            #expect(changes.last?.before == .string("unknown"))
            #expect(changes.last?.note == "runtime state is not known offline")
            #expect(FixtureRoot.snapshot(dir.path) == before)
        }
    }

    @Test("a run writes the files and links, refuses runtime changes, and rolls back exactly", arguments: FixtureRoot.hosts)
    func runUnderRoot(_ host: String) throws {
        try FixtureRoot.with(host) { dir in
            let before = FixtureRoot.snapshot(dir.path)
            let (done, _) = try run(Self.nodeRunbook(now: false), in: dir)
            #expect(done.exitCode == 0, "\(failure(done) ?? "")")
            if host == "alpine-3.19" {
                #expect(try MendKit.Host.local.linkTarget(dir.path + "/etc/runlevels/default/node") == "/etc/init.d/node")
                #expect(FileManager.default.isExecutableFile(atPath: dir.path + "/etc/init.d/node"))
            } else {
                let link = dir.path + "/etc/systemd/system/multi-user.target.wants/node.service"
                #expect(try MendKit.Host.local.linkTarget(link) == "/etc/systemd/system/node.service")
            }
            let (refused, _) = try run(Self.nodeRunbook(now: true, name: "node2"), in: dir)
            #expect(refused.exitCode == 1)
            #expect(failure(refused)?.contains("under --root: runtime state is not known offline") == true, "\(failure(refused) ?? "")")
            #expect(refused.steps.first?.changes.allSatisfy(\.undone) == true)
            // Disabling and removing it leaves the root byte for byte as it was.
            let (removed, _) = try run("step \"r\" { service.disable(\"node\")\n service.remove_unit(\"node\") }", in: dir)
            #expect(removed.exitCode == 0, "\(failure(removed) ?? "")")
            #expect(FixtureRoot.snapshot(dir.path) == before)
        }
    }

    @Test func enableRefusesMaskedAndStaticUnits() throws {
        try FixtureRoot.with("ubuntu-22.04") { dir in
            let (staticUnit, _) = try run(#"step "s" { service.enable("systemd-journald") }"#, in: dir)
            #expect(failure(staticUnit)?.contains("is static: it has no [Install] section") == true, "\(failure(staticUnit) ?? "")")
            let (unknown, _) = try run(#"step "s" { service.enable("shh") }"#, in: dir)
            #expect(failure(unknown) == "service.enable: no unit 'shh.service' (did you mean ssh.service?)")
            let (template, _) = try run(#"step "s" { service.start("getty@.service") }"#, in: dir, plan: true)
            #expect(failure(template)?.contains("is a template: name an instance") == true)
        }
    }

    @Test func anAliasNamesTheUnitItPointsTo() throws {
        try FixtureRoot.with("ubuntu-22.04") { dir in
            let before = FixtureRoot.snapshot(dir.path)
            let interpreter = Interpreter()
            interpreter.effects = ReadOnlyEffects(host: MendKit.Host(root: dir.path))
            #expect(try interpreter.evaluate(#"service.status("sshd").name"#).literal == #""ssh.service""#)
            let (remove, _) = try run(#"step "r" { service.remove_unit("sshd") }"#, in: dir)
            #expect(failure(remove)?.contains("comes from /lib/systemd/system/ssh.service") == true, "\(failure(remove) ?? "")")
            #expect(FixtureRoot.snapshot(dir.path) == before)
        }
    }

    @Test func templatesAreNotEnabledOrDisabledWhole() throws {
        try FixtureRoot.with("ubuntu-22.04") { dir in
            let (disable, _) = try run(#"step "d" { service.disable("getty@.service") }"#, in: dir)
            #expect(failure(disable)?.contains("is a template: name an instance") == true, "\(failure(disable) ?? "")")
            let (planned, _) = try run("""
                step "s" {
                  service.install_unit("app@.service", "[Service]\\nExecStart=/bin/app %i\\n")
                  print(service.status("app@a").exists)
                  service.enable("app@a")
                }
                """, in: dir, plan: true)
            #expect(failure(planned)?.contains("is static: it has no [Install] section") == true, "\(failure(planned) ?? "")")
        }
    }

    @Test func unmaskIsUndoneAndMatchesWhateverTheFilesSay() throws {
        try FixtureRoot.with("ubuntu-22.04") { dir in
            let (masked, _) = try run(#"step "m" { service.mask("journald-gone") }"#, in: dir)
            #expect(masked.exitCode == 0, "\(failure(masked) ?? "")")
            try Self.expectUndoneExactly("""
                  assert service.unmask("journald-gone")
                  assert service.status("journald-gone").enabled != "masked"
                """, in: dir)
        }
    }

    @Test func maskIsSystemdsAndUndone() throws {
        try FixtureRoot.with("ubuntu-22.04") { dir in
            try Self.expectUndoneExactly("""
                  assert service.mask("ssh")
                  assert service.status("ssh").enabled == "masked"
                """, in: dir)
        }
        try FixtureRoot.with("alpine-3.19") { dir in
            let (report, _) = try run(#"step "m" { service.mask("sshd") }"#, in: dir)
            #expect(failure(report)?.contains("openrc cannot mask a service") == true)
        }
    }

    /// A mask is a link to /dev/null where a unit file would be: the unit exists (masked), is
    /// never written through, and takes no new file until it is unmasked — in the plan as in the run.
    @Test func aMaskedUnitExistsAndTakesNoFileUntilUnmasked() throws {
        try FixtureRoot.with("ubuntu-22.04") { dir in
            let (masked, _) = try run("step \"m\" {\n service.mask(\"ssh\")\n service.mask(\"ghost\")\n}", in: dir)
            #expect(masked.exitCode == 0, "\(failure(masked) ?? "")")
            let before = FixtureRoot.snapshot(dir.path)
            let interpreter = Interpreter()
            interpreter.effects = ReadOnlyEffects(host: MendKit.Host(root: dir.path))
            for name in ["ssh", "ghost"] {
                let status = try interpreter.evaluate(#"let s = service.status("\#(name)"); [s.exists, s.load, s.enabled]"#)
                #expect(status.literal == #"[true, "masked", "masked"]"#, "\(name)")
            }
            for plan in [true, false] {
                let (enable, _) = try run(#"step "e" { service.enable("ssh") }"#, in: dir, plan: plan)
                #expect(failure(enable) == "service.enable: ssh.service is masked: unmask it first (service.unmask)")
                let (install, _) = try run(#"step "i" { service.install_unit("ghost", "[Service]\nExecStart=/bin/true\n") }"#, in: dir, plan: plan)
                #expect(failure(install)?.hasPrefix("service.install_unit: ghost.service is masked") == true, "\(failure(install) ?? "")")
                let (remove, _) = try run(#"step "r" { service.remove_unit("ghost") }"#, in: dir, plan: plan)
                #expect(failure(remove)?.hasPrefix("service.remove_unit: ghost.service is masked: unmask it first") == true)
            }
            #expect(FixtureRoot.snapshot(dir.path) == before)
            #expect(try MendKit.Host.local.linkTarget(dir.path + "/dev/null") == nil, "nothing was written through the mask")
            // Unmasked first, the same unit takes a file: planned, then made.
            let replace = """
                step "i" {
                  service.unmask("ghost")
                  service.install_unit("ghost", "[Service]\\nExecStart=/bin/true\\n")
                  let s = service.status("ghost")
                  print("${s.load} ${s.enabled} ${s.planned}")
                }
                """
            let (plan, planOutput) = try run(replace, in: dir, plan: true)
            #expect(plan.exitCode == 0, "\(failure(plan) ?? "")")
            #expect(planOutput.out == "loaded unmasked true\n")
            #expect(FixtureRoot.snapshot(dir.path) == before)
            let (made, _) = try run(replace, in: dir)
            #expect(made.exitCode == 0, "\(failure(made) ?? "")")
            #expect(FileManager.default.contents(atPath: dir.path + "/etc/systemd/system/ghost.service") == Data("[Service]\nExecStart=/bin/true\n".utf8))
        }
    }

    @Test func removingATemplateDisablesItsInstancesAndUndoEnablesThemAgain() throws {
        try FixtureRoot.with("ubuntu-22.04") { dir in
            let (installed, _) = try run("""
                step "i" {
                  service.install_unit("app@.service", \(Self.unit.replacingOccurrences(of: "%", with: "")))
                  service.enable("app@a")
                  service.enable("app@b")
                }
                """, in: dir)
            #expect(installed.exitCode == 0, "\(failure(installed) ?? "")")
            let wants = dir.path + "/etc/systemd/system/multi-user.target.wants"
            let before = FixtureRoot.snapshot(dir.path)
            let (undone, _) = try run("step \"r\" {\n service.remove_unit(\"app@.service\")\n fail(\"undo\")\n}", in: dir)
            #expect(failure(undone) == "undo")
            #expect(undone.steps.first?.changes.map(\.kind) == ["service.enablement", "service.enablement", "service.unit"])
            #expect(FixtureRoot.snapshot(dir.path) == before)
            let (removed, _) = try run(#"step "r" { service.remove_unit("app@.service") }"#, in: dir)
            #expect(removed.exitCode == 0, "\(failure(removed) ?? "")")
            #expect(try MendKit.Host.local.linkTarget(wants + "/app@a.service") == nil)
            #expect(try MendKit.Host.local.linkTarget(wants + "/app@b.service") == nil)
        }
    }

    /// A plan answers a wait from the plan: a planned start may end in any state (a oneshot exits,
    /// an instance crashes), so it returns at once marked planned; a planned stop rules out running.
    @Test func aWaitInAPlanAnswersFromThePlanWithoutWaiting() throws {
        try FixtureRoot.with("ubuntu-22.04") { dir in
            let (started, output) = try run("""
                step "s" {
                  for state in ["running", "active", "inactive", "failed"] {
                    service.start("ssh")
                    let s = service.wait("ssh", state, timeout: 1h)
                    print("${state}: ${s.state} ${s.planned} ${s.main_pid} ${s.result} then ${service.status("ssh").state}")
                  }
                  # The plan goes on from the state waited for: the failed service is reset.
                  assert service.reset_failed("ssh")
                }
                """, in: dir, plan: true)
            #expect(started.exitCode == 0, "\(failure(started) ?? "")")
            #expect(output.out == """
                running: active true nil nil then active
                active: active true nil nil then active
                inactive: inactive true nil nil then inactive
                failed: failed true nil nil then failed

                """)
            let (stopped, _) = try run("step \"s\" {\n service.stop(\"ssh\")\n service.wait(\"ssh\", \"running\", timeout: 1h)\n}", in: dir, plan: true)
            #expect(failure(stopped) == "service.wait: ssh.service is not running in the plan: state inactive, sub dead")
            let interpreter = Interpreter()
            interpreter.effects = ReadOnlyEffects(host: MendKit.Host(root: dir.path))
            #expect(try interpreter.evaluate(#"service.status("ssh").planned"#).literal == "false")
        }
    }

    @Test func openrcDisableAndUndoRestoresTheRunlevels() throws {
        try FixtureRoot.with("alpine-3.19") { dir in
            try Self.expectUndoneExactly("""
                  assert service.disable("sshd")
                  assert service.status("sshd").enabled == "disabled"
                """, in: dir)
        }
    }

    @Test func sysvLinksComeFromTheLSBHeaderOfflineAndAreRestoredExactly() throws {
        try withScratch { dir in
            let root = dir.path
            try FileManager.default.createDirectory(atPath: root + "/etc/init.d", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: root + "/sbin", withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: root + "/sbin/init", contents: Data()))
            let before = FixtureRoot.snapshot(root)
            let script = ##""#!/bin/sh\n### BEGIN INIT INFO\n# Provides: node\n# Default-Start: 2 3 5\n# Default-Stop: 0 6\n### END INIT INFO\n""##
            let (report, _) = try run("step \"e\" { service.install_unit(\"node\", \(script))\n service.enable(\"node\")\n print(service.status(\"node\").enabled) }", in: dir)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            for link in ["rc2.d/S01node", "rc3.d/S01node", "rc5.d/S01node", "rc0.d/K01node", "rc6.d/K01node"] {
                #expect(try MendKit.Host.local.linkTarget(root + "/etc/" + link) == "../init.d/node", "\(link)")
            }
            let (undo, _) = try run("step \"d\" { service.disable(\"node\")\n service.remove_unit(\"node\")\n fail(\"undo\") }", in: dir)
            #expect(failure(undo) == "undo")
            #expect(undo.steps.first?.changes.allSatisfy(\.undone) == true)
            let (remove, _) = try run("step \"r\" { service.disable(\"node\")\n service.remove_unit(\"node\") }", in: dir)
            #expect(remove.exitCode == 0, "\(failure(remove) ?? "")")
            var after = FixtureRoot.snapshot(root)
            // The rc directories mend made for the links stay (empty), as update-rc.d leaves them.
            after = after.filter { !$0.key.hasPrefix("etc/rc") }
            #expect(after == before)
        }
    }

    /// Runs `body` in a step that then fails, over the fixture root `dir`: every change it made
    /// must be undone and the root be byte for byte as before.
    static func expectUndoneExactly(_ body: String, in dir: ScratchDirectory) throws {
        let before = FixtureRoot.snapshot(dir.path)
        let (report, _) = try run("step \"undone\" {\n\(body)\n  fail(\"undo\")\n}", in: dir)
        #expect(failure(report) == "undo")
        #expect(report.steps.first?.changes.allSatisfy(\.undone) == true)
        #expect(FixtureRoot.snapshot(dir.path) == before)
    }

    static func nodeRunbook(now: Bool, name: String = "node") -> String {
        """
        step "node service" {
          if service.manager() == "systemd" {
            service.install_unit("\(name)", \(unit))
          } else {
            service.install_unit("\(name)", \(script))
          }
          service.enable("\(name)", now: \(now))
          assert service.status("\(name)").enabled == "enabled"
        }
        """
    }
}
