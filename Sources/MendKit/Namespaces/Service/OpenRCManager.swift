/// OpenRC (Alpine): `rc-service NAME status` for runtime state (its exit code says which),
/// init scripts in /etc/init.d, and enablement as the links /etc/runlevels/LEVEL/NAME →
/// /etc/init.d/NAME that `rc-update add` makes. mend makes and removes those links itself, so
/// enablement works the same on the live host and under `--root`, and undo restores the exact
/// runlevels. OpenRC keeps no restart count, exit status or mask.
struct OpenRCManager: ServiceManager {
    var name: String { "openrc" }
    var package: String { "openrc" }

    /// `rc-service NAME status` exit codes (OpenRC's rc-service(8), librc's RC_SERVICE_* states).
    static func state(forStatus code: Int32) -> (state: String, sub: String) {
        switch code {
        case 0: return ("active", "started")
        case 3: return ("inactive", "stopped")
        case 4: return ("deactivating", "stopping")
        case 8: return ("activating", "starting")
        case 16: return ("inactive", "inactive")
        case 32: return ("failed", "crashed")
        default: return ("inactive", "unknown")
        }
    }

    func status(_ unit: String, on host: Host) throws -> ServiceStatus {
        var status = ServiceStatus(initScript: unit, manager: name, enabled: try enablement(unit, on: host).state, on: host)
        guard host.isLive else { return status }
        guard status.exists else {
            status.state = "inactive"
            status.sub = "dead"
            status.active = false
            return status
        }
        let (state, sub) = try runtime(unit, on: host)
        status.state = state
        status.sub = sub
        status.result = sub == "crashed" ? "crashed" : nil
        status.mainPID = mainPID(unit, on: host)
        status.active = state == "active"
        return status
    }

    func runtimeState(_ unit: String, on host: Host) throws -> String {
        guard ServiceManagers.initScriptExists(unit, on: host) else { return "inactive" }
        return try runtime(unit, on: host).state
    }

    /// The state `rc-service status` says, except that a service OpenRC still calls started whose
    /// daemon is gone (Debian's start-stop-daemon records no crash) is `failed`, `crashed`. Right
    /// after the start a dead pid may be a leftover the daemon has yet to replace with its own:
    /// within `pidFileGrace` of OpenRC's start mark (`graceful`) the service is `activating`, so a
    /// wait polls.
    private func runtime(_ unit: String, graceful: Bool = true, on host: Host) throws -> (state: String, sub: String) {
        let result = try rcService(unit, "status", on: host)
        // A signal that ended the tool was meant for mend: the read was interrupted.
        if result.stopped || result.status > 128 { try Interrupted.check() }
        if result.timedOut { throw ServiceManagers.failure("rc-service \(unit) status", result) }
        let said = Self.state(forStatus: result.status)
        if said.state == "active", let pid = mainPID(unit, on: host), !ServiceManagers.isLive(pid, on: host) {
            // The mark is a link to the script: its own time is when the service was marked started.
            if graceful, let started = try host.modificationTime(host.resolveLink("/run/openrc/started/\(unit)")),
               (0..<Self.pidFileGrace).contains(host.wallClock() - started) {
                return ("activating", "starting")
            }
            return ("failed", "crashed")
        }
        return said
    }

    /// How long after its start a service's pid file may still name a process that is gone.
    static let pidFileGrace = 5.0

    func act(_ action: ServiceAction, _ unit: String, on host: Host) throws {
        try ServiceManagers.refuseOffline(action, unit, on: host)
        try ServiceManagers.requireRoot(action, unit, on: host)
        let crashed = ServiceManagers.initScriptExists(unit, on: host) ? try runtime(unit, graceful: false, on: host).state == "failed" : false
        guard crashed else {
            try rcServiceChecked(unit, action == .resetFailed ? "zap" : action.rawValue, on: host)
            return
        }
        switch action {
        case .stop, .resetFailed:
            // The script's own stop first: it may know a daemon the pid file lost, and it leaves
            // OpenRC's record stopped. When it cannot stop what is gone, zap forgets the record.
            let result = try rcService(unit, "stop", on: host, timeout: 300_000_000_000)
            if result.stopped || result.timedOut { throw ServiceManagers.failure("rc-service \(unit) stop", result) }
            if result.status != 0 { try rcServiceChecked(unit, "zap", on: host) }
        default:
            // OpenRC starts a crashed service only once its record is forgotten, as systemd does after reset-failed.
            try rcServiceChecked(unit, "zap", on: host)
            try rcServiceChecked(unit, action.rawValue, on: host)
        }
    }

    private func rcServiceChecked(_ unit: String, _ verb: String, on host: Host) throws {
        let result = try rcService(unit, verb, on: host, timeout: 300_000_000_000)
        guard result.status == 0, !result.timedOut, !result.stopped else {
            throw ServiceManagers.failure("rc-service \(unit) \(verb)", result)
        }
    }

    func enablement(_ unit: String, on host: Host) throws -> Enablement {
        var levels: [String] = []
        for level in ServiceManagers.names(in: "/etc/runlevels", on: host) where level.isDirectory {
            let path = try host.resolveLink("/etc/runlevels/\(level.name)/\(unit)")
            if try host.linkTarget(path) != nil || host.info(path) != nil { levels.append(level.name) }
        }
        if !levels.isEmpty { return Enablement(state: "enabled", links: levels) }
        return Enablement(state: ServiceManagers.initScriptExists(unit, on: host) ? "disabled" : "not-found", links: [])
    }

    func setEnablement(_ unit: String, _ target: Enablement, on host: Host) throws {
        let wanted = Set(target.links ?? (target.isEnabled ? ["default"] : []))
        let now = Set(try enablement(unit, on: host).links ?? [])
        for level in now.subtracting(wanted).sorted() {
            try host.remove(host.resolveLink("/etc/runlevels/\(level)/\(unit)"))
        }
        for level in wanted.subtracting(now).sorted() {
            let directory = try host.resolve("/etc/runlevels/\(level)")
            if try host.info(directory) == nil { try host.makeDirectory(directory) }
            try host.makeLink(host.resolveLink("/etc/runlevels/\(level)/\(unit)"), to: "/etc/init.d/\(unit)")
        }
    }

    func plannedEnablement(_ unit: String, enabled: Bool, on host: Host) throws -> Enablement {
        Enablement(state: enabled ? "enabled" : (ServiceManagers.initScriptExists(unit, on: host) ? "disabled" : "not-found"),
                   links: enabled ? ["default"] : [])
    }

    func definitionPath(_ unit: String) -> (path: String, mode: UInt32) { ("/etc/init.d/\(unit)", 0o755) }
    func definitionCandidates(_ unit: String) -> [String] { ["/etc/init.d/\(unit)"] }

    func knownNames(on host: Host) -> [String] {
        ServiceManagers.names(in: "/etc/init.d", on: host).filter { !$0.isDirectory }.map(\.name)
    }

    func instances(of template: String, on host: Host) throws -> [String] { [] }

    /// The pid of the daemon OpenRC started, from the pid file it records for the service
    /// (/run/openrc/options/NAME/pidfile, written by start-stop-daemon and supervise-daemon), or nil.
    private func mainPID(_ unit: String, on host: Host) -> Int? {
        func text(_ path: String) -> String? {
            guard let resolved = try? host.resolve(path), let bytes = try? host.read(resolved) else { return nil }
            return String(decoding: bytes, as: UTF8.self).trimmingCharacters()
        }
        guard let file = text("/run/openrc/options/\(unit)/pidfile"), file.hasPrefix("/"),
              let pid = text(file).flatMap({ Int($0) }), pid > 0 else { return nil }
        return pid
    }

    private func rcService(_ unit: String, _ verb: String, on host: Host, timeout: Int = 90_000_000_000) throws -> ProcessResult {
        try ServiceManagers.run(["rc-service", unit, verb], package: package, on: host, timeout: timeout)
    }
}
