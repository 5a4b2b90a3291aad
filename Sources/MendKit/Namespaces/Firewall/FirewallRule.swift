import Glibc

/// One rule of the ruleset mend keeps on a backend: what to do with packets to a port or range of
/// one protocol from a source. A rule is known by its port, protocol, source and group (its
/// ``identity``): allowing what was denied replaces the deny.
struct FirewallRule: Equatable, Sendable {
    enum Action: String, Sendable, CaseIterable {
        /// Accept.
        case allow
        /// Drop silently.
        case deny
        /// Refuse (TCP reset, ICMP port unreachable).
        case reject
        /// Accept up to a rate, drop above it.
        case limit
    }

    var action: Action
    var ports: ClosedRange<Int>
    var proto: String
    var from: FirewallSource
    var rate: FirewallRate?
    /// The name of the `firewall.service` group the rule belongs to.
    var group: String?

    static let protocols = ["tcp", "udp"]

    /// `30303` or `30303-30304`.
    var portText: String { ports.lowerBound == ports.upperBound ? "\(ports.lowerBound)" : "\(ports.lowerBound)-\(ports.upperBound)" }

    /// What identifies the rule in a ruleset: the same packets, the same group.
    var identity: String { "\(portText)/\(proto) from \(from.text)" + (group.map { " [\($0)]" } ?? "") }

    /// The canonical one-line form, which mend also writes into the comment of each rule it adds
    /// and reads back: `allow 30303/tcp from any`, `limit 22/tcp from 10.0.0.0/8 rate 10/minute [ssh]`.
    var text: String {
        "\(action.rawValue) \(portText)/\(proto) from \(from.text)" + (rate.map { " rate \($0.text)" } ?? "")
            + (group.map { " [\($0)]" } ?? "")
    }

    /// Parses ``text`` back; nil when it is not mend's form.
    init?(text: String) {
        var words = text.split(separator: " ").map(String.init)
        var group: String?
        if let last = words.last, last.hasPrefix("["), last.hasSuffix("]"), last.count > 2 {
            group = String(last.dropFirst().dropLast())
            words.removeLast()
        }
        guard words.count == 4 || words.count == 6, let action = Action(rawValue: words[0]), words[2] == "from" else { return nil }
        let portProto = words[1].split(separator: "/")
        guard portProto.count == 2, let ports = try? Self.ports(String(portProto[0])),
              Self.protocols.contains(String(portProto[1])), let from = try? FirewallSource(words[3]) else { return nil }
        var rate: FirewallRate?
        if words.count == 6 {
            guard words[4] == "rate", let parsed = try? FirewallRate(words[5]) else { return nil }
            rate = parsed
        }
        self.init(action: action, ports: ports, proto: String(portProto[1]), from: from, rate: rate, group: group)
    }

    init(action: Action, ports: ClosedRange<Int>, proto: String, from: FirewallSource, rate: FirewallRate? = nil, group: String? = nil) {
        self.action = action
        self.ports = ports
        self.proto = proto
        self.from = from
        self.rate = action == .limit ? (rate ?? .standard) : nil
        self.group = group
    }

    /// A port (1–65535) or a range `LOW-HIGH`, as an int or a string.
    static func ports(_ text: String) throws -> ClosedRange<Int> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count <= 2, let low = Int(parts[0]), let high = parts.count == 2 ? Int(parts[1]) : low,
              (1...65535).contains(low), (1...65535).contains(high), low <= high else {
            throw MendError("a port is 1–65535 or a range such as \"30303-30304\", got \(Value.quote(text))")
        }
        return low...high
    }

    /// True when a packet to `port`/`proto` from `source` matches the rule.
    func matches(port: Int, proto: String, source: FirewallSource) -> Bool {
        ports.contains(port) && self.proto == proto && from.contains(source)
    }

    var json: JSON { .string(text) }

    /// As `firewall.rules()` lists it.
    func value(source: String, text shown: String) -> Value {
        let map = MapRef()
        map["action"] = .string(action.rawValue)
        map["port"] = ports.lowerBound == ports.upperBound ? .int(ports.lowerBound) : .string(portText)
        map["proto"] = .string(proto)
        map["from"] = .string(from.text)
        map["rate"] = rate.map { .string($0.text) } ?? .null
        map["group"] = group.map { .string($0) } ?? .null
        map["source"] = .string(source)
        map["text"] = .string(shown)
        return .map(map)
    }
}

/// Where packets come from: anywhere, or an IPv4 or IPv6 network (an address is a network of one).
struct FirewallSource: Equatable, Sendable {
    /// The network's address bytes (4 or 16), host bits cleared; empty for any.
    let bytes: [UInt8]
    let prefix: Int

    static let any = FirewallSource(bytes: [], prefix: 0)

    var isAny: Bool { bytes.isEmpty }
    var isIPv6: Bool { bytes.count == 16 }

    private init(bytes: [UInt8], prefix: Int) {
        self.bytes = bytes
        self.prefix = prefix
    }

    /// `any`, an address or a CIDR (`10.0.0.0/8`, `2001:db8::/32`); the host bits of a CIDR are cleared.
    init(_ text: String) throws {
        if text == "any" || text.isEmpty {
            self = .any
            return
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let address = String(parts[0])
        var v4 = in_addr(), v6 = in6_addr()
        var bytes: [UInt8]
        if !address.contains(":"), inet_pton(AF_INET, address, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if address.contains(":"), inet_pton(AF_INET6, address, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            throw MendError("from must be \"any\", an address or a CIDR such as \"10.0.0.0/8\" or \"2001:db8::/32\", got \(Value.quote(text))")
        }
        let bits = bytes.count * 8
        var prefix = bits
        if parts.count == 2 {
            guard let given = Int(parts[1]), (0...bits).contains(given), parts[1].allSatisfy(\.isNumber) else {
                throw MendError("the prefix length of \(Value.quote(text)) must be 0–\(bits)")
            }
            prefix = given
        } else if parts.count > 2 {
            throw MendError("from must be an address or a CIDR, got \(Value.quote(text))")
        }
        for i in 0..<bytes.count {
            let keep = max(0, min(8, prefix - i * 8))
            bytes[i] &= keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
        }
        self.init(bytes: bytes, prefix: prefix)
    }

    /// `any`, `10.0.0.0/8`, `192.0.2.66` (a single address without its prefix), `2001:db8::/32`.
    var text: String {
        guard !isAny else { return "any" }
        var buffer = [CChar](repeating: 0, count: 64)
        var copy = bytes
        let family = isIPv6 ? AF_INET6 : AF_INET
        _ = copy.withUnsafeMutableBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        let address = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return prefix == bytes.count * 8 ? address : "\(address)/\(prefix)"
    }

    /// `10.0.0.0/8`, `192.0.2.66/32`: the form iptables and nft print.
    var cidr: String { isAny ? (isIPv6 ? "::/0" : "0.0.0.0/0") : "\(text.split(separator: "/")[0])/\(prefix)" }

    /// True when every address of `other` is in this network. `any` as the other side stands for
    /// an address no specific rule names, so only `any` contains it.
    func contains(_ other: FirewallSource) -> Bool {
        if isAny { return true }
        guard !other.isAny, other.bytes.count == bytes.count, other.prefix >= prefix else { return false }
        for i in 0..<bytes.count {
            let keep = max(0, min(8, prefix - i * 8))
            let mask: UInt8 = keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
            if other.bytes[i] & mask != bytes[i] { return false }
        }
        return true
    }

    /// True for 127.0.0.0/8 and ::1.
    var isLoopback: Bool {
        (bytes.count == 4 && bytes[0] == 127) || (bytes.count == 16 && bytes[0..<15].allSatisfy { $0 == 0 } && bytes[15] == 1)
    }
}

/// How many packets a `limit` rule accepts per unit of time: `10/minute`.
struct FirewallRate: Equatable, Sendable {
    let count: Int
    let unit: String

    static let units = ["second", "minute", "hour", "day"]
    /// ufw's fixed limit, about 6 connections in 30 seconds.
    static let standard = FirewallRate(count: 12, unit: "minute")

    private init(count: Int, unit: String) {
        self.count = count
        self.unit = unit
    }

    /// `10/minute`; the unit may be shortened (`10/min`, `10/m`, `5/s`).
    init(_ text: String) throws {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let count = Int(parts[0]), count > 0,
              let unit = Self.units.first(where: { $0.hasPrefix(parts[1]) || parts[1] == $0 + "s" }) else {
            throw MendError("a rate is COUNT/UNIT with a unit of second, minute, hour or day (e.g. \"10/minute\"), got \(Value.quote(text))")
        }
        self.init(count: count, unit: unit)
    }

    var text: String { "\(count)/\(unit)" }
}

/// The rules mend keeps on one layer of a backend and the default it set for incoming packets.
struct FirewallRuleset: Equatable, Sendable {
    var rules: [FirewallRule] = []
    /// `deny`, `reject` or `allow` once `firewall.default` set it; nil leaves the backend's own.
    var incoming: String?

    var isEmpty: Bool { rules.isEmpty && incoming == nil }

    /// Adds or replaces the rule with the same identity. A new rule goes after the others of its
    /// kind: rules naming a source come before rules for any source, so an exception for a network
    /// is never shadowed; otherwise the order is the order of adding. Returns false when the rule
    /// was already there.
    mutating func put(_ rule: FirewallRule) -> Bool {
        if let index = rules.firstIndex(where: { $0.identity == rule.identity }) {
            if rules[index] == rule { return false }
            rules[index] = rule
            return true
        }
        let position = rule.from.isAny ? rules.count : (rules.firstIndex { $0.from.isAny } ?? rules.count)
        rules.insert(rule, at: position)
        return true
    }

    /// Removes the rules matching the identity; false when there was none.
    mutating func remove(identity: String) -> Bool {
        let count = rules.count
        rules.removeAll { $0.identity == identity }
        return rules.count != count
    }

    /// The rules that apply to one address family: those for any source and those for a source
    /// of the family.
    func family(ipv6: Bool) -> FirewallRuleset {
        FirewallRuleset(rules: rules.filter { $0.from.isAny || $0.from.isIPv6 == ipv6 }, incoming: incoming)
    }

    var json: JSON {
        .object([("incoming", incoming.map { .string($0) } ?? .null), ("rules", .array(rules.map(\.json)))])
    }

    init(rules: [FirewallRule] = [], incoming: String? = nil) {
        self.rules = rules
        self.incoming = incoming
    }

    /// Nil when the state is not a ruleset (`{"unknown": …}` under `--root`).
    init?(_ json: JSON) {
        guard case .array(let items)? = json["rules"] else { return nil }
        rules = items.compactMap { $0.string.flatMap(FirewallRule.init(text:)) }
        incoming = json["incoming"]?.string
    }

    /// One line per rule, as reports show the ruleset (a diff per step).
    var lines: String {
        (incoming.map { ["default incoming \($0)"] } ?? []).joined() + (incoming == nil ? "" : "\n")
            + rules.map { $0.text + "\n" }.joined()
    }
}
