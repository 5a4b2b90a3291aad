import Glibc

/// Real init systems for the service tests, isolated from this host (Fixtures/init-systems/*.sh
/// say how). They need root and, for OpenRC and SysV, the Debian roots scripts/test caches; without
/// them a test fails with what to do, never skips.
enum InitSystems {
    static let scripts = LanguageDoc.repositoryRoot + "/Tests/mendTests/Fixtures/init-systems"
    /// Where scripts/lib/init-roots.sh keeps the Debian roots.
    static let cache = getenv("MEND_TEST_CACHE").map { String(cString: $0) } ?? "/var/cache/mend-tests"

    /// mend's build directory and the Swift runtime it links to, shell-quoted: bound into the
    /// machines and jails at the same paths, since either may lie where those have their own /tmp.
    static var mendDirectories: String {
        let build = String(MendBinary.path[..<(MendBinary.path.lastIndex(of: "/") ?? MendBinary.path.endIndex)])
        return [build, swiftRuntime].compactMap { $0 }.map(shellQuote).joined(separator: " ")
    }

    /// The directory of the Swift runtime libraries mend links to (nil for a static build).
    static let swiftRuntime: String? = {
        guard let dir = try? TemporaryDirectory(),
              let result = try? InitSystems.shell("ldd \(shellQuote(MendBinary.path))", in: dir.path) else { return nil }
        for line in result.stdout.split(separator: "\n") where line.contains("libswiftCore.so") {
            let parts = line.split(separator: "=> ")
            guard parts.count == 2 else { continue }
            let path = parts[1].split(separator: " ").first.map(String.init) ?? ""
            if let slash = path.lastIndex(of: "/") { return String(path[..<slash]) }
        }
        return nil
    }()

    static func requireRoot() throws {
        guard geteuid() == 0 else {
            throw TestFailure(description: "the init-system tests need root (private namespaces, overlays); CI runs them as root")
        }
    }

    /// Runs a shell command line; its status, stdout and stderr.
    static func shell(_ command: String, in dir: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let out = dir + "/.out", err = dir + "/.err"
        let status = try system("\(command) >\(shellQuote(out)) 2>\(shellQuote(err)) </dev/null")
        return (status, (try? readFile(out)) ?? "", (try? readFile(err)) ?? "")
    }
}

/// This machine's systemd booted as PID 1 of private namespaces over an overlay of `/` (boot about
/// 0.5 s). `share` is bound at the same path inside: runbooks go there. Powered off and its cgroup
/// removed by ``shutdown()`` or when the value goes away, also after a failed expectation.
final class SystemdMachine {
    let dir: TemporaryDirectory
    /// A directory seen at the same path inside and outside.
    let share: String
    private var running = false

    init() throws {
        try InitSystems.requireRoot()
        dir = try TemporaryDirectory()
        share = dir.path + "/share"
        guard mkdir(share, 0o755) == 0 else { throw TestFailure(description: "cannot create \(share)") }
        running = true
        let start = try InitSystems.shell("\(shellQuote(InitSystems.scripts + "/systemd-machine.sh")) start \(shellQuote(dir.path + "/machine")) \(shellQuote(share)) \(getpid()) \(InitSystems.mendDirectories)",
                                          in: dir.path)
        guard start.status == 0 else {
            shutdown()
            throw TestFailure(description: "systemd did not boot in its namespaces: \(start.stderr)")
        }
    }

    /// Runs `script` with /bin/sh inside every namespace of the machine.
    func run(_ script: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let pid = try readFile(dir.path + "/machine/pid1").filter(\.isNumber)
        let file = share + "/.script.sh"
        try writeFile(file, "MEND=\(shellQuote(MendBinary.path))\n" + script)
        return try InitSystems.shell("nsenter -t \(pid) -a /bin/sh \(shellQuote(file))", in: dir.path)
    }

    /// Writes a file into the shared directory and returns its path.
    func put(_ name: String, _ text: String) throws -> String {
        try writeFile(share + "/" + name, text)
        return share + "/" + name
    }

    func shutdown() {
        guard running else { return }
        running = false
        _ = try? system("\(shellQuote(InitSystems.scripts + "/systemd-machine.sh")) stop \(shellQuote(dir.path + "/machine")) >/dev/null 2>&1")
    }

    deinit { shutdown() }
}

/// A jail of real OpenRC or SysV init: a fresh overlay of a cached Debian root, a shell script as
/// PID 1 (named init). One script a jail: it runs mend, then looks at what mend did.
enum InitJail {
    enum Flavor: String { case openrc, sysv }

    /// Runs `script` in a new jail of `flavor`; `$MEND` is mend's path, `share` a directory seen at
    /// the same path inside.
    static func run(_ flavor: Flavor, _ script: String, share: TemporaryDirectory) throws -> (status: Int32, stdout: String, stderr: String) {
        try InitSystems.requireRoot()
        let root = InitSystems.cache + "/" + flavor.rawValue
        // Ready in milliseconds when the cached roots match what the script builds; else it builds them.
        let roots = try InitSystems.shell(shellQuote(LanguageDoc.repositoryRoot + "/scripts/lib/init-roots.sh"), in: share.path)
        guard roots.status == 0 else {
            throw TestFailure(description: "no \(flavor.rawValue) test root in \(InitSystems.cache): scripts/lib/init-roots.sh failed: \(roots.stderr)")
        }
        let preparation = flavor == .openrc
            // Nothing that touches the host's clock or cgroups at sysinit; then OpenRC's state in /run.
            ? "rc-update del hwclock.sh sysinit >/dev/null 2>&1; rc-update del cgroups sysinit >/dev/null 2>&1; openrc sysinit >/dev/null 2>&1\n"
            : ""
        let file = share.path + "/.jail.sh"
        try writeFile(file, "MEND=\(shellQuote(MendBinary.path))\n" + preparation + script)
        return try InitSystems.shell("\(shellQuote(InitSystems.scripts + "/init-jail.sh")) \(shellQuote(root)) \(shellQuote(share.path)) \(shellQuote(file)) \(InitSystems.mendDirectories)",
                                     in: share.path)
    }
}
