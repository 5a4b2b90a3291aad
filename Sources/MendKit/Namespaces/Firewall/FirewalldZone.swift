/// One layer of a firewalld zone as `firewall-cmd --list-all` shows it: its target and its
/// entries — `port 30303-30304/tcp`, `service ssh`, and rich rules as firewalld prints them
/// (`rule family="ipv4" source address="10.0.0.0/8" port port="8545" protocol="tcp" accept`).
/// Entries are kept sorted (firewalld lists rich rules in no fixed order), so two reads of the
/// same zone compare equal and a plan's diff shows only what changes.
struct FirewalldZone: Equatable, Sendable {
    var target: String
    var entries: [String]

    init(target: String = "default", entries: [String]) {
        self.target = target
        self.entries = Self.sorted(entries)
    }

    /// Ports first, then services, then rich rules, each in text order.
    static func sorted(_ entries: [String]) -> [String] {
        let kinds = ["port ", "service ", "rule"]
        let unique = Array(Set(entries))
        return unique.sorted { a, b in
            let ka = kinds.firstIndex { a.hasPrefix($0) } ?? 3, kb = kinds.firstIndex { b.hasPrefix($0) } ?? 3
            return ka != kb ? ka < kb : a < b
        }
    }

    /// Parses `--list-all` (live or offline): `  target: default`, `  services: ssh`, `  ports:
    /// 30303/tcp`, and `  rich rules:` followed by one tab-indented rule per line.
    init(listing: String) {
        var target = "default"
        var entries: [String] = []
        var inRichRules = false
        for line in listing.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = String(line).trimmingCharacters()
            if inRichRules, line.hasPrefix("\t") || line.hasPrefix("        "), trimmed.hasPrefix("rule") {
                entries.append(trimmed)
                continue
            }
            inRichRules = false
            guard let colon = trimmed.firstIndex(of: ":") else { continue }
            let key = trimmed[..<colon], words = trimmed[trimmed.index(after: colon)...].split(separator: " ").map(String.init)
            switch key {
            case "target": target = words.first ?? "default"
            case "services": entries += words.map { "service " + $0 }
            case "ports": entries += words.map { "port " + $0 }
            case "rich rules": inRichRules = true
            default: break
            }
        }
        self.init(target: target, entries: entries)
    }

    init?(_ json: JSON) {
        guard let target = json["target"]?.string, let entries = json["entries"]?.array else { return nil }
        self.init(target: target, entries: entries.compactMap(\.string))
    }

    var json: JSON { .object([("target", .string(target)), ("entries", .array(entries.map { .string($0) }))]) }

    /// The zone as lines, for a plan's diff.
    var lines: String { (["target \(target)"] + entries).joined(separator: "\n") }

    /// The `firewall-cmd` options that take a zone from `self` to `other`, removals first.
    func options(to other: FirewalldZone) -> [[String]] {
        let removed = entries.filter { !other.entries.contains($0) }, added = other.entries.filter { !entries.contains($0) }
        return removed.compactMap { Self.option("--remove", $0) }.map { [$0] } + added.compactMap { Self.option("--add", $0) }.map { [$0] }
    }

    private static func option(_ verb: String, _ entry: String) -> String? {
        if entry.hasPrefix("port ") { return "\(verb)-port=\(entry.dropFirst(5))" }
        if entry.hasPrefix("service ") { return "\(verb)-service=\(entry.dropFirst(8))" }
        if entry.hasPrefix("rule") { return "\(verb)-rich-rule=\(entry)" }
        return nil
    }

    // MARK: Entries as mend's rules

    /// The entry that stands for `rule` (not in a group): a port for an allow from anywhere,
    /// otherwise a rich rule.
    static func entry(_ rule: FirewallRule) -> String {
        if rule.action == .allow, rule.from.isAny { return "port \(rule.portText)/\(rule.proto)" }
        var words = ["rule"]
        if !rule.from.isAny { words += ["family=\"\(rule.from.isIPv6 ? "ipv6" : "ipv4")\"", "source address=\"\(rule.from.text)\""] }
        words.append("port port=\"\(rule.portText)\" protocol=\"\(rule.proto)\"")
        switch rule.action {
        case .allow: words.append("accept")
        case .deny: words.append("drop")
        case .reject: words.append("reject")
        case .limit:
            let rate = rule.rate ?? .standard
            words.append("accept limit value=\"\(rate.count)/\(rate.unit.prefix(1))\"")
        }
        return words.joined(separator: " ")
    }

    /// A rich rule of the shapes mend models: `[family=F] [source address=A] [port port=P
    /// protocol=T] accept|drop|reject [limit value=R]` (log, audit, `source NOT`, marks, services
    /// and the like are not modelled).
    struct RichRule {
        var family: String?
        var from: FirewallSource = .any
        var ports: ClosedRange<Int>?
        var proto: String?
        var action: FirewallRule.Action
        var rate: FirewallRate?

        init?(_ entry: String) {
            guard entry.hasPrefix("rule") else { return nil }
            var attributes: [String: String] = [:]
            var rest = Substring(entry.dropFirst(4))
            var words: [String] = []
            while !rest.isEmpty {
                rest = rest.drop { $0 == " " }
                guard !rest.isEmpty else { break }
                if let equals = rest.firstIndex(of: "="), !rest[..<equals].contains(" "), rest[rest.index(after: equals)...].first == "\"" {
                    let key = String(rest[..<equals])
                    let valueStart = rest.index(equals, offsetBy: 2)
                    guard let close = rest[valueStart...].firstIndex(of: "\""), attributes[key] == nil else { return nil }
                    attributes[key] = String(rest[valueStart..<close])
                    words.append(key + "=")
                    rest = rest[rest.index(after: close)...]
                } else {
                    let end = rest.firstIndex(of: " ") ?? rest.endIndex
                    words.append(String(rest[..<end]))
                    rest = rest[end...]
                }
            }
            var tail = words[...]
            func take(_ expected: [String]) -> Bool {
                guard tail.starts(with: expected) else { return false }
                tail = tail.dropFirst(expected.count)
                return true
            }
            if take(["family="]) {
                guard let family = attributes["family"], family == "ipv4" || family == "ipv6" else { return nil }
                self.family = family
            }
            if take(["source", "address="]) {
                guard let address = attributes["address"], let source = try? FirewallSource(address),
                      family == (source.isIPv6 ? "ipv6" : "ipv4") else { return nil }
                from = source
            }
            if take(["port", "port=", "protocol="]) {
                guard let portText = attributes["port"], let proto = attributes["protocol"], FirewallRule.protocols.contains(proto),
                      let ports = try? FirewallRule.ports(portText) else { return nil }
                self.ports = ports
                self.proto = proto
            }
            switch Array(tail) {
            case ["accept"]: action = .allow
            case ["drop"]: action = .deny
            case ["reject"]: action = .reject
            case ["accept", "limit", "value="]:
                guard let value = attributes["value"], let rate = try? FirewallRate(value) else { return nil }
                action = .limit
                self.rate = rate
            default: return nil
            }
        }
    }

    /// The rule a port entry or a rich rule on a port stands for; nil for services and for rich
    /// rules mend does not model. A rule for one family and any source counts as any source.
    static func rule(_ entry: String) -> FirewallRule? {
        if entry.hasPrefix("port ") {
            let parts = entry.dropFirst(5).split(separator: "/")
            guard parts.count == 2, let ports = try? FirewallRule.ports(String(parts[0])), FirewallRule.protocols.contains(String(parts[1])) else { return nil }
            return FirewallRule(action: .allow, ports: ports, proto: String(parts[1]), from: .any)
        }
        guard let rich = RichRule(entry), let ports = rich.ports, let proto = rich.proto else { return nil }
        return FirewallRule(action: rich.action, ports: ports, proto: proto, from: rich.from, rate: rich.rate)
    }
}

extension FirewalldBackend {
    /// A zone layer as mend's rules: each entry with the rules it stands for (a service, one per
    /// port, in its group; an entry mend does not model, none), and the whole as a ruleset a
    /// builtin's edit works on.
    struct Model {
        let zone: FirewalldZone
        let items: [(entry: String, rules: [FirewallRule])]
        let ruleset: FirewallRuleset

        init(_ zone: FirewalldZone, servicePorts: (String) throws -> [String]?) throws {
            var items: [(entry: String, rules: [FirewallRule])] = []
            for entry in zone.entries {
                if entry.hasPrefix("service ") {
                    let name = String(entry.dropFirst(8))
                    let rules = try (servicePorts(name) ?? []).compactMap { port -> FirewallRule? in
                        guard let rule = FirewalldZone.rule("port " + port) else { return nil }
                        return FirewallRule(action: .allow, ports: rule.ports, proto: rule.proto, from: .any, group: name)
                    }
                    items.append((entry, rules))
                } else {
                    items.append((entry, FirewalldZone.rule(entry).map { [$0] } ?? []))
                }
            }
            var rules: [FirewallRule] = []
            for rule in items.flatMap(\.rules) where !rules.contains(rule) { rules.append(rule) }
            self.zone = zone
            self.items = items
            ruleset = FirewallRuleset(rules: rules, incoming: ["ACCEPT": "allow", "DROP": "deny"][zone.target] ?? "reject")
        }

        /// The zone that holds `rules`: the entries whose rules remain, new entries for new
        /// rules, and every entry mend does not model, untouched.
        func zone(after rules: FirewallRuleset) throws -> FirewalldZone {
            guard rules.incoming == ruleset.incoming else {
                throw MendError("on firewalld the default for incoming packets is the zone's target, which firewalld applies only on a reload (dropping runtime-only rules): set it with firewall-cmd --permanent --set-target and reload at a quiet moment")
            }
            let new = rules.rules.filter { !ruleset.rules.contains($0) }
            try Self.checkOrder(rules.rules, new: new)
            try Self.checkLimits(rules.rules, new: new)
            var entries = items.filter { $0.rules.isEmpty }.map(\.entry)
            entries += items.filter { item in !item.rules.isEmpty && item.rules.contains(where: rules.rules.contains) }.map(\.entry)
            entries += new.map(FirewalldZone.entry)
            return FirewalldZone(target: zone.target, entries: entries)
        }

        /// A rich rule's limit only caps what that rule accepts: connections above the rate go on to
        /// the zone's other entries, so another entry that accepts them would let them all in.
        static func checkLimits(_ rules: [FirewallRule], new: [FirewallRule]) throws {
            for limit in rules where limit.action == .limit {
                for other in rules where other != limit && (other.action == .allow || other.action == .limit) {
                    guard new.contains(limit) || new.contains(other), other.proto == limit.proto, other.ports.overlaps(limit.ports),
                          other.from.contains(limit.from) || limit.from.contains(other.from) else { continue }
                    let entry = other.group.map { "the service \($0)" } ?? "'\(other.text)'"
                    throw MendError("on firewalld a limit caps only what its own rule accepts: \(entry) also accepts \(limit.portText)/\(limit.proto), so connections above the rate would still get in; remove it from the zone first, or leave the limit out")
                }
            }
        }

        /// firewalld drops and rejects before it accepts: an accepting rule that mend's order puts
        /// before a dropping one for some of the same packets would lose them on firewalld.
        static func checkOrder(_ rules: [FirewallRule], new: [FirewallRule]) throws {
            for (i, accept) in rules.enumerated() where accept.action == .allow || accept.action == .limit {
                for stop in rules[(i + 1)...] where stop.action == .deny || stop.action == .reject {
                    guard new.contains(accept) || new.contains(stop), accept.proto == stop.proto,
                          accept.ports.overlaps(stop.ports),
                          stop.from.contains(accept.from) || accept.from.contains(stop.from) else { continue }
                    throw MendError("firewalld checks the rules that drop or reject before those that accept, so '\(stop.text)' would also stop what '\(accept.text)' lets in; leave it out on firewalld (the zone's target refuses what no rule accepts)")
                }
            }
        }
    }
}
