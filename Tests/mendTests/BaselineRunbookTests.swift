import MendKit
import Testing

/// The shipped kernel baseline (runbooks/go-node/kernel-baseline.mend) on each fixture host: a plan
/// touches nothing, a run converges, the values are there, and a second run changes nothing.
@Suite("the kernel baseline on the fixture hosts")
struct BaselineRunbookTests {
    static let runbook = LanguageDoc.repositoryRoot + "/runbooks/go-node/kernel-baseline.mend"
    /// The fixtures cannot know the test machine's disk: only the host files are under test.
    static let params = ["--param", "min_disk=0B", "--param", "data_dir=/"]

    @Test("plan, run, verify, run again", arguments: FixtureHost.allCases)
    func converges(_ host: FixtureHost) throws {
        let dir = try TemporaryDirectory()
        let root = try host.copy(into: dir.path)
        let state = dir.path + "/state"
        let before = try TreeSnapshot.of(root)

        let plan = try MendBinary.run(["plan", Self.runbook, "--root", root, "--format", "json", "--detailed-exitcode"] + Self.params)
        #expect(plan.status == 2, "plan: \(plan.stderr)")
        #expect(try TreeSnapshot.of(root) == before, "the plan changed the root")
        let planned = try parseReport(plan)
        #expect(planned["status"]?.string == "would_change")
        let kinds = steps(planned).flatMap { ($0["changes"]?.array ?? []).compactMap { $0["kind"]?.string } }
        #expect(kinds.contains("sysctl") && kinds.contains("file"), "live and persisted changes: \(kinds)")

        let run = try MendBinary.run(["run", Self.runbook, "--root", root, "--state-dir", state, "--detailed-exitcode"] + Self.params)
        #expect(run.status == 2, "run: \(run.stdout)\n\(run.stderr)")
        #expect(try readFile(root + "/proc/sys/net/core/somaxconn").trimmingWhitespace() == "65535")
        #expect(try readFile(root + "/proc/sys/vm/swappiness").trimmingWhitespace() == "1")
        #expect(try readFile(root + "/sys/kernel/mm/transparent_hugepage/enabled").contains("[never]"))
        let persisted = try readFile(root + "/etc/sysctl.d/90-mend.conf")
        #expect(persisted.contains("net.core.somaxconn = 65535") && persisted.contains("vm.swappiness = 1"), "\(persisted)")
        if host != .alpine {
            let limits = try readFile(root + "/etc/security/limits.d/90-mend.conf")
            #expect(limits.contains("nofile") && limits.contains("65536") && limits.contains("8192"), "\(limits)")
        } else {
            // Alpine logs in without PAM: no pam_limits, nothing would read the file.
            #expect(!pathExists(root + "/etc/security/limits.d/90-mend.conf"))
        }
        if host != .alpine {
            let dropIn = try readFile(root + "/etc/systemd/system/node@.service.d/90-mend-limits.conf")
            #expect(dropIn.contains("LimitNOFILE=65536") && dropIn.contains("LimitNPROC=8192"), "\(dropIn)")
        } else {
            // OpenRC applies rc_ulimit from the service's conf.d file when it starts the node.
            #expect(try readFile(root + "/etc/conf.d/node") == "rc_ulimit=\"-n 65536 -u 8192\"\n")
        }

        let again = try MendBinary.run(["run", Self.runbook, "--root", root, "--state-dir", state, "--detailed-exitcode"] + Self.params)
        #expect(again.status == 0, "second run: \(again.stdout)\n\(again.stderr)")
        let replan = try MendBinary.run(["plan", Self.runbook, "--root", root, "--detailed-exitcode"] + Self.params)
        #expect(replan.status == 0, "plan after the run: \(replan.stdout)")
    }

    @Test func theMalformedLimitsFileIsLeftAlone() throws {
        let dir = try TemporaryDirectory()
        let root = try FixtureHost.ubuntu.copy(into: dir.path)
        let legacy = root + "/etc/security/limits.d/50-legacy.conf"
        let original = try readAllBytes(legacy)
        let run = try MendBinary.run(["run", Self.runbook, "--root", root, "--state-dir", dir.path + "/state"] + Self.params)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(try readAllBytes(legacy) == original)
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
