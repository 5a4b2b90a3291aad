import Glibc

/// firewalld: mend's rules are entries of a zone (the default zone unless `zone:` names one) —
/// a port for an allow from anywhere, a rich rule for the rest, a service for a
/// `firewall.service` group — in both layers: the runtime (what filters now) and the permanent
/// configuration (what firewalld loads at start), each a change of its own, both through
/// `firewall-cmd` and never `--reload` (which would drop runtime-only rules). firewalld keeps no
/// comments, so entries are not marked as mend's: mend adds and removes only the entries its
/// calls name, and undo restores each entry's presence in each layer.
///
/// Under `--root` the permanent configuration is the root's files: `firewall-offline-cmd` runs
/// on a scratch copy of the root's /etc/firewalld as this run sees it, and what it wrote becomes
/// file changes of the root — planned exactly, undone like any file.
///
/// firewalld evaluates a zone in a fixed order — rich rules that drop or reject, then rich rules
/// that accept, then ports and services, then the zone's target — not in the order rules were
/// added, so a rule that firewalld would order differently from mend's order (a deny for any
/// source after an allow for a network, on the same port) is refused before anything changes.
struct FirewalldBackend: FirewallBackend {
    enum Layer: String, Sendable {
        case runtime, permanent
    }

    static let zones = FirewalldZoneResource()
    static let services = FirewalldServiceResource()

    var name: String { "firewalld" }
    var package: String { "firewalld" }

    func isAvailable(on host: Host) -> Bool {
        FirewallBackends.installed(["/usr/bin/firewall-cmd", "/usr/sbin/firewalld", "/usr/sbin/firewall-offline-cmd"], on: host)
    }

    // MARK: Changing

    func apply(zone: String?, _ context: any BuiltinContext, _ edit: (inout FirewallRuleset) -> Bool) throws -> Bool {
        let effects = context.effects
        let zone = try self.zone(zone, effects)
        guard effects.host.isLive else {
            return try Offline(effects: effects, zone: zone).change { now, ports in
                let model = try Model(now, servicePorts: ports)
                var rules = model.ruleset
                guard edit(&rules) else { return [] }
                return try now.options(to: model.zone(after: rules)).map { ["--zone=\(zone)"] + $0 }
            }
        }
        warnIfLayersDiffer(zone, context)
        var changed = false
        for layer in [Layer.runtime, .permanent] {
            let (before, now) = try read(layer, zone, effects)
            let model = try Model(now) { try Self.knownPorts($0, layer, effects) }
            var rules = model.ruleset
            guard edit(&rules) else { continue }
            let after = try model.zone(after: rules)
            guard after != now else { continue }
            try effects.perform(Change(Self.zones, target: "\(layer.rawValue):\(zone)", before: before, after: after.json))
            changed = true
        }
        return changed
    }

    /// The group as a firewalld service: its definition (ports, description) in the permanent
    /// configuration and the service in the zone's permanent layer. The runtime knows only the
    /// services firewalld loaded at start, so there the service's ports are opened as ports
    /// unless the runtime already knows the service with these ports.
    func applyGroup(_ name: String, _ rules: [FirewallRule], description: String?, zone: String?, _ context: any BuiltinContext) throws -> Bool {
        if let wide = rules.first(where: { !$0.from.isAny }) {
            throw MendError("firewall.service: a firewalld service is open to every source; open \(wide.portText)/\(wide.proto) to \(wide.from.text) with firewall.allow(…, from:) instead")
        }
        let ports = rules.map { "\($0.portText)/\($0.proto)" }
        let effects = context.effects
        let zone = try self.zone(zone, effects)
        guard effects.host.isLive else {
            return try Offline(effects: effects, zone: zone, service: name).change { now, known in
                var options: [[String]] = []
                if let old = known(name) {
                    options += old.filter { !ports.contains($0) }.map { ["--service=\(name)", "--remove-port=\($0)"] }
                    options += ports.filter { !old.contains($0) }.map { ["--service=\(name)", "--add-port=\($0)"] }
                } else {
                    options.append(["--new-service=\(name)"])
                    options += ports.map { ["--service=\(name)", "--add-port=\($0)"] }
                }
                if let description { options.append(["--service=\(name)", "--set-description=\(description)"]) }
                if !now.entries.contains("service \(name)") { options.append(["--zone=\(zone)", "--add-service=\(name)"]) }
                return options
            }
        }
        warnIfLayersDiffer(zone, context)
        var changed = false
        let definition = try effects.state(of: Self.services, name)
        let wanted = FirewalldServiceResource.state(ports: ports, description: description ?? definition["description"]?.string ?? "")
        if definition != wanted {
            try effects.perform(Change(Self.services, target: name, before: definition, after: wanted))
            changed = true
        }
        // Ports the group had and no longer has, which the runtime may hold as ports.
        let dropped = (definition["ports"]?.array?.compactMap(\.string) ?? []).filter { !ports.contains($0) }.map { "port " + $0 }
        for layer in [Layer.runtime, .permanent] {
            let (before, now) = try read(layer, zone, effects)
            var entries = now.entries
            if layer == .runtime { entries.removeAll(where: dropped.contains) }
            var note: String?
            let runtimePorts = layer == .runtime ? try Self.knownPorts(name, .runtime, effects) : nil
            if layer == .permanent || runtimePorts?.sorted() == ports.sorted() {
                entries.append("service \(name)")
            } else {
                entries.removeAll { $0 == "service \(name)" }
                entries += ports.map { "port \($0)" }
                note = "as ports: firewalld loads the service \(name) when it next starts or reloads"
            }
            let after = FirewalldZone(target: now.target, entries: entries)
            guard after != now else { continue }
            try effects.perform(Change(Self.zones, target: "\(layer.rawValue):\(zone)", before: before, after: after.json, note: note))
            changed = true
        }
        return changed
    }

    /// A zone layer as this run sees it: its recorded state and the zone it describes.
    private func read(_ layer: Layer, _ zone: String, _ effects: any Effects) throws -> (JSON, FirewalldZone) {
        let state = try effects.state(of: Self.zones, "\(layer.rawValue):\(zone)")
        guard let parsed = FirewalldZone(state) else {
            throw HostError("firewalld zone \(zone) (\(layer.rawValue)): \(state["unknown"]?.string ?? "cannot be read")")
        }
        return (state, parsed)
    }

    /// Says once per run and zone when the runtime and the permanent configuration differ in
    /// what they do: what a reload or a restart would change (firewalld#944). A service in one
    /// layer and its ports in the other do the same.
    private func warnIfLayersDiffer(_ zone: String, _ context: any BuiltinContext) {
        let key = "firewall.firewalld.checked.\(zone)"
        guard context.choices[key] == nil else { return }
        context.choices[key] = "yes"
        let effects = context.effects
        guard let runtime = try? read(.runtime, zone, effects).1, let permanent = try? read(.permanent, zone, effects).1, runtime != permanent,
              let runtimeDoes = try? Self.effect(runtime, .runtime, effects), let permanentDoes = try? Self.effect(permanent, .permanent, effects),
              runtimeDoes != permanentDoes || runtime.target != permanent.target else { return }
        let onlyRuntime = runtimeDoes.subtracting(permanentDoes).sorted()
        let onlyPermanent = permanentDoes.subtracting(runtimeDoes).sorted()
        var parts: [String] = []
        if !onlyRuntime.isEmpty { parts.append("runtime only (lost on reload): " + onlyRuntime.joined(separator: ", ")) }
        if !onlyPermanent.isEmpty { parts.append("permanent only (not in force until reload): " + onlyPermanent.joined(separator: ", ")) }
        if runtime.target != permanent.target { parts.append("target \(runtime.target) now, \(permanent.target) after reload") }
        context.printLine("warning: firewalld zone \(zone): runtime and permanent differ — " + parts.joined(separator: "; "))
    }

    /// What a zone layer does: its rules without their groups, and the entries mend does not model.
    private static func effect(_ zone: FirewalldZone, _ layer: Layer, _ effects: any Effects) throws -> Set<String> {
        let model = try Model(zone) { try knownPorts($0, layer, effects) }
        return Set(model.items.flatMap { item in
            item.rules.isEmpty ? [item.entry] : item.rules.map { FirewallRule(action: $0.action, ports: $0.ports, proto: $0.proto, from: $0.from, rate: $0.rate).text }
        })
    }

    /// The zone named, else firewalld's default zone (under `--root`: `DefaultZone=` of the
    /// root's firewalld.conf, else public).
    func zone(_ zone: String?, _ effects: any Effects) throws -> String {
        if let zone { return zone }
        guard effects.host.isLive else {
            let conf = try FileNamespace.text("/etc/firewalld/firewalld.conf", effects) ?? ""
            let line = conf.split(separator: "\n").first { $0.hasPrefix("DefaultZone=") }
            return line.map { String($0.dropFirst("DefaultZone=".count)).trimmingCharacters() }.flatMap { $0.isEmpty ? nil : $0 } ?? "public"
        }
        return try Self.firewallCmd(nil, ["--get-default-zone"], on: effects.host).trimmingCharacters()
    }

    // MARK: Reading

    func packetPath(ipv6: Bool, zone: String?, _ context: any BuiltinContext) throws -> FirewallPacketPath {
        let effects = context.effects
        let zone = try self.zone(zone, effects)
        let now: FirewalldZone
        let ports: (String) throws -> [String]?
        if effects.host.isLive {
            now = try read(.runtime, zone, effects).1
            ports = { try Self.knownPorts($0, .runtime, effects) }
        } else {
            let offline = try Offline(effects: effects, zone: zone).read()
            now = offline.zone
            ports = { offline.services[$0] ?? nil }
        }
        let model = try Model(now, servicePorts: ports)
        // firewalld's order: rich rules that drop or reject, rich rules that accept, ports and
        // services; loopback is let in before any zone. Entries mend does not model never match.
        var stops: [FirewallPacketPath.Entry] = [], accepts: [FirewallPacketPath.Entry] = []
        var opens: [FirewallPacketPath.Entry] = [], others: [FirewallPacketPath.Entry] = []
        for item in model.items {
            guard item.entry.hasPrefix("rule") else {
                for rule in item.rules where rule.from.isAny || rule.from.isIPv6 == ipv6 {
                    opens.append(.init(match: .init(ports: rule.ports, proto: rule.proto, from: rule.from, hasPort: true),
                                       verdict: "accept", source: "other", text: item.entry, rule: rule))
                }
                if item.rules.isEmpty { others.append(.init(match: nil, verdict: "other", source: "other", text: item.entry)) }
                continue
            }
            guard let rich = FirewalldZone.RichRule(item.entry) else {
                others.append(.init(match: nil, verdict: "other", source: "other", text: item.entry))
                continue
            }
            guard rich.family.map({ $0 == (ipv6 ? "ipv6" : "ipv4") }) ?? true else { continue }
            let stop = rich.action == .deny || rich.action == .reject
            let entry = FirewallPacketPath.Entry(
                match: .init(ports: rich.ports ?? 1...65535, proto: rich.proto, from: rich.from, hasPort: rich.ports != nil),
                verdict: rich.action == .deny ? "drop" : rich.action == .reject ? "reject" : "accept",
                source: "other", text: item.entry, rule: item.rules.first)
            if stop { stops.append(entry) } else { accepts.append(entry) }
        }
        let lo = FirewallPacketPath.Entry(match: .init(loopbackOnly: true), verdict: "accept", source: "other", text: "firewalld: lo")
        let entries = [lo] + stops + accepts + opens + others
        return FirewallPacketPath(chains: [.init(entries: entries, policy: now.target == "ACCEPT" ? "accept" : "drop")], acceptEndsChainOnly: false)
    }

    // MARK: The tools

    /// Runs `firewall-cmd` (with `--permanent` for the permanent layer) and returns what it printed.
    @discardableResult
    static func firewallCmd(_ layer: Layer?, _ arguments: [String], on host: Host) throws -> String {
        let argv = ["firewall-cmd"] + (layer == .permanent ? ["--permanent"] : []) + arguments
        return String(decoding: try FirewallBackends.checked(argv, package: "firewalld", on: host).stdout, as: UTF8.self)
    }

    /// The ports of a service a layer knows (`--info-service`); nil when it knows no such service.
    static func servicePorts(_ name: String, _ layer: Layer, on host: Host) throws -> [String]? {
        let argv = ["firewall-cmd"] + (layer == .permanent ? ["--permanent"] : []) + ["--info-service=\(name)"]
        let invalidService: Int32 = 101
        let result = try FirewallBackends.checked(argv, package: "firewalld", answers: [invalidService], on: host)
        if result.status == invalidService { return nil }
        return ports(inInfo: String(decoding: result.stdout, as: UTF8.self))
    }

    /// The `ports:` line of `--info-service`.
    static func ports(inInfo text: String) -> [String] {
        let line = text.split(separator: "\n").map { String($0).trimmingCharacters() }.first { $0.hasPrefix("ports:") }
        return (line?.dropFirst(6).split(separator: " ").map(String.init) ?? []).sorted()
    }

    /// A service's ports as this run sees the layer: the permanent definition mend may have
    /// planned, or what the runtime loaded.
    static func knownPorts(_ name: String, _ layer: Layer, _ effects: any Effects) throws -> [String]? {
        if layer == .permanent {
            let state = try effects.state(of: services, name)
            return state["ports"]?.array?.compactMap(\.string)
        }
        return try servicePorts(name, .runtime, on: effects.host)
    }
}
