import Glibc
import Testing

/// The fully static binary (`scripts/build --static`, which scripts/test runs) on a host that has
/// nothing: a chroot holding only the binary, /proc (mounted in a private mount namespace),
/// /etc/passwd, /etc/hosts and busybox-static for a shell. No library, no terminfo, no NSS module.
@Suite("the static binary on an empty host", .serialized)
struct StaticBinaryTests {
    static let binary = LanguageDoc.repositoryRoot + "/.build-static/release/mend"
    static let busybox = "/bin/busybox"

    /// A fresh empty host with the binary and the shipped runbooks and a copy of the Alpine fixture
    /// under /srv; its path.
    static func emptyHost(in dir: TemporaryDirectory) throws -> String {
        try InitSystems.requireRoot()
        guard access(binary, X_OK) == 0 else {
            throw TestFailure(description: "no static binary at \(binary): scripts/build --static makes it (scripts/test runs it)")
        }
        guard access(busybox, X_OK) == 0 else {
            throw TestFailure(description: "no \(busybox): apt-get install busybox-static (scripts/test installs it)")
        }
        let root = dir.path + "/host"
        let made = try system("""
            mkdir -p \(shellQuote(root))/bin \(shellQuote(root))/etc \(shellQuote(root))/proc \(shellQuote(root))/srv \
            && cp \(shellQuote(binary)) \(shellQuote(root))/bin/mend && cp \(busybox) \(shellQuote(root))/bin/busybox \
            && ln -s busybox \(shellQuote(root))/bin/sh
            """)
        guard made == 0 else { throw TestFailure(description: "cannot make the empty host in \(root)") }
        try writeFile(root + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
        try writeFile(root + "/etc/hosts", "127.0.0.1 localhost\n")
        _ = try FixtureHost.alpine.copy(into: root + "/srv")
        _ = try ShippedRunbooks.copy(into: root + "/srv")
        return root
    }

    /// Runs `script` with busybox's sh inside the host, /proc mounted in a mount namespace of its own.
    static func run(_ script: String, in root: String, proc: Bool = true) throws -> (status: Int32, stdout: String, stderr: String) {
        try writeFile(root + "/srv/script.sh", script)
        let mount = proc ? "mount -t proc proc \(shellQuote(root))/proc && " : ""
        return try InitSystems.shell("unshare -m --propagation private sh -c \(shellQuote(mount + "exec chroot \(shellQuote(root)) /bin/sh /srv/script.sh"))",
                                     in: root + "/srv")
    }

    @Test("ldd: not a dynamic executable")
    func noDynamicLinks() throws {
        guard access(Self.binary, X_OK) == 0 else { throw TestFailure(description: "no static binary at \(Self.binary): scripts/build --static") }
        let dir = try TemporaryDirectory()
        let ldd = try InitSystems.shell("ldd \(shellQuote(Self.binary))", in: dir.path)
        #expect((ldd.stdout + ldd.stderr).contains("not a dynamic executable"), "\(ldd)")
    }

    @Test("version, facts, resolve, and the Alpine runbook planned, run and rolled back")
    func runsOnAnEmptyHost() throws {
        let dir = try TemporaryDirectory()
        try Self.checkTheCommands(on: try Self.emptyHost(in: dir), mend: "/bin/mend")
    }

    @Test("the same on a minimal Debian host (debootstrap --variant=minbase)")
    func runsOnAMinimalDebianHost() throws {
        try InitSystems.requireRoot()
        let dir = try TemporaryDirectory()
        let roots = try InitSystems.shell(shellQuote(LanguageDoc.repositoryRoot + "/scripts/lib/init-roots.sh"), in: dir.path)
        guard roots.status == 0 else {
            throw TestFailure(description: "no Debian root in \(InitSystems.cache): scripts/lib/init-roots.sh failed: \(roots.stderr)")
        }
        let root = dir.path + "/debian"
        let made = try system("""
            mkdir \(shellQuote(root)) && flock -s \(shellQuote(InitSystems.cache + "/.lock")) tar -xf \(shellQuote(InitSystems.cache + "/bookworm-minbase.tar")) -C \(shellQuote(root)) \
            && mkdir -p \(shellQuote(root))/srv && cp \(shellQuote(Self.binary)) \(shellQuote(root))/usr/local/bin/mend
            """)
        guard made == 0 else { throw TestFailure(description: "cannot unpack the minimal Debian root") }
        // debootstrap leaves /etc/hosts to the installer; every installed Debian host has it.
        try writeFile(root + "/etc/hosts", "127.0.0.1 localhost\n")
        _ = try FixtureHost.alpine.copy(into: root + "/srv")
        _ = try ShippedRunbooks.copy(into: root + "/srv")
        try Self.checkTheCommands(on: root, mend: "/usr/local/bin/mend")
    }

    /// `mend version`, `facts`, `eval 'net.resolve("localhost")'`, and the Alpine runbook planned, run
    /// and rolled back over /srv/root, on the host at `root` whose binary is at `mend` inside it.
    static func checkTheCommands(on root: String, mend: String) throws {
        let fixture = root + "/srv/root"
        let before = try TreeSnapshot.of(fixture)
        let result = try Self.run("""
            M=\(mend)
            $M version > /srv/version.out 2>&1; echo "version=$?"
            $M facts --root /srv/root > /srv/facts.out 2>&1; echo "facts=$?"
            $M eval 'net.resolve("localhost")' > /srv/resolve.out 2>&1; echo "resolve=$?"
            R=/srv/runbooks/go-node/alpine-3.19.mend
            $M plan $R --root /srv/root --param min_disk=0B --detailed-exitcode > /srv/plan.out 2>&1; echo "plan=$?"
            $M run $R --root /srv/root --param min_disk=0B --state-dir /srv/state --detailed-exitcode > /srv/run.out 2>&1; echo "run=$?"
            cp /srv/root/etc/conf.d/node /srv/conf.d-node
            $M rollback last --state-dir /srv/state > /srv/rollback.out 2>&1; echo "rollback=$?"
            """, in: root)
        func file(_ name: String) -> String { (try? readFile(root + "/srv/" + name)) ?? "(no \(name))" }
        #expect(marker("version", in: result.stdout) == "0" && file("version.out").hasPrefix("mend "), "\(result)\n\(file("version.out"))")
        #expect(marker("facts", in: result.stdout) == "0" && file("facts.out").contains("alpine"), "\(file("facts.out"))")
        #expect(marker("resolve", in: result.stdout) == "0" && file("resolve.out").contains("127.0.0.1"), "\(file("resolve.out"))")
        #expect(marker("plan", in: result.stdout) == "2", "\(file("plan.out"))")
        #expect(marker("run", in: result.stdout) == "2", "\(file("run.out"))")
        #expect(file("conf.d-node") == "rc_ulimit=\"-n 65536 -u 8192\"\n", "the run's OpenRC limits")
        #expect(marker("rollback", in: result.stdout) == "0", "\(file("rollback.out"))")
        #expect(try TreeSnapshot.of(fixture) == before, "the rollback left the Alpine host changed: \(file("rollback.out"))")
    }

    @Test("without /proc it says what is missing and exits 71")
    func withoutProc() throws {
        let dir = try TemporaryDirectory()
        let root = try Self.emptyHost(in: dir)
        let result = try Self.run("/bin/mend version; echo \"status=$?\"", in: root, proc: false)
        #expect(marker("status", in: result.stdout) == "71", "\(result)")
        #expect(result.stderr.contains("mend: /proc is not mounted"), "\(result)")
    }

    @Test("the REPL in a terminal with no terminfo: Tab completes")
    func replWithoutTerminfo() throws {
        let dir = try TemporaryDirectory()
        let root = try Self.emptyHost(in: dir)
        let inner = "mount -t proc proc \(shellQuote(root))/proc && exec chroot \(shellQuote(root)) /bin/mend repl --state-dir /srv/state"
        let t = try TerminalSession { _ in "unshare -m --propagation private sh -c \(shellQuote(inner))" }
        try t.waitFor("the first prompt") { $0.contains("mend>") }
        try t.type("sysc")
        try t.press("Tab")
        try t.waitForLine("mend> sysctl")
        try t.enter(".get(\"kernel.ostype\")")
        try t.waitForLine("\"Linux\"")
    }
}
