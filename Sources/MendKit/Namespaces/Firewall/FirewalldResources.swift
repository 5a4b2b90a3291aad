/// One layer of a zone of a running firewalld (kind `firewalld`, target `runtime:ZONE` or
/// `permanent:ZONE`), read and changed through `firewall-cmd` — the permanent layer with
/// `--permanent`, never `--reload`, so runtime-only rules of others survive. As JSON:
/// `{"target": "default", "entries": ["port 30303/tcp", "service ssh", "rule …"]}`, or
/// `{"unknown": reason}` where firewalld cannot be asked. Written by adding and removing, one by
/// one, the entries that differ from the state asked for, never by replacing the zone. An undo
/// puts back the layer mend left behind; when someone changed the zone since, the engine skips
/// it with a warning (`--force` restores the recorded layer whole). Under `--root` the zone's
/// files are changed instead (see ``FirewalldBackend``).
public struct FirewalldZoneResource: Resource {
    public var kind: String { "firewalld" }
    public init() {}

    public func read(_ target: String, on host: Host) throws -> JSON {
        guard host.isLive else { return .object([("unknown", .string("not live under --root"))]) }
        let (layer, zone) = try Self.parse(target)
        let listing = try FirewalldBackend.firewallCmd(layer, ["--zone=\(zone)", "--list-all"], on: host)
        return FirewalldZone(listing: listing).json
    }

    public func write(_ target: String, _ state: JSON, on host: Host) throws {
        guard let wanted = FirewalldZone(state) else { throw HostError("firewalld \(target): the recorded zone is damaged") }
        let (layer, zone) = try Self.parse(target)
        let now = FirewalldZone(listing: try FirewalldBackend.firewallCmd(layer, ["--zone=\(zone)", "--list-all"], on: host))
        for options in now.options(to: wanted) {
            try FirewalldBackend.firewallCmd(layer, ["--zone=\(zone)"] + options, on: host)
        }
    }

    public func reportValue(_ state: JSON) -> JSON {
        guard let zone = FirewalldZone(state) else { return state["unknown"].map { .string("unknown: \($0.string ?? "")") } ?? state }
        return .string(zone.lines)
    }

    public var showsDiff: Bool { true }

    public func unknownState(_ target: String, reason: String, on host: Host) -> JSON? {
        .object([("unknown", .string(reason))])
    }

    /// `runtime:public` → (runtime, public).
    static func parse(_ target: String) throws -> (FirewalldBackend.Layer, String) {
        let parts = target.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let layer = FirewalldBackend.Layer(rawValue: String(parts[0])) else {
            throw HostError("firewalld: no zone layer \(target)")
        }
        return (layer, String(parts[1]))
    }
}

/// A service definition in firewalld's permanent configuration (kind `firewalld-service`, target
/// its name), changed through `firewall-cmd --permanent` (`--new-service`, `--service=NAME
/// --add-port`, `--delete-service`), which writes /etc/firewalld/services/NAME.xml, then checked
/// with `firewall-cmd --check-config`. As JSON: `{"ports": ["30303/tcp"], "description": "…"}`,
/// or `{"absent": true}`.
public struct FirewalldServiceResource: Resource {
    public var kind: String { "firewalld-service" }
    public init() {}

    public func read(_ target: String, on host: Host) throws -> JSON {
        guard host.isLive else { return .object([("unknown", .string("not live under --root"))]) }
        guard let ports = try FirewalldBackend.servicePorts(target, .permanent, on: host) else { return .object([("absent", .bool(true))]) }
        let description = try FirewalldBackend.firewallCmd(.permanent, ["--service=\(target)", "--get-description"], on: host)
        return Self.state(ports: ports, description: description.trimmingCharacters())
    }

    public func write(_ target: String, _ state: JSON, on host: Host) throws {
        let now = try FirewalldBackend.servicePorts(target, .permanent, on: host)
        guard let ports = state["ports"]?.array?.compactMap(\.string) else {
            if now != nil { try FirewalldBackend.firewallCmd(.permanent, ["--delete-service=\(target)"], on: host) }
            return
        }
        if now == nil { try FirewalldBackend.firewallCmd(.permanent, ["--new-service=\(target)"], on: host) }
        let old = now ?? []
        for port in old where !ports.contains(port) {
            try FirewalldBackend.firewallCmd(.permanent, ["--service=\(target)", "--remove-port=\(port)"], on: host)
        }
        for port in ports where !old.contains(port) {
            try FirewalldBackend.firewallCmd(.permanent, ["--service=\(target)", "--add-port=\(port)"], on: host)
        }
        let description = state["description"]?.string ?? ""
        let currentDescription = now == nil ? "" : try FirewalldBackend.firewallCmd(.permanent, ["--service=\(target)", "--get-description"], on: host).trimmingCharacters()
        if description != currentDescription {
            // firewall-cmd takes an empty value for no option at all; a blank reads back empty.
            try FirewalldBackend.firewallCmd(.permanent, ["--service=\(target)", "--set-description=\(description.isEmpty ? " " : description)"], on: host)
        }
        try FirewalldBackend.firewallCmd(nil, ["--check-config"], on: host)
    }

    public func reportValue(_ state: JSON) -> JSON {
        if state["absent"] != nil { return .string("absent") }
        guard let ports = state["ports"]?.array else { return state["unknown"].map { .string("unknown: \($0.string ?? "")") } ?? state }
        return .string("ports \(ports.compactMap(\.string).joined(separator: " ")); description \(Value.quote(state["description"]?.string ?? ""))")
    }

    public func unknownState(_ target: String, reason: String, on host: Host) -> JSON? {
        .object([("unknown", .string(reason))])
    }

    static func state(ports: [String], description: String) -> JSON {
        .object([("ports", .array(ports.sorted().map { .string($0) })), ("description", .string(description))])
    }
}
