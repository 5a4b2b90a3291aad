/// SysV init: the script /etc/init.d/NAME run with a clean environment (as service(8) does) for
/// `status` (LSB exit codes) and actions, and enablement as the links /etc/rcN.d/SNNname and
/// KNNname. Enabling on the live host uses the distribution's tool where there is one
/// (`update-rc.d`, `chkconfig`), which orders the links by the script's dependencies; under
/// `--root`, or without a tool, mend makes the links from the script's LSB header. Undo restores
/// the exact links recorded before.
struct SysVManager: ServiceManager {
    var name: String { "sysv" }
    var package: String { "sysvinit-utils (initscripts on CentOS)" }
    static let runlevels = ["0", "1", "2", "3", "4", "5", "6", "S"]
    /// What service(8) keeps of the environment, so a script runs as it would at boot.
    static let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", "TERM=dumb"]

    /// LSB `status` exit codes: 0 running, 1 dead with a pid file, 2 dead with a lock file,
    /// 3 not running, 4 unknown.
    static func state(forStatus code: Int32) -> (state: String, sub: String) {
        switch code {
        case 0: return ("active", "running")
        case 1, 2: return ("failed", "dead")
        case 3: return ("inactive", "dead")
        default: return ("inactive", "unknown")
        }
    }

    func status(_ unit: String, on host: Host) throws -> ServiceStatus {
        var status = ServiceStatus(initScript: unit, manager: name, enabled: try enablement(unit, on: host).state, on: host)
        guard host.isLive else { return status }
        let (state, sub) = status.exists ? Self.state(forStatus: try statusCode(unit, on: host)) : ("inactive", "dead")
        status.state = state
        status.sub = sub
        status.active = state == "active"
        status.result = state == "failed" ? "dead" : nil
        status.mainPID = state == "active" ? mainPID(unit, on: host) : nil
        return status
    }

    func runtimeState(_ unit: String, on host: Host) throws -> String {
        guard ServiceManagers.initScriptExists(unit, on: host) else { return "inactive" }
        return Self.state(forStatus: try statusCode(unit, on: host)).state
    }

    /// The script's `status` exit code; a signal that ended it was meant for mend (interrupted).
    private func statusCode(_ unit: String, on host: Host) throws -> Int32 {
        let result = try script(unit, "status", on: host)
        if result.stopped || result.status > 128 { try Interrupted.check() }
        if result.timedOut { throw ServiceManagers.failure("/etc/init.d/\(unit) status", result) }
        return result.status
    }

    func act(_ action: ServiceAction, _ unit: String, on host: Host) throws {
        try ServiceManagers.refuseOffline(action, unit, on: host)
        try ServiceManagers.requireRoot(action, unit, on: host)
        // SysV keeps no failed state beyond the pid file the script itself looks after. Asked to
        // forget one (an undo back to stopped; the builtin is no change on SysV), the script's own
        // stop removes a dead daemon's pid file; that it finds nothing to stop is no failure.
        if action == .resetFailed {
            let result = try script(unit, "stop", on: host, timeout: 300_000_000_000)
            if result.stopped || result.timedOut { throw ServiceManagers.failure("/etc/init.d/\(unit) stop", result) }
            return
        }
        let result = try script(unit, action.rawValue, on: host, timeout: 300_000_000_000)
        guard result.status == 0, !result.timedOut, !result.stopped else {
            throw ServiceManagers.failure("/etc/init.d/\(unit) \(action.rawValue)", result)
        }
    }

    func enablement(_ unit: String, on host: Host) throws -> Enablement {
        let links = rcLinks(unit, on: host)
        let starts = links.contains { link in
            ["rc2.d/S", "rc3.d/S", "rc4.d/S", "rc5.d/S"].contains { link.hasPrefix($0) }
        }
        if starts { return Enablement(state: "enabled", links: links) }
        return Enablement(state: ServiceManagers.initScriptExists(unit, on: host) || !links.isEmpty ? "disabled" : "not-found", links: links)
    }

    func setEnablement(_ unit: String, _ target: Enablement, on host: Host) throws {
        let now = try enablement(unit, on: host)
        // What enable or disable asked for goes through the distribution's tool, which orders the
        // links; any other set of links (an undo restoring the recorded ones) is made exactly.
        let asked = try plannedEnablement(unit, enabled: target.isEnabled, on: host)
        if host.isLive, now.isEnabled != target.isEnabled, target.links == nil || target.links == asked.links,
           try useTool(unit, enable: target.isEnabled, on: host) { return }
        let wanted = Set(target.links ?? [])
        let have = Set(now.links ?? [])
        for link in have.subtracting(wanted).sorted() { try host.remove(host.resolveLink("/etc/\(link)")) }
        for link in wanted.subtracting(have).sorted() {
            let directory = try host.resolve("/etc/" + String(link.prefix { $0 != "/" }))
            if try host.info(directory) == nil { try host.makeDirectory(directory) }
            try host.makeLink(host.resolveLink("/etc/\(link)"), to: "../init.d/\(unit)")
        }
    }

    /// Enables or disables with update-rc.d or chkconfig; false when neither is installed.
    private func useTool(_ unit: String, enable: Bool, on host: Host) throws -> Bool {
        let tools: [[String]] = enable
            ? [["update-rc.d", unit, "defaults"], ["chkconfig", "--add", unit]]
            : [["update-rc.d", "-f", unit, "remove"], ["chkconfig", "--del", unit]]
        for argv in tools {
            let result: ProcessResult
            do {
                result = try ServiceManagers.run(argv, package: package, on: host, environment: Self.environment)
            } catch let error as HostError where error.isNotFound {
                continue
            }
            guard result.status == 0 else { throw ServiceManagers.failure(argv.joined(separator: " "), result) }
            return true
        }
        return false
    }

    func plannedEnablement(_ unit: String, enabled: Bool, on host: Host) throws -> Enablement {
        guard enabled else { return Enablement(state: ServiceManagers.initScriptExists(unit, on: host) ? "disabled" : "not-found", links: []) }
        let header = lsbHeader(unit, on: host)
        let start = header["Default-Start"] ?? ["2", "3", "4", "5"]
        let stop = header["Default-Stop"] ?? ["0", "1", "6"]
        let links = start.map { "rc\($0).d/S01\(unit)" } + stop.map { "rc\($0).d/K01\(unit)" }
        return Enablement(state: "enabled", links: links.sorted())
    }

    func definitionPath(_ unit: String) -> (path: String, mode: UInt32) { ("/etc/init.d/\(unit)", 0o755) }
    func definitionCandidates(_ unit: String) -> [String] { ["/etc/init.d/\(unit)"] }

    func knownNames(on host: Host) -> [String] {
        ServiceManagers.names(in: "/etc/init.d", on: host).filter { !$0.isDirectory }.map(\.name)
    }

    func instances(of template: String, on host: Host) throws -> [String] { [] }

    /// The rc links of a service, as `rcN.d/SNNname`, sorted.
    private func rcLinks(_ unit: String, on host: Host) -> [String] {
        var links: [String] = []
        for level in Self.runlevels {
            for entry in ServiceManagers.names(in: "/etc/rc\(level).d", on: host) {
                let name = entry.name
                guard name.count == unit.count + 3, name.hasSuffix(unit), name.first == "S" || name.first == "K",
                      name.dropFirst().prefix(2).allSatisfy(\.isNumber) else { continue }
                links.append("rc\(level).d/\(name)")
            }
        }
        return links.sorted()
    }

    /// The `### BEGIN INIT INFO` block's Default-Start and Default-Stop runlevels.
    private func lsbHeader(_ unit: String, on host: Host) -> [String: [String]] {
        guard let bytes = try? host.read(host.resolve("/etc/init.d/\(unit)")) else { return [:] }
        var fields: [String: [String]] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let text = line.drop { $0 == "#" || $0 == " " }
            for key in ["Default-Start", "Default-Stop"] where text.hasPrefix(key + ":") {
                fields[key] = text.dropFirst(key.count + 1).split(separator: " ").map(String.init)
                    .filter { Self.runlevels.contains($0) }
            }
        }
        return fields
    }

    /// The pid in the conventional pid file (/run/NAME.pid, /var/run/NAME.pid) when its process lives.
    private func mainPID(_ unit: String, on host: Host) -> Int? {
        for path in ["/run/\(unit).pid", "/var/run/\(unit).pid"] {
            guard let resolved = try? host.resolve(path), let bytes = try? host.read(resolved),
                  let pid = Int(String(decoding: bytes, as: UTF8.self).trimmingCharacters()),
                  ServiceManagers.isLive(pid, on: host) else { continue }
            return pid
        }
        return nil
    }

    private func script(_ unit: String, _ verb: String, on host: Host, timeout: Int = 90_000_000_000) throws -> ProcessResult {
        try ServiceManagers.run(["/etc/init.d/\(unit)", verb], package: package, on: host, timeout: timeout,
                                environment: Self.environment)
    }
}
