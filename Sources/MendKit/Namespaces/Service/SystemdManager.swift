import Glibc

/// systemd through `systemctl`: `show -p …` for state (Key=value lines; no `--value`, which
/// CentOS 7's systemd 219 lacks), `is-enabled` for enablement, and `systemctl --root=DIR` for
/// unit files and enablement of an image, where no manager runs and runtime state is unknown.
struct SystemdManager: ServiceManager {
    var name: String { "systemd" }
    var package: String { "systemd" }

    /// Where unit files are looked for, in systemd's order of precedence (systemd.unit(5)).
    static let unitDirectories = ["/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
                                  "/lib/systemd/system", "/usr/lib/systemd/system"]
    /// The properties `status` reads in one call.
    static let properties = ["Id", "LoadState", "ActiveState", "SubState", "Type", "MainPID", "NRestarts", "Result",
                             "ExecMainCode", "ExecMainStatus", "NeedDaemonReload", "FragmentPath", "StateChangeTimestamp"]

    func status(_ unit: String, on host: Host) throws -> ServiceStatus {
        let enabled = try enablement(unit, on: host).state
        guard host.isLive else {
            var status = ServiceStatus(name: unit, manager: name, load: offlineLoadState(unit, on: host), enabled: enabled)
            status.unitFile = definitionFile(unit, on: host)
            return status
        }
        let p = try show(unit, Self.properties, on: host)
        var status = ServiceStatus(name: unit, manager: name, load: p["LoadState"] ?? "error", enabled: enabled)
        let state = p["ActiveState"] ?? "inactive"
        status.state = state
        status.sub = p["SubState"]
        status.mainPID = p["MainPID"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
        status.restarts = p["NRestarts"].flatMap { Int($0) }
        status.result = p["Result"].flatMap { $0.isEmpty ? nil : $0 }
        status.exitCode = Self.exitCodeName(p["ExecMainCode"])
        status.exitStatus = status.exitCode == nil ? nil : p["ExecMainStatus"].flatMap { Int($0) }
        status.needsReload = p["NeedDaemonReload"].map { $0 == "yes" }
        status.unitFile = p["FragmentPath"].flatMap { $0.isEmpty ? nil : $0 }
        status.since = p["StateChangeTimestamp"].flatMap { $0.isEmpty ? nil : $0 }
        // "active (exited)" is a oneshot that ran: active. A service that runs a process is only
        // active while that process lives (a killed main process not yet noticed is not running).
        var active = state == "active" || state == "reloading"
        if active, ["simple", "exec", "notify", "notify-reload"].contains(p["Type"] ?? "") {
            active = status.mainPID.map { ServiceManagers.isLive($0, on: host) } ?? false
        }
        status.active = active
        return status
    }

    func runtimeState(_ unit: String, on host: Host) throws -> String {
        try show(unit, ["ActiveState"], on: host)["ActiveState"] ?? "inactive"
    }

    func act(_ action: ServiceAction, _ unit: String, on host: Host) throws {
        try ServiceManagers.refuseOffline(action, unit, on: host)
        try ServiceManagers.requireRoot(action, unit, on: host)
        // Its unit file changed since systemd read it (an undo pass has just put the old one back
        // and reloads only when the pass ends): start what the file says, not what systemd remembers.
        if action != .stop, action != .resetFailed, try show(unit, ["NeedDaemonReload"], on: host)["NeedDaemonReload"] == "yes" {
            try Self.daemonReload(on: host)
        }
        let result = try systemctl([action.rawValue, unit], on: host, timeout: 300_000_000_000)
        guard result.status == 0, !result.timedOut, !result.stopped else {
            var error = ServiceManagers.failure("systemctl \(action.rawValue) \(unit)", result)
            if action == .start || action == .restart || action == .reload {
                error = HostError(error.message + diagnosis(unit, on: host), code: error.code)
            }
            throw error
        }
    }

    /// What went wrong with a unit that failed to start: its Result, exit status and last journal lines.
    func diagnosis(_ unit: String, on host: Host) -> String {
        var text = ""
        if let p = try? show(unit, ["Result", "ExecMainCode", "ExecMainStatus"], on: host) {
            text += "\n  Result=\(p["Result"] ?? "?")"
            if let code = Self.exitCodeName(p["ExecMainCode"]) { text += ", main process \(code), status \(p["ExecMainStatus"] ?? "?")" }
        }
        if let journal = try? host.run(["journalctl", "--no-pager", "-o", "cat", "-n", "10", "-u", unit], timeout: 10_000_000_000),
           journal.status == 0 {
            let lines = ServiceManagers.output(journal).split(separator: "\n")
            if !lines.isEmpty { text += "\n  last journal lines:\n" + lines.map { "    " + $0 }.joined(separator: "\n") }
        }
        return text
    }

    func enablement(_ unit: String, on host: Host) throws -> Enablement {
        let result = try systemctl(["is-enabled", unit], on: host)
        let word = ServiceManagers.output(result).split(separator: "\n").first.map(String.init) ?? ""
        if !word.isEmpty, !word.hasPrefix("Failed") { return Enablement(state: word) }
        let said = String(decoding: result.stderr, as: UTF8.self)
        if said.contains("No such file") || said.contains("not found") || said.contains("does not exist") {
            return Enablement(state: "not-found")
        }
        throw ServiceManagers.failure("systemctl is-enabled \(unit)", result)
    }

    func setEnablement(_ unit: String, _ target: Enablement, on host: Host) throws {
        let now = try enablement(unit, on: host)
        if now.state == target.state { return }
        if host.isLive, host.effectiveUserID != 0 {
            throw HostError("cannot change whether \(unit) is enabled: it needs root", code: EPERM)
        }
        var commands: [[String]] = []
        if now.isMasked, !target.isMasked { commands.append(["unmask", unit]) }
        switch target.state {
        case "masked": commands.append(["mask", unit])
        case "masked-runtime": commands.append(["mask", "--runtime", unit])
        case "unmasked": break
        case "enabled":
            if now.state == "enabled-runtime" { commands.append(["disable", "--runtime", unit]) }
            commands.append(["enable", unit])
        case "enabled-runtime":
            if now.state == "enabled" { commands.append(["disable", unit]) }
            commands.append(["enable", "--runtime", unit])
        default:
            if now.state == "enabled-runtime" || now.state == "linked-runtime" { commands.append(["disable", "--runtime", unit]) }
            if now.state == "enabled" || now.state == "linked" || now.state == "alias" { commands.append(["disable", unit]) }
        }
        for arguments in commands {
            let result = try systemctl(arguments, on: host)
            guard result.status == 0, !result.timedOut else {
                throw ServiceManagers.failure("systemctl \(arguments.joined(separator: " "))", result)
            }
        }
    }

    func plannedEnablement(_ unit: String, enabled: Bool, on host: Host) throws -> Enablement {
        Enablement(state: enabled ? "enabled" : "disabled")
    }

    func definitionPath(_ unit: String) -> (path: String, mode: UInt32) {
        ("/etc/systemd/system/\(unit)", 0o644)
    }

    func definitionCandidates(_ unit: String) -> [String] {
        let names = [unit] + (ServiceName.template(of: unit).map { [$0] } ?? [])
        return names.flatMap { name in Self.unitDirectories.map { "\($0)/\(name)" } }
    }

    /// The unit file that defines `unit` under the root (an instance's template's), or nil.
    func definitionFile(_ unit: String, on host: Host) -> String? {
        for path in definitionCandidates(unit) {
            if let resolved = try? host.resolve(path), let info = try? host.info(resolved), info.isRegular { return path }
        }
        return nil
    }

    /// The unit an alias names (`sshd.service` → `ssh.service`), or nil when `unit` is no alias: on
    /// the live host systemd's Id, under a root a link in the unit directories to a unit file of
    /// another name (a link to /dev/null is a mask, a link to the unit's template an instance).
    func aliasTarget(_ unit: String, on host: Host) -> String? {
        if host.isLive {
            guard let id = try? show(unit, ["Id"], on: host)["Id"], !id.isEmpty, id != unit else { return nil }
            return id
        }
        for directory in Self.unitDirectories {
            guard let link = try? host.linkTarget(host.resolveLink("\(directory)/\(unit)")), link != "/dev/null" else { continue }
            let name = String(link.split(separator: "/").last ?? "")
            if name.isEmpty || name == unit || name == ServiceName.template(of: unit) { return nil }
            return name
        }
        return nil
    }

    /// loaded | not-found | masked, from the files of an image (a link to /dev/null masks).
    private func offlineLoadState(_ unit: String, on host: Host) -> String {
        for directory in ["/etc/systemd/system", "/run/systemd/system"] {
            if let target = try? host.linkTarget(host.resolveLink("\(directory)/\(unit)")), target == "/dev/null" { return "masked" }
        }
        return definitionFile(unit, on: host) == nil ? "not-found" : "loaded"
    }

    func knownNames(on host: Host) -> [String] {
        var names = Set<String>()
        for directory in Self.unitDirectories {
            for entry in ServiceManagers.names(in: directory, on: host) where !entry.isDirectory && entry.name.contains(".") {
                names.insert(entry.name)
            }
        }
        if host.isLive, let result = try? systemctl(["list-units", "--all", "--plain", "--no-legend", "--no-pager"], on: host),
           result.status == 0 {
            for line in ServiceManagers.output(result).split(separator: "\n") {
                if let first = line.split(separator: " ").first { names.insert(String(first)) }
            }
        }
        return names.sorted()
    }

    func instances(of template: String, on host: Host) throws -> [String] {
        guard let at = template.firstIndex(of: "@") else { return [] }
        let prefix = String(template[...at]), suffix = String(template[template.index(after: at)...])
        func isInstance(_ name: Substring) -> Bool {
            name.hasPrefix(prefix) && name.hasSuffix(suffix) && name.count > prefix.count + suffix.count
        }
        var names = Set<String>()
        // Enabled instances are links in the .wants/.requires directories.
        for directory in ["/etc/systemd/system", "/run/systemd/system"] {
            for entry in ServiceManagers.names(in: directory, on: host) where entry.isDirectory
                && (entry.name.hasSuffix(".wants") || entry.name.hasSuffix(".requires")) {
                for link in ServiceManagers.names(in: "\(directory)/\(entry.name)", on: host) where isInstance(link.name[...]) {
                    names.insert(link.name)
                }
            }
        }
        if host.isLive {
            let result = try systemctl(["list-units", "--all", "--plain", "--no-legend", "--no-pager", prefix + "*" + suffix], on: host)
            for line in ServiceManagers.output(result).split(separator: "\n") {
                if let first = line.split(separator: " ").first, isInstance(first) { names.insert(String(first)) }
            }
        }
        return names.sorted()
    }

    /// `systemctl show -p A -p B UNIT` as a dictionary.
    func show(_ unit: String, _ properties: [String], on host: Host) throws -> [String: String] {
        let result = try systemctl(["show"] + properties.flatMap { ["-p", $0] } + ["--", unit], on: host)
        guard result.status == 0, !result.timedOut else { throw ServiceManagers.failure("systemctl show \(unit)", result) }
        return Self.parseShow(String(decoding: result.stdout, as: UTF8.self))
    }

    /// `Key=value` lines (a value may hold `=`).
    static func parseShow(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            values[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return values
    }

    /// ExecMainCode as a word: the si_code of the main process's end (1 exited, 2 killed, 3 dumped).
    static func exitCodeName(_ code: String?) -> String? {
        switch code {
        case "1": return "exited"
        case "2": return "killed"
        case "3": return "dumped"
        case "4": return "trapped"
        case "5": return "stopped"
        case "6": return "continued"
        default: return nil
        }
    }

    /// `systemctl ARGS` on this host (`--root=DIR` under a root).
    func systemctl(_ arguments: [String], on host: Host, timeout: Int = 90_000_000_000) throws -> ProcessResult {
        try ServiceManagers.run(host.command(.systemctl, arguments), package: package, on: host, timeout: timeout)
    }

    /// `systemctl daemon-reload` where a manager runs (the live host while systemd is PID 1).
    static func daemonReload(on host: Host) throws {
        guard SystemdDropinResource.reloads(on: host) else { return }
        try SystemdDropinResource.daemonReload(on: host)
    }
}
