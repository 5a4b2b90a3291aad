import Glibc
import MendKit
import Testing

/// The standard output of a reference tool, without its final newline; nil when it could not run.
private func reference(_ argv: [String]) -> String? {
    let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
    guard let r = try? Host.local.run(argv, environment: ["LC_ALL=C", "PATH=\(path)"]), r.status == 0 else { return nil }
    var text = String(decoding: r.stdout, as: UTF8.self)
    while text.hasSuffix("\n") { text.removeLast() }
    return text
}

/// What `mend facts` must print for each fixture host.
struct FixtureHostFacts: Sendable, CustomTestStringConvertible {
    let host: FixtureHost
    /// `name value` pairs of the text output that do not depend on the machine running the test.
    let lines: [(String, String)]

    var testDescription: String { host.rawValue }

    static let all: [FixtureHostFacts] = [
        FixtureHostFacts(host: .ubuntu, lines: [
            ("os.id", "ubuntu"), ("os.version", "22.04"), ("os.family", "debian"), ("os.pretty", "Ubuntu 22.04.4 LTS"),
            ("kernel.release", "5.15.0-105-generic"), ("cpu.count", "8"), ("mem.total", "31.34GiB"),
            ("mem.available", "26.14GiB"), ("host.name", "node-ubuntu"), ("init", "systemd"), ("container", "none"),
            ("selinux.mode", "disabled"),
        ]),
        FixtureHostFacts(host: .centos, lines: [
            ("os.id", "centos"), ("os.version", "7"), ("os.family", "rhel"), ("os.pretty", "CentOS Linux 7 (Core)"),
            ("kernel.release", "3.10.0-1160.el7.x86_64"), ("cpu.count", "8"), ("mem.total", "31.34GiB"),
            ("mem.available", "26.14GiB"), ("host.name", "node-centos"), ("init", "systemd"), ("container", "none"),
            ("selinux.mode", "enforcing"),
        ]),
        FixtureHostFacts(host: .alpine, lines: [
            ("os.id", "alpine"), ("os.version", "3.19.1"), ("os.family", "alpine"), ("os.pretty", "Alpine Linux v3.19"),
            ("kernel.release", "6.6.14-0-lts"), ("cpu.count", "8"), ("mem.total", "31.34GiB"),
            ("mem.available", "26.14GiB"), ("host.name", "node-alpine"), ("init", "openrc"), ("container", "none"),
            ("selinux.mode", "disabled"),
        ]),
    ]
}

@Suite("mend facts")
struct FactsCommandTests {
    @Test("text over each fixture host", arguments: FixtureHostFacts.all)
    func text(_ expected: FixtureHostFacts) throws {
        let dir = try TemporaryDirectory()
        let root = try expected.host.copy(into: dir.path)
        let r = try MendBinary.run(["facts", "--root", root])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stderr.isEmpty)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        // The value column starts two spaces after the longest name, disk.free("/").
        let width = #"disk.free("/")"#.count + 2
        for (name, value) in expected.lines {
            let line = name + String(repeating: " ", count: width - name.count) + value
            #expect(lines.contains(line), "no line \(line) in:\n\(r.stdout)")
        }
        #expect(lines.map { String($0.prefix { $0 != " " }) } == [
            "os.id", "os.version", "os.family", "os.pretty", "kernel.release", "kernel.arch", "cpu.count", "mem.total",
            "mem.available", #"disk.free("/")"#, "host.name", "host.root", "user.uid", "user.name", "user.is_root", "init", "container",
            "selinux.mode",
        ])
        #expect(lines.contains("user.uid" + String(repeating: " ", count: width - 8) + String(geteuid())))
    }

    @Test("json over each fixture host", arguments: FixtureHostFacts.all)
    func json(_ expected: FixtureHostFacts) throws {
        let dir = try TemporaryDirectory()
        let root = try expected.host.copy(into: dir.path)
        let r = try MendBinary.run(["facts", "--root", root, "--format", "json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let json = try #require(JSON.parse(r.stdout), "not JSON: \(r.stdout)")
        let values = Dictionary(uniqueKeysWithValues: expected.lines)
        #expect(json["os"]?["id"]?.string == values["os.id"])
        #expect(json["os"]?["version"]?.string == values["os.version"])
        #expect(json["os"]?["family"]?.string == values["os.family"])
        #expect(json["os"]?["pretty"]?.string == values["os.pretty"])
        #expect(json["kernel"]?["release"]?.string == values["kernel.release"])
        #expect(json["kernel"]?["arch"]?.string == reference(["uname", "-m"]))
        #expect(json["cpu"]?["count"] == .int(8))
        // Sizes are integer bytes.
        #expect(json["mem"]?["total"] == .int(32_863_652 * 1024))
        #expect(json["mem"]?["available"] == .int(27_411_348 * 1024))
        #expect((json["disk"]?["free"]?["/"]?.int ?? 0) > 0)
        #expect(json["host"]?["name"]?.string == values["host.name"])
        #expect(json["user"]?["uid"] == .int(Int(geteuid())))
        #expect(json["user"]?["is_root"] == .bool(geteuid() == 0))
        #expect(json["init"]?.string == values["init"])
        #expect(json["container"]?.string == "none")
        #expect(json["selinux"]?["mode"]?.string == values["selinux.mode"])
        if geteuid() == 0 {
            #expect(json["user"]?["name"] == .string("root"))
            #expect(json["errors"] == .object([]))
        }
    }

    @Test func aMissingMeminfoShowsAsUnknownWithItsReason() throws {
        let dir = try TemporaryDirectory()
        let root = try FixtureHost.ubuntu.copy(into: dir.path)
        #expect(unlink(root + "/proc/meminfo") == 0)
        let text = try MendBinary.run(["facts", "--root", root])
        #expect(text.status == 0)
        #expect(text.stdout.contains("\nmem.total       unknown (cannot read /proc/meminfo: no such file)\n"))
        #expect(text.stdout.contains("\nos.id           ubuntu\n") || text.stdout.hasPrefix("os.id           ubuntu\n"))
        let json = try MendBinary.run(["facts", "--root", root, "--format", "json"])
        #expect(json.status == 0)
        let object = try #require(JSON.parse(json.stdout))
        #expect(object["mem"]?["total"] == .null)
        #expect(object["errors"]?["mem.total"] == .string("cannot read /proc/meminfo: no such file"))
        #expect(object["errors"]?["mem.available"] == .string("cannot read /proc/meminfo: no such file"))

        // A runbook that reads it fails there, naming the fact and the file.
        let file = dir.path + "/mem.mend"
        try writeFile(file, "check mem.total >= 16GiB, \"16 GiB\"\n")
        let run = try MendBinary.run(["plan", file, "--root", root])
        #expect(run.status == 1)
        #expect(run.stderr.contains("error: mem.total: cannot read /proc/meminfo: no such file"), "\(run.stderr)")
    }

    @Test func diskFreeOfAMissingPathIsAnErrorNamingIt() throws {
        let dir = try TemporaryDirectory()
        let root = try FixtureHost.ubuntu.copy(into: dir.path)
        let file = dir.path + "/disk.mend"
        try writeFile(file, "check disk.free(\"/var/lib/node\") >= 50GiB, \"50 GiB for the data dir\"\n")
        let r = try MendBinary.run(["plan", file, "--root", root])
        #expect(r.status == 1)
        #expect(r.stderr.contains(#"error: disk.free("/var/lib/node"): /var/lib/node does not exist"#), "\(r.stderr)")
        let live = try MendBinary.run(["eval", #"disk.free("/no/such/dir/for/mend")"#])
        #expect(live.status == 1)
        #expect(live.stderr.contains(#"disk.free("/no/such/dir/for/mend"): /no/such/dir/for/mend does not exist"#))
    }

    @Test func usageErrors() throws {
        let missing = try MendBinary.run(["facts", "--root", "/no/such/root/for/mend"])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("--root /no/such/root/for/mend: no such directory"))
        #expect(missing.stdout.isEmpty)
        let format = try MendBinary.run(["facts", "--format", "yaml"])
        #expect(format.status == 64)
        let extra = try MendBinary.run(["facts", "os.id"])
        #expect(extra.status == 64)
    }

    @Test func theLiveHostAsJSON() throws {
        let r = try MendBinary.run(["facts", "--format", "json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let json = try #require(JSON.parse(r.stdout))
        #expect(json["kernel"]?["release"]?.string == reference(["uname", "-r"]))
        #expect(json["cpu"]?["count"]?.int == reference(["nproc"]).flatMap { Int($0) })
        #expect(json["user"]?["uid"]?.int == reference(["id", "-u"]).flatMap { Int($0) })
    }
}

@Suite("facts in runbooks and snippets")
struct FactsInRunbooksTests {
    @Test("mend eval on the live host", arguments: [
        ("kernel.release", ["uname", "-r"], true),
        ("kernel.arch", ["uname", "-m"], true),
        ("host.name", ["uname", "-n"], true),
        ("user.name", ["id", "-un"], true),
        ("cpu.count", ["nproc"], false),
        ("user.uid", ["id", "-u"], false),
    ])
    func liveFact(_ source: String, _ argv: [String], _ quoted: Bool) throws {
        let r = try MendBinary.run(["eval", source])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let expected = try #require(reference(argv))
        #expect(r.stdout == (quoted ? "\"\(expected)\"" : expected) + "\n")
    }

    @Test func osIdAgreesWithOsRelease() throws {
        let id = try #require(reference(["sh", "-c", #". /etc/os-release 2>/dev/null || . /usr/lib/os-release; printf %s "${ID:-linux}""#]))
        let r = try MendBinary.run(["eval", "os.id"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout == "\"\(id)\"\n")
        let isRoot = try MendBinary.run(["eval", "user.is_root"])
        #expect(isRoot.stdout == (geteuid() == 0 ? "true\n" : "false\n"))
    }

    @Test func memTotalAgreesWithProcMeminfo() throws {
        let kb = try #require(reference(["sh", "-c", "awk '/^MemTotal:/ {print $2}' /proc/meminfo"]).flatMap { Int($0) })
        let r = try MendBinary.run(["eval", "mem.total == \(kb) * 1KiB"])
        #expect(r.stdout == "true\n", "stderr: \(r.stderr)")
    }

    @Test func checkAcceptsFactsAtTopLevel() throws {
        let dir = try TemporaryDirectory()
        let file = dir.path + "/baseline.mend"
        try writeFile(file, """
            runbook "baseline"
            require os.id in ["ubuntu"], "this runbook targets Ubuntu"
            require user.is_root or not user.is_root, "either"
            check mem.total >= 16GiB, "the seed asks for 16 GiB of memory"
            check cpu.count >= 4, "the seed asks for 4 CPUs"
            check disk.free("/") >= 1GiB, "room on /"
            check init == "systemd" and container == "none" and selinux.mode != "enforcing", "a plain systemd host"
            print("${os.pretty} (${os.family}, kernel ${kernel.release} on ${kernel.arch}), ${host.name}")

            """)
        let check = try MendBinary.run(["check", file])
        #expect(check.status == 0, "stderr: \(check.stderr)")

        let ubuntuDir = try TemporaryDirectory()
        let ubuntu = try FixtureHost.ubuntu.copy(into: ubuntuDir.path)
        let plan = try MendBinary.run(["plan", file, "--root", ubuntu])
        #expect(plan.status == 0, "stderr: \(plan.stderr)")
        #expect(plan.stdout.hasPrefix("Ubuntu 22.04.4 LTS (debian, kernel 5.15.0-105-generic on \(reference(["uname", "-m"]) ?? "?")), node-ubuntu\n"))

        // On CentOS the require fails before anything runs.
        let centosDir = try TemporaryDirectory()
        let centos = try FixtureHost.centos.copy(into: centosDir.path)
        let refused = try MendBinary.run(["plan", file, "--root", centos])
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("this runbook targets Ubuntu"))
    }

    @Test func checkRejectsMisusedFacts() throws {
        let dir = try TemporaryDirectory()
        let file = dir.path + "/bad.mend"
        try writeFile(file, "check os.ids == \"ubuntu\", \"x\"\nprint(mem.total())\n")
        let r = try MendBinary.run(["check", file])
        #expect(r.status == 65)
        #expect(r.stderr.contains("'os' has no member 'ids'"))
        #expect(r.stderr.contains("'mem.total' is a value, not a function"))
    }

    @Test func docNamesTheSources() throws {
        let r = try MendBinary.run(["doc", "mem.total"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("mem.total\n"))
        #expect(r.stdout.contains("/proc/meminfo"))
        let index = try MendBinary.run(["doc"])
        for name in ["os.id", "os.family", "kernel.release", "cpu.count", "mem.available", "disk.free(path)", "host.name",
                     "user.is_root", "selinux.mode"] {
            #expect(index.stdout.contains(name), "mend doc lacks \(name)")
        }
    }
}
