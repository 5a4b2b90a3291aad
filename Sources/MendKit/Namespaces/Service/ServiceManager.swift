import Glibc

/// One init system's way of reading and changing services. Each backend reads through its tools
/// and files via ``Host``; the resources of the namespace call it to read a state and to write one
/// back, so a plan, a run and an undo go through the same code.
protocol ServiceManager: Sendable {
    /// `systemd`, `openrc` or `sysv`.
    var name: String { get }
    /// Everything known about a service; runtime fields are nil under `--root`.
    func status(_ unit: String, on host: Host) throws -> ServiceStatus
    /// The runtime state word alone (`active`, `inactive`, `failed`, …), cheaper than ``status(_:on:)``.
    func runtimeState(_ unit: String, on host: Host) throws -> String
    /// Starts, stops, restarts, reloads or clears the failed state of a service (live host only).
    func act(_ action: ServiceAction, _ unit: String, on host: Host) throws
    /// The enablement: `state` as `systemctl is-enabled` words it, `links` where the manager keeps
    /// enablement as links mend restores itself (OpenRC runlevels, SysV rc links).
    func enablement(_ unit: String, on host: Host) throws -> Enablement
    /// Makes the enablement what `target` says (enable, disable, mask, unmask; exact links restored).
    func setEnablement(_ unit: String, _ target: Enablement, on host: Host) throws
    /// The enablement `enable` would give, for a plan (OpenRC: the default runlevel; SysV: the
    /// script's LSB Default-Start/Stop).
    func plannedEnablement(_ unit: String, enabled: Bool, on host: Host) throws -> Enablement
    /// Where `install_unit` writes a service's definition, and with which mode.
    func definitionPath(_ unit: String) -> (path: String, mode: UInt32)
    /// The files that define a service, searched in the manager's order; the first that exists wins.
    func definitionCandidates(_ unit: String) -> [String]
    /// The service names this host knows, for "did you mean".
    func knownNames(on host: Host) -> [String]
    /// The running or enabled instances of a template (systemd only).
    func instances(of template: String, on host: Host) throws -> [String]
    /// The package that provides the manager's tools, named when one is missing.
    var package: String { get }
}

/// A runtime action on a service.
enum ServiceAction: String, Sendable {
    case start, stop, restart, reload
    case resetFailed = "reset-failed"

    /// The verb in messages: "start", "reset the failed state of".
    var verb: String { self == .resetFailed ? "reset the failed state of" : rawValue }
}

/// A service's enablement as the resource records it.
struct Enablement: Equatable, Sendable {
    /// `enabled`, `disabled`, `masked`, `static`, `not-found`, …
    var state: String
    /// OpenRC: the runlevels holding the service; SysV: the rc links (`rc2.d/S01node`); nil for systemd.
    var links: [String]?

    var json: JSON {
        guard let links else { return .object([("state", .string(state))]) }
        return .object([("state", .string(state)), ("links", .array(links.map(JSON.string)))])
    }

    init(state: String, links: [String]? = nil) {
        self.state = state
        self.links = links
    }

    init?(_ json: JSON) {
        guard let state = json["state"]?.string else { return nil }
        self.state = state
        links = json["links"]?.array?.compactMap(\.string)
    }

    /// Started at boot: `enabled`, `enabled-runtime`, `linked`, `alias`, `indirect` are not
    /// "disabled"; only `enabled` and `enabled-runtime` mean the service itself starts at boot.
    var isEnabled: Bool { state == "enabled" || state == "enabled-runtime" }
    var isMasked: Bool { state == "masked" || state == "masked-runtime" }
}

/// Everything `service.status` returns, in manager-neutral terms.
struct ServiceStatus {
    var name: String
    var manager: String
    var load: String
    var enabled: String
    /// nil: not known (under `--root`).
    var state: String?
    var sub: String?
    var active: Bool?
    var mainPID: Int?
    var restarts: Int?
    var result: String?
    var exitCode: String?
    var exitStatus: Int?
    var needsReload: Bool?
    var unitFile: String?
    var since: String?
    /// In a plan: some of the values are the plan's (a planned unit file, enablement or runtime
    /// change), not what the system shows. `runtimePlanned`: the runtime state is.
    var planned = false
    var runtimePlanned = false

    var exists: Bool { load != "not-found" }

    init(name: String, manager: String, load: String, enabled: String) {
        self.name = name
        self.manager = manager
        self.load = load
        self.enabled = enabled
    }

    /// An init script's status (OpenRC, SysV) before its runtime is read: loaded from
    /// /etc/init.d/NAME, or not found.
    init(initScript unit: String, manager: String, enabled: String, on host: Host) {
        let exists = ServiceManagers.initScriptExists(unit, on: host)
        self.init(name: unit, manager: manager, load: exists ? "loaded" : "not-found", enabled: enabled)
        unitFile = exists ? "/etc/init.d/\(unit)" : nil
    }

    var value: Value {
        func opt(_ s: String?) -> Value { s.map(Value.string) ?? .null }
        func opt(_ n: Int?) -> Value { n.map(Value.int) ?? .null }
        let map = MapRef()
        map["name"] = .string(name)
        map["manager"] = .string(manager)
        map["exists"] = .bool(exists)
        map["load"] = .string(load)
        map["active"] = active.map(Value.bool) ?? .null
        map["state"] = .string(state ?? "unknown")
        map["sub"] = opt(sub)
        map["enabled"] = .string(enabled)
        map["main_pid"] = opt(mainPID)
        map["restarts"] = opt(restarts)
        map["result"] = opt(result)
        map["exit_code"] = opt(exitCode)
        map["exit_status"] = opt(exitStatus)
        map["needs_reload"] = needsReload.map(Value.bool) ?? .null
        map["unit_file"] = opt(unitFile)
        map["since"] = opt(since)
        map["planned"] = .bool(planned)
        return .map(map)
    }
}

/// Which manager runs a host's services, and the helpers every backend shares.
enum ServiceManagers {
    /// The manager of `host`: the `init` fact's rule (PID 1 and /run/systemd/system on the live
    /// host, what is installed in an image under `--root`); nil for `none`.
    static func detect(on host: Host) throws -> (any ServiceManager)? {
        let kind: String
        do {
            kind = try FactsReader(host: host).initSystem()
        } catch {
            throw MendError("service: cannot tell the service manager: \(error.description)", kind: .host)
        }
        return manager(named: kind)
    }

    static func manager(named kind: String) -> (any ServiceManager)? {
        switch kind {
        case "systemd": return SystemdManager()
        case "openrc": return OpenRCManager()
        case "sysv": return SysVManager()
        default: return nil
        }
    }

    /// The host's manager, or an error saying there is none.
    static func required(on host: Host, for builtin: String) throws -> any ServiceManager {
        guard let manager = try detect(on: host) else {
            throw MendError("\(builtin): no service manager on this host (init is none: no systemd, OpenRC or SysV init found"
                            + (host.isLive ? "; in a container, PID 1 is the container's process)" : " under --root \(host.root))"),
                            kind: .host)
        }
        return manager
    }

    /// Runs a manager's tool; a missing tool is an error naming the package that provides it.
    static func run(_ argv: [String], package: String, on host: Host, timeout: Int = 90_000_000_000,
                    environment: [String]? = nil) throws -> ProcessResult {
        try Tools.run(argv, package: package, on: host, timeout: timeout, environment: environment)
    }

    /// A tool's standard output as text, trimmed.
    static func output(_ result: ProcessResult) -> String {
        String(decoding: result.stdout, as: UTF8.self).trimmingCharacters()
    }

    /// A failed tool run as an error: what was asked, the status and what the tool said.
    static func failure(_ what: String, _ result: ProcessResult) -> HostError {
        let said = (String(decoding: result.stderr, as: UTF8.self) + String(decoding: result.stdout, as: UTF8.self))
            .trimmingCharacters()
        let how = result.timedOut ? "timed out" : result.stopped ? "was interrupted" : "failed (status \(result.status))"
        return HostError("\(what) \(how)" + (said.isEmpty ? "" : ": \(said)"))
    }

    /// Runtime changes need root on the live host: refused before the tool runs, naming the service (exit 77).
    static func requireRoot(_ action: ServiceAction, _ unit: String, on host: Host) throws {
        guard host.effectiveUserID != 0 else { return }
        throw HostError("cannot \(action.verb) \(unit): managing services needs root", code: EPERM)
    }

    /// True when the init script /etc/init.d/NAME exists (OpenRC, SysV).
    static func initScriptExists(_ unit: String, on host: Host) -> Bool {
        guard let path = try? host.resolve("/etc/init.d/\(unit)"), let info = try? host.info(path) else { return false }
        return !info.isDirectory
    }

    /// Under `--root` nothing runs: runtime changes are refused with what to do instead.
    static func refuseOffline(_ action: ServiceAction, _ unit: String, on host: Host) throws {
        guard !host.isLive else { return }
        throw MendError("cannot \(action.verb) \(unit) under --root: runtime state is not known offline "
                        + "(under --root mend changes unit files and enablement only; \(action.rawValue) it on the host itself)",
                        kind: .host)
    }

    /// True when the process exists and is not a zombie (killed, not yet reaped by its manager).
    static func isLive(_ pid: Int, on host: Host) -> Bool {
        guard pid > 0, let bytes = try? host.read("/proc/\(pid)/stat") else { return false }
        let text = String(decoding: bytes, as: UTF8.self)
        // The state follows the command name, which is in parentheses and may hold spaces.
        guard let close = text.lastIndex(of: ")") else { return false }
        let state = text[text.index(after: close)...].drop { $0 == " " }.first
        return state != nil && state != "Z" && state != "X"
    }

    /// The sub-directories and links of a directory under the root (empty when it is missing).
    static func names(in directory: String, on host: Host) -> [Host.Entry] {
        guard let resolved = try? host.resolve(directory) else { return [] }
        return host.entries(resolved) ?? []
    }
}
