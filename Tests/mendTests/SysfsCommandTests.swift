import Glibc
import MendKit
import Testing

/// `sysfs` through the `mend` binary: what needs another user (permission denied, exit 77).
@Suite("sysfs, end to end")
struct SysfsCommandTests {
    static let enabled = "/sys/kernel/mm/transparent_hugepage/enabled"

    /// A write the runner may not make is exit 77 naming the file, and leaves the root as it was;
    /// a plan by the same user still works (reading needs no privileges).
    @Test func permissionDeniedIsExit77NamingTheFile() throws {
        let dir = try TemporaryDirectory()
        let root = try FixtureHost.ubuntu.copy(into: dir.path)
        let file = dir.path + "/thp.mend"
        try writeFile(file, """
            step "transparent huge pages off" {
              sysfs.set("kernel/mm/transparent_hugepage/enabled", "never")
            }

            """)
        let state = dir.path + "/state"
        #expect(mkdir(state, 0o700) == 0)
        var prefix: [String] = []
        if geteuid() == 0 {
            // Root writes anything: run as nobody, for whom the root-owned 0644 file is read-only.
            #expect(chmod(dir.path, 0o755) == 0 && chmod(file, 0o644) == 0)
            #expect(chown(root + Self.enabled, 0, 0) == 0 && chmod(root + Self.enabled, 0o644) == 0)
            #expect(chown(state, 65534, 65534) == 0)
            prefix = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        } else {
            #expect(chmod(root + Self.enabled, 0o444) == 0)
        }
        let before = try TreeSnapshot.of(root)

        let run = try Self.execute(prefix + [MendBinary.path, "run", file, "--root", root, "--state-dir", state])
        #expect(run.status == 77, "stdout: \(run.stdout) stderr: \(run.stderr)")
        #expect(run.stderr.contains("sysfs.set: cannot write \(Self.enabled): Permission denied"), "\(run.stderr)")
        #expect(try TreeSnapshot.of(root) == before)

        let plan = try Self.execute(prefix + [MendBinary.path, "plan", file, "--root", root, "--format", "json"])
        #expect(plan.status == 0, "\(plan.stderr)")
        let change = JSON.parse(plan.stdout)?["steps"]?.array?.first?["changes"]?.array?.first
        #expect(change?["kind"] == .string("sysfs") && change?["target"] == .string(Self.enabled))
        #expect(change?["before"] == .string("always") && change?["after"] == .string("never"))
        #expect(try TreeSnapshot.of(root) == before)
    }

    /// Runs a command to the end with stdin from /dev/null.
    static func execute(_ argv: [String]) throws -> MendBinary.Result {
        let dir = try TemporaryDirectory()
        let out = dir.path + "/stdout", err = dir.path + "/stderr"
        let status = try system(argv.map(shellQuote).joined(separator: " ") + " </dev/null >\(shellQuote(out)) 2>\(shellQuote(err))")
        return MendBinary.Result(status: status, stdout: try readFile(out), stderr: try readFile(err))
    }
}
