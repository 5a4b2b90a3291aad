import Glibc
import MendKit
import Testing

/// The runbooks mend ships (runbooks/): each passes `mend check`; each plans on every fixture host
/// without touching it (or refuses a host it is not for, with exit 4); and the runbooks that change a
/// host — the node baseline, portable and per distribution, the kernel baseline and the firewall —
/// converge under `--root`, change nothing the second time, and an injected failure after their last
/// step restores the tree byte for byte.
@Suite("the shipped runbooks")
struct ShippedRunbookTests {
    static let directory = LanguageDoc.repositoryRoot + "/runbooks"

    /// Every runbook (the modules under lib/ are checked through the runbooks that import them).
    static let runbooks: [String] = ["go-node", "examples"].flatMap { folder in
        listDirectory(directory + "/" + folder).filter { $0.hasSuffix(".mend") }.sorted().map { folder + "/" + $0 }
    }

    /// What a plan over a fixture host needs: the fixtures cannot know the test machine's disk, and
    /// no test reaches an NTP server on the internet.
    static let fixtureParams = ["--param", "min_disk=0B", "--param", "check_offset=false"]

    /// How each runbook plans on the fixture hosts: its params there, and the hosts it refuses
    /// (exit 4, a `require`), which its header names.
    static func planned(_ runbook: String, on host: FixtureHost, scratch: String) -> (params: [String], refused: Bool)? {
        switch runbook {
        case "go-node/baseline.mend": return (fixtureParams, false)
        case "go-node/ubuntu-22.04.mend": return (fixtureParams, host != .ubuntu)
        case "go-node/centos-7.mend": return (fixtureParams, host != .centos)
        case "go-node/alpine-3.19.mend": return (fixtureParams, host != .alpine)
        case "go-node/kernel-baseline.mend": return (["--param", "min_disk=0B"], false)
        case "go-node/firewall.mend": return ([], false)
        // The node process of the fixtures (pid 4242) sampled briefly; the lock probe in a scratch directory.
        case "go-node/consistency.mend", "go-node/canary.mend":
            return (["--param", "window=1s", "--param", "every=1s", "--param", "data_dir=\(scratch)"], false)
        // systemd's restart policy: OpenRC has none to check.
        case "go-node/restart-policy.mend": return ([], host == .alpine)
        // The clock is measured against a live server (ClockTests runs it against local ones).
        case "go-node/clock.mend": return nil
        default: return ([], false)
        }
    }

    @Test("mend check passes", arguments: runbooks)
    func checks(_ runbook: String) throws {
        let result = try MendBinary.run(["check", Self.directory + "/" + runbook])
        #expect(result.status == 0, "\(runbook): \(result.stdout)\(result.stderr)")
    }

    @Test("every runbook plans on the fixture host and leaves it unchanged", arguments: FixtureHost.allCases)
    func plans(_ host: FixtureHost) throws {
        let dir = try TemporaryDirectory()
        let root = try host.copy(into: dir.path)
        let before = try TreeSnapshot.of(root)
        for runbook in Self.runbooks {
            guard let (params, refused) = Self.planned(runbook, on: host, scratch: dir.path) else { continue }
            let plan = try MendBinary.run(["plan", Self.directory + "/" + runbook, "--root", root, "--detailed-exitcode"] + params,
                                          environment: FixtureTools.environment(for: host))
            if refused {
                #expect(plan.status == 4, "\(runbook) on \(host.rawValue) must refuse the host: \(plan.stdout)\(plan.stderr)")
            } else {
                #expect(plan.status == 0 || plan.status == 2, "\(runbook) on \(host.rawValue): \(plan.stdout)\(plan.stderr)")
            }
            #expect(try TreeSnapshot.of(root) == before, "\(runbook) changed \(host.rawValue) in a plan")
        }
    }

    /// The runbooks that change a host, and the hosts they converge. The others check a live
    /// system: clock.mend and the consistency audit measure it, restart-policy.mend starts a probe
    /// under systemd (ServiceInitSystemTests runs it on a booted one).
    static let baselines: [(FixtureHost, String)] = FixtureHost.allCases.flatMap { host in
        ["baseline.mend", host.rawValue + ".mend", "kernel-baseline.mend", "firewall.mend"].map { (host, $0) }
    }

    @Test("the node runbooks converge under --root, a second run changes nothing, an injected failure restores the tree",
          arguments: baselines)
    func converges(_ host: FixtureHost, _ runbook: String) throws {
        let dir = try TemporaryDirectory()
        let runbooks = try ShippedRunbooks.copy(into: dir.path)
        let failing = runbooks + "/go-node/injected-failure.mend"
        try writeFile(failing, try readFile(runbooks + "/go-node/" + runbook)
            + "\nstep \"injected failure\" { fail(\"injected after the last step\") }\n")
        let environment = FixtureTools.environment(for: host)
        let params = try #require(Self.planned("go-node/" + runbook, on: host, scratch: dir.path)).params

        guard mkdir(dir.path + "/failed", 0o755) == 0 else { throw TestFailure(description: "cannot create \(dir.path)/failed") }
        let failed = try host.copy(into: dir.path + "/failed")
        let original = try TreeSnapshot.of(failed)
        let broken = try MendBinary.run(["run", failing, "--root", failed, "--state-dir", dir.path + "/failed-state"] + params,
                                        environment: environment)
        #expect(broken.status == 1, "the injected failure: \(broken.stdout)\(broken.stderr)")
        #expect(broken.stdout.contains("rolled_back") || broken.stdout.contains("rolled back"), "\(broken.stdout)")
        #expect(try TreeSnapshot.of(failed) == original, "\(runbook) on \(host.rawValue): the rollback left the tree changed")

        let root = try host.copy(into: dir.path)
        let state = dir.path + "/state"
        let run = try MendBinary.run(["run", runbooks + "/go-node/" + runbook, "--root", root, "--state-dir", state,
                                      "--detailed-exitcode"] + params, environment: environment)
        #expect(run.status == 2, "\(runbook) on \(host.rawValue): \(run.stdout)\(run.stderr)")
        let again = try MendBinary.run(["run", runbooks + "/go-node/" + runbook, "--root", root, "--state-dir", state,
                                        "--detailed-exitcode"] + params, environment: environment)
        #expect(again.status == 0, "second run of \(runbook) on \(host.rawValue): \(again.stdout)\(again.stderr)")
    }
}

/// The plan excerpts of docs/cookbook.md: each ```` ```plan HOST RUNBOOK [NAME=VALUE…] ```` block is
/// found, line by line, in the output of that plan over a copy of the fixture host.
@Suite("the cookbook's plan excerpts")
struct CookbookExcerptTests {
    struct Excerpt: Sendable, CustomTestStringConvertible {
        let line: Int
        let host: FixtureHost
        let runbook: String
        let params: [String]
        let lines: [String]
        var testDescription: String { "docs/cookbook.md:\(line)" }
    }

    static let excerpts: [Excerpt] = {
        guard let text = try? readFile(LanguageDoc.repositoryRoot + "/docs/cookbook.md") else { return [] }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var found: [Excerpt] = []
        var k = 0
        while k < lines.count {
            let fence = lines[k].split(separator: " ").map(String.init)
            k += 1
            guard fence.first == "```plan", fence.count >= 3, let host = FixtureHost(rawValue: fence[1]) else { continue }
            let start = k
            while k < lines.count, lines[k] != "```" { k += 1 }
            found.append(Excerpt(line: start, host: host, runbook: fence[2],
                                 params: fence.dropFirst(3).flatMap { ["--param", $0] },
                                 lines: lines[start..<k].filter { $0 != "…" }))
            k += 1
        }
        return found
    }()

    @Test func theCookbookHasExcerpts() {
        #expect(Self.excerpts.count >= 5, "docs/cookbook.md has \(Self.excerpts.count) plan excerpts")
    }

    @Test("each excerpt is in its plan's output", arguments: excerpts)
    func excerpt(_ excerpt: Excerpt) throws {
        let dir = try TemporaryDirectory()
        let root = try excerpt.host.copy(into: dir.path)
        let plan = try MendBinary.run(["plan", ShippedRunbookTests.directory + "/go-node/" + excerpt.runbook, "--root", root] + excerpt.params,
                                      environment: FixtureTools.environment(for: excerpt.host))
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
        let output = (plan.stdout + plan.stderr).split(separator: "\n").map(String.init)
        for line in excerpt.lines {
            #expect(output.contains { $0.contains(line) }, "not in the plan's output: \(line)\n\(plan.stdout)\(plan.stderr)")
        }
    }
}

/// Copies of the shipped runbooks, for tests that add to them or run them where the repository is
/// not (a machine's shared directory): the runbooks import their modules by relative path.
enum ShippedRunbooks {
    /// Copies runbooks/ to `directory/runbooks` and returns that path.
    static func copy(into directory: String) throws -> String {
        let target = directory + "/runbooks"
        let status = try system("cp -a \(shellQuote(ShippedRunbookTests.directory)) \(shellQuote(target))")
        guard status == 0 else { throw TestFailure(description: "cannot copy the runbooks to \(target)") }
        return target
    }
}

/// What the tools of a fixture host need from the environment: rpm is not installed here, so the
/// CentOS host's package reads go through the rpm stand-in (Fixtures/rpm-standin), first on PATH.
enum FixtureTools {
    static func environment(for host: FixtureHost) -> [String: String] {
        host == .centos ? ["PATH": RpmStandIn.path] : [:]
    }
}
