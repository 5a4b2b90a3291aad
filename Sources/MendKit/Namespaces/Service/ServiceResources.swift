import Glibc

/// Whether a service runs (kind `service`, target the service's name), with the actions that
/// change it. As JSON: `{"state": "active"}` — the manager's word: active, inactive, failed,
/// activating, … — plus `"action": "restart" | "reload" | "reset-failed"` for an action, or
/// `{"unknown": reason}` under `--root`.
///
/// Writing a state starts or stops the service; writing an action runs it. Undo writes the state
/// before: a restarted process cannot be un-restarted, so undoing a restart or reload restores
/// whether the service runs, nothing more.
public struct ServiceRuntimeResource: Resource {
    public var kind: String { "service" }
    public init() {}

    public func read(_ target: String, on host: Host) throws -> JSON {
        guard host.isLive else { return .object([("unknown", .string("runtime state is not known offline"))]) }
        let manager = try ServiceManagers.required(on: host, for: "service")
        return .object([("state", .string(try manager.runtimeState(target, on: host)))])
    }

    public func write(_ target: String, _ state: JSON, on host: Host) throws {
        guard let word = state["state"]?.string else { throw HostError("service \(target): the recorded state is damaged") }
        let manager = try ServiceManagers.required(on: host, for: "service")
        if let action = state["action"]?.string.flatMap(ServiceAction.init(rawValue:)) {
            try manager.act(action, target, on: host)
            return
        }
        let now = try manager.runtimeState(target, on: host)
        let wanted = Self.runs(word)
        if wanted, !Self.runs(now) { try manager.act(.start, target, on: host) }
        if !wanted, Self.runs(now) { try manager.act(.stop, target, on: host) }
        // Back to a stopped state that was not a failure: the failure the run caused goes too.
        if !wanted, word != "failed", try manager.runtimeState(target, on: host) == "failed" {
            try manager.act(.resetFailed, target, on: host)
        }
    }

    public func reportValue(_ state: JSON) -> JSON {
        if let action = state["action"]?.string { return .string(action) }
        return state["state"] ?? .string("unknown")
    }

    /// The same when the service runs in both or in neither (a failed service counts as its own
    /// state, so reset_failed is a change), and the actions match.
    public func same(_ a: JSON, _ b: JSON) -> Bool {
        guard let x = a["state"]?.string, let y = b["state"]?.string else { return a == b }
        return Self.runs(x) == Self.runs(y) && (x == "failed") == (y == "failed") && a["action"] == b["action"]
    }

    /// What a start, stop or action left, read back: whether the service runs, the action aside.
    /// A service the change started that then failed by itself is still what the change left.
    public func isLeftByChange(_ now: JSON, after: JSON) -> Bool {
        guard let x = now["state"]?.string, let y = after["state"]?.string else { return now == after }
        if Self.runs(y), x == "failed" { return true }
        return Self.runs(x) == Self.runs(y) && (x == "failed") == (y == "failed")
    }

    /// A state in which the service's processes run or are coming up.
    static func runs(_ state: String) -> Bool {
        state == "active" || state == "reloading" || state == "activating"
    }
}

/// Whether a service starts at boot (kind `service.enablement`, target the service's name). As
/// JSON: `{"state": "enabled"}` — every word `systemctl is-enabled` prints — plus the exact
/// runlevels (OpenRC) or rc links (SysV) as `"links"`. Written through the manager: `systemctl
/// enable|disable|mask|unmask` (with `--root=DIR` offline), OpenRC runlevel links, SysV rc links.
public struct ServiceEnablementResource: Resource {
    public var kind: String { "service.enablement" }
    public init() {}

    public func read(_ target: String, on host: Host) throws -> JSON {
        try ServiceManagers.required(on: host, for: "service").enablement(target, on: host).json
    }

    public func write(_ target: String, _ state: JSON, on host: Host) throws {
        guard let enablement = Enablement(state) else { throw HostError("service \(target): the recorded enablement is damaged") }
        try ServiceManagers.required(on: host, for: "service").setEnablement(target, enablement, on: host)
    }

    public func reportValue(_ state: JSON) -> JSON { state["state"] ?? .null }

    /// The same state word; `not-found` and `disabled` are the same for a service that does not
    /// start at boot (undoing an enable before the unit file is removed leaves `disabled`).
    public func same(_ a: JSON, _ b: JSON) -> Bool {
        guard let x = Enablement(a), let y = Enablement(b) else { return a == b }
        let off: Set<String> = ["disabled", "not-found"]
        // "unmasked": whatever the unit's files say, as long as it is not masked.
        if x.state == "unmasked" { return !y.isMasked }
        if y.state == "unmasked" { return !x.isMasked }
        return x.state == y.state || (off.contains(x.state) && off.contains(y.state))
    }
}

/// A unit file, drop-in or init script (kind `service.unit`, target its path): a file as
/// ``FileResource`` reads and writes it. The daemon-reload that makes systemd see it is a change
/// of its own (``DaemonReloadResource``), planned and shown after it.
///
/// systemd's mask, a link to /dev/null, reads as no file; it is never written through (that would
/// replace /dev/null) — the mask is the enablement's, which `unmask` removes.
public struct ServiceUnitFileResource: Resource {
    public var kind: String { "service.unit" }
    private let file = FileResource()
    public init() {}

    public func read(_ target: String, on host: Host) throws -> JSON {
        if try Self.isMask(target, on: host) { return FileResource.State(exists: false).json }
        return try file.read(target, on: host)
    }

    public func write(_ target: String, _ state: JSON, on host: Host) throws {
        if try Self.isMask(target, on: host) {
            if FileResource.State(state)?.exists == false { return }
            throw HostError("\(target) is the unit's mask (a link to /dev/null): unmask it first", code: EEXIST)
        }
        try file.write(target, state, on: host)
    }

    /// True when `path` is a link to /dev/null: systemd's mask of the unit it names.
    static func isMask(_ path: String, on host: Host) throws -> Bool {
        try host.linkTarget(host.resolveLink(path)) == "/dev/null"
    }
    public func reportValue(_ state: JSON) -> JSON { file.reportValue(state) }
    public func same(_ a: JSON, _ b: JSON) -> Bool { file.same(a, b) }
    public var showsDiff: Bool { true }
    public func unknownState(_ target: String, reason: String, on host: Host) -> JSON? {
        file.unknownState(target, reason: reason, on: host)
    }
}

/// `systemctl daemon-reload` (kind `service.daemon_reload`, target `systemd`): systemd re-reads
/// its unit files. As JSON `{"needs_reload": true}` before and `false` after. A reload cannot be
/// taken back; its undo is another reload once the undo pass has put the old unit files back
/// (``Resource/finishUndo(on:)``), so systemd ends seeing what it saw before the run.
public struct DaemonReloadResource: Resource {
    public var kind: String { "service.daemon_reload" }
    public init() {}

    /// mend cannot tell whether systemd's view is stale, so it reads as possibly so: a reload
    /// (after) is always a change, and an undone one is always "restored" — the reload comes once the
    /// pass ends.
    public func read(_ target: String, on host: Host) throws -> JSON { Self.state(needsReload: true) }

    public func write(_ target: String, _ state: JSON, on host: Host) throws {
        if state["needs_reload"]?.bool == false { try SystemdManager.daemonReload(on: host) }
    }

    public func finishUndo(on host: Host) throws { try SystemdManager.daemonReload(on: host) }
    public var undoneByFinishUndo: Bool { true }

    public func reportValue(_ state: JSON) -> JSON {
        .string(state["needs_reload"]?.bool == true ? "unit files changed" : "reloaded")
    }

    static func state(needsReload: Bool) -> JSON { .object([("needs_reload", .bool(needsReload))]) }
}
