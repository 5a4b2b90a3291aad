import Foundation
import Glibc
@testable import MendKit
import Testing

/// A package manager answered in the test: apt-get, yum, dnf and apk change a set of installed
/// packages (apt's and apk's written to the root's database files, which mend reads; yum's answered
/// through `rpm -q`), with repositories holding the versions given. Nothing is spawned.
private final class FakeManager: @unchecked Sendable {
    let root: String
    let manager: PackageManager
    private let lock = NSLock()
    private var installed: [String: String]
    /// Versions each package's repositories hold, the newest last.
    private let repository: [String: [String]]
    /// The lines `apt-get -s install NAME` prints before NAME's own `Inst` line.
    var simulation: [String: [String]] = [:]
    /// When set, every change answers as the manager answers a user who is not root.
    var notRoot = false

    init(_ manager: PackageManager, root: String, installed: [String: String], repository: [String: [String]]) throws {
        self.manager = manager
        self.root = root
        self.installed = installed
        self.repository = repository
        let release: String
        switch manager {
        case .apt: release = "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\n"
        case .apk: release = "ID=alpine\nVERSION_ID=3.19.1\n"
        default: release = "ID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"7\"\n"
        }
        try write("/etc/os-release", release)
        if let executable = manager.executable { try write(executable, "#!/bin/sh\nexit 127\n") }
        try save()
    }

    lazy var runner = AnsweringRunner { [unowned self] request throws(ProcessError) in self.answer(request) }
    var host: MendKit.Host { MendKit.Host(root: root, processes: runner) }

    func version(_ name: String) -> String? {
        lock.lock()
        defer { lock.unlock() }
        return installed[name]
    }

    private func answer(_ request: ProcessRequest) -> ProcessResult {
        lock.lock()
        defer { lock.unlock() }
        let argv = request.argv
        if argv.first == "rpm" {
            guard let name = argv.last, let version = installed[name] else {
                return ProcessResult(status: 1, stdout: Array("package \(argv.last ?? "") is not installed\n".utf8))
            }
            let epoch = version.contains(":") ? "" : "(none):"
            return ProcessResult(status: 0, stdout: Array("\(epoch)\(version)\n".utf8))
        }
        if argv.contains("-s") {
            // apt's simulation: what the install would bring, dependencies first.
            guard let spec = argv.last, let extra = simulation[spec] else { return failed(100, "E: Unable to locate package \(argv.last ?? "")") }
            return ProcessResult(status: 0, stdout: Array((extra + ["Inst \(spec) (1.0 Ubuntu:22.04/jammy [amd64])"]).map { $0 + "\n" }.joined().utf8))
        }
        if notRoot {
            switch manager {
            case .apt: return failed(100, "E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?")
            case .apk: return failed(99, "ERROR: Unable to lock database: Permission denied\nERROR: Failed to open apk database: Permission denied")
            default: return failed(1, "You need to be root to perform this command.")
            }
        }
        guard let spec = argv.last, let verb = argv.first(where: { ["install", "remove", "add", "del", "downgrade"].contains($0) }) else {
            return failed(2, "unexpected command \(argv)")
        }
        if verb == "remove" || verb == "del" {
            installed[spec] = nil
        } else {
            let separator: Character = manager == .apt || manager == .apk ? "=" : "-"
            var name = spec, wanted: String?
            if separator == "=", let eq = spec.firstIndex(of: "=") {
                name = String(spec[..<eq])
                wanted = String(spec[spec.index(after: eq)...])
            } else if separator == "-" {
                // yum's NAME-VERSION: the repository says where the name ends.
                for (candidate, versions) in repository {
                    for v in versions where spec == candidate + "-" + v {
                        name = candidate
                        wanted = v
                    }
                }
            }
            guard let versions = repository[name], let version = wanted ?? versions.last, versions.contains(version) else {
                return failed(100, wanted.map { "E: Version '\($0)' for '\(name)' was not found" } ?? "E: Unable to locate package \(name)")
            }
            installed[name] = version
        }
        try? save()
        return ProcessResult(status: 0, stdout: Array("done\n".utf8))
    }

    private func failed(_ status: Int32, _ message: String) -> ProcessResult {
        ProcessResult(status: status, stderr: Array((message + "\n").utf8))
    }

    /// Writes the root's database as the manager would.
    private func save() throws {
        let names = installed.keys.sorted()
        switch manager {
        case .apt:
            try write(PackageDatabase.dpkgStatus, names.map {
                "Package: \($0)\nStatus: install ok installed\nArchitecture: amd64\nVersion: \(installed[$0]!)\nDescription: a package\n two lines\n"
            }.joined(separator: "\n"))
        case .apk:
            try write(PackageDatabase.apkInstalled, names.map { "C:Q1x=\nP:\($0)\nV:\(installed[$0]!)\nA:x86_64\n\n" }.joined())
        default:
            break
        }
    }

    private func write(_ path: String, _ text: String) throws {
        let full = root + path
        try FileManager.default.createDirectory(atPath: String(full[..<full.lastIndex(of: "/")!]), withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }

    /// Runs `source` against this root; a plan when `plan`.
    func run(_ source: String, plan: Bool = false) throws -> (RunReport, EngineTestOutput) {
        let output = EngineTestOutput()
        let interpreter = Interpreter(registry: .standard(), output: output)
        let unit = try interpreter.compile(SourceFile(name: "test.mend", text: source))
        var options = EngineOptions()
        options.isPlan = plan
        return (try Engine(interpreter: interpreter, host: host, options: options).run(unit), output)
    }

    /// The commands that changed something (not rpm's queries).
    var changes: [[String]] { runner.requests.map(\.argv).filter { $0.first != "rpm" } }
}

@Suite struct PkgCommandLineTests {
    @Test func aptRunsWithItsRootOptionsAndNoQuestions() throws {
        try withScratch { dir in
            let fake = try FakeManager(.apt, root: dir.path, installed: ["bash": "5.1-6ubuntu1.1"], repository: ["chrony": ["4.2-2ubuntu2"]])
            let (report, _) = try fake.run(#"step "chrony" { assert pkg.install("chrony") }"#)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            let r = dir.path
            #expect(fake.changes == [["apt-get", "-o", "Dir=\(r)", "-o", "Dir::State::status=\(r)/var/lib/dpkg/status",
                                      "-o", "DPkg::Chroot-Directory=\(r)", "install", "-y", "chrony"]])
            let environment = try #require(fake.runner.requests.first?.environment)
            #expect(environment.contains("DEBIAN_FRONTEND=noninteractive") && environment.contains("LC_ALL=C"))
            #expect(fake.version("chrony") == "4.2-2ubuntu2")
            #expect(report.steps.first?.changes.first?.kind == "pkg")
            #expect(report.steps.first?.changes.first?.after == .string("installed"))
        }
    }

    @Test func theLiveHostGetsNoRootOption() throws {
        let live = MendKit.Host(root: "/", processes: AnsweringRunner { _ throws(ProcessError) in ProcessResult(status: 0) })
        #expect(PackageManager.apt.install("go", version: "2:1.21-1", on: live) == ["apt-get", "install", "-y", "--allow-downgrades", "go=2:1.21-1"])
        #expect(PackageManager.apt.remove("go", on: live) == ["apt-get", "remove", "-y", "go"])
        #expect(PackageManager.yum.install("go", version: "1.21-1.el7", on: live) == ["yum", "-y", "install", "go-1.21-1.el7"])
        #expect(PackageManager.dnf.downgrade("go", version: "1.20-1", on: live) == ["dnf", "-y", "downgrade", "go-1.20-1"])
        #expect(PackageManager.apk.install("go", version: nil, on: live) == ["apk", "add", "--no-cache", "go"])
        #expect(PackageManager.apk.remove("go", on: live) == ["apk", "del", "go"])
        #expect(PackageManager.apt.downgrade("go", version: "1", on: live) == nil)
        #expect(PackageManager.rpmQuery("go", on: live) == ["rpm", "-q", "--qf", "%{EPOCH}:%{VERSION}-%{RELEASE}\\n", "go"])
    }

    @Test func yumInstallsAVersionIntoItsInstallRoot() throws {
        try withScratch { dir in
            let fake = try FakeManager(.yum, root: dir.path, installed: ["bash": "4.2.46-35.el7_9"],
                                       repository: ["chrony": ["3.2-2.el7", "3.4-1.el7"]])
            let (report, output) = try fake.run("""
                step "chrony" { pkg.install("chrony", version: "3.4-1.el7") }
                print(pkg.installed("chrony"), pkg.version("chrony"))
                """)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(fake.changes == [["yum", "-y", "--installroot", dir.path, "install", "chrony-3.4-1.el7"]])
            #expect(fake.runner.requests.first?.argv == ["rpm", "-q", "--root", dir.path, "--qf", "%{EPOCH}:%{VERSION}-%{RELEASE}\\n", "chrony"])
            #expect(output.out == "3.4-1.el7 3.4\n")
        }
    }

    @Test func yumDowngradesToAnOlderVersion() throws {
        try withScratch { dir in
            let fake = try FakeManager(.yum, root: dir.path, installed: ["chrony": "3.4-1.el7"], repository: ["chrony": ["3.2-2.el7", "3.4-1.el7"]])
            let (report, _) = try fake.run(#"step "old chrony" { pkg.install("chrony", version: "3.2-2.el7") }"#)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(fake.changes == [["yum", "-y", "--installroot", dir.path, "downgrade", "chrony-3.2-2.el7"]])
        }
    }

    @Test func apkAddsWithoutACacheAndDeletes() throws {
        try withScratch { dir in
            let fake = try FakeManager(.apk, root: dir.path, installed: ["busybox": "1.36.1-r15", "telnet": "0.17-r1"],
                                       repository: ["tini": ["0.19.0-r2"]])
            let (report, _) = try fake.run("""
                step "tini" { pkg.install("tini", version: "0.19.0-r2") }
                step "no telnet" { assert pkg.remove("telnet") }
                """)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(fake.changes == [["apk", "--root", dir.path, "add", "--no-cache", "tini=0.19.0-r2"],
                                     ["apk", "--root", dir.path, "del", "telnet"]])
        }
    }
}

@Suite struct PkgChangeTests {
    @Test func aSecondRunChangesNothing() throws {
        try withScratch { dir in
            let fake = try FakeManager(.apt, root: dir.path, installed: [:], repository: ["chrony": ["4.2-2ubuntu2"]])
            let source = #"step "chrony" { print(pkg.install("chrony")) }"#
            let (first, output) = try fake.run(source)
            let (second, again) = try fake.run(source)
            #expect(first.exitCode == 0 && second.exitCode == 0)
            #expect(output.out == "true\n" && again.out == "false\n")
            #expect(fake.changes.count == 1)
            #expect(second.steps.first?.changes.isEmpty == true)
        }
    }

    @Test func aPlanChangesNothingAndLaterReadsSeeThePlannedState() throws {
        try withScratch { dir in
            let fake = try FakeManager(.apt, root: dir.path, installed: ["ntp": "1:4.2.8p15+dfsg-1ubuntu2"], repository: [:])
            let (report, output) = try fake.run("""
                step "packages" {
                  pkg.install("chrony")
                  pkg.install("go", version: "2:1.21.1-1")
                  pkg.remove("ntp")
                }
                print(pkg.installed("chrony"), pkg.version("chrony"), pkg.installed("go"), pkg.version("go"), pkg.installed("ntp"))
                """, plan: true)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            // Only apt's simulations ran (they read only), one per install.
            #expect(fake.runner.requests.map(\.argv) == [["apt-get", "-o", "Dir=\(dir.path)", "-o", "Dir::State::status=\(dir.path)/var/lib/dpkg/status",
                                                          "-o", "DPkg::Chroot-Directory=\(dir.path)", "-s", "install", "chrony"],
                                                         ["apt-get", "-o", "Dir=\(dir.path)", "-o", "Dir::State::status=\(dir.path)/var/lib/dpkg/status",
                                                          "-o", "DPkg::Chroot-Directory=\(dir.path)", "-s", "install", "go=2:1.21.1-1"]])
            #expect(output.out == "(planned) nil 2:1.21.1-1 1.21.1 nil\n")
            let changes = report.steps.first?.changes ?? []
            #expect(changes.map(\.after) == [.string("installed"), .string("2:1.21.1-1"), .string("not installed")])
            #expect(changes.map(\.before) == [.string("not installed"), .string("not installed"), .string("1:4.2.8p15+dfsg-1ubuntu2")])
        }
    }

    @Test func aPlanOnAptNamesWhatElseTheInstallBrings() throws {
        try withScratch { dir in
            let fake = try FakeManager(.apt, root: dir.path, installed: [:], repository: [:])
            // Ubuntu's chrony and systemd-timesyncd conflict: installing one removes the other.
            fake.simulation = ["chrony": ["Remv systemd-timesyncd [249.11-0ubuntu3.12]",
                                          "Inst libedit2 (3.1-20210910-1build1 Ubuntu:22.04/jammy [amd64])",
                                          "Inst tzdata [2024a-0ubuntu0.22.04] (2024a-0ubuntu0.22.04.1 Ubuntu:22.04/jammy-updates [all])"]]
            let (report, _) = try fake.run(#"step "s" { pkg.install("chrony") }"#, plan: true)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(report.steps.first?.changes.first?.note == "installed; apt-get -s: with libedit2; upgrades tzdata; removes systemd-timesyncd")
            #expect(fake.changes.allSatisfy { $0.contains("-s") }, "only simulations ran: \(fake.changes)")
        }
    }

    @Test func namesEndingInPlusAreRead() throws {
        try withScratch { dir in
            let fake = try FakeManager(.apt, root: dir.path, installed: ["g++": "4:11.2.0-1ubuntu1"], repository: [:])
            let (report, output) = try fake.run(#"print(pkg.installed("g++"), pkg.installed("libstdc++6"))"#)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(output.out == "4:11.2.0-1ubuntu1 nil\n")
        }
    }

    @Test func apkRefusesAFuzzyVersion() throws {
        try withScratch { dir in
            let fake = try FakeManager(.apk, root: dir.path, installed: [:], repository: ["bash": ["5.2.21-r0"]])
            let (report, _) = try fake.run(#"step "s" { pkg.install("bash", version: "~5") }"#)
            #expect(failure(report) == #"pkg.install: 'version' "~5" contains "~", which apk reads as a fuzzy match (apk versions have none)"#)
            #expect(fake.changes.isEmpty)
        }
    }

    @Test func aPlanWhoseSimulationFailsStillPlansTheInstall() throws {
        try withScratch { dir in
            let fake = try FakeManager(.apt, root: dir.path, installed: [:], repository: [:])
            let (report, _) = try fake.run(#"step "s" { pkg.install("chrony") }"#, plan: true)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(report.steps.first?.changes.first?.note == "installed")
        }
    }

    @Test func aFailedRunRemovesWhatItInstalledAndReinstallsWhatItRemoved() throws {
        try withScratch { dir in
            let fake = try FakeManager(.apt, root: dir.path, installed: ["ntp": "1:4.2.8p15+dfsg-1ubuntu2"],
                                       repository: ["chrony": ["4.2-2ubuntu2"], "ntp": ["1:4.2.8p15+dfsg-1ubuntu2"]])
            let (report, _) = try fake.run("""
                step "time daemon" {
                  pkg.remove("ntp")
                  pkg.install("chrony")
                }
                step "boom" { fail("injected") }
                """)
            #expect(report.exitCode == 1)
            #expect(report.rollbackErrors.isEmpty, "\(report.rollbackErrors.map(\.message))")
            #expect(fake.version("chrony") == nil)
            #expect(fake.version("ntp") == "1:4.2.8p15+dfsg-1ubuntu2")
            let r = dir.path
            let options = ["-o", "Dir=\(r)", "-o", "Dir::State::status=\(r)/var/lib/dpkg/status", "-o", "DPkg::Chroot-Directory=\(r)"]
            #expect(fake.changes == [
                ["apt-get"] + options + ["remove", "-y", "ntp"],
                ["apt-get"] + options + ["install", "-y", "chrony"],
                ["apt-get"] + options + ["remove", "-y", "chrony"],
                ["apt-get"] + options + ["install", "-y", "--allow-downgrades", "ntp=1:4.2.8p15+dfsg-1ubuntu2"],
            ])
        }
    }

    @Test func anUpgradeIsUndoneToTheRecordedVersion() throws {
        try withScratch { dir in
            let fake = try FakeManager(.yum, root: dir.path, installed: ["chrony": "3.2-2.el7"], repository: ["chrony": ["3.2-2.el7", "3.4-1.el7"]])
            let (report, _) = try fake.run("""
                step "chrony" { pkg.install("chrony", version: "3.4-1.el7") }
                step "boom" { fail("injected") }
                """)
            #expect(report.exitCode == 1)
            #expect(fake.version("chrony") == "3.2-2.el7")
            #expect(fake.changes.last == ["yum", "-y", "--installroot", dir.path, "downgrade", "chrony-3.2-2.el7"])
        }
    }

    @Test func anUndoWhoseVersionIsGoneFromTheRepositoriesIsARollbackError() throws {
        try withScratch { dir in
            let fake = try FakeManager(.apt, root: dir.path, installed: ["ntp": "1:4.2.8p15+dfsg-1ubuntu1"], repository: [:])
            let (report, _) = try fake.run("""
                step "no ntp" { pkg.remove("ntp") }
                step "boom" { fail("injected") }
                """)
            // 3: the rollback did not restore everything.
            #expect(report.exitCode == 3)
            let error = try #require(report.rollbackErrors.first)
            #expect(error.target == "ntp")
            #expect(error.message.contains("apt-get exited with 100: E: Version '1:4.2.8p15+dfsg-1ubuntu1' for 'ntp' was not found"), "\(error.message)")
        }
    }

    @Test func notRootIsAPermissionErrorWithTheManagersMessage() throws {
        for manager in [PackageManager.apt, .yum, .apk] {
            try withScratch { dir in
                let fake = try FakeManager(manager, root: dir.path, installed: [:], repository: ["chrony": ["4.5-r0"]])
                fake.notRoot = true
                let (report, _) = try fake.run(#"step "chrony" { pkg.install("chrony") }"#)
                #expect(report.exitCode == 77, "\(manager): \(failure(report) ?? "")")
                let message = failure(report) ?? ""
                #expect(message.hasPrefix("pkg.install: "), "\(message)")
                #expect(message.contains("Permission denied") || message.contains("need to be root"), "\(message)")
            }
        }
    }

    @Test func aMissingManagerToolIsNamedWithItsPackage() throws {
        try withScratch { dir in
            let fake = try FakeManager(.apk, root: dir.path, installed: [:], repository: [:])
            let runner = AnsweringRunner { request throws(ProcessError) in
                throw ProcessError(command: request.argv[0], message: "no such command")
            }
            let interpreter = Interpreter(registry: .standard(), output: EngineTestOutput())
            let unit = try interpreter.compile(SourceFile(name: "t.mend", text: #"step "tini" { pkg.install("tini") }"#))
            let report = try Engine(interpreter: interpreter, host: MendKit.Host(root: fake.root, processes: runner), options: EngineOptions()).run(unit)
            #expect(failure(report) == "pkg.install: apk: not found (install the apk-tools package)")
        }
    }

    @Test func aRootWithoutAManagerSaysSo() throws {
        try withScratch { dir in
            let (report, output) = try run("""
                print(pkg.manager())
                step "x" { pkg.install("chrony") }
                """, in: dir)
            #expect(output.out == "none\n")
            #expect(failure(report) == "pkg.install: no package manager in \(dir.path) (looked for /usr/bin/apt-get, /usr/bin/dnf, /usr/bin/yum, /sbin/apk)")
        }
    }

    @Test(arguments: [
        (#"pkg.install("chrony vim")"#, #"pkg.install: 'name' contains white space (" ") in "chrony vim""#),
        (#"pkg.install("-oDir=/")"#, #"pkg.install: 'name' "-oDir=/" starts with "-", which the package manager would read as an option"#),
        (#"pkg.remove("a\nb")"#, #"pkg.remove: 'name' contains a control character (\n at offset 1)"#),
        (#"pkg.installed("a\0b")"#, #"pkg.installed: 'name' contains a NUL byte (\0 at offset 1)"#),
        (#"pkg.install("chrony", version: "--force")"#, #"pkg.install: 'version' "--force" starts with "-", which the package manager would read as an option"#),
        (#"pkg.install("chrony", version: "")"#, #"pkg.install: 'version' is empty"#),
        (#"pkg.version("")"#, #"pkg.version: 'name' is empty"#),
        (#"pkg.install("curl-")"#, #"pkg.install: 'name' "curl-" ends with "-", which apt-get reads as an order to remove the package"#),
        (#"pkg.remove("curl-")"#, #"pkg.remove: 'name' "curl-" ends with "-", which apt-get reads as an order to remove the package"#),
        (#"pkg.install("lib*")"#, #"pkg.install: 'name' "lib*" contains "*", which no package name has (a manager reads it as a pattern, a version or a release)"#),
        (#"pkg.install("bash=5.0")"#, #"pkg.install: 'name' "bash=5.0" contains "=", which no package name has (a manager reads it as a pattern, a version or a release)"#),
        (#"pkg.installed("bash/bookworm")"#, #"pkg.installed: 'name' "bash/bookworm" contains "/", which no package name has (a manager reads it as a pattern, a version or a release)"#),
        (#"pkg.install("bash", version: "5.*")"#, #"pkg.install: 'version' "5.*" contains "*", which no package version has"#),
    ])
    func namesAManagerWouldMisreadAreRefused(_ call: String, _ message: String) throws {
        try withScratch { dir in
            let fake = try FakeManager(.apt, root: dir.path, installed: [:], repository: [:])
            let (report, _) = try fake.run("step \"x\" { \(call) }")
            #expect(failure(report) == message)
            #expect(fake.runner.requests.isEmpty)
        }
    }
}

@Suite struct PkgDatabaseTests {
    @Test func dpkgStatusCountsOnlyInstalledPackages() throws {
        let status = """
            Package: ntp
            Status: deinstall ok config-files
            Version: 1:4.2.8p15+dfsg-1ubuntu2

            Package: libc6
            Status: install ok installed
            Architecture: amd64
            Version: 2.35-0ubuntu3.8
            Description: GNU C Library
             Version: 9.9 in a description is not a field

            Package: libc6
            Status: hold ok installed
            Architecture: i386
            Version: 2.35-0ubuntu3.7

            Package: half
            Status: install reinstreq half-installed
            Version: 1.0
            """
        #expect(PackageDatabase.dpkgVersion(of: "ntp", in: status) == nil)
        #expect(PackageDatabase.dpkgVersion(of: "half", in: status) == nil)
        #expect(PackageDatabase.dpkgVersion(of: "libc6", in: status) == "2.35-0ubuntu3.8")
        #expect(PackageDatabase.dpkgVersion(of: "libc6:i386", in: status) == "2.35-0ubuntu3.7")
        #expect(PackageDatabase.dpkgVersion(of: "libc", in: status) == nil)
    }

    @Test func apkRecordsAreReadByTheirPAndVLines() {
        let db = "C:Q1=\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\n\nP:busybox\nV:1.36.1-r15\np:cmd:sh=1.36.1-r15\n"
        #expect(PackageDatabase.apkVersion(of: "busybox", in: db) == "1.36.1-r15")
        #expect(PackageDatabase.apkVersion(of: "musl", in: db) == "1.2.4_git20230717-r4")
        #expect(PackageDatabase.apkVersion(of: "sh", in: db) == nil)
    }

    @Test func rpmAnswersKeepEpochsAndTheNewestInstance() {
        #expect(PackageDatabase.rpmVersion("(none):4.2.46-35.el7_9\n") == "4.2.46-35.el7_9")
        #expect(PackageDatabase.rpmVersion("32:9.11.4-26.P2.el7_9.16\n") == "32:9.11.4-26.P2.el7_9.16")
        #expect(PackageDatabase.rpmVersion("(none):3.10.0-1160.108.1.el7\n(none):3.10.0-1160.99.1.el7\n") == "3.10.0-1160.108.1.el7")
        #expect(PackageDatabase.rpmVersion("") == nil)
        #expect(PackageDatabase.rpmSaysNotInstalled("package nope is not installed\n"))
    }

    @Test func anRpmThatFailsOtherwiseIsAnError() throws {
        try withScratch { dir in
            let fake = try FakeManager(.yum, root: dir.path, installed: [:], repository: [:])
            let broken = AnsweringRunner { _ throws(ProcessError) in
                ProcessResult(status: 1, stderr: Array("error: cannot open Packages database in /var/lib/rpm\n".utf8))
            }
            let host = MendKit.Host(root: fake.root, processes: broken)
            #expect(throws: HostError.self) { try PackageResource.installedVersion("bash", on: host) }
        }
    }

    @Test(arguments: [
        ("2:1.21.1-1ubuntu1", "1.21.1"), ("4.2.46-35.el7_9", "4.2.46"), ("1.36.1-r15", "1.36.1"),
        ("1.21~rc1-1", "1.21-rc1"), ("1.2.4_rc1-r0", "1.2.4-rc1"), ("1:8.9p1-3ubuntu0.10", "8.9"),
        ("1.18.1+dfsg-1", "1.18.1"), ("1.2.4_git20230717-r4", "1.2.4"), ("5.2.15-2+b8", "5.2.15"), ("2024a-0ubuntu0.22.04", "2024"),
    ])
    func distributionVersionsCompareAsUpstreamVersions(_ text: String, _ shown: String) throws {
        let v = try #require(PackageDatabase.comparable(text))
        #expect(v.text == shown)
        // What it prints parses back to the same version.
        #expect(Version(v.text).map { v.compare($0) } == 0)
    }

    @Test func preReleasesSortBeforeTheRelease() throws {
        let rc = try #require(PackageDatabase.comparable("1.21~rc1-1"))
        let release = try #require(PackageDatabase.comparable("1.21.0-1"))
        let wanted = try #require(Version("1.21"))
        #expect(rc.compare(wanted) < 0 && release.compare(wanted) == 0)
        #expect(PackageDatabase.comparable("git-1") == nil)
    }

    @Test(arguments: [
        ("1.0", "1.0", 0), ("1.0-1", "1.0-2", -1), ("1:0.9", "2.0", 1), ("1.0~rc1", "1.0", -1), ("1.10", "1.9", 1),
        ("3.10.0-1160.99.1.el7", "3.10.0-1160.108.1.el7", -1), ("1.0a", "1.0", 1), ("1.0+b1", "1.0", 1), ("2.17", "2.17.0", -1),
    ])
    func dpkgOrdering(_ a: String, _ b: String, _ expected: Int) {
        #expect(PackageDatabase.compare(a, b) == expected)
        #expect(PackageDatabase.compare(b, a) == -expected)
    }
}

@Suite struct PkgFixtureHostTests {
    @Test func theUbuntuAndAlpineHostsAnswerFromTheirDatabases() throws {
        try FixtureRoot.with("ubuntu-22.04") { dir in
            let (report, output) = try run("""
                print(pkg.manager(), pkg.installed("bash"), pkg.installed("openssh-server"), pkg.version("golang-1.21-go"), pkg.installed("ntp"))
                """, in: dir)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(output.out == "apt 5.1-6ubuntu1.1 1:8.9p1-3ubuntu0.10 1.21.1 nil\n")
        }
        try FixtureRoot.with("alpine-3.19") { dir in
            let (report, output) = try run(#"print(pkg.manager(), pkg.installed("tini"), pkg.version("go") >= version("1.21"), pkg.installed("bash"))"#, in: dir)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(output.out == "apk 0.19.0-r2 true nil\n")
        }
    }
}
