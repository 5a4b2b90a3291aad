/// The `service` namespace: services of systemd, OpenRC and SysV init — their state, runtime
/// changes (start, stop, restart, reload), enablement (enable, disable, mask), unit files and
/// drop-ins. Every change is a ``Change`` of one of the resources in ServiceResources.swift, so a
/// plan shows it and a failed run undoes it; the manager is reached only through ``Host``.
public enum ServiceNamespace {
    typealias Param = Builtin.Param
    static let runtime = ServiceRuntimeResource()
    static let enablement = ServiceEnablementResource()
    static let unitFile = ServiceUnitFileResource()
    static let daemonReload = DaemonReloadResource()
    static let waitStates = ["active", "running", "inactive", "failed"]

    /// The `service` builtins, registered by ``Registry/standard()``.
    public static let table = NamespaceTable("service", doc: """
        Services of systemd, OpenRC and SysV: status, start/stop/restart, enable/disable/mask, unit files, drop-ins, wait.
        """, resources: [runtime, enablement, unitFile, daemonReload], [
        .function("manager", doc: """
            The service manager: "systemd", "openrc", "sysv" or "none".
            On the live host from /run/systemd/system and PID 1; under --root from what the image
            has installed (the same rule as the init fact).
            """, example: #"service.manager()  # "systemd""#, body: manager),
        .function("status", [Param("name")], doc: """
            Everything known about a service, as a map.
            name: the full unit name (.service added), manager, exists, load (loaded, not-found,
            masked, error), active (true only while it runs: for Type=simple/exec/notify a live main
            process; a oneshot that ran is active with sub "exited"), state (active, inactive, failed,
            activating, deactivating, reloading; "unknown" under --root), sub, enabled (every word of
            systemctl is-enabled: enabled, enabled-runtime, linked, alias, masked, static, indirect,
            disabled, generated, transient, not-found), main_pid, restarts (NRestarts; nil where the
            manager does not count them: systemd 219, OpenRC, SysV), result, exit_code ("exited",
            "killed", …) and exit_status of the main process, needs_reload, unit_file, since.
            In a plan it shows planned changes: after a planned start, active is true and main_pid nil.
            """, example: #"service.status("ssh").enabled  # "enabled""#, body: status),
        .function("start", [Param("name")], changesHost: true, doc: """
            Starts a service; returns true when it was not running.
            A unit that fails to start fails the step with its Result, exit status and last journal
            lines. Undo stops it. Needs root (exit 77); under --root it is planned but refused in a run.
            """, example: """
            step "node running" {
              service.install_unit("node", "[Service]\\nExecStart=/usr/local/bin/node\\n")
              service.start("node")
            }
            """, body: start),
        .function("stop", [Param("name")], changesHost: true, doc: """
            Stops a service; returns true when it was running. Undo starts it again.
            """, example: """
            step "no legacy daemon" {
              service.install_unit("legacy", "[Service]\\nExecStart=/bin/true\\n")
              service.stop("legacy")
            }
            """, body: stop),
        .function("restart", [Param("name")], changesHost: true, doc: """
            Restarts a service (starts it when it is not running); always a change.
            Shown as "restart" in plans. A restarted process cannot be un-restarted: undo restores
            whether the service runs, nothing more.
            """, example: """
            step "node picks up its new limits" {
              service.install_unit("node", "[Service]\\nExecStart=/usr/local/bin/node\\n")
              service.restart("node")
            }
            """, body: restart),
        .function("reload", [Param("name")], changesHost: true, doc: """
            Asks a running service to reload its configuration; always a change.
            systemctl reload, rc-service reload, /etc/init.d/NAME reload. A service that is not running is an error. Undo restores whether it runs, nothing more.
            """, example: """
            step "node rereads its config" {
              service.install_unit("node", "[Service]\\nExecStart=/usr/local/bin/node\\nExecReload=/bin/kill -HUP $MAINPID\\n")
              service.start("node")
              service.reload("node")
            }
            """, body: reload),
        .function("reset_failed", [Param("name")], changesHost: true, doc: """
            Clears a failed service's failed state; returns true when it was failed.
            systemctl reset-failed, rc-service zap. The failure record cannot be restored: undo leaves it cleared.
            """, example: """
            step "forget the crash" {
              service.install_unit("node", "[Service]\\nExecStart=/usr/local/bin/node\\n")
              service.reset_failed("node")
            }
            """, body: resetFailed),
        .function("enable", [Param("name"), .optional("now")], changesHost: true, doc: """
            Makes a service start at boot; returns true when it had to change. now: true also starts it.
            systemd: systemctl enable (an instance app@node1 gets its own .wants link to the
            template); OpenRC: the default runlevel; SysV: rc links (update-rc.d or chkconfig on
            the live host). A masked unit or one without an [Install] section (static) is an error.
            Works under --root (systemctl --root, links). Undo restores the enablement before.
            """, example: """
            step "node at boot" {
              service.install_unit("node", "[Service]\\nExecStart=/usr/local/bin/node\\n\\n[Install]\\nWantedBy=multi-user.target\\n")
              service.enable("node", now: true)
            }
            """, body: enable),
        .function("disable", [Param("name"), .optional("now")], changesHost: true, doc: """
            Stops a service from starting at boot; returns true when it had to change. now: true also stops it.
            Undo enables it again exactly as it was (the same runlevels or rc links).
            """, example: """
            step "no legacy daemon at boot" {
              service.install_unit("legacy", "[Service]\\nExecStart=/bin/true\\n\\n[Install]\\nWantedBy=multi-user.target\\n")
              service.disable("legacy", now: true)
            }
            """, body: disable),
        .function("mask", [Param("name")], changesHost: true, doc: """
            Masks a systemd unit (a link to /dev/null: it cannot start at all); returns true when it had to change.
            systemd only. Undo unmasks it.
            """, example: """
            step "never the old daemon" {
              service.mask("legacy-node")
            }
            """, body: mask),
        .function("unmask", [Param("name")], changesHost: true, doc: """
            Unmasks a systemd unit; returns true when it was masked. Undo masks it again.
            """, example: """
            step "the unit may start again" {
              service.unmask("legacy-node")
            }
            """, body: unmask),
        .function("daemon_reload", changesHost: true, doc: """
            Makes systemd re-read its unit files (systemctl daemon-reload); returns true when it ran.
            install_unit, dropin and remove_unit do this for you. Only where systemd runs on the live
            host; under --root there is no manager to reload (false). Undo: a reload after the
            undone unit files are back in place.
            """, example: """
            step "systemd sees the edited unit" {
              service.daemon_reload()
            }
            """, body: daemonReloadBuiltin),
        .function("install_unit", [Param("name"), Param("text")], changesHost: true, doc: """
            Writes a service's definition; returns true when it had to change.
            systemd: /etc/systemd/system/NAME (mode 0644; a template app@.service or any unit),
            followed by a daemon-reload (its own change, shown in plans); OpenRC and SysV: the init
            script /etc/init.d/NAME (mode 0755; it must start with #!). Plans show a diff. Undo
            restores the old file or removes the new one, then reloads systemd.
            """, example: """
            step "node unit" {
              service.install_unit("app@.service", "[Unit]\\nDescription=node %i\\n\\n[Service]\\nExecStart=/usr/local/bin/node %i\\nRestart=on-failure\\n")
            }
            """, body: installUnit),
        .function("dropin", [Param("name"), Param("file"), Param("text")], changesHost: true, doc: """
            Writes a systemd drop-in /etc/systemd/system/NAME.d/FILE.conf; returns true when it had to change.
            systemd only (OpenRC reads /etc/conf.d/NAME: use file.write or file.line). A daemon-reload
            follows. Undo restores the old drop-in or removes it.
            """, example: """
            step "node restarts after 5 s" {
              service.install_unit("app@.service", "[Service]\\nExecStart=/usr/local/bin/node %i\\nRestart=on-failure\\n")
              service.dropin("app@.service", "restart", "[Service]\\nRestartSec=5\\n")
            }
            """, body: dropin),
        .function("remove_unit", [Param("name")], changesHost: true, doc: """
            Removes a service the administrator installed; returns true when there was one.
            Stops it (on the live host), disables it, removes its file from /etc/systemd/system (or
            /etc/init.d) and reloads systemd.
            A unit a package ships (under /lib or /usr/lib) is an error: mask it instead. Undo puts
            everything back.
            """, example: """
            step "old node unit gone" {
              service.remove_unit("old-node")
            }
            """, body: removeUnit),
        .function("wait", [Param("name"), Param("state", completes: ArgumentCompletion.words(waitStates)), .optional("timeout")],
                  doc: """
            Waits until a service is in a state, and returns its status.
            state: "active", "running" (active with a live main process), "inactive" or "failed". It fails the step with the last status
            (and journal lines) when timeout (default 30s) passes first. Waiting for active or running
            ends at once when the service failed. A plan does not wait for what only a run shows:
            after a planned start it assumes the state is reached and returns at once (planned:
            true); after a planned stop, waiting for running fails.
            """, example: """
            step "node up" {
              service.install_unit("node", "[Service]\\nExecStart=/usr/local/bin/node\\n")
              service.start("node")
              assert service.wait("node", "running", timeout: 10s).active
            }
            """, body: wait),
        .function("instances", [Param("template")], doc: """
            The instances of a systemd template that are loaded or enabled, as full unit names.
            template: "app@" or "app@.service". Under --root the enabled ones.
            """, example: #"service.instances("getty@")  # ["getty@tty1.service"]"#, body: instances),
    ])

    // MARK: Reading

    static func manager(_ args: inout Arguments) throws -> Value {
        .string(try ServiceManagers.detect(on: args.context.effects.host)?.name ?? "none")
    }

    static func status(_ args: inout Arguments) throws -> Value {
        let (manager, unit) = try target(args, "service.status")
        return try currentStatus(manager, unit, args.context.effects).value
    }

    /// The status as this run sees it: in a plan, planned unit files, enablement and runtime state show.
    static func currentStatus(_ manager: any ServiceManager, _ unit: String, _ effects: any Effects) throws -> ServiceStatus {
        var status = try manager.status(unit, on: effects.host)
        guard effects.isPlanning else { return status }
        let definition = try definitionFound(manager, unit, effects)
        if let definition, !status.exists {
            status.load = "loaded"
            status.unitFile = definition
            status.planned = true
        } else if definition == nil, status.load == "loaded" {
            status.load = "not-found"
            status.unitFile = nil
            status.planned = true
        }
        let enabled = try currentEnablement(manager, unit, effects)
        if enabled.state != status.enabled {
            status.enabled = enabled.state
            status.planned = true
            // Unmasked in the plan: loaded from its file, if it has one.
            if status.load == "masked", !enabled.isMasked {
                status.load = definition == nil ? "not-found" : "loaded"
                status.unitFile = definition
            }
        }
        let planned = try effects.state(of: runtime, unit)
        if let state = planned["state"]?.string, state != status.state || planned["action"] != nil {
            // What the process will do is known once it runs: its pid, result and restarts.
            let runs = ServiceRuntimeResource.runs(state)
            status.state = state
            status.active = runs
            status.sub = runs ? "running" : (state == "failed" ? "failed" : "dead")
            status.mainPID = nil
            status.restarts = nil
            status.result = nil
            status.exitCode = nil
            status.exitStatus = nil
            status.since = nil
            status.planned = true
            status.runtimePlanned = true
        }
        return status
    }

    static func wait(_ args: inout Arguments) throws -> Value {
        let (manager, unit) = try target(args, "service.wait")
        let wanted = try args.string(1)
        guard waitStates.contains(wanted) else {
            throw MendError("service.wait: state must be one of \(waitStates.map(Value.quote).joined(separator: ", ")), got \(Value.quote(wanted))"
                            + Suggest.hint(for: wanted, in: waitStates))
        }
        let timeout = try args.optionalDuration(2, nilIsAbsent: true) ?? 30_000_000_000
        guard timeout >= 0 else { throw MendError("service.wait: timeout must not be negative") }
        let effects = args.context.effects
        let host = effects.host
        try requireExists(manager, unit, effects, "service.wait")
        var status = try currentStatus(manager, unit, effects)
        if satisfies(status, wanted) { return status.value }
        if effects.isPlanning {
            // A plan does not wait for what only a run can show. After a planned start the
            // process may end in any state (a oneshot exits, an instance crashes): the plan
            // assumes the wait succeeds, as it assumes a command does (`planned: true`). Under
            // --root with nothing planned the state stays unknown. A planned state that rules the
            // wait out fails it, as the run would; with nothing planned on the live host, the plan
            // waits as the run would.
            guard let state = status.state else { return status.value }
            if status.runtimePlanned, ServiceRuntimeResource.runs(state) {
                let reached = reached(status, wanted)
                // A state that stays what was planned keeps the plan's record (a restart stays a restart).
                if reached.state != state { effects.assume(runtime, unit, .object([("state", .string(reached.state ?? wanted))])) }
                return reached.value
            }
            if status.runtimePlanned || !host.isLive {
                throw MendError("service.wait: \(unit) is not \(wanted) in the plan: \(describe(status))", kind: .failure)
            }
        }
        guard host.isLive else {
            throw MendError("service.wait: cannot wait for \(unit) under --root: runtime state is not known offline", kind: .host)
        }
        let (sum, overflow) = host.monotonicNanoseconds().addingReportingOverflow(timeout)
        let deadline = overflow ? Int.max : sum
        while true {
            if satisfies(status, wanted) { return status.value }
            let terminal = status.state == "failed" && (wanted == "active" || wanted == "running")
            if terminal || host.monotonicNanoseconds() >= deadline {
                var message = "service.wait: \(unit) is not \(wanted)"
                message += terminal ? " (it failed)" : " after \(Value.formatDuration(timeout))"
                message += ": " + describe(status)
                if let systemd = manager as? SystemdManager { message += systemd.diagnosis(unit, on: host) }
                throw MendError(message, kind: .failure)
            }
            try Interrupted.check()
            host.sleep(nanoseconds: 100_000_000)
            do {
                status = try manager.status(unit, on: host)
            } catch {
                // A signal stops the tool mend was running: it is the wait that was interrupted.
                try Interrupted.check()
                throw error
            }
        }
    }

    /// The status a planned service has once it reached `wanted`.
    static func reached(_ status: ServiceStatus, _ wanted: String) -> ServiceStatus {
        var status = status
        let runs = wanted == "running" || wanted == "active"
        status.state = runs ? "active" : wanted
        status.sub = runs ? "running" : (wanted == "failed" ? "failed" : "dead")
        status.active = runs
        return status
    }

    static func satisfies(_ status: ServiceStatus, _ wanted: String) -> Bool {
        switch wanted {
        case "running": return status.active == true && status.state == "active" && status.sub != "exited"
        case "active": return status.state == "active"
        default: return status.state == wanted
        }
    }

    /// "state failed, sub failed, result exit-code, main process exited with status 1, restarts 3".
    static func describe(_ status: ServiceStatus) -> String {
        var parts = ["state \(status.state ?? "unknown")"]
        if let sub = status.sub { parts.append("sub \(sub)") }
        if let result = status.result { parts.append("result \(result)") }
        if let code = status.exitCode { parts.append("main process \(code) with status \(status.exitStatus.map(String.init) ?? "?")") }
        if let restarts = status.restarts { parts.append("restarts \(restarts)") }
        return parts.joined(separator: ", ")
    }

    static func instances(_ args: inout Arguments) throws -> Value {
        let host = args.context.effects.host
        let manager = try ServiceManagers.required(on: host, for: "service.instances")
        let given = try args.name(0, .noControlCharacters)
        guard manager.name == "systemd" else { throw MendError("service.instances: templates are systemd's; \(manager.name) has none") }
        var template = try ServiceName.canonical(given.hasSuffix("@") ? given + ".service" : given, for: "systemd", in: "service.instances")
        if !ServiceName.isTemplate(template), let t = ServiceName.template(of: template) { template = t }
        guard ServiceName.isTemplate(template) else {
            throw MendError("service.instances: \(Value.quote(given)) is not a template such as \"app@\" or \"app@.service\"")
        }
        return .list(ListRef(try manager.instances(of: template, on: host).map(Value.string)))
    }

    // MARK: Runtime changes

    static func start(_ args: inout Arguments) throws -> Value { try runtimeChange(&args, .start, "service.start") }
    static func stop(_ args: inout Arguments) throws -> Value { try runtimeChange(&args, .stop, "service.stop") }
    static func restart(_ args: inout Arguments) throws -> Value { try runtimeChange(&args, .restart, "service.restart") }
    static func reload(_ args: inout Arguments) throws -> Value { try runtimeChange(&args, .reload, "service.reload") }
    static func resetFailed(_ args: inout Arguments) throws -> Value { try runtimeChange(&args, .resetFailed, "service.reset_failed") }

    static func runtimeChange(_ args: inout Arguments, _ action: ServiceAction, _ builtin: String) throws -> Value {
        let (manager, unit) = try target(args, builtin)
        return .bool(try changeRuntime(manager, unit, action, args.context.effects, builtin))
    }

    /// Plans or makes one runtime change; false when the service is already as asked.
    @discardableResult
    static func changeRuntime(_ manager: any ServiceManager, _ unit: String, _ action: ServiceAction,
                              _ effects: any Effects, _ builtin: String) throws -> Bool {
        try requireExists(manager, unit, effects, builtin)
        if ServiceName.isTemplate(unit) {
            throw MendError("\(builtin): \(unit) is a template: name an instance such as \(unit.split(separator: "@")[0])@NAME.service")
        }
        let before = try effects.state(of: runtime, unit)
        let known = before["state"]?.string
        let runs = known.map(ServiceRuntimeResource.runs)
        var after: [(String, JSON)]
        switch action {
        case .start:
            if runs == true { return false }
            after = [("state", .string("active"))]
        case .stop:
            if runs == false { return false }
            after = [("state", .string("inactive"))]
        case .restart:
            after = [("state", .string("active")), ("action", .string("restart"))]
        case .reload:
            if runs == false { throw MendError("\(builtin): \(unit) is not running (\(known ?? "inactive")): start it instead of reloading it") }
            after = [("state", .string(known ?? "active")), ("action", .string("reload"))]
        case .resetFailed:
            // SysV keeps no failure record beyond the pid file its script looks after.
            if manager.name == "sysv" || (known != nil && known != "failed") { return false }
            after = [("state", .string("inactive")), ("action", .string("reset-failed"))]
        }
        if !effects.host.isLive, !effects.isPlanning { try ServiceManagers.refuseOffline(action, unit, on: effects.host) }
        var notes: [String] = []
        if known == nil { notes.append("runtime state is not known offline") }
        if action == .restart || action == .reload { notes.append("undo restores whether it runs; a \(action.rawValue) cannot be taken back") }
        if action == .resetFailed { notes.append("the failure record cannot be restored") }
        try effects.perform(Change(runtime, target: unit, before: before, after: .object(after),
                                   note: notes.isEmpty ? nil : notes.joined(separator: "; ")))
        return true
    }

    // MARK: Enablement

    static func enable(_ args: inout Arguments) throws -> Value {
        let (manager, unit, now, effects) = try enablementTarget(args, "service.enable")
        let before = try currentEnablement(manager, unit, effects)
        if before.isMasked { throw MendError("service.enable: \(unit) is masked: unmask it first (service.unmask)") }
        let installable = try manager.name != "systemd" || hasInstallSection(manager, unit, effects)
        if before.state == "static" || !installable {
            throw MendError("service.enable: \(unit) is static: it has no [Install] section, so it starts only when another unit pulls it in")
        }
        var changed = false
        // enabled-runtime ends at the next boot: enabling makes it last.
        if before.state != "enabled" {
            let after = try manager.plannedEnablement(unit, enabled: true, on: effects.host)
            try effects.perform(Change(enablement, target: unit, before: before.json, after: after.json))
            changed = true
        }
        if now { changed = try changeRuntime(manager, unit, .start, effects, "service.enable") || changed }
        return .bool(changed)
    }

    static func disable(_ args: inout Arguments) throws -> Value {
        let (manager, unit, now, effects) = try enablementTarget(args, "service.disable")
        var changed = false
        if now { changed = try changeRuntime(manager, unit, .stop, effects, "service.disable") }
        changed = try setDisabled(manager, unit, effects) || changed
        return .bool(changed)
    }

    /// Plans or makes "does not start at boot"; false when it already does not.
    static func setDisabled(_ manager: any ServiceManager, _ unit: String, _ effects: any Effects) throws -> Bool {
        let before = try currentEnablement(manager, unit, effects)
        let links = before.links ?? []
        let startsAtBoot = before.isEnabled || ["linked", "linked-runtime", "alias"].contains(before.state)
        guard startsAtBoot || (manager.name == "sysv" && !links.isEmpty && before.state != "disabled") else { return false }
        let after = try manager.plannedEnablement(unit, enabled: false, on: effects.host)
        try effects.perform(Change(enablement, target: unit, before: before.json, after: after.json))
        return true
    }

    static func mask(_ args: inout Arguments) throws -> Value {
        let (manager, unit) = try target(args, "service.mask")
        guard manager.name == "systemd" else {
            throw MendError("service.mask: \(manager.name) cannot mask a service: use service.disable (and service.stop)")
        }
        let effects = args.context.effects
        let before = try currentEnablement(manager, unit, effects)
        if before.isMasked { return .bool(false) }
        if let file = FileResource.State(try effects.state(of: unitFile, manager.definitionPath(unit).path)), file.exists {
            throw MendError("service.mask: \(unit) has its unit file in /etc/systemd/system, where the mask link would go: remove_unit it instead")
        }
        try effects.perform(Change(enablement, target: unit, before: before.json, after: Enablement(state: "masked").json))
        return .bool(true)
    }

    static func unmask(_ args: inout Arguments) throws -> Value {
        let (manager, unit) = try target(args, "service.unmask")
        guard manager.name == "systemd" else { return .bool(false) }
        let effects = args.context.effects
        let before = try currentEnablement(manager, unit, effects)
        guard before.isMasked else { return .bool(false) }
        try effects.perform(Change(enablement, target: unit, before: before.json, after: Enablement(state: "unmasked").json,
                                   note: "then enabled or not as its unit file and links say"))
        return .bool(true)
    }

    /// The enablement as this run sees it; a unit whose file is planned but not yet written is
    /// `disabled`, as `systemctl is-enabled` will say once it is.
    static func currentEnablement(_ manager: any ServiceManager, _ unit: String, _ effects: any Effects) throws -> Enablement {
        guard let state = Enablement(try effects.state(of: enablement, unit)) else {
            throw MendError("service \(unit): unreadable enablement state")
        }
        if state.state == "not-found", try definitionExists(manager, unit, effects) {
            return Enablement(state: "disabled", links: state.links)
        }
        return state
    }

    // MARK: Unit files

    static func installUnit(_ args: inout Arguments) throws -> Value {
        let (manager, unit) = try target(args, "service.install_unit")
        let text = try args.string(1)
        try checkDefinition(text, manager, unit)
        if manager.name == "systemd", try currentEnablement(manager, unit, args.context.effects).isMasked {
            throw MendError("service.install_unit: \(unit) is masked (its unit file is a link to /dev/null): unmask it first (service.unmask)")
        }
        let (path, mode) = manager.definitionPath(unit)
        return .bool(try writeUnitFile(path, text, mode: mode, manager, args.context.effects))
    }

    static func dropin(_ args: inout Arguments) throws -> Value {
        let (manager, unit) = try target(args, "service.dropin")
        guard manager.name == "systemd" else {
            throw MendError("service.dropin: drop-ins are systemd's; on \(manager.name) settings go in /etc/conf.d/NAME (file.write or file.line)")
        }
        var file = try args.name(1, .noControlCharacters)
        guard !file.isEmpty, !file.hasPrefix("."), file.unicodeScalars.allSatisfy(ServiceName.isUnitNameCharacter), !file.contains("\\") else {
            throw MendError("service.dropin: \(Value.quote(file)) is not a drop-in name such as \"limits\" or \"10-restart.conf\"")
        }
        if !file.hasSuffix(".conf") { file += ".conf" }
        let text = try args.string(2)
        guard text.split(separator: "\n").contains(where: { $0.hasPrefix("[") }) else {
            throw MendError("service.dropin: the text has no section such as [Service]")
        }
        try requireExists(manager, unit, args.context.effects, "service.dropin")
        return .bool(try writeUnitFile("/etc/systemd/system/\(unit).d/\(file)", text, mode: 0o644, manager, args.context.effects))
    }

    static func removeUnit(_ args: inout Arguments) throws -> Value {
        let (manager, unit) = try target(args, "service.remove_unit")
        let effects = args.context.effects
        let path = manager.definitionPath(unit).path
        if manager.name == "systemd", try currentEnablement(manager, unit, effects).isMasked {
            throw MendError("service.remove_unit: \(unit) is masked: unmask it first (service.unmask), or leave the mask, which already keeps it from starting")
        }
        guard let file = FileResource.State(try effects.state(of: unitFile, path)) else { throw MendError("\(path): unreadable file state") }
        guard file.exists else {
            if let other = try definitionFound(manager, unit, effects), other != path {
                throw MendError("service.remove_unit: \(unit) comes from \(other), not from the administrator's \(path): mask it instead")
            }
            return .bool(false)
        }
        // An override in /etc of a unit a package ships: removing it leaves the package's unit,
        // which keeps running and stays enabled.
        let shipped = manager.definitionCandidates(unit).filter { $0 != path }
        var overrides = false
        for other in shipped where FileResource.State(try effects.state(of: unitFile, other))?.exists == true { overrides = true }
        if !overrides {
            // A template's instances run and are enabled through its file: they go with it.
            let units = ServiceName.isTemplate(unit) ? try manager.instances(of: unit, on: effects.host) : [unit]
            for name in units {
                if effects.host.isLive { try changeRuntime(manager, name, .stop, effects, "service.remove_unit") }
                _ = try setDisabled(manager, name, effects)
            }
        }
        var after = file
        after.exists = false
        after.content = []
        try effects.perform(Change(unitFile, target: path, before: file.json, after: after.json, note: "removed"))
        try reloadAfterUnitFileChange(manager, effects)
        return .bool(true)
    }

    static func daemonReloadBuiltin(_ args: inout Arguments) throws -> Value {
        let host = args.context.effects.host
        guard SystemdDropinResource.reloads(on: host) else { return .bool(false) }
        try args.context.effects.perform(Change(daemonReload, target: "systemd", before: DaemonReloadResource.state(needsReload: true),
                                                after: DaemonReloadResource.state(needsReload: false)))
        return .bool(true)
    }

    /// Writes a unit file, drop-in or init script (planned in a plan), then the daemon-reload.
    static func writeUnitFile(_ path: String, _ text: String, mode: UInt32, _ manager: any ServiceManager,
                              _ effects: any Effects) throws -> Bool {
        guard let before = FileResource.State(try effects.state(of: unitFile, path)) else { throw MendError("\(path): unreadable file state") }
        if before.exists, before.unknown == nil, before.content == Array(text.utf8) { return false }
        var after = before.exists ? before : FileResource.State(newFileOn: effects.host)
        after.unknown = nil
        after.content = Array(text.utf8)
        after.missingDirectories = []
        after.mode = before.exists ? (after.mode | (mode & 0o111)) : mode
        var notes = [FileNamespace.note(before, after)].compactMap { $0 }
        if manager.name == "systemd", !SystemdDropinResource.reloads(on: effects.host) {
            notes.append(SystemdDropinResource.reloadNote(on: effects.host))
        }
        try effects.perform(Change(unitFile, target: path, before: before.json, after: after.json,
                                   note: notes.isEmpty ? nil : notes.joined(separator: "; ")))
        try reloadAfterUnitFileChange(manager, effects)
        return true
    }

    /// A daemon-reload change after a unit file changed, where a systemd runs to reload.
    static func reloadAfterUnitFileChange(_ manager: any ServiceManager, _ effects: any Effects) throws {
        guard manager.name == "systemd", SystemdDropinResource.reloads(on: effects.host) else { return }
        try effects.perform(Change(daemonReload, target: "systemd", before: DaemonReloadResource.state(needsReload: true),
                                   after: DaemonReloadResource.state(needsReload: false)))
    }

    /// A definition's text must be one the manager can read.
    static func checkDefinition(_ text: String, _ manager: any ServiceManager, _ unit: String) throws {
        if manager.name == "systemd" {
            guard text.split(separator: "\n").contains(where: { $0.hasPrefix("[") }) else {
                throw MendError("service.install_unit: the text for \(unit) has no section such as [Unit] or [Service]")
            }
        } else if !text.hasPrefix("#!") {
            throw MendError("service.install_unit: an init script starts with #! (\(manager.name == "openrc" ? "#!/sbin/openrc-run" : "#!/bin/sh"))")
        }
    }

    // MARK: Helpers

    /// The host's manager and the service's name as it knows it.
    static func target(_ args: Arguments, _ builtin: String) throws -> (any ServiceManager, String) {
        let manager = try ServiceManagers.required(on: args.context.effects.host, for: builtin)
        let name = try args.name(0, .noControlCharacters)
        let unit = try ServiceName.canonical(name, for: manager.name, in: builtin)
        // An alias (sshd.service → ssh.service) names the unit it points to: changes act on that.
        guard let systemd = manager as? SystemdManager else { return (manager, unit) }
        return (manager, systemd.aliasTarget(unit, on: args.context.effects.host) ?? unit)
    }

    /// The path of the file that defines the service as this run sees it (a planned one included).
    static func definitionFound(_ manager: any ServiceManager, _ unit: String, _ effects: any Effects) throws -> String? {
        for path in manager.definitionCandidates(unit) {
            if let state = FileResource.State(try effects.state(of: unitFile, path)), state.exists { return path }
        }
        return nil
    }

    /// enable's and disable's arguments: an existing service that is no template, and `now:`.
    static func enablementTarget(_ args: Arguments, _ builtin: String) throws -> (any ServiceManager, String, Bool, any Effects) {
        let (manager, unit) = try target(args, builtin)
        let now = try args.optionalBool(1, nilIsAbsent: true) ?? false
        try requireExists(manager, unit, args.context.effects, builtin)
        try refuseTemplate(unit, builtin)
        return (manager, unit, now, args.context.effects)
    }

    static func refuseTemplate(_ unit: String, _ builtin: String) throws {
        guard ServiceName.isTemplate(unit) else { return }
        throw MendError("\(builtin): \(unit) is a template: name an instance such as \(unit.split(separator: "@")[0])@NAME.service "
                        + "(a template's enablement is its instances' links, which one undo could not give back)")
    }

    /// True when the unit's file, as this run sees it (a planned one included), has an [Install] section.
    static func hasInstallSection(_ manager: any ServiceManager, _ unit: String, _ effects: any Effects) throws -> Bool {
        guard let path = try definitionFound(manager, unit, effects),
              let file = FileResource.State(try effects.state(of: unitFile, path)), file.unknown == nil else { return true }
        return String(decoding: file.content, as: UTF8.self).split(separator: "\n").contains { $0.hasPrefix("[Install]") }
    }

    static func definitionExists(_ manager: any ServiceManager, _ unit: String, _ effects: any Effects) throws -> Bool {
        try definitionFound(manager, unit, effects) != nil
    }

    /// An error unless the service exists (its file, planned or not, or a unit systemd knows).
    static func requireExists(_ manager: any ServiceManager, _ unit: String, _ effects: any Effects, _ builtin: String) throws {
        if try definitionExists(manager, unit, effects) { return }
        // A masked unit exists, even when the mask is all there is of it.
        if manager.name == "systemd", try currentEnablement(manager, unit, effects).isMasked { return }
        if effects.host.isLive, manager.name == "systemd", try manager.status(unit, on: effects.host).exists { return }
        let what = manager.name == "systemd" ? "unit" : "service"
        let hint = ServiceName.suggestion(for: unit, among: manager.knownNames(on: effects.host)).map { " (did you mean \($0)?)" } ?? ""
        throw MendError("\(builtin): no \(what) '\(unit)'\(hint)", kind: .host)
    }
}
