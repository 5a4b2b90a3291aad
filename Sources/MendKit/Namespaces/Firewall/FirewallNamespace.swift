import Glibc

/// The `firewall` namespace: open, close and rate-limit ports on the host's firewall — ufw,
/// firewalld, nftables or iptables — live and persisted. Each call changes both layers, each a
/// ``Change`` (the running rules and the configuration boot loads), so a plan shows both, a run
/// journals both and undo restores both exactly; see each backend for its layers.
public enum FirewallNamespace {
    typealias Param = Builtin.Param
    static let live = FirewallRulesResource()
    static let choice = "firewall.backend"
    static let policies = ["allow", "deny", "reject"]

    /// The `firewall` builtins, registered by ``Registry/standard()``.
    public static let table = NamespaceTable("firewall", doc: """
        The host firewall (ufw, firewalld, nftables, iptables): allow, deny, limit and remove ports, live and persisted, undoable; is_allowed, rules.
        """, resources: [live, FirewalldBackend.zones, FirewalldBackend.services], [
        .function("backend", doc: """
            The firewall mend changes: "ufw", "firewalld", "nftables", "iptables" or "none".
            An active ufw (ENABLED=yes in /etc/ufw/ufw.conf), then a running firewalld (under --root:
            one the image enables), then nft, then iptables; firewall.use overrides it for the run.
            """, example: #"firewall.backend()  # "nftables""#, body: backend),
        .function("use", [Param("backend", completes: ArgumentCompletion.words(FirewallBackends.names))], doc: """
            Makes the rest of the run use a backend instead of the one found: "ufw", "firewalld",
            "nftables" or "iptables". Changes nothing on the host; works outside a step.
            """, example: #"firewall.use("iptables")"#, body: use),
        .function("allow", [Param("port"), .label("proto"), .label("from"), .label("zone")], changesHost: true, doc: """
            Lets new connections to a port in; returns true when anything had to change.
            port: 1–65535 or a range "30303-30304"; proto: "tcp" (default) or "udp"; from: "any"
            (default), an address or a CIDR, IPv4 or IPv6. A rule with the same port, proto and from
            is replaced (allow after deny). Rules naming a source go before rules for any source, so a
            network's exception is never shadowed; otherwise the order is the order of the calls.
            Applied live and persisted: two changes. zone is firewalld's (default: its default zone)
            and ignored elsewhere. On firewalld an allow from any source is a port of the zone, the
            rest rich rules; firewalld checks rules that drop or reject before those that accept, so
            mend refuses a deny that would shadow an earlier allow there.
            """, example: """
            step "p2p open" {
              firewall.allow(30303)
              firewall.allow("30303-30304", proto: "udp")
            }
            """, body: allow),
        .function("deny", [Param("port"), .label("proto"), .label("from"), .label("zone")], changesHost: true, doc: """
            Drops new connections to a port (silently); returns true when anything had to change.
            Arguments as firewall.allow.
            """, example: """
            step "rpc closed to the public" {
              firewall.allow(8545, from: "10.0.0.0/8")
              firewall.deny(8545)
            }
            """, body: deny),
        .function("reject", [Param("port"), .label("proto"), .label("from"), .label("zone")], changesHost: true, doc: """
            Refuses new connections to a port (a TCP reset, an ICMP error for UDP); returns true when
            anything had to change. Arguments as firewall.allow.
            """, example: """
            step "explorer refused" {
              firewall.reject(8080)
            }
            """, body: reject),
        .function("limit", [Param("port"), .label("proto"), .label("rate"), .label("from"), .label("zone")], changesHost: true, doc: """
            Accepts new connections to a port up to a rate and drops those above it; returns true when
            anything had to change. rate: "COUNT/UNIT" with second, minute, hour or day (default
            "12/minute", ufw's limit). Arguments otherwise as firewall.allow.
            """, example: """
            step "ssh rate-limited" {
              firewall.limit(22, rate: "10/minute")
            }
            """, body: limit),
        .function("remove", [Param("port"), .label("proto"), .label("from"), .label("zone")], changesHost: true, doc: """
            Removes mend's rule for a port, proto and from, whatever its action; returns true when
            there was one. Rules of other tools are never removed (firewalld keeps no marks: there
            the entry for that port, proto and from is removed whoever added it).
            """, example: """
            step "old port closed again" {
              firewall.allow(30305)
              firewall.remove(30305)
            }
            """, body: remove),
        .function("default", [Param("policy", completes: ArgumentCompletion.words(policies)), .label("direction")], changesHost: true, doc: """
            What happens to incoming connections no rule matched: "deny", "reject" or "allow".
            direction: "incoming" (the default; the only one). A default of deny or reject keeps
            established connections, loopback and ICMP open. Set in mend's table or chain (its last
            rule), in ufw's defaults; refused on firewalld, whose zone target takes a reload.
            """, example: """
            step "closed by default" {
              firewall.allow(22)
              firewall.default("deny")
            }
            """, body: defaultPolicy),
        .function("service", [Param("name"), .label("ports"), .label("description"), .label("from"), .label("zone")],
                  changesHost: true, doc: """
            Allows a named group of ports: ports: a list of "PORT/PROTO" ("30303/tcp", "30303-30304/udp").
            The group's rules carry the name; calling it again with other ports replaces the group's
            rules. On firewalld it is a service (/etc/firewalld/services/NAME.xml, checked with
            --check-config) added to the zone; description is kept there and ignored elsewhere.
            """, example: """
            step "blockchain protocols" {
              firewall.service("blockchain-protocols", ports: ["30303/tcp", "30304/tcp"],
                               description: "devp2p and block sync")
            }
            """, body: service),
        .function("is_allowed", [Param("port"), .label("proto"), .label("from"), .label("zone")], doc: """
            True when a new connection to the port would be let in, by the whole ruleset in the order
            the kernel walks it — other tools' rules and default policies included — not by whether a
            rule exists. from: "any" (default: a source no rule names) or an address. Rules with matches
            mend does not model (interfaces other than lo, marks, conntrack states) are passed over.
            In a plan it sees the planned rules. zone: the firewalld zone to ask (default: the default zone).
            """, example: #"firewall.is_allowed(30303)  # true"#, body: isAllowed),
        .function("rules", [.label("zone")], doc: """
            Every incoming rule in evaluation order, as maps: action (allow, deny, reject, limit, other),
            port (an int, a "LOW-HIGH" string or nil for every port), proto, from, rate, group,
            source ("mend" or "other") and text (the rule as the tool shows it). In a plan mend's
            part is the planned rules. zone: the firewalld zone to list (default: the default zone).
            """, example: #"firewall.rules()  # [{action: "allow", port: 30303, proto: "tcp", from: "any", …}]"#, body: rules),
    ])

    // MARK: Choosing the backend

    static func backend(_ args: inout Arguments) throws -> Value {
        .string(args.context.choices[choice] ?? FirewallBackends.detect(on: args.context.effects.host) ?? "none")
    }

    static func use(_ args: inout Arguments) throws -> Value {
        let name = try args.string(0)
        guard FirewallBackends.named(name) != nil else {
            throw MendError("firewall.use: backend must be one of \(FirewallBackends.names.map(Value.quote).joined(separator: ", ")), got \(Value.quote(name))"
                            + Suggest.hint(for: name, in: FirewallBackends.names))
        }
        args.context.choices[choice] = name
        return .string(name)
    }

    /// The backend of this run, or an error saying there is none or its tool is missing.
    static func current(_ args: Arguments, _ builtin: String) throws -> any FirewallBackend {
        let host = args.context.effects.host
        guard let name = args.context.choices[choice] ?? FirewallBackends.detect(on: host), let backend = FirewallBackends.named(name) else {
            throw MendError("\(builtin): no firewall on this host (no ufw, firewalld, nft or iptables found"
                            + (host.isLive ? ")" : " under --root \(host.root))"), kind: .host)
        }
        guard backend.isAvailable(on: host) else {
            throw HostError("\(builtin): \(backend.name == "nftables" ? "nft" : backend.name) not found (install the \(backend.package) package)", code: ENOENT)
        }
        return backend
    }

    // MARK: Rules

    static func allow(_ args: inout Arguments) throws -> Value { try put(&args, .allow, "firewall.allow") }
    static func deny(_ args: inout Arguments) throws -> Value { try put(&args, .deny, "firewall.deny") }
    static func reject(_ args: inout Arguments) throws -> Value { try put(&args, .reject, "firewall.reject") }

    static func limit(_ args: inout Arguments) throws -> Value {
        let rate = try args.optionalString(2, nilIsAbsent: true).map { text in
            do { return try FirewallRate(text) } catch let error as MendError { throw MendError("firewall.limit: \(error.message)") }
        }
        let rule = try parsedRule(args, .limit, "firewall.limit", fromIndex: 3, rate: rate)
        let zone = try zone(args, 4, "firewall.limit")
        do { try current(args, "firewall.limit").check(rule) } catch let error as MendError { throw MendError("firewall.limit: \(error.message)") }
        return .bool(try change(args, "firewall.limit", zone: zone) { $0.put(rule) })
    }

    private static func put(_ args: inout Arguments, _ action: FirewallRule.Action, _ builtin: String) throws -> Value {
        let rule = try parsedRule(args, action, builtin, fromIndex: 2)
        let zone = try zone(args, 3, builtin)
        return .bool(try change(args, builtin, zone: zone) { $0.put(rule) })
    }

    static func remove(_ args: inout Arguments) throws -> Value {
        let rule = try parsedRule(args, .allow, "firewall.remove", fromIndex: 2)
        let zone = try zone(args, 3, "firewall.remove")
        return .bool(try change(args, "firewall.remove", zone: zone) { $0.remove(identity: rule.identity) })
    }

    static func defaultPolicy(_ args: inout Arguments) throws -> Value {
        let policy = try args.string(0)
        guard policies.contains(policy) else {
            throw MendError("firewall.default: policy must be \"deny\", \"reject\" or \"allow\", got \(Value.quote(policy))"
                            + Suggest.hint(for: policy, in: policies))
        }
        let direction = try args.optionalString(1, nilIsAbsent: true) ?? "incoming"
        guard direction == "incoming" else {
            throw MendError("firewall.default: direction must be \"incoming\" (mend keeps incoming rules only), got \(Value.quote(direction))")
        }
        return .bool(try change(args, "firewall.default") { ruleset in
            if ruleset.incoming == policy { return false }
            ruleset.incoming = policy
            return true
        })
    }

    static func service(_ args: inout Arguments) throws -> Value {
        let name = try args.name(0, .noControlCharacters)
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }), name.count <= 40 else {
            throw MendError("firewall.service: a name is up to 40 letters, digits, '-', '_' or '.', got \(Value.quote(name))")
        }
        guard let list = try args.optionalList(1, nilIsAbsent: true), !list.items.isEmpty else {
            throw MendError("firewall.service: ports must be a list such as [\"30303/tcp\", \"30304/tcp\"]")
        }
        let description = try args.optionalString(2, nilIsAbsent: true)
        let from = try source(args, 3, "firewall.service")
        let zone = try zone(args, 4, "firewall.service")
        var group: [FirewallRule] = []
        for item in list.items {
            guard case .string(let text) = item else {
                throw MendError("firewall.service: each port must be a string \"PORT/PROTO\", got \(item.typeName)")
            }
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, FirewallRule.protocols.contains(String(parts[1])) else {
                throw MendError("firewall.service: a port is \"PORT/PROTO\" with proto tcp or udp, got \(Value.quote(text))")
            }
            let ports: ClosedRange<Int>
            do { ports = try FirewallRule.ports(String(parts[0])) } catch let error as MendError { throw MendError("firewall.service: \(error.message)") }
            let rule = FirewallRule(action: .allow, ports: ports, proto: String(parts[1]), from: from, group: name)
            if !group.contains(rule) { group.append(rule) }
        }
        return .bool(try current(args, "firewall.service").applyGroup(name, group, description: description, zone: zone, args.context))
    }

    /// The rule the arguments describe: port, proto (index 1) and from (at `fromIndex`).
    private static func parsedRule(_ args: Arguments, _ action: FirewallRule.Action, _ builtin: String, fromIndex: Int,
                                   rate: FirewallRate? = nil) throws -> FirewallRule {
        let port = try args.value(0)
        let portText: String
        switch port {
        case .int(let n): portText = String(n)
        case .string(let s): portText = s
        default: throw args.typeError(0, expected: "an int or a string such as \"30303-30304\"", got: port)
        }
        let ports: ClosedRange<Int>
        do { ports = try FirewallRule.ports(portText) } catch let error as MendError { throw MendError("\(builtin): \(error.message)") }
        let proto = try args.optionalString(1, nilIsAbsent: true) ?? "tcp"
        guard FirewallRule.protocols.contains(proto) else {
            throw MendError("\(builtin): proto must be \"tcp\" or \"udp\", got \(Value.quote(proto))")
        }
        return FirewallRule(action: action, ports: ports, proto: proto, from: try source(args, fromIndex, builtin), rate: rate)
    }

    private static func source(_ args: Arguments, _ index: Int, _ builtin: String) throws -> FirewallSource {
        let text = try args.optionalString(index, nilIsAbsent: true) ?? "any"
        do { return try FirewallSource(text) } catch let error as MendError { throw MendError("\(builtin): \(error.message)") }
    }

    /// The firewalld zone named at `index`; nil for the default zone (and on other backends).
    private static func zone(_ args: Arguments, _ index: Int, _ builtin: String) throws -> String? {
        guard let zone = try args.optionalString(index, nilIsAbsent: true) else { return nil }
        guard !zone.isEmpty, zone.count <= 17, zone.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw MendError("\(builtin): a zone is up to 17 letters, digits, '-' or '_', got \(Value.quote(zone))")
        }
        return zone
    }

    /// Applies one edit to every layer of the backend (see ``FirewallBackend/apply(zone:_:_:)``).
    private static func change(_ args: Arguments, _ builtin: String, zone: String? = nil, _ edit: (inout FirewallRuleset) -> Bool) throws -> Bool {
        do {
            return try current(args, builtin).apply(zone: zone, args.context, edit)
        } catch let error as MendError where !error.message.hasPrefix(builtin) {
            // A backend's refusal names the builtin, like every argument error.
            throw MendError("\(builtin): \(error.message)", kind: error.kind)
        }
    }

    // MARK: Reading

    static func isAllowed(_ args: inout Arguments) throws -> Value {
        let rule = try parsedRule(args, .allow, "firewall.is_allowed", fromIndex: 2)
        guard rule.ports.lowerBound == rule.ports.upperBound else {
            throw MendError("firewall.is_allowed: ask for one port, not a range")
        }
        let path = try packetPath(args, "firewall.is_allowed", ipv6: rule.from.isIPv6, zone: try zone(args, 3, "firewall.is_allowed"))
        return .bool(path.allows(port: rule.ports.lowerBound, proto: rule.proto, from: rule.from))
    }

    static func rules(_ args: inout Arguments) throws -> Value {
        let v4 = try packetPath(args, "firewall.rules", ipv6: false, zone: try zone(args, 0, "firewall.rules")).listing
        return .list(ListRef(v4))
    }

    /// The packet path with mend's part as this run sees it (planned in a plan).
    private static func packetPath(_ args: Arguments, _ builtin: String, ipv6: Bool, zone: String?) throws -> FirewallPacketPath {
        try current(args, builtin).packetPath(ipv6: ipv6, zone: zone, args.context)
    }
}
