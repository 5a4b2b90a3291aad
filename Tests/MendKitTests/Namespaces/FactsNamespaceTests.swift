import Foundation
import Glibc
import Testing
@testable import MendKit

/// The repository root: this file is Tests/MendKitTests/Namespaces/FactsNamespaceTests.swift.
private let repositoryRoot: String = {
    var path = #filePath
    for _ in 0..<4 {
        guard let slash = path.lastIndex(of: "/") else { break }
        path = String(path[..<slash])
    }
    return path
}()

/// Runs `body` with a scratch directory holding a copy of fixture host `name` (the directory is
/// the root), so the tree in git never changes.
private func withFixture<T>(_ name: String, _ body: (ScratchDirectory) throws -> T) throws -> T {
    try withScratch { dir throws in
        let source = repositoryRoot + "/Tests/mendTests/Fixtures/hosts/" + name + "/."
        let copy = try Host.local.run(["cp", "-a", source, dir.path])
        guard copy.status == 0 else {
            throw ScratchError("cannot copy \(source): \(String(decoding: copy.stderr, as: UTF8.self))")
        }
        return try body(dir)
    }
}

/// The facts of a root, read in-process.
private func reader(_ dir: ScratchDirectory) -> FactsReader {
    FactsReader(host: MendKit.Host(root: dir.path))
}

/// The standard output of a reference tool, trimmed; nil when it could not run.
private func reference(_ argv: [String]) -> String? {
    ReferenceTool.output(argv).map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
}

/// What each fixture host's facts must be (values from its files; see the fixtures' README).
struct FixtureFacts: Sendable, CustomTestStringConvertible {
    let host: String
    let id: String
    let version: String
    let family: String
    let pretty: String
    let release: String
    let initSystem: String
    let selinux: String
    let name: String

    var testDescription: String { host }

    static let all = [
        FixtureFacts(host: "ubuntu-22.04", id: "ubuntu", version: "22.04", family: "debian", pretty: "Ubuntu 22.04.4 LTS",
                     release: "5.15.0-105-generic", initSystem: "systemd", selinux: "disabled", name: "node-ubuntu"),
        FixtureFacts(host: "centos-7", id: "centos", version: "7", family: "rhel", pretty: "CentOS Linux 7 (Core)",
                     release: "3.10.0-1160.el7.x86_64", initSystem: "systemd", selinux: "enforcing", name: "node-centos"),
        FixtureFacts(host: "alpine-3.19", id: "alpine", version: "3.19.1", family: "alpine", pretty: "Alpine Linux v3.19",
                     release: "6.6.14-0-lts", initSystem: "openrc", selinux: "disabled", name: "node-alpine"),
    ]
}

/// MemTotal and MemAvailable of the fixtures' /proc/meminfo, in bytes.
private let fixtureMemTotal = 32_863_652 * 1024
private let fixtureMemAvailable = 27_411_348 * 1024

@Suite("facts of the fixture hosts")
struct FixtureFactsTests {
    @Test("each fact", arguments: FixtureFacts.all)
    func facts(_ expected: FixtureFacts) throws {
        try withFixture(expected.host) { dir throws in
            let r = reader(dir)
            #expect(try r.osID() == expected.id)
            #expect(try r.osVersion() == expected.version)
            #expect(try r.osFamily() == expected.family)
            #expect(try r.osPretty() == expected.pretty)
            #expect(try r.kernelRelease() == expected.release)
            #expect(try r.cpuCount() == 8)
            #expect(try r.memTotal() == fixtureMemTotal)
            #expect(try r.memAvailable() == fixtureMemAvailable)
            #expect(try r.initSystem() == expected.initSystem)
            #expect(try r.selinuxMode() == expected.selinux)
            #expect(try r.hostName() == expected.name)
            #expect(try r.container() == "none")
            #expect(r.userUID() == Int(geteuid()))
            #expect(r.userIsRoot() == (geteuid() == 0))
            if geteuid() == 0 { #expect(try r.userName() == "root") }
        }
    }

    @Test("the same facts from a runbook", arguments: FixtureFacts.all)
    func runbook(_ expected: FixtureFacts) throws {
        try withFixture(expected.host) { dir throws in
            let h = EngineHarness(root: dir)
            let report = try h.run("""
                require os.family in ["debian", "rhel", "alpine"], "a supported host"
                check mem.total >= 16GiB, "16 GiB of memory"
                print(os.id, os.version, os.family, kernel.release, cpu.count, mem.total, mem.available)
                print(os.pretty)
                print(host.name, init, container, selinux.mode, user.is_root == (user.uid == 0))
                print(disk.free("/etc") > 0B, type(disk.free("/")))
                """)
            #expect(report.exitCode == 0, "\(String(describing: report.error?.message))")
            #expect(h.output.out == """
                \(expected.id) \(expected.version) \(expected.family) \(expected.release) 8 31.34GiB 26.14GiB
                \(expected.pretty)
                \(expected.name) \(expected.initSystem) none \(expected.selinux) true
                true size

                """)
        }
    }

    @Test("all facts at once, as JSON", arguments: FixtureFacts.all)
    func json(_ expected: FixtureFacts) throws {
        try withFixture(expected.host) { dir throws in
            let facts = Facts.read(from: MendKit.Host(root: dir.path), diskPaths: ["/", "/etc"])
            let json = facts.json
            #expect(json["os"]?["id"] == .string(expected.id))
            #expect(json["os"]?["family"] == .string(expected.family))
            #expect(json["kernel"]?["release"] == .string(expected.release))
            #expect(json["cpu"]?["count"] == .int(8))
            #expect(json["mem"]?["total"] == .int(fixtureMemTotal))
            #expect(json["mem"]?["available"] == .int(fixtureMemAvailable))
            #expect(json["host"]?["name"] == .string(expected.name))
            #expect(json["init"] == .string(expected.initSystem))
            #expect(json["container"] == .string("none"))
            #expect(json["selinux"]?["mode"] == .string(expected.selinux))
            #expect(json["user"]?["is_root"] == .bool(geteuid() == 0))
            #expect(json["disk"]?["free"]?["/"]?.int ?? 0 > 0)
            #expect(json["disk"]?["free"]?["/etc"]?.int ?? 0 > 0)
            if geteuid() == 0 { #expect(json["errors"] == .object([])) }
            #expect(facts["mem.total"] == .success(.size(fixtureMemTotal)))
            #expect(facts.entries.map(\.name) == ["os.id", "os.version", "os.family", "os.pretty", "kernel.release",
                                                  "kernel.arch", "cpu.count", "mem.total", "mem.available",
                                                  #"disk.free("/")"#, #"disk.free("/etc")"#, "host.name", "host.root", "user.uid",
                                                  "user.name", "user.is_root", "init", "container", "selinux.mode"])
        }
    }

    @Test func textIsAlignedNameValueLines() throws {
        try withFixture("ubuntu-22.04") { dir throws in
            let text = Facts.read(from: MendKit.Host(root: dir.path)).text
            let lines = text.split(separator: "\n").map(String.init)
            #expect(lines.contains("os.id           ubuntu"))
            #expect(lines.contains("mem.total       31.34GiB"))
            #expect(lines.contains("init            systemd"))
            #expect(lines.contains("selinux.mode    disabled"))
            // Every value starts in the same column: two spaces after the longest name.
            let column = "disk.free(\"/\")".count + 2
            for line in lines {
                let name = line.prefix { $0 != " " }
                #expect(line.count > column && line.dropFirst(column).first != " " && line.prefix(column).hasPrefix(name),
                        "\(line)")
            }
        }
    }
}

@Suite("facts that cannot be read")
struct FactErrorTests {
    @Test func aMissingMeminfoIsAnErrorForTheMemoryFactsAlone() throws {
        try withFixture("ubuntu-22.04") { dir throws in
            #expect(unlink(dir.at("/proc/meminfo")) == 0)
            #expect(throws: FactError("mem.total", "cannot read /proc/meminfo: no such file")) { try reader(dir).memTotal() }
            #expect(throws: FactError("mem.available", "cannot read /proc/meminfo: no such file")) { try reader(dir).memAvailable() }

            let facts = Facts.read(from: MendKit.Host(root: dir.path))
            #expect(facts["mem.total"] == .failure(FactError("mem.total", "cannot read /proc/meminfo: no such file")))
            #expect(facts["os.id"] == .success(.string("ubuntu")))
            #expect(facts.json["mem"]?["total"] == .null)
            #expect(facts.json["errors"]?["mem.total"] == .string("cannot read /proc/meminfo: no such file"))
            #expect(facts.text.contains("mem.total       unknown (cannot read /proc/meminfo: no such file)\n"))

            // In a runbook, the error names the fact and stops the run there.
            let h = EngineHarness(root: dir)
            let report = try h.run("print(os.id)\nprint(mem.total)\n")
            #expect(report.exitCode == 1)
            #expect(report.error?.message == "mem.total: cannot read /proc/meminfo: no such file")
            #expect(h.output.out == "ubuntu\n")
        }
    }

    @Test func meminfoWithoutMemAvailable() throws {
        try withScratch { dir throws in
            try dir.write("/proc/meminfo", "MemTotal:       1024 kB\nMemFree:         512 kB\n")
            #expect(try reader(dir).memTotal() == 1 << 20)
            #expect(throws: FactError("mem.available", "no readable MemAvailable line in /proc/meminfo")) {
                try reader(dir).memAvailable()
            }
        }
    }

    @Test func diskFreeOfAMissingPathNamesIt() throws {
        try withFixture("ubuntu-22.04") { dir throws in
            #expect(throws: FactError(#"disk.free("/data")"#, "/data does not exist")) { try reader(dir).diskFree("/data") }
            #expect(throws: FactError(#"disk.free("data")"#, "data: a path must be absolute (start with /)")) {
                try reader(dir).diskFree("data")
            }
            let h = EngineHarness(root: dir)
            let report = try h.run(#"print(disk.free("/var/lib/node"))"#)
            #expect(report.exitCode == 1)
            #expect(report.error?.message == #"disk.free("/var/lib/node"): /var/lib/node does not exist"#)
        }
    }

    /// statvfs takes a C string: `/\0data` would be the free space of `/`.
    @Test func diskFreeOfAPathWithANULByteIsAnErrorNamingTheArgument() throws {
        try withFixture("ubuntu-22.04") { dir throws in
            let report = try EngineHarness(root: dir).run(#"print(disk.free("/\u{0}data"))"#)
            #expect(report.exitCode == 1)
            #expect(report.error?.message == #"disk.free: 'path' contains a NUL byte (\0 at offset 1)"#)
        }
    }

    @Test func diskFreeAgreesWithStatvfs() throws {
        try withFixture("ubuntu-22.04") { dir throws in
            var s = statvfs()
            #expect(statvfs(dir.path, &s) == 0)
            let expected = Int(s.f_bavail) * Int(s.f_frsize)
            let free = try reader(dir).diskFree("/")
            // Other tests write to the same file system meanwhile: allow for their files.
            #expect(abs(free - expected) < 256 << 20, "\(free) vs \(expected)")
        }
    }

    @Test func anEmptyRootHasErrorsThatNameTheFiles() throws {
        try withScratch { dir throws in
            let r = reader(dir)
            #expect(throws: FactError("os.id", "cannot read /etc/os-release or /usr/lib/os-release: no such file")) { try r.osID() }
            #expect(throws: FactError("kernel.release", "cannot read /proc/sys/kernel/osrelease: no such file")) {
                try r.kernelRelease()
            }
            #expect(throws: FactError("cpu.count", "cannot read /proc/cpuinfo or /sys/devices/system/cpu/online: no such file")) {
                try r.cpuCount()
            }
            #expect(throws: FactError("host.name", "cannot read /proc/sys/kernel/hostname or /etc/hostname: no such file")) {
                try r.hostName()
            }
            #expect(throws: FactError("user.name", "no user with uid \(geteuid()) in /etc/passwd")) { try r.userName() }
            // What an empty root still has: no init, no container, no SELinux; the arch of this machine.
            #expect(try r.initSystem() == "none")
            #expect(try r.container() == "none")
            #expect(try r.selinuxMode() == "disabled")
            #expect(try r.kernelArch() == Host.local.kernelIdentity().machine)
            // mend facts shows every fact, with the reasons of the missing ones.
            let facts = Facts.read(from: MendKit.Host(root: dir.path))
            #expect(facts.entries.count == 18)
            #expect(facts.errors.map(\.fact) == ["os.id", "os.version", "os.family", "os.pretty", "kernel.release",
                                                 "cpu.count", "mem.total", "mem.available", "host.name", "user.name"])
        }
    }

    @Test func aUserMissingFromPasswd() throws {
        try withScratch { dir throws in
            try dir.write("/etc/passwd", "someone:x:\(geteuid() + 1):1:x:/:/bin/sh\n")
            #expect(throws: FactError("user.name", "no user with uid \(geteuid()) in /etc/passwd")) { try reader(dir).userName() }
            try dir.write("/etc/passwd", "someone:x:\(geteuid() + 1):1:x:/:/bin/sh\nme:x:\(geteuid()):1:x:/:/bin/sh\n")
            #expect(try reader(dir).userName() == "me")
        }
    }

    @Test func anUnexpectedSELinuxEnforceFile() throws {
        try withScratch { dir throws in
            try dir.write("/sys/fs/selinux/enforce", "maybe\n")
            #expect(throws: FactError("selinux.mode", #"unexpected content in /sys/fs/selinux/enforce: "maybe""#)) {
                try reader(dir).selinuxMode()
            }
        }
    }
}

@Suite("facts: how each is derived")
struct FactSourcesTests {
    @Test(arguments: [
        ("ID=ubuntu\nID_LIKE=debian\n", "debian"),
        ("ID=debian\n", "debian"),
        ("ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n", "debian"),
        ("ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n", "rhel"),
        ("ID=\"amzn\"\nID_LIKE=\"centos rhel fedora\"\n", "rhel"),
        ("ID=fedora\n", "rhel"),
        ("ID=\"almalinux\"\n", "rhel"),
        ("ID=alpine\n", "alpine"),
        ("ID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\n", "suse"),
        ("ID=\"sles\"\n", "suse"),
        ("ID=arch\n", "arch"),
        ("ID=manjaro\nID_LIKE=arch\n", "arch"),
        ("ID=somethingnew\nID_LIKE=\"debian\"\n", "debian"),
        ("ID=nixos\n", "unknown"),
        ("NAME=x\n", "unknown"),
    ])
    func family(_ osRelease: String, _ expected: String) throws {
        try withScratch { dir throws in
            try dir.write("/etc/os-release", osRelease)
            #expect(try reader(dir).osFamily() == expected)
        }
    }

    @Test func osReleaseQuotingAndDefaults() throws {
        let fields = FactsReader.osReleaseFields("""
            # a comment
            NAME="Some \\"Quoted\\" Linux"
            PRETTY_NAME='Single quoted'
            ID=plain
              VERSION_ID="1.2"
            BAD LINE
            """)
        #expect(fields["NAME"] == #"Some "Quoted" Linux"#)
        #expect(fields["PRETTY_NAME"] == "Single quoted")
        #expect(fields["ID"] == "plain")
        #expect(fields["VERSION_ID"] == "1.2")
        try withScratch { dir throws in
            // os-release(5) defaults; /usr/lib/os-release stands in for a missing /etc/os-release.
            try dir.write("/usr/lib/os-release", "NAME=Minimal\n")
            let r = reader(dir)
            #expect(try r.osID() == "linux")
            #expect(try r.osPretty() == "Linux")
            #expect(try r.osVersion() == "")
            #expect(try r.osFamily() == "unknown")
        }
    }

    @Test(arguments: [
        (["/.dockerenv": ""], "docker"),
        (["/run/.containerenv": "engine=\"podman-4.9\"\n"], "podman"),
        (["/run/secrets/kubernetes.io/serviceaccount/token": "x", "/.dockerenv": ""], "kubernetes"),
        (["/run/systemd/container": "lxc\n"], "lxc"),
        (["/run/systemd/container": "docker\n"], "docker"),
        (["/proc/1/cgroup": "0::/kubepods/besteffort/pod1234/abcd\n"], "kubernetes"),
        (["/proc/1/cgroup": "12:pids:/docker/0123abcd\n"], "docker"),
        (["/proc/sys/kernel/osrelease": "5.15.146.1-microsoft-standard-WSL2\n"], "wsl"),
        (["/proc/sys/kernel/osrelease": "4.4.0-19041-Microsoft\n"], "wsl"),
        (["/proc/sys/kernel/osrelease": "6.1.0-18-amd64\n", "/proc/1/cgroup": "0::/\n"], "none"),
    ])
    func container(_ files: [String: String], _ expected: String) throws {
        try withScratch { dir throws in
            for (path, text) in files { try dir.write(path, text) }
            #expect(try reader(dir).container() == expected)
        }
    }

    @Test func kubernetesSecretsThroughTheVarRunLink() throws {
        try withScratch { dir throws in
            try dir.link("/var/run", to: "/run")
            try dir.write("/run/secrets/kubernetes.io/serviceaccount/namespace", "default")
            #expect(try reader(dir).container() == "kubernetes")
        }
    }

    @Test(arguments: [
        (["/proc/1/comm": "systemd\n"], "systemd"),
        (["/proc/1/comm": "openrc-init\n"], "openrc"),
        (["/proc/1/comm": "init\n", "/sbin/openrc": ""], "openrc"),
        (["/proc/1/comm": "init\n"], "sysv"),
        (["/proc/1/comm": "bash\n", "/sbin/init": ""], "none"),
        (["/run/systemd/system/.keep": "", "/proc/1/comm": "bash\n"], "systemd"),
        (["/usr/lib/systemd/systemd": ""], "systemd"),
        (["/sbin/openrc": ""], "openrc"),
        (["/sbin/init": ""], "sysv"),
    ])
    func initSystem(_ files: [String: String], _ expected: String) throws {
        try withScratch { dir throws in
            for (path, text) in files { try dir.write(path, text) }
            #expect(try reader(dir).initSystem() == expected)
        }
    }

    @Test(arguments: [
        (["/sys/fs/selinux/enforce": "1"], "enforcing"),
        (["/sys/fs/selinux/enforce": "0\n", "/etc/selinux/config": "SELINUX=enforcing\n"], "permissive"),
        (["/etc/selinux/config": "# boot mode\nSELINUX=permissive\nSELINUXTYPE=targeted\n"], "permissive"),
        (["/etc/selinux/config": "SELINUX=disabled\n"], "disabled"),
        ([:], "disabled"),
    ])
    func selinux(_ files: [String: String], _ expected: String) throws {
        try withScratch { dir throws in
            for (path, text) in files { try dir.write(path, text) }
            #expect(try reader(dir).selinuxMode() == expected)
        }
    }

    @Test func cpuCountFallsBackToTheOnlineList() throws {
        #expect(FactsReader.countRanges("0-3,6,8-9\n") == 7)
        #expect(FactsReader.countRanges("0") == 1)
        #expect(FactsReader.countRanges("3-1") == nil)
        #expect(FactsReader.countRanges("x") == nil)
        #expect(FactsReader.countRanges("0-9223372036854775807") == nil)
        #expect(FactsReader.countRanges("-5-9223372036854775807") == nil)
        try withScratch { dir throws in
            try dir.write("/sys/devices/system/cpu/online", "0-3,6\n")
            #expect(try reader(dir).cpuCount() == 5)
            try dir.write("/proc/cpuinfo", "processor\t: 0\nflags\t: x\n\nprocessor\t: 1\n")
            #expect(try reader(dir).cpuCount() == 2)
        }
    }

    @Test func hostNameFallsBackToEtcHostname() throws {
        try withScratch { dir throws in
            try dir.write("/etc/hostname", "# set by the installer\nnode-7\n")
            #expect(try reader(dir).hostName() == "node-7")
            try dir.write("/proc/sys/kernel/hostname", "node-8\n")
            #expect(try reader(dir).hostName() == "node-8")
        }
    }

    @Test func kernelArchFromItsFile() throws {
        try withScratch { dir throws in
            try dir.write("/proc/sys/kernel/arch", "aarch64\n")
            #expect(try reader(dir).kernelArch() == "aarch64")
        }
    }
}

@Suite("facts of the live host")
struct LiveFactsTests {
    private let live = FactsReader(host: MendKit.Host())

    @Test func kernelAgreesWithUname() throws {
        #expect(try live.kernelRelease() == reference(["uname", "-r"]))
        #expect(try live.kernelArch() == reference(["uname", "-m"]))
        #expect(try live.hostName() == reference(["uname", "-n"]))
    }

    @Test func cpuCountAgreesWithNproc() throws {
        #expect(try live.cpuCount() == reference(["nproc"]).flatMap { Int($0) })
    }

    @Test func memoryAgreesWithProcMeminfo() throws {
        let text = try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        let kb = text.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }
            .flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) }
        #expect(try live.memTotal() == (kb ?? -1) * 1024)
        let available = try live.memAvailable()
        let total = try live.memTotal()
        #expect(available > 0 && available <= total)
    }

    @Test func userAgreesWithId() throws {
        #expect(live.userUID() == reference(["id", "-u"]).flatMap { Int($0) })
        #expect(try live.userName() == reference(["id", "-un"]))
        #expect(live.userIsRoot() == (reference(["id", "-u"]) == "0"))
    }

    @Test func osAgreesWithOsRelease() throws {
        let script = #". /etc/os-release 2>/dev/null || . /usr/lib/os-release; printf '%s|%s|%s' "${ID:-linux}" "$VERSION_ID" "${PRETTY_NAME:-Linux}""#
        let fields = reference(["sh", "-c", script])?.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        #expect(try [live.osID(), live.osVersion(), live.osPretty()] == fields)
        #expect(try ["debian", "rhel", "alpine", "suse", "arch", "unknown"].contains(live.osFamily()))
    }

    @Test func diskFreeAgreesWithDf() throws {
        let avail = reference(["df", "-B1", "--output=avail", "/"])?.split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let free = try live.diskFree("/")
        let expected = try #require(avail)
        // Other tests write to the same file system meanwhile: allow for their files.
        #expect(abs(free - expected) < 256 << 20, "\(free) vs df's \(expected)")
    }

    @Test func initContainerAndSELinuxAgreeWithTheirFiles() throws {
        let initSystem = try live.initSystem()
        #expect(["systemd", "openrc", "sysv", "none"].contains(initSystem))
        var s = stat()
        if stat("/run/systemd/system", &s) == 0, s.st_mode & S_IFMT == S_IFDIR { #expect(initSystem == "systemd") }
        let container = try live.container()
        let kubernetes = access("/run/secrets/kubernetes.io", F_OK) == 0 || getenv("KUBERNETES_SERVICE_HOST") != nil
        if !kubernetes, access("/run/.containerenv", F_OK) != 0, access("/.dockerenv", F_OK) == 0 {
            #expect(container == "docker")
        }
        #expect(!container.isEmpty)
        let selinux = try live.selinuxMode()
        if access("/sys/fs/selinux/enforce", F_OK) != 0 { #expect(selinux == "disabled") }
    }
}
