import Foundation
import CMendSupport
import Glibc
import Testing
@testable import MendKit

/// A CentOS 7 host's SELinux tools as a test answers them: `selinuxenabled`, `semanage fcontext`
/// and `semanage port` (listing, -a, -m, -d, with policycoreutils 2.5's output and errors) and
/// `restorecon -n -v`, over rules the test sets. Nothing is spawned.
final class SelinuxTools7: @unchecked Sendable {
    private let lock = NSLock()
    /// Local file-context rules (regex → type), in the order semanage lists them.
    var fcontexts: [(regex: String, type: String)] = []
    /// Regexes the policy itself defines: -a on them says "already defined".
    var policyFcontexts: Set<String> = []
    /// Local port types, one port each.
    var ports: [(type: String, proto: String, port: Int)] = []
    /// Ports the policy defines ("tcp/8080").
    var policyPorts: Set<String> = ["tcp/8080"]
    /// What restorecon -n would relabel: path, old context, new context.
    var relabels: [(path: String, old: String, new: String)] = []
    var enabled = true
    var missing: Set<String> = []

    private(set) lazy var runner = AnsweringRunner { [unowned self] request throws(ProcessError) in
        try self.answer(request.argv)
    }

    /// The commands that changed something (not listings, not selinuxenabled, not restorecon -n).
    var changes: [[String]] {
        runner.requests.map(\.argv).filter { argv in
            !(argv.contains("-l") || argv.contains("-n") || argv == ["selinuxenabled"])
        }
    }

    private func answer(_ argv: [String]) throws(ProcessError) -> ProcessResult {
        lock.lock()
        defer { lock.unlock() }
        let command = argv.first ?? ""
        if missing.contains(command) { throw ProcessError(command: command, message: "no such command") }
        switch Array(argv.prefix(3)) {
        case ["selinuxenabled"]: return ProcessResult(status: enabled ? 0 : 1)
        case ["semanage", "fcontext", "-l"]:
            var text = "SELinux fcontext" + pad(16, 50) + " type" + pad(4, 18) + " Context\n\n"
            for rule in fcontexts {
                text += rule.regex + pad(rule.regex.count, 50) + " all files          system_u:object_r:\(rule.type):s0 \n"
            }
            text += "/srv/keys/node.key                                 regular file       system_u:object_r:cert_t:s0 \n"
            text += "\nSELinux Local fcontext Equivalence \n\n/web = /var/www\n"
            return ProcessResult(status: 0, stdout: Array(text.utf8))
        case ["semanage", "port", "-l"]:
            var text = "SELinux Port Type              Proto    Port Number\n\n"
            for type in Set(ports.map(\.type)).sorted() {
                for proto in ["tcp", "udp"] {
                    let numbers = ports.filter { $0.type == type && $0.proto == proto }.map { String($0.port) }
                    guard !numbers.isEmpty else { continue }
                    text += type + pad(type.count, 30) + " " + proto + "      " + numbers.joined(separator: ", ") + "\n"
                }
            }
            text += "websm_port_t                   tcp      9000-9010\n"
            return ProcessResult(status: 0, stdout: Array(text.utf8))
        case ["semanage", "fcontext", "-a"], ["semanage", "fcontext", "-m"]:
            let (type, regex) = (argv[4], argv[5])
            let local = fcontexts.firstIndex { $0.regex == regex }
            if argv[2] == "-a" {
                if local != nil || policyFcontexts.contains(regex) { return error("ValueError: File context for \(regex) already defined") }
                fcontexts.append((regex, type))
            } else if let local {
                fcontexts[local].type = type
            } else if policyFcontexts.contains(regex) {
                fcontexts.append((regex, type))
            } else {
                return error("ValueError: File context for \(regex) is not defined")
            }
            return ProcessResult(status: 0)
        case ["semanage", "fcontext", "-d"]:
            guard let local = fcontexts.firstIndex(where: { $0.regex == argv[3] }) else {
                return error("ValueError: File context for \(argv[3]) is not defined")
            }
            fcontexts.remove(at: local)
            return ProcessResult(status: 0)
        case ["semanage", "port", "-a"], ["semanage", "port", "-m"]:
            let (type, proto, port) = (argv[4], argv[6], Int(argv[7]) ?? 0)
            let local = ports.firstIndex { $0.proto == proto && $0.port == port }
            if argv[2] == "-a" {
                if local != nil || policyPorts.contains("\(proto)/\(port)") { return error("ValueError: Port \(proto)/\(port) already defined") }
                ports.append((type, proto, port))
            } else if let local {
                ports[local].type = type
            } else {
                ports.append((type, proto, port))
            }
            return ProcessResult(status: 0)
        case ["semanage", "port", "-d"]:
            guard let local = ports.firstIndex(where: { $0.proto == argv[4] && String($0.port) == argv[5] }) else {
                return error("ValueError: Port \(argv[4])/\(argv[5]) is not defined")
            }
            ports.remove(at: local)
            return ProcessResult(status: 0)
        default:
            if command == "restorecon", argv.contains("-n"), let path = argv.last {
                let tree = argv.contains("-R")
                let lines = relabels.filter { $0.path == path || (tree && $0.path.hasPrefix(path + "/")) }
                    .map { "restorecon reset \($0.path) context \($0.old)->\($0.new)\n" }
                return ProcessResult(status: 0, stdout: Array(lines.joined().utf8))
            }
            return error("unexpected command: \(argv)")
        }
    }

    private func pad(_ length: Int, _ width: Int) -> String { String(repeating: " ", count: max(0, width - length)) }
    private func error(_ text: String) -> ProcessResult { ProcessResult(status: 1, stderr: Array((text + "\n").utf8)) }

    /// Runs `source` on the live host whose tools this object answers; `plan` makes it a plan.
    func run(_ source: String, plan: Bool = false, root: String = "/") throws -> (RunReport, EngineTestOutput) {
        let output = EngineTestOutput()
        let interpreter = Interpreter(registry: .standard(), output: output)
        let unit = try interpreter.compile(SourceFile(name: "test.mend", text: source))
        var options = EngineOptions()
        options.isPlan = plan
        let report = try Engine(interpreter: interpreter, host: MendKit.Host(root: root, processes: runner), options: options).run(unit)
        return (report, output)
    }
}

@Suite struct SelinuxListingTests {
    @Test func localFileContextRulesForAllFilesAreRead() {
        let listing = """
            SELinux fcontext                                   type               Context

            /opt/node/bin(/.*)?                                all files          system_u:object_r:bin_t:s0 
            /srv/www(/.*)?                                     all files          system_u:object_r:httpd_sys_content_t:s0 
            /srv/keys/node.key                                 regular file       system_u:object_r:cert_t:s0 
            /srv/none                                          all files          <<None>>

            SELinux Local fcontext Equivalence 

            /web = /var/www

            """
        #expect(SelinuxListing.fcontextTypes(listing) == ["/opt/node/bin(/.*)?": "bin_t", "/srv/www(/.*)?": "httpd_sys_content_t"])
        #expect(SelinuxListing.fcontextTypes("") == [:])
    }

    @Test func localPortTypesOfSinglePortsAreRead() {
        let listing = """
            SELinux Port Type              Proto    Port Number

            http_port_t                    tcp      8545, 30303
            node_port_t                    udp      30303
            websm_port_t                   tcp      9000-9010

            """
        #expect(SelinuxListing.portTypes(listing) == ["tcp/8545": "http_port_t", "tcp/30303": "http_port_t", "udp/30303": "node_port_t"])
    }

    @Test func relabelsAreReadInBothForms() {
        let output = """
            restorecon reset /opt/node/bin/node context unconfined_u:object_r:usr_t:s0->unconfined_u:object_r:bin_t:s0
            restorecon reset /opt/my dir/a context x context y:object_r:usr_t:s0->system_u:object_r:bin_t:s0
            Would relabel /srv/keys/node key from unconfined_u:object_r:var_t:s0 to unconfined_u:object_r:cert_t:s0
            restorecon: something else
            """
        let relabels = SelinuxListing.relabels(output)
        #expect(relabels.map(\.path) == ["/opt/node/bin/node", "/opt/my dir/a context x", "/srv/keys/node key"])
        #expect(relabels.map(\.context) == ["unconfined_u:object_r:bin_t:s0", "system_u:object_r:bin_t:s0", "unconfined_u:object_r:cert_t:s0"])
    }

    @Test func typeNames() {
        #expect(SelinuxNames.isType("bin_t") && SelinuxNames.isType("http_port_t") && SelinuxNames.isType("X11_t"))
        #expect(!SelinuxNames.isType("-t") && !SelinuxNames.isType("") && !SelinuxNames.isType("1_t") && !SelinuxNames.isType("a:b"))
    }

    @Test func thePackageWithSemanageIsTheDistributions() throws {
        try FixtureRoot.with("centos-7") { dir in
            #expect(SelinuxTools.semanagePackage(on: MendKit.Host(root: dir.path)) == "policycoreutils-python")
            #expect(SelinuxTools.utilsPackage(on: MendKit.Host(root: dir.path)) == "libselinux-utils")
        }
        try FixtureRoot.with("ubuntu-22.04") { dir in
            #expect(SelinuxTools.semanagePackage(on: MendKit.Host(root: dir.path)) == "policycoreutils-python-utils")
            #expect(SelinuxTools.utilsPackage(on: MendKit.Host(root: dir.path)) == "selinux-utils")
        }
    }
}

@Suite struct SelinuxChangeTests {
    @Test func aFileContextRuleIsAddedOnceAndUndoneOnFailure() throws {
        let tools = SelinuxTools7()
        var (report, output) = try tools.run("""
            step "label" {
              print(selinux.fcontext("/opt/node/bin(/.*)?", "bin_t"))
              print(selinux.fcontext("/opt/node/bin(/.*)?", "bin_t"))
            }
            """)
        #expect(report.exitCode == 0, "\(failure(report) ?? "")")
        #expect(output.out == "true\nfalse\n")
        #expect(tools.changes == [["semanage", "fcontext", "-a", "-t", "bin_t", "/opt/node/bin(/.*)?"]])
        #expect(report.steps.first?.changes.first?.kind == "selinux-fcontext")
        #expect(report.steps.first?.changes.first?.before == .string("none"))

        // Another type: -m, and a failing step puts the old type back.
        (report, output) = try tools.run("""
            step "label" {
              selinux.fcontext("/opt/node/bin(/.*)?", "usr_t")
              fail("injected")
            }
            """)
        #expect(report.exitCode != 0)
        #expect(Array(tools.changes.dropFirst()) == [["semanage", "fcontext", "-m", "-t", "usr_t", "/opt/node/bin(/.*)?"],
                                                     ["semanage", "fcontext", "-m", "-t", "bin_t", "/opt/node/bin(/.*)?"]])
        #expect(tools.fcontexts.map(\.type) == ["bin_t"])

        // A new rule that fails is deleted again.
        (report, _) = try tools.run("""
            step "key" {
              selinux.fcontext("/srv/keys(/.*)?", "cert_t")
              fail("injected")
            }
            """)
        #expect(tools.changes.suffix(2) == [["semanage", "fcontext", "-a", "-t", "cert_t", "/srv/keys(/.*)?"],
                                            ["semanage", "fcontext", "-d", "/srv/keys(/.*)?"]])
        #expect(tools.fcontexts.map(\.regex) == ["/opt/node/bin(/.*)?"])
    }

    @Test func aRuleThePolicyDefinesIsModified() throws {
        let tools = SelinuxTools7()
        tools.policyFcontexts = ["/var/www(/.*)?"]
        let (report, _) = try tools.run(#"step "s" { selinux.fcontext("/var/www(/.*)?", "httpd_sys_rw_content_t") }"#)
        #expect(report.exitCode == 0, "\(failure(report) ?? "")")
        #expect(tools.changes == [["semanage", "fcontext", "-a", "-t", "httpd_sys_rw_content_t", "/var/www(/.*)?"],
                                  ["semanage", "fcontext", "-m", "-t", "httpd_sys_rw_content_t", "/var/www(/.*)?"]])
        // Undo of a local modification deletes it: the policy's rule applies again.
        try SelinuxNamespace.fcontextRule.write("/var/www(/.*)?", .null, on: MendKit.Host(processes: tools.runner))
        #expect(tools.changes.last == ["semanage", "fcontext", "-d", "/var/www(/.*)?"])
    }

    @Test func aPlanRunsNoChangeAndLaterReadsSeeIt() throws {
        let tools = SelinuxTools7()
        let (report, output) = try tools.run("""
            step "label" {
              print(selinux.fcontext("/opt/node/bin(/.*)?", "bin_t"), selinux.fcontext("/opt/node/bin(/.*)?", "bin_t"))
              print(selinux.port(8545, "tcp", "http_port_t"), selinux.port(8545, "tcp", "http_port_t"))
            }
            """, plan: true)
        #expect(report.exitCode == 0, "\(failure(report) ?? "")")
        #expect(output.out == "true false\ntrue false\n")
        #expect(report.steps.first?.changes.map(\.kind) == ["selinux-fcontext", "selinux-port"])
        #expect(tools.changes.isEmpty)
        #expect(tools.fcontexts.isEmpty && tools.ports.isEmpty)
    }

    @Test func aPortIsTypedAndUndone() throws {
        let tools = SelinuxTools7()
        var (report, output) = try tools.run(#"step "rpc" { print(selinux.port(8545, "tcp", "http_port_t"), selinux.port(8545, "tcp", "http_port_t")) }"#)
        #expect(report.exitCode == 0, "\(failure(report) ?? "")")
        #expect(output.out == "true false\n")
        #expect(tools.changes == [["semanage", "port", "-a", "-t", "http_port_t", "-p", "tcp", "8545"]])
        // A port of the policy: -a says "already defined", -m follows; a failure deletes it again.
        (report, _) = try tools.run(#"step "p" { selinux.port(8080, "tcp", "http_port_t"); fail("injected") }"#)
        #expect(Array(tools.changes.dropFirst()) == [["semanage", "port", "-a", "-t", "http_port_t", "-p", "tcp", "8080"],
                                                     ["semanage", "port", "-m", "-t", "http_port_t", "-p", "tcp", "8080"],
                                                     ["semanage", "port", "-d", "-p", "tcp", "8080"]])
        #expect(tools.ports.map { "\($0.proto)/\($0.port)" } == ["tcp/8545"])
        // Another type for a local port: -m there and back.
        (report, _) = try tools.run(#"step "p" { selinux.port(8545, "tcp", "ssh_port_t"); fail("injected") }"#)
        #expect(tools.changes.suffix(2) == [["semanage", "port", "-m", "-t", "ssh_port_t", "-p", "tcp", "8545"],
                                            ["semanage", "port", "-m", "-t", "http_port_t", "-p", "tcp", "8545"]])
    }

    @Test("bad arguments are refused before anything runs", arguments: [
        (#"selinux.fcontext("/opt/a\u{0}b", "bin_t")"#, "a NUL byte"),
        (#"selinux.fcontext("/opt/a\nb", "bin_t")"#, "a control character"),
        (#"selinux.fcontext("-d", "bin_t")"#, "must be an absolute path regex"),
        (#"selinux.fcontext("/opt/a b", "bin_t")"#, "without spaces"),
        (#"selinux.fcontext("/opt/node", "-t")"#, "must be an SELinux type name"),
        (#"selinux.fcontext("/opt/node", "bin_t\u{7f}")"#, "a control character"),
        (#"selinux.port(0, "tcp", "http_port_t")"#, "between 1 and 65535"),
        (#"selinux.port(8545, "-p", "http_port_t")"#, "'proto' must be one of"),
        (#"selinux.port(8545, "tcp", "http port")"#, "SELinux type name"),
        (#"selinux.restorecon("-R")"#, "must be absolute"),
        (#"selinux.restorecon("/opt/x\ny")"#, "a control character"),
        (#"selinux.context("relative")"#, "must be absolute"),
    ])
    func refused(_ call: String, _ message: String) throws {
        let tools = SelinuxTools7()
        let (report, _) = try tools.run("step \"s\" { \(call) }")
        #expect(report.exitCode == 1)
        #expect(failure(report)?.contains(message) == true, "\(failure(report) ?? "")")
        #expect(tools.runner.requests.isEmpty)
    }

    @Test func missingToolsAndADisabledSELinuxAreRefusedClearly() throws {
        let tools = SelinuxTools7()
        tools.missing = ["semanage"]
        var (report, _) = try tools.run(#"step "s" { selinux.fcontext("/opt/node(/.*)?", "bin_t") }"#)
        #expect(report.exitCode == 1)
        #expect(failure(report) == "selinux.fcontext: semanage: not found (install the \(SelinuxTools.semanagePackage(on: .local)) package)")
        tools.missing = ["restorecon"]
        (report, _) = try tools.run(#"step "s" { selinux.restorecon("/etc/hostname") }"#)
        #expect(failure(report) == "selinux.restorecon: restorecon: not found (install the policycoreutils package)")
        tools.missing = ["selinuxenabled"]
        (report, _) = try tools.run(#"step "s" { selinux.port(8545, "tcp", "http_port_t") }"#)
        // Without /sys/fs/selinux as well (this kind of machine), it is a host without SELinux.
        #expect(failure(report) == (access("/sys/fs/selinux", F_OK) == 0
            ? "selinux.port: selinuxenabled: not found (install the \(SelinuxTools.utilsPackage(on: .local)) package)"
            : "selinux.port: SELinux is not enabled on this host (no /sys/fs/selinux, and no selinuxenabled); there is no policy to change"))
        tools.missing = []
        tools.enabled = false
        (report, _) = try tools.run(#"step "s" { selinux.port(8545, "tcp", "http_port_t") }"#, plan: true)
        #expect(report.exitCode == 1)
        #expect(failure(report) == "selinux.port: SELinux is disabled on this host (selinuxenabled exits 1); there is no policy to change")
        #expect(tools.changes.isEmpty)
    }

    @Test func underARootARunIsRefusedAndAPlanPlansOverUnknownState() throws {
        try FixtureRoot.with("centos-7") { dir in
            let tools = SelinuxTools7()
            var (report, output) = try tools.run("""
                step "s" {
                  print(selinux.fcontext("/opt/node(/.*)?", "bin_t"), selinux.port(8545, "tcp", "http_port_t"))
                  print(selinux.restorecon("/etc/hostname"))
                }
                """, plan: true, root: dir.path)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(output.out == "true true\ntrue\n")
            let changes = try #require(report.steps.first?.changes)
            #expect(changes.map(\.kind) == ["selinux-fcontext", "selinux-port", "selinux-label"])
            #expect(changes.first?.before == .string("unknown: semanage has no --root: the policy of this machine is not the root's"))
            #expect(changes.allSatisfy { $0.note == SelinuxTools.rootNote })
            #expect(tools.runner.requests.isEmpty)

            (report, _) = try tools.run(#"step "s" { selinux.fcontext("/opt/node(/.*)?", "bin_t") }"#, root: dir.path)
            #expect(report.exitCode == 1)
            #expect(failure(report)?.hasPrefix("selinux.fcontext: refused under --root \(dir.path): semanage and restorecon") == true)
            #expect(tools.runner.requests.isEmpty)
        }
    }
}

/// Labels are real `security.selinux` attributes of scratch files: as root, ext4 and tmpfs keep
/// them without SELinux enabled, so context() and the undo of restorecon are tested on the
/// system calls themselves.
@Suite struct SelinuxLabelTests {
    static let attribute = "security.selinux"

    /// Sets a label as libselinux does (with its C terminator); false when this system refuses.
    static func label(_ path: String, _ context: String) -> Bool {
        let bytes = Array(context.utf8) + [0]
        return bytes.withUnsafeBytes { setxattr(path, attribute, $0.baseAddress, $0.count, 0) } == 0
    }

    /// Whether security.* attributes can be set here (root on a file system that keeps them).
    static let supported: Bool = (try? withScratch { dir in
        try dir.write("/probe", "")
        return label(dir.at("/probe"), "system_u:object_r:etc_t:s0")
    }) ?? false

    @Test func securityAttributesCanBeSetHere() {
        // In CI (root, ext4 or tmpfs) the label tests below must run; elsewhere they say why not.
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            #expect(Self.supported, "security.selinux cannot be set here: the label tests cannot run")
        }
    }

    @Test(.enabled(if: supported, "needs root and a file system that keeps security.* attributes"))
    func contextReadsTheLabelWithoutItsTerminator() throws {
        try withScratch { dir in
            try dir.write("/etc/hostname", "node\n")
            try dir.write("/etc/plain", "x\n")
            #expect(Self.label(dir.at("/etc/hostname"), "system_u:object_r:etc_t:s0"))
            let tools = SelinuxTools7()
            let (report, output) = try tools.run("""
                print(selinux.context("/etc/hostname"), selinux.context("/etc/plain"))
                print(selinux.context("/etc/missing"))
                """, root: dir.path)
            #expect(output.out == "system_u:object_r:etc_t:s0 nil\n")
            #expect(report.error?.message == "selinux.context: /etc/missing does not exist")
            // The live host's own path reading, on the same file.
            #expect(try SelinuxNamespace.label.read(dir.at("/etc/hostname"), on: .local) == .string("system_u:object_r:etc_t:s0"))
        }
    }

    @Test func aFileWithoutALabelReadsAsNil() throws {
        try withScratch { dir in
            try dir.write("/f", "x")
            #expect(try MendKit.Host.local.extendedAttribute(Self.attribute, of: dir.at("/f")) == nil)
            #expect(try SelinuxNamespace.label.read(dir.at("/f"), on: .local) == .null)
            #expect(throws: HostError.self) { try MendKit.Host.local.extendedAttribute(Self.attribute, of: dir.at("/missing")) }
        }
    }

    @Test(.enabled(if: supported, "needs root and a file system that keeps security.* attributes"))
    func restoreconRelabelsWhatItWouldAndUndoesIt() throws {
        try withScratch { dir in
            try dir.write("/opt/node/bin/node", "elf")
            try dir.write("/opt/node/bin/helper", "elf")
            let node = dir.at("/opt/node/bin/node"), helper = dir.at("/opt/node/bin/helper")
            #expect(Self.label(node, "unconfined_u:object_r:usr_t:s0") && Self.label(helper, "unconfined_u:object_r:bin_t:s0"))
            let tools = SelinuxTools7()
            tools.relabels = [(node, "unconfined_u:object_r:usr_t:s0", "unconfined_u:object_r:bin_t:s0")]
            let bin = dir.at("/opt/node/bin")

            // A plan: nothing written, later reads see the planned label.
            var (report, output) = try tools.run("""
                step "s" {
                  print(selinux.restorecon("\(bin)", recursive: true), selinux.context("\(node)"))
                }
                """, plan: true)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(output.out == "true unconfined_u:object_r:bin_t:s0\n")
            #expect(try SelinuxNamespace.label.read(node, on: .local) == .string("unconfined_u:object_r:usr_t:s0"))
            #expect(tools.runner.requests.map(\.argv).last == ["restorecon", "-n", "-v", "-R", bin])

            // A failed run puts the old label back.
            (report, _) = try tools.run("""
                step "s" { selinux.restorecon("\(bin)", recursive: true); fail("injected") }
                """)
            #expect(report.exitCode == 1)
            #expect(try SelinuxNamespace.label.read(node, on: .local) == .string("unconfined_u:object_r:usr_t:s0"))

            // A run relabels; the label is written with its terminator, as libselinux does.
            (report, output) = try tools.run(#"step "s" { print(selinux.restorecon("\#(bin)", recursive: true)) }"#)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(try MendKit.Host.local.extendedAttribute(Self.attribute, of: node) == Array("unconfined_u:object_r:bin_t:s0".utf8) + [0])
            #expect(try SelinuxNamespace.label.read(helper, on: .local) == .string("unconfined_u:object_r:bin_t:s0"))
            #expect(report.steps.first?.changes.map(\.target) == [node])
            #expect(report.steps.first?.changes.first?.note == "restorecon")

            // Nothing more to relabel: false, no change.
            tools.relabels = []
            (report, output) = try tools.run(#"step "s" { print(selinux.restorecon("\#(node)")) }"#)
            #expect(output.out == "false\n")
            #expect(tools.runner.requests.map(\.argv).last == ["restorecon", "-n", "-v", node])
        }
    }

    @Test(.enabled(if: supported, "needs root and a file system that keeps security.* attributes"))
    func mendRollbackPutsTheOldLabelsBack() throws {
        try withScratch { dir in
            try dir.write("/srv/node.key", "k")
            let key = dir.at("/srv/node.key")
            #expect(Self.label(key, "unconfined_u:object_r:var_t:s0"))
            let tools = SelinuxTools7()
            tools.relabels = [(key, "unconfined_u:object_r:var_t:s0", "unconfined_u:object_r:cert_t:s0")]
            let state = StateDirectory(path: dir.at("/state"))
            let output = EngineTestOutput()
            let interpreter = Interpreter(registry: .standard(), output: output)
            let unit = try interpreter.compile(SourceFile(name: "t.mend", text: #"step "s" { selinux.restorecon("\#(key)") }"#))
            var options = EngineOptions()
            options.stateDirectory = state
            let report = try Engine(interpreter: interpreter, host: MendKit.Host(processes: tools.runner), options: options).run(unit)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(try SelinuxNamespace.label.read(key, on: .local) == .string("unconfined_u:object_r:cert_t:s0"))
            // `mend rollback` writes labels through the host, without SELinux's tools.
            let outcome = try RunHistory.rollBack(try #require(report.runId), in: state, registry: .standard(), force: false)
            #expect(outcome.isComplete)
            #expect(try SelinuxNamespace.label.read(key, on: .local) == .string("unconfined_u:object_r:var_t:s0"))
        }
    }
}

@Suite struct SelinuxDocTests {
    @Test func theNamespaceListsTheModeWithItsFunctions() {
        let registry = Registry.standard()
        #expect(registry.namespaces["selinux"]?.keys.sorted() == ["context", "fcontext", "mode", "port", "restorecon"])
        let entry = BuiltinReference.entry("selinux", in: registry) ?? ""
        #expect(entry.hasPrefix("selinux: SELinux: mode, context(path); fcontext, restorecon, port"))
        #expect(entry.contains("selinux.mode") || entry.contains("mode"))
        for name in ["fcontext", "restorecon", "port"] {
            #expect(registry.lookup("selinux.\(name)")?.changesHost == true)
        }
    }
}
