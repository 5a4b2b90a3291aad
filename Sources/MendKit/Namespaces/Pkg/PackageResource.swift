/// An installed package (kind `pkg`, target the package's name), as its manager has it. As JSON
/// `{"installed": false}` or `{"installed": true, "version": "1.2-1"}` — the version as the
/// manager writes it, epoch included; an install that asks for no version plans
/// `{"installed": true}` (whatever version the repositories offer).
///
/// Reads go to the root's own database (dpkg's status file, apk's installed database, `rpm -q
/// --root`); writes run the manager (``PackageManager``). Undo writes the state before: removes
/// what was not installed, or installs the recorded version again, which needs that version to
/// still be in the root's repositories — otherwise the undo fails with the manager's message.
public struct PackageResource: Resource {
    public var kind: String { "pkg" }
    public init() {}

    public func read(_ target: String, on host: Host) throws -> JSON {
        Self.state(version: try Self.installedVersion(target, on: host))
    }

    public func write(_ target: String, _ state: JSON, on host: Host) throws {
        guard let installed = state["installed"]?.bool else { throw HostError("pkg \(target): the recorded state is damaged") }
        let manager = try PackageManager.required(on: host)
        let now = try Self.installedVersion(target, on: host)
        let wanted = state["version"]?.string
        if !installed {
            guard now != nil else { return }
            try manager.run(manager.remove(target, on: host), on: host)
        } else {
            if let now, wanted == nil || wanted == now { return }
            if let now, let wanted, PackageDatabase.compare(wanted, now) < 0,
               let downgrade = manager.downgrade(target, version: wanted, on: host) {
                try manager.run(downgrade, on: host)
            } else {
                try manager.run(manager.install(target, version: wanted, on: host), on: host)
            }
        }
        // A manager that exits 0 without doing it (a yum that found nothing to do) is a failure too.
        let after = try Self.installedVersion(target, on: host)
        guard !same(Self.state(version: after), state) else { return }
        let wantedText = installed ? (wanted.map { "version \($0)" } ?? "installed") : "not installed"
        throw HostError("pkg \(target): \(manager.rawValue) succeeded but the package is \(after.map { "at \($0)" } ?? "not installed"), not \(wantedText)")
    }

    public func reportValue(_ state: JSON) -> JSON {
        guard state["installed"]?.bool == true else { return .string("not installed") }
        return state["version"] ?? .string("installed")
    }

    /// Installed in both or in neither; when both name a version, the same one.
    public func same(_ a: JSON, _ b: JSON) -> Bool {
        guard let x = a["installed"]?.bool, let y = b["installed"]?.bool else { return a == b }
        guard x == y else { return false }
        guard x, let v = a["version"]?.string, let w = b["version"]?.string else { return true }
        return v == w
    }

    /// The state of a package installed at `version`, or not installed (nil).
    static func state(version: String?) -> JSON {
        guard let version else { return .object([("installed", .bool(false))]) }
        return .object([("installed", .bool(true)), ("version", .string(version))])
    }

    /// The state an install plans: that version, or any (`{"installed": true}`).
    static func planned(version: String?) -> JSON {
        version.map { state(version: $0) } ?? .object([("installed", .bool(true))])
    }

    /// The version of `name` installed in the host's root, or nil.
    static func installedVersion(_ name: String, on host: Host) throws -> String? {
        switch try PackageManager.required(on: host) {
        case .apt:
            return PackageDatabase.dpkgVersion(of: name, in: try text(PackageDatabase.dpkgStatus, on: host))
        case .apk:
            return PackageDatabase.apkVersion(of: name, in: try text(PackageDatabase.apkInstalled, on: host))
        case .dnf, .yum:
            let argv = PackageManager.rpmQuery(name, on: host)
            let result = try PackageManager.tool(argv, package: "rpm", on: host)
            let stdout = String(decoding: result.stdout, as: UTF8.self)
            if result.status != 0 {
                if PackageDatabase.rpmSaysNotInstalled(stdout) { return nil }
                throw PackageManager.failure(argv, result)
            }
            return PackageDatabase.rpmVersion(stdout)
        case .none:
            return nil
        }
    }

    /// A database file's text; an empty database when the file does not exist (a root where
    /// nothing was ever installed).
    private static func text(_ path: String, on host: Host) throws -> String {
        guard let bytes = try host.read(host.resolve(path)) else { return "" }
        return String(decoding: bytes, as: UTF8.self)
    }
}
