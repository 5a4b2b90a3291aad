import Glibc

/// One firewall tool mend drives, with the layers it keeps (what runs now, what boot loads).
protocol FirewallBackend: Sendable {
    /// `ufw`, `firewalld`, `nftables`, `iptables`.
    var name: String { get }
    /// The package that provides the tool, for the error when it is missing.
    var package: String { get }
    /// True when the backend's tool is installed (under `--root`: in the image).
    func isAvailable(on host: Host) -> Bool
    /// Refuses a rule the tool cannot express, before anything changes.
    func check(_ rule: FirewallRule) throws
    /// Applies `edit` to mend's rules on every layer (the running rules on the live host, what
    /// boot loads), each layer a change of its own; false when no layer changed. `zone` is
    /// firewalld's.
    func apply(zone: String?, _ context: any BuiltinContext, _ edit: (inout FirewallRuleset) -> Bool) throws -> Bool
    /// Makes `rules` the whole named group `name` (`firewall.service`).
    func applyGroup(_ name: String, _ rules: [FirewallRule], description: String?, zone: String?, _ context: any BuiltinContext) throws -> Bool
    /// The path of incoming IPv4 (or IPv6) packets as this run sees the rules: what runs now on
    /// the live host (with mend's part as planned in a plan), what boot loads under `--root`.
    func packetPath(ipv6: Bool, zone: String?, _ context: any BuiltinContext) throws -> FirewallPacketPath
}

extension FirewallBackend {
    func check(_ rule: FirewallRule) throws {}

    func applyGroup(_ name: String, _ rules: [FirewallRule], description: String?, zone: String?, _ context: any BuiltinContext) throws -> Bool {
        try apply(zone: zone, context) { ruleset in
            if ruleset.rules.filter({ $0.group == name }) == rules { return false }
            ruleset.rules.removeAll { $0.group == name }
            for rule in rules { _ = ruleset.put(rule) }
            return true
        }
    }
}

/// A backend that keeps mend's rules apart from everyone else's (ufw rules with mend's comments,
/// its own nft table, its own iptables chain) so that mend rewrites, and undo restores, only what
/// is its own: the running rules are one ``FirewallRulesResource`` change, the files boot loads
/// are file changes.
protocol LayeredFirewallBackend: FirewallBackend {
    /// mend's rules as they run now.
    func liveRules(on host: Host) throws -> FirewallRuleset
    /// Makes mend's running rules exactly `ruleset`, in one step where the tool allows it.
    func setLive(_ ruleset: FirewallRuleset, on host: Host) throws
    /// mend's rules as boot will load them, as this run sees the files.
    func persistedRules(_ effects: any Effects) throws -> FirewallRuleset
    /// The file changes that make boot load exactly `ruleset` (none when it already does).
    func persistChanges(_ ruleset: FirewallRuleset, _ effects: any Effects) throws -> [Change]
    /// The path of incoming IPv4 (or IPv6) packets as the kernel walks it now, with mend's part
    /// replaced by `mend` (both families; the planned rules in a plan).
    func packetPath(mend: FirewallRuleset, ipv6: Bool, on host: Host) throws -> FirewallPacketPath
    /// True when, on the live host, the tool changes its running rules and its files in one go
    /// (ufw): the live change is the persisted one too.
    var persistedLayerIsLive: Bool { get }
    /// True when ``packetPath(mend:ipv6:on:)`` reads only files, which it can under `--root` too.
    var readsOffline: Bool { get }
    /// Said with a change of the running rules when they do not filter yet (an inactive ufw).
    func liveNote(on host: Host) -> String?
    /// Refuses, before anything changes, rules mend is about to add that the tool would merge
    /// with a rule of someone else's (ufw keeps one rule per port, proto and source).
    func checkAdding(_ rules: [FirewallRule], _ effects: any Effects) throws
}

extension LayeredFirewallBackend {
    var persistedLayerIsLive: Bool { false }
    var readsOffline: Bool { false }
    func liveNote(on host: Host) -> String? { nil }
    func checkAdding(_ rules: [FirewallRule], _ effects: any Effects) throws {}

    /// Each layer is read as this run sees it and changed only where the edit changes it, so a
    /// layer that drifted is brought back too.
    func apply(zone: String?, _ context: any BuiltinContext, _ edit: (inout FirewallRuleset) -> Bool) throws -> Bool {
        let effects = context.effects
        let live = FirewallNamespace.live
        var changed = false
        if effects.host.isLive {
            let before = try effects.state(of: live, name)
            let old = FirewallRuleset(before) ?? FirewallRuleset()
            var rules = old
            if edit(&rules) {
                try checkAdding(rules.rules.filter { !old.rules.contains($0) }, effects)
                let note = before["unknown"]?.string.map { "running rules unknown (\($0))" } ?? liveNote(on: effects.host)
                try effects.perform(Change(live, target: name, before: before, after: rules.json, note: note))
                changed = true
            }
        }
        let oldPersisted = try persistedRules(effects)
        var persisted = oldPersisted
        if !(effects.host.isLive && persistedLayerIsLive), edit(&persisted) {
            try checkAdding(persisted.rules.filter { !oldPersisted.rules.contains($0) }, effects)
            for change in try persistChanges(persisted, effects) {
                let note = effects.host.isLive ? change.note : [change.note, "not live under --root"].compactMap { $0 }.joined(separator: "; ")
                try effects.perform(Change(change.resource, target: change.target, before: change.before, after: change.after, note: note))
                changed = true
            }
        }
        return changed
    }

    func packetPath(ipv6: Bool, zone: String?, _ context: any BuiltinContext) throws -> FirewallPacketPath {
        let effects = context.effects
        guard effects.host.isLive else {
            // Under --root nothing runs: what boot will load of mend's rules is the answer.
            let persisted = try persistedRules(effects)
            if readsOffline { return try packetPath(mend: persisted, ipv6: ipv6, on: effects.host) }
            let mend = persisted.family(ipv6: ipv6)
            return FirewallPacketPath(chains: [.init(entries: FirewallMendComments.entries(mend), policy: "accept")],
                                      acceptEndsChainOnly: name == "nftables")
        }
        let mend = FirewallRuleset(try effects.state(of: FirewallNamespace.live, name)) ?? FirewallRuleset()
        return try packetPath(mend: mend, ipv6: ipv6, on: effects.host)
    }
}

/// Where incoming packets go: a list of chains walked in order. In each chain the first rule that
/// matches decides; an accept ends the walk for iptables (one INPUT chain) but only its own chain
/// for nftables (every base chain on the input hook sees the packet); a drop or reject ends it.
/// A chain no rule of which matched ends in its policy.
struct FirewallPacketPath: Sendable {
    struct Entry: Sendable {
        /// What the rule matches, when mend models all of it; nil for a rule with a match mend
        /// does not model (conntrack states, marks, …): it never matches in ``allows``.
        var match: Match?
        /// `accept`, `drop`, `reject`, or `other` for a jump mend does not follow.
        var verdict: String
        /// `mend` or `other`.
        var source: String
        /// The rule as its tool prints it.
        var text: String
        /// The rule mend added, for mend's entries.
        var rule: FirewallRule?
    }

    struct Match: Sendable {
        var ports: ClosedRange<Int> = 1...65535
        /// nil: any protocol.
        var proto: String?
        var from: FirewallSource = .any
        /// Only packets that arrive on the loopback interface (`iif lo`, `-i lo`).
        var loopbackOnly = false
        /// True when a port was named (`dport`), for listings.
        var hasPort = false

        func matches(port: Int, proto: String, source: FirewallSource) -> Bool {
            (!loopbackOnly || source.isLoopback) && ports.contains(port) && (self.proto == nil || self.proto == proto)
                && from.contains(source)
        }
    }

    struct Chain: Sendable {
        var entries: [Entry]
        /// `accept` or `drop`.
        var policy: String
    }

    var chains: [Chain]
    /// True for nftables: an accept ends only its chain.
    var acceptEndsChainOnly: Bool

    /// What happens to a new connection to `port`/`proto` from `source`: true when it is let in.
    func allows(port: Int, proto: String, from source: FirewallSource) -> Bool {
        for chain in chains {
            var decided: String?
            for entry in chain.entries where entry.verdict != "other" {
                guard let match = entry.match, match.matches(port: port, proto: proto, source: source) else { continue }
                decided = entry.verdict
                break
            }
            let verdict = decided ?? chain.policy
            if verdict != "accept" { return false }
            if !acceptEndsChainOnly, decided != nil { return true }
        }
        return true
    }

    /// Every rule in the order packets meet them, as `firewall.rules()` lists them.
    var listing: [Value] {
        chains.flatMap(\.entries).map { entry in
            if let rule = entry.rule { return rule.value(source: entry.source, text: entry.text) }
            let map = MapRef()
            map["action"] = .string(["accept": "allow", "drop": "deny", "reject": "reject"][entry.verdict] ?? "other")
            if let match = entry.match {
                map["port"] = !match.hasPort ? .null : match.ports.lowerBound == match.ports.upperBound
                    ? .int(match.ports.lowerBound) : .string("\(match.ports.lowerBound)-\(match.ports.upperBound)")
                map["proto"] = match.proto.map { .string($0) } ?? .null
                map["from"] = .string(match.loopbackOnly ? "lo" : match.from.text)
            } else {
                map["port"] = .null
                map["proto"] = .null
                map["from"] = .null
            }
            map["rate"] = .null
            map["group"] = .null
            map["source"] = .string(entry.source)
            map["text"] = .string(entry.text)
            return .map(map)
        }
    }
}

/// The backends mend knows, and the choice among them.
enum FirewallBackends {
    static let names = ["ufw", "firewalld", "nftables", "iptables"]

    static func named(_ name: String) -> (any FirewallBackend)? {
        switch name {
        case "ufw": return UfwBackend()
        case "firewalld": return FirewalldBackend()
        case "nftables": return NftablesBackend()
        case "iptables": return IptablesBackend()
        default: return nil
        }
    }

    /// An active ufw (`ENABLED=yes`), then a running firewalld (under `--root`: one enabled in the
    /// image), then nft, then iptables; nil when none is there.
    static func detect(on host: Host) -> String? {
        if UfwBackend.isActive(on: host) { return "ufw" }
        if firewalldRuns(on: host) { return "firewalld" }
        if NftablesBackend().isAvailable(on: host) { return "nftables" }
        if IptablesBackend().isAvailable(on: host) { return "iptables" }
        return nil
    }

    /// Live: firewalld's D-Bus name answers (`firewall-cmd --state`). Under `--root`: the image
    /// enables firewalld.service.
    static func firewalldRuns(on host: Host) -> Bool {
        guard host.isLive else {
            return ["/etc/systemd/system/multi-user.target.wants/firewalld.service"].contains { path in
                (try? host.linkTarget(host.resolveLink(path))) != nil
            }
        }
        guard let result = try? host.run(["firewall-cmd", "--state"], timeout: 10_000_000_000) else { return false }
        return result.status == 0
    }

    /// True when one of `paths` (absolute, under the root) is a file.
    static func installed(_ paths: [String], on host: Host) -> Bool {
        paths.contains { path in (try? host.resolve(path)).flatMap { try? host.info($0) } != nil }
    }

    /// Runs a backend's tool; a missing tool is an error naming the package.
    static func run(_ argv: [String], package: String, stdin: [UInt8]? = nil, on host: Host) throws -> ProcessResult {
        try Tools.run(argv, package: package, on: host, stdin: stdin, timeout: 60_000_000_000)
    }

    /// Runs a tool that must succeed (exit 0, or one of `answers`: statuses that are an answer, not
    /// a failure); its failure is an error with what it said. Permission refused (not root) is
    /// EPERM, exit 77.
    @discardableResult
    static func checked(_ argv: [String], package: String, stdin: [UInt8]? = nil, answers: Set<Int32> = [], on host: Host) throws -> ProcessResult {
        let result = try run(argv, package: package, stdin: stdin, on: host)
        guard result.status == 0 || answers.contains(result.status), !result.timedOut, !result.stopped else {
            let said = (String(decoding: result.stderr, as: UTF8.self) + String(decoding: result.stdout, as: UTF8.self)).trimmingCharacters()
            let message = "\(argv.prefix(2).joined(separator: " ")) failed (status \(result.status))" + (said.isEmpty ? "" : ": \(said)")
            throw failure(message, said: said)
        }
        return result
    }

    /// A tool's failure as an error: EPERM (exit 77) when what it said is a refusal to a process
    /// that is not root (firewalld's D-Bus answers NotAuthorized).
    static func failure(_ message: String, said: String) -> HostError {
        let refusals = ["Operation not permitted", "Permission denied", "you must be root", "You need to be root", "NotAuthorizedException", "Authorization failed"]
        guard refusals.contains(where: said.contains) else { return HostError(message) }
        return HostError(message + " (changing the firewall needs root)", code: EPERM)
    }
}
