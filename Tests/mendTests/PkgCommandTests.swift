import Glibc
import Testing

/// The rpm stand-in of the fixtures (Fixtures/rpm-standin/rpm): mend finds it first on PATH.
enum RpmStandIn {
    static let directory = LanguageDoc.repositoryRoot + "/Tests/mendTests/Fixtures/rpm-standin"
    static var path: String { directory + ":" + (getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin") }
}

@Suite("pkg on the fixture hosts and the live host")
struct PkgCommandTests {
    @Test func installedAgreesWithDpkgQueryOnTheLiveHost() throws {
        let dir = try TemporaryDirectory()
        let query = try InitSystems.shell("dpkg-query -W -f '${Version}' bash", in: dir.path)
        try #require(query.status == 0, "dpkg-query: \(query.stderr) (this test needs a Debian or Ubuntu host)")
        try writeFile(dir.path + "/bash.mend", #"print(pkg.manager(), pkg.installed("bash"))"#)
        let r = try MendBinary.run(["run", dir.path + "/bash.mend"], environment: ["MEND_STATE_DIR": dir.path + "/state"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "apt \(query.stdout)\n")
    }

    @Test func theCentOSHostAnswersThroughRpmsRootOption() throws {
        let dir = try TemporaryDirectory()
        let root = try FixtureHost.centos.copy(into: dir.path)
        try writeFile(dir.path + "/rpm.mend", """
            print(pkg.manager(), pkg.installed("bash"), pkg.installed("bind-utils"), pkg.installed("kernel"), pkg.installed("nano"))
            print(pkg.version("devtoolset-11-gcc") >= version("11"))
            """)
        let r = try MendBinary.run(["run", dir.path + "/rpm.mend", "--root", root],
                                   environment: ["PATH": RpmStandIn.path, "MEND_STATE_DIR": dir.path + "/state"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "yum 4.2.46-35.el7_9 32:9.11.4-26.P2.el7_9.16 3.10.0-1160.108.1.el7 nil\ntrue\n")
    }
}

/// `pkg.install` and its undo for real: apt-get with its root options against a fresh Debian root
/// unpacked from the cached minbase, a package built here and served from a local repository
/// (`copy:`, so apt copies it into the root's cache): no network, and the host's dpkg database is
/// never touched.
@Suite("pkg in a Debian root", .serialized)
struct PkgDebianRootTests {
    /// A fresh root with the repository in its sources and apt's lists updated; `$ROOT`, `$APT`.
    final class DebianRoot {
        let dir: TemporaryDirectory
        var root: String { dir.path + "/root" }
        var state: String { dir.path + "/state" }

        init() throws {
            try InitSystems.requireRoot()
            dir = try TemporaryDirectory()
            let roots = try InitSystems.shell(shellQuote(LanguageDoc.repositoryRoot + "/scripts/lib/init-roots.sh"), in: dir.path)
            guard roots.status == 0 else {
                throw TestFailure(description: "no Debian root in \(InitSystems.cache): scripts/lib/init-roots.sh failed: \(roots.stderr)")
            }
            let setup = try InitSystems.shell("""
                set -e
                cd \(shellQuote(dir.path))
                mkdir root repo
                flock -s \(shellQuote(InitSystems.cache + "/.lock")) tar -xf \(shellQuote(InitSystems.cache + "/bookworm-minbase.tar")) -C root
                mkdir -p probe/DEBIAN probe/usr/share/mend-probe
                printf 'Package: mend-probe\\nVersion: 1.2-1\\nArchitecture: all\\nMaintainer: mend tests <tests@invalid>\\nDescription: a file for the pkg tests\\n' >probe/DEBIAN/control
                echo probe >probe/usr/share/mend-probe/hello
                dpkg-deb --root-owner-group -b probe repo/mend-probe_1.2-1_all.deb >/dev/null
                # The index apt reads, written as dpkg-scanpackages would.
                { dpkg-deb -f repo/mend-probe_1.2-1_all.deb
                  echo "Filename: ./mend-probe_1.2-1_all.deb"
                  echo "Size: $(stat -c %s repo/mend-probe_1.2-1_all.deb)"
                  echo "SHA256: $(sha256sum repo/mend-probe_1.2-1_all.deb | cut -d' ' -f1)"
                  echo; } >repo/Packages
                echo "deb [trusted=yes] copy:$PWD/repo ./" >root/etc/apt/sources.list
                rm -f root/etc/apt/sources.list.d/*
                apt-get -o Dir=$PWD/root -o Dir::State::status=$PWD/root/var/lib/dpkg/status -o DPkg::Chroot-Directory=$PWD/root update
                """, in: dir.path)
            guard setup.status == 0 else { throw TestFailure(description: "cannot set up the Debian root: \(setup.stderr)\(setup.stdout)") }
        }

        /// Runs a runbook with `mend run --root` (extra arguments after).
        func run(_ source: String, _ arguments: [String] = []) throws -> MendBinary.Result {
            let file = dir.path + "/runbook.mend"
            try writeFile(file, source)
            return try MendBinary.run(["run", file, "--root", root, "--state-dir", state] + arguments)
        }

        /// What dpkg in the root says of the probe: its version, or "" when not installed.
        func probe() throws -> String {
            let r = try InitSystems.shell("dpkg-query --admindir=\(shellQuote(root + "/var/lib/dpkg")) -W -f '${db:Status-Status} ${Version}' mend-probe",
                                          in: dir.path)
            return r.stdout.hasPrefix("installed ") ? String(r.stdout.dropFirst(10)) : ""
        }
    }

    static let install = """
        step "probe installed" { pkg.install("mend-probe") }
        print(pkg.installed("mend-probe"))
        """

    /// The host's dpkg database, to prove the tests leave it alone.
    private func hostStatus() throws -> String { try readFile("/var/lib/dpkg/status") }

    @Test func installConvergesAndRollbackRemovesIt() throws {
        let before = try hostStatus()
        let root = try DebianRoot()
        let first = try root.run(Self.install, ["--detailed-exitcode"])
        #expect(first.status == 2, "\(first.stderr)")
        #expect(first.stdout.split(separator: "\n").contains("1.2-1"), "\(first.stdout)")
        #expect(try root.probe() == "1.2-1")
        #expect(try readFile(root.root + "/usr/share/mend-probe/hello") == "probe\n")

        // Its journal: mend rollback takes the root back to "not installed".
        let rollback = try MendBinary.run(["rollback", "last", "--state-dir", root.state])
        #expect(rollback.status == 0, "\(rollback.stderr)\(rollback.stdout)")
        #expect(try root.probe() == "")

        #expect(try root.run(Self.install, ["--detailed-exitcode"]).status == 2)
        let again = try root.run(Self.install, ["--detailed-exitcode"])
        #expect(again.status == 0, "a second run changes nothing: \(again.stderr)")
        #expect(again.stdout.split(separator: "\n").contains("1.2-1"), "\(again.stdout)")
        #expect(try hostStatus() == before, "the host's dpkg database changed")
    }

    @Test func aFailedRunUndoesTheInstallAndARemovalIsUndoneByReinstalling() throws {
        let before = try hostStatus()
        let root = try DebianRoot()
        let failed = try root.run(Self.install + "\nstep \"boom\" { fail(\"injected\") }\n")
        #expect(failed.status == 1, "\(failed.stderr)")
        #expect(try root.probe() == "")

        #expect(try root.run(Self.install).status == 0)
        let removal = try root.run("""
            step "no probe" { assert pkg.remove("mend-probe") }
            step "boom" { fail("injected") }
            """)
        #expect(removal.status == 1, "\(removal.stderr)")
        #expect(try root.probe() == "1.2-1", "the rollback reinstalls the recorded version")
        #expect(try hostStatus() == before, "the host's dpkg database changed")
    }
}
