/// nftables: mend's rules live in a table of their own, `inet mend`, with one base chain on the
/// input hook that runs before the usual filter chains (priority filter - 10). mend replaces that
/// table in one transaction (`nft -f`) and never touches another table. Boot loads the same table
/// from /etc/nftables.d/mend.nft, which /etc/nftables.conf includes (Alpine's /etc/nftables.nft
/// includes the directory already).
///
/// In nftables every base chain on the hook sees a packet: an accept in mend's chain does not
/// stop another table from dropping it, while a drop in mend's chain is final.
struct NftablesBackend: LayeredFirewallBackend {
    var name: String { "nftables" }
    var package: String { "nftables" }
    static let file = "/etc/nftables.d/mend.nft"
    static let debianConf = "/etc/nftables.conf"
    static let alpineConf = "/etc/nftables.nft"
    static let include = "include \"\(file)\""

    func isAvailable(on host: Host) -> Bool {
        FirewallBackends.installed(["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"], on: host)
    }

    func liveRules(on host: Host) throws -> FirewallRuleset {
        let result = try FirewallBackends.run(["nft", "-j", "list", "table", "inet", "mend"], package: package, on: host)
        if result.status != 0 {
            let said = String(decoding: result.stderr, as: UTF8.self)
            if said.contains("No such file or directory") { return FirewallRuleset() }
            _ = try FirewallBackends.checked(["nft", "-j", "list", "table", "inet", "mend"], package: package, on: host)
        }
        let comments = Self.rules(in: JSON.parse(String(decoding: result.stdout, as: UTF8.self))).compactMap(\.comment)
        return FirewallMendComments.ruleset(from: comments)
    }

    func setLive(_ ruleset: FirewallRuleset, on host: Host) throws {
        let script = ruleset.isEmpty ? "table inet mend\ndelete table inet mend\n" : Self.render(ruleset)
        try FirewallBackends.checked(["nft", "-f", "-"], package: package, stdin: Array(script.utf8), on: host)
    }

    func persistedRules(_ effects: any Effects) throws -> FirewallRuleset {
        guard let text = try FileNamespace.text(Self.file, effects) else { return FirewallRuleset() }
        return FirewallMendComments.ruleset(from: FirewallMendComments.comments(inLines: text))
    }

    func persistChanges(_ ruleset: FirewallRuleset, _ effects: any Effects) throws -> [Change] {
        var changes: [Change] = []
        if let change = try FileNamespace.textChange(Self.file, to: Self.render(ruleset), effects) { changes.append(change) }
        // Alpine's /etc/nftables.nft includes /etc/nftables.d/*.nft; Debian's and others'
        // /etc/nftables.conf gets the include line, once, at its end.
        let alpine = try FileNamespace.text(Self.alpineConf, effects)
        if alpine?.contains("include \"/etc/nftables.d/*.nft\"") != true {
            let conf = try FileNamespace.text(Self.debianConf, effects)
            if conf?.split(separator: "\n").contains(where: { String($0).trimmingCharacters() == Self.include }) != true {
                var text = conf ?? "#!/usr/sbin/nft -f\n"
                if !text.isEmpty, !text.hasSuffix("\n") { text += "\n" }
                text += "# mend's table (firewall.*)\n\(Self.include)\n"
                if let change = try FileNamespace.textChange(Self.debianConf, to: text, mode: 0o755, effects) { changes.append(change) }
            }
        }
        return changes
    }

    func packetPath(mend: FirewallRuleset, ipv6: Bool, on host: Host) throws -> FirewallPacketPath {
        let listing = try FirewallBackends.checked(["nft", "-j", "list", "ruleset"], package: package, on: host)
        let items = JSON.parse(String(decoding: listing.stdout, as: UTF8.self))?["nftables"]?.array ?? []
        var chains: [(priority: Int, key: String, policy: String)] = []
        for item in items {
            guard let chain = item["chain"], chain["hook"]?.string == "input", chain["type"]?.string == "filter",
                  let family = chain["family"]?.string, ["inet", ipv6 ? "ip6" : "ip"].contains(family),
                  let table = chain["table"]?.string, let name = chain["name"]?.string else { continue }
            if family == "inet", table == "mend" { continue }
            chains.append((chain["prio"]?.int ?? 0, "\(family) \(table) \(name)", chain["policy"]?.string ?? "accept"))
        }
        var path: [(Int, FirewallPacketPath.Chain)] = [(-10, FirewallPacketPath.Chain(entries: FirewallMendComments.entries(mend.family(ipv6: ipv6)), policy: "accept"))]
        for chain in chains {
            var entries: [FirewallPacketPath.Entry] = []
            for item in items {
                guard let rule = item["rule"], "\(rule["family"]?.string ?? "") \(rule["table"]?.string ?? "") \(rule["chain"]?.string ?? "")" == chain.key else { continue }
                entries.append(Self.entry(rule))
            }
            path.append((chain.priority, FirewallPacketPath.Chain(entries: entries, policy: chain.policy)))
        }
        return FirewallPacketPath(chains: path.sorted { $0.0 < $1.0 }.map(\.1), acceptEndsChainOnly: true)
    }

    // MARK: The table

    /// The script that replaces mend's table: it creates the table, deletes it (whatever was in
    /// it) and defines it again, so `nft -f` of it is one transaction, at boot too.
    static func render(_ ruleset: FirewallRuleset) -> String {
        var lines = ["# Written by mend (firewall.*): the table inet mend. mend rewrites this file.",
                     "table inet mend", "delete table inet mend"]
        guard !ruleset.isEmpty else { return lines.joined(separator: "\n") + "\n" }
        lines += ["table inet mend {", "\tchain input {", "\t\ttype filter hook input priority filter - 10; policy accept;"]
        func add(_ body: String, _ comment: String) { lines.append("\t\t\(body) comment \"mend: \(comment)\"") }
        if ruleset.incoming == "deny" || ruleset.incoming == "reject" {
            for (body, comment) in [("ct state established,related accept", "default established"), ("iif \"lo\" accept", "default loopback"),
                                    ("meta l4proto { icmp, ipv6-icmp } accept", "default icmp")] {
                add(body, comment)
            }
        }
        for rule in ruleset.rules {
            let source = rule.from.isAny ? "" : (rule.from.isIPv6 ? "ip6" : "ip") + " saddr \(rule.from.cidr) "
            let match = "\(source)\(rule.proto) dport \(rule.portText)"
            switch rule.action {
            case .allow: add("\(match) accept", rule.text)
            case .deny: add("\(match) drop", rule.text)
            case .reject: add("\(match) \(rule.proto == "tcp" ? "reject with tcp reset" : "reject")", rule.text)
            case .limit:
                add("\(match) ct state new limit rate over \(rule.rate?.text ?? FirewallRate.standard.text) drop", rule.text)
                add("\(match) accept", rule.text)
            }
        }
        if let incoming = ruleset.incoming {
            add(["deny": "drop", "reject": "reject", "allow": "accept"][incoming] ?? "accept", "default incoming \(incoming)")
        }
        lines += ["\t}", "}"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// The `rule` objects of `nft -j` output, with their comments.
    static func rules(in json: JSON?) -> [(rule: JSON, comment: String?)] {
        (json?["nftables"]?.array ?? []).compactMap { item in item["rule"].map { ($0, $0["comment"]?.string) } }
    }

    /// A rule of another table as mend reads it: port, protocol, source address, loopback, and
    /// its verdict; any other match makes it one mend does not model.
    static func entry(_ rule: JSON) -> FirewallPacketPath.Entry {
        var match = FirewallPacketPath.Match()
        var modelled = true
        var verdict = "other"
        for expr in rule["expr"]?.array ?? [] {
            guard case .object(let members) = expr, let (key, body) = members.first else { continue }
            switch key {
            case "accept", "drop": verdict = key
            case "reject": verdict = "reject"
            case "counter", "log", "comment": break
            case "match":
                guard body["op"]?.string == "==" || body["op"]?.string == "in" else { modelled = false; continue }
                let left = body["left"], right = body["right"]
                if let payload = left?["payload"], let field = payload["field"]?.string, let proto = payload["protocol"]?.string {
                    if field == "dport", FirewallRule.protocols.contains(proto) {
                        match.proto = proto
                        match.hasPort = true
                        if let port = right?.int {
                            match.ports = port...port
                        } else if let range = right?["range"]?.array, range.count == 2, let low = range[0].int, let high = range[1].int, low <= high {
                            match.ports = low...high
                        } else {
                            modelled = false
                        }
                    } else if field == "saddr", proto == "ip" || proto == "ip6" {
                        let text = right?.string ?? right?["prefix"].map { "\($0["addr"]?.string ?? "")/\($0["len"]?.int ?? -1)" }
                        if let text, let source = try? FirewallSource(text) { match.from = source } else { modelled = false }
                    } else {
                        modelled = false
                    }
                } else if let meta = left?["meta"]?["key"]?.string {
                    if meta == "l4proto", let proto = right?.string, FirewallRule.protocols.contains(proto) {
                        match.proto = proto
                    } else if meta == "iif" || meta == "iifname", right?.string == "lo" {
                        match.loopbackOnly = true
                    } else {
                        modelled = false
                    }
                } else {
                    modelled = false
                }
            default:
                if key == "jump" || key == "goto" { verdict = "other" }
                modelled = modelled && key != "jump" && key != "goto"
            }
        }
        return FirewallPacketPath.Entry(match: modelled ? match : nil, verdict: verdict, source: "other",
                                        text: Self.describe(rule))
    }

    /// A short text for another tool's rule: its table and chain, and its handle.
    static func describe(_ rule: JSON) -> String {
        let family = rule["family"]?.string ?? "", table = rule["table"]?.string ?? "", chain = rule["chain"]?.string ?? ""
        let handle = rule["handle"]?.int.map { " handle \($0)" } ?? ""
        return "\(family) \(table) \(chain)\(handle): " + (rule["expr"]?.text ?? "")
    }
}

/// mend marks each rule it writes with a comment `mend: TEXT` (``FirewallRule/text``) and reads
/// its rules back from those comments, whatever the tool prints around them.
enum FirewallMendComments {
    /// The ruleset the comments describe, in order; a limit rule's two rules count once.
    static func ruleset(from comments: [String]) -> FirewallRuleset {
        var ruleset = FirewallRuleset()
        var last: String?
        for comment in comments where comment.hasPrefix("mend: ") {
            let text = String(comment.dropFirst(6))
            defer { last = text }
            if text == last { continue }
            if text.hasPrefix("default incoming ") {
                ruleset.incoming = String(text.dropFirst("default incoming ".count))
            } else if let rule = FirewallRule(text: text) {
                ruleset.rules.append(rule)
            }
        }
        return ruleset
    }

    /// The `comment "mend: …"` comments of lines (nft's and iptables' listings), in order.
    static func comments(inLines text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            guard let start = line.firstRange(of: "comment \"mend: ") else { return nil }
            let rest = line[start.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { return nil }
            return "mend: " + rest[..<end]
        }
    }

    /// mend's rules as packets meet them: the defaults' openings, the rules, the default.
    static func entries(_ ruleset: FirewallRuleset) -> [FirewallPacketPath.Entry] {
        var entries: [FirewallPacketPath.Entry] = []
        if ruleset.incoming == "deny" || ruleset.incoming == "reject" {
            // Established connections and ICMP are not new TCP or UDP connections: they never match here.
            entries.append(.init(match: nil, verdict: "accept", source: "mend", text: "default established"))
            entries.append(.init(match: .init(loopbackOnly: true), verdict: "accept", source: "mend", text: "default loopback"))
            entries.append(.init(match: nil, verdict: "accept", source: "mend", text: "default icmp"))
        }
        for rule in ruleset.rules {
            let verdict = rule.action == .deny ? "drop" : rule.action == .reject ? "reject" : "accept"
            entries.append(.init(match: .init(ports: rule.ports, proto: rule.proto, from: rule.from, hasPort: true),
                                 verdict: verdict, source: "mend", text: rule.text, rule: rule))
        }
        if let incoming = ruleset.incoming {
            entries.append(.init(match: .init(), verdict: ["deny": "drop", "reject": "reject"][incoming] ?? "accept",
                                 source: "mend", text: "default incoming \(incoming)"))
        }
        return entries
    }
}
