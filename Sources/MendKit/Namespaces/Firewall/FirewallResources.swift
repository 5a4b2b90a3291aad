/// The rules mend keeps running on a firewall backend (kind `firewall`, target the backend's name:
/// `nftables`, `iptables`). As JSON: `{"incoming": "deny" | null, "rules": ["allow 30303/tcp from
/// any", …]}` in evaluation order, or `{"unknown": reason}` where the running rules cannot be read
/// (under `--root`, or a plan without root). Written by replacing mend's own table or chain as a
/// whole, so undo restores the exact rules and order, and nothing of anyone else's.
public struct FirewallRulesResource: Resource {
    public var kind: String { "firewall" }
    public init() {}

    public func read(_ target: String, on host: Host) throws -> JSON {
        guard host.isLive else { return .object([("unknown", .string("not live under --root"))]) }
        return try backend(target).liveRules(on: host).json
    }

    public func write(_ target: String, _ state: JSON, on host: Host) throws {
        guard let ruleset = FirewallRuleset(state) else { throw HostError("firewall \(target): the recorded rules are damaged") }
        try backend(target).setLive(ruleset, on: host)
    }

    public func reportValue(_ state: JSON) -> JSON {
        guard let ruleset = FirewallRuleset(state) else { return state["unknown"].map { .string("unknown: \($0.string ?? "")") } ?? state }
        return .string(ruleset.lines)
    }

    public func same(_ a: JSON, _ b: JSON) -> Bool {
        guard let x = FirewallRuleset(a), let y = FirewallRuleset(b) else { return a == b }
        return x == y
    }

    /// The rules as lines: a step's report shows them as a diff, rule by rule.
    public var showsDiff: Bool { true }

    public func unknownState(_ target: String, reason: String, on host: Host) -> JSON? {
        .object([("unknown", .string(reason))])
    }

    private func backend(_ name: String) throws -> any LayeredFirewallBackend {
        guard let backend = FirewallBackends.named(name) as? any LayeredFirewallBackend else { throw HostError("firewall: no backend \(name)") }
        return backend
    }
}
