import Glibc

/// The package manager of a host's root, and the command lines mend drives it with. Under
/// `--root` the manager of the machine mend runs on acts on the root only through its own root
/// option, never on the live system:
///
/// - apt: `apt-get -o Dir=ROOT -o Dir::State::status=ROOT/var/lib/dpkg/status
///   -o DPkg::Chroot-Directory=ROOT`. apt reads the root's sources, lists, preferences and cache
///   and runs the root's dpkg chrooted into it (maintainer scripts see the root as `/`); its
///   download methods run on this machine, so a `file:` repository must lie inside the root, and
///   `copy:` copies packages into the root's cache from anywhere.
/// - dnf, yum: `--installroot ROOT` (dnf reads the root's dnf.conf and repositories first).
/// - apk: `--root ROOT` (the root's /etc/apk/repositories and keys).
/// - rpm (reads only): `rpm -q --root ROOT`.
enum PackageManager: String, Sendable, CaseIterable {
    case apt, dnf, yum, apk, none

    /// The file whose presence in the root says the manager is there.
    var executable: String? {
        switch self {
        case .apt: return "/usr/bin/apt-get"
        case .dnf: return "/usr/bin/dnf"
        case .yum: return "/usr/bin/yum"
        case .apk: return "/sbin/apk"
        case .none: return nil
        }
    }

    /// The package to install for the tool on the machine mend runs on.
    private var package: String {
        switch self {
        case .apk: return "apk-tools"
        default: return rawValue
        }
    }

    /// The manager of the root: the family's own (os-release) when its executable is there — dnf
    /// before yum — else the first of apt, dnf, yum, apk present; `none` when there is none.
    static func detect(on host: Host) throws -> PackageManager {
        let preferred: [PackageManager]
        switch try? FactsReader(host: host).osFamily() {
        case "debian": preferred = [.apt]
        case "rhel": preferred = [.dnf, .yum]
        case "alpine": preferred = [.apk]
        default: preferred = []
        }
        for manager in preferred + [.apt, .dnf, .yum, .apk] {
            if let path = manager.executable, try host.info(host.resolve(path)) != nil { return manager }
        }
        return .none
    }

    /// The manager of the root; an error when it has none.
    static func required(on host: Host) throws -> PackageManager {
        let manager = try detect(on: host)
        guard manager != .none else {
            let place = host.isLive ? "this host" : host.root
            throw HostError("no package manager in \(place) (looked for /usr/bin/apt-get, /usr/bin/dnf, /usr/bin/yum, /sbin/apk)", code: ENOENT)
        }
        return manager
    }

    // MARK: Command lines

    /// The argv installing `name` (at `version`, when given) on `host`.
    func install(_ name: String, version: String?, on host: Host) -> [String] {
        switch self {
        case .apt:
            // A version older than the installed one is a downgrade, which apt refuses under -y without the flag.
            return ["apt-get"] + aptRoot(host) + ["install", "-y"] + (version == nil ? [] : ["--allow-downgrades"])
                + [version.map { "\(name)=\($0)" } ?? name]
        case .dnf, .yum:
            return [rawValue, "-y"] + installRoot(host) + ["install", version.map { "\(name)-\($0)" } ?? name]
        case .apk:
            return ["apk"] + apkRoot(host) + ["add", "--no-cache", version.map { "\(name)=\($0)" } ?? name]
        case .none:
            return []
        }
    }

    /// The argv that downgrades an installed package to `version` where installing it does not:
    /// yum and dnf install an older version only as a downgrade. Nil for the others.
    func downgrade(_ name: String, version: String, on host: Host) -> [String]? {
        switch self {
        case .dnf, .yum: return [rawValue, "-y"] + installRoot(host) + ["downgrade", "\(name)-\(version)"]
        default: return nil
        }
    }

    /// The argv removing `name` (its configuration files kept: apt's remove, not purge).
    func remove(_ name: String, on host: Host) -> [String] {
        switch self {
        case .apt: return ["apt-get"] + aptRoot(host) + ["remove", "-y", name]
        case .dnf, .yum: return [rawValue, "-y"] + installRoot(host) + ["remove", name]
        case .apk: return ["apk"] + apkRoot(host) + ["del", name]
        case .none: return []
        }
    }

    /// The argv of apt's simulation of installing `name` (`apt-get -s`: reads only), for plans;
    /// nil for the other managers, whose dry runs need root or a lock.
    func simulation(_ name: String, version: String?, on host: Host) -> [String]? {
        guard self == .apt else { return nil }
        return ["apt-get"] + aptRoot(host) + ["-s", "install", version.map { "\(name)=\($0)" } ?? name]
    }

    /// What an `apt-get -s install` output says it would do, in its order: `Inst NAME (…)` installs,
    /// `Inst NAME [OLD] (…)` upgrades (or downgrades), `Remv NAME …` removals.
    static func simulated(_ output: String) -> (installs: [String], upgrades: [String], removals: [String]) {
        var result: (installs: [String], upgrades: [String], removals: [String]) = ([], [], [])
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count > 1 else { continue }
            switch words[0] {
            case "Inst" where words.count > 2 && words[2].hasPrefix("["): result.upgrades.append(String(words[1]))
            case "Inst": result.installs.append(String(words[1]))
            case "Remv": result.removals.append(String(words[1]))
            default: break
            }
        }
        return result
    }

    /// `rpm -q` for `name` in ``PackageDatabase/rpmFormat``.
    static func rpmQuery(_ name: String, on host: Host) -> [String] {
        ["rpm", "-q"] + (host.isLive ? [] : ["--root", host.root]) + ["--qf", PackageDatabase.rpmFormat, name]
    }

    private func aptRoot(_ host: Host) -> [String] {
        guard !host.isLive else { return [] }
        return ["-o", "Dir=\(host.root)", "-o", "Dir::State::status=\(host.root)\(PackageDatabase.dpkgStatus)",
                "-o", "DPkg::Chroot-Directory=\(host.root)"]
    }

    private func installRoot(_ host: Host) -> [String] { host.isLive ? [] : ["--installroot", host.root] }
    private func apkRoot(_ host: Host) -> [String] { host.isLive ? [] : ["--root", host.root] }

    // MARK: Running

    /// Runs a change of the manager. Its output is English and it asks nothing (apt's debconf
    /// noninteractive). A failure is an error with the manager's last lines; one that says it needs
    /// root is a permission error (exit 77).
    func run(_ argv: [String], on host: Host) throws {
        let result = try PackageManager.tool(argv, package: package, on: host)
        guard result.status != 0 else { return }
        throw PackageManager.failure(argv, result)
    }

    /// Runs `argv` through ``Tools`` with the environment a package manager is run with.
    static func tool(_ argv: [String], package: String, on host: Host) throws -> ProcessResult {
        let kept = host.environment().filter { !$0.hasPrefix("DEBIAN_FRONTEND=") && !$0.hasPrefix("LC_ALL=") }
        // A package transaction takes what it takes; the step's timeout and signals stop it.
        return try Tools.run(argv, package: package, on: host, timeout: 6 * 3_600_000_000_000,
                             environment: kept + ["DEBIAN_FRONTEND=noninteractive", "LC_ALL=C"])
    }

    /// The error of a failed manager command: its last lines of output, a permission error when
    /// they say the command needs root.
    static func failure(_ argv: [String], _ result: ProcessResult) -> HostError {
        let stderr = String(decoding: result.stderr, as: UTF8.self), stdout = String(decoding: result.stdout, as: UTF8.self)
        let lines = (stderr + "\n" + stdout).split(separator: "\n").map { String($0).trimmingCharacters() }
            .filter { !$0.isEmpty && !$0.hasPrefix("Chrooting into ") && !$0.hasPrefix("WARNING: apt does not have a stable CLI") }
        let errors = lines.filter { $0.hasPrefix("E:") || $0.hasPrefix("Error") || $0.hasPrefix("ERROR") || $0.contains("rror:") }
        let message = (errors.isEmpty ? Array(lines.suffix(3)) : Array(errors.prefix(3))).joined(separator: "; ")
        let shown = "\(argv[0]) exited with \(result.status)" + (message.isEmpty ? "" : ": " + message)
        let permission = ["Permission denied", "are you root", "superuser", "need to be root", "Operation not permitted"]
        return HostError(shown, code: permission.contains { message.contains($0) } ? EACCES : 0)
    }
}
