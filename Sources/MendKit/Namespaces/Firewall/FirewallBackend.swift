import Glibc

/// One firewall tool mend drives. A backend keeps mend's rules apart from everyone else's (its
/// own nft table, its own iptables chain) so that mend rewrites, and undo restores, only what is
/// its own, and it keeps two layers: what runs now and what boot loads.
protocol FirewallBackend: Sendable {
    /// `nftables`, `iptables`.
    var name: String { get }
    /// The package that provides the tool, for the error when it is missing.
    var package: String { get }
    /// True when the backend's tool is installed (under `--root`: in the image).
    func isAvailable(on host: Host) -> Bool
    /// mend's rules as they run now.
    func liveRules(on host: Host) throws -> FirewallRuleset
    /// Makes mend's running rules exactly `ruleset`, in one step where the tool allows it.
    func setLive(_ ruleset: FirewallRuleset, on host: Host) throws
    /// mend's rules as boot will load them, as this run sees the files.
    func persistedRules(_ effects: any Effects) throws -> FirewallRuleset
    /// The file changes that make boot load exactly `ruleset` (none when it already does).
    func persistChanges(_ ruleset: FirewallRuleset, _ effects: any Effects) throws -> [Change]
    /// The path of incoming IPv4 (or IPv6) packets as the kernel walks it now, with mend's part
    /// replaced by `mend` (the planned rules in a plan).
    func packetPath(mend: FirewallRuleset, ipv6: Bool, on host: Host) throws -> FirewallPacketPath
    /// True when, on the live host, the tool changes its running rules and its files in one go
    /// (ufw): the live change is the persisted one too.
    var persistedLayerIsLive: Bool { get }
    /// True when ``packetPath(mend:ipv6:on:)`` reads only files, which it can under `--root` too.
    var readsOffline: Bool { get }
    /// Refuses a rule the tool cannot express, before anything changes.
    func check(_ rule: FirewallRule) throws
    /// Said with a change of the running rules when they do not filter yet (an inactive ufw).
    func liveNote(on host: Host) -> String?
}

extension FirewallBackend {
    var persistedLayerIsLive: Bool { false }
    var readsOffline: Bool { false }
    func check(_ rule: FirewallRule) throws {}
    func liveNote(on host: Host) -> String? { nil }
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

    /// Runs a tool that must succeed; its failure is an error with what it said. Permission
    /// refused (not root) is EPERM, exit 77.
    @discardableResult
    static func checked(_ argv: [String], package: String, stdin: [UInt8]? = nil, on host: Host) throws -> ProcessResult {
        let result = try run(argv, package: package, stdin: stdin, on: host)
        guard result.status == 0, !result.timedOut, !result.stopped else {
            let said = (String(decoding: result.stderr, as: UTF8.self) + String(decoding: result.stdout, as: UTF8.self)).trimmingCharacters()
            let denied = said.contains("Operation not permitted") || said.contains("Permission denied") || said.contains("you must be root") || said.contains("You need to be root")
            let message = "\(argv.prefix(2).joined(separator: " ")) failed (status \(result.status))" + (said.isEmpty ? "" : ": \(said)")
            throw denied ? HostError(message + " (changing the firewall needs root)", code: EPERM) : HostError(message)
        }
        return result
    }
}
