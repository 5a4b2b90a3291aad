/// iptables (and ip6tables): mend's rules live in a chain of their own, `MEND` in the filter table,
/// which INPUT jumps to first. mend replaces the chain's rules in one `iptables-restore --noflush`
/// and never touches another chain's rules. Boot loads the distribution's save files, in which mend
/// edits only its chain, its jump and their lines: /etc/iptables/rules.v4 and rules.v6
/// (Debian, Ubuntu), /etc/sysconfig/iptables and ip6tables (CentOS, RHEL), /etc/iptables/rules-save
/// and rules6-save (Alpine).
struct IptablesBackend: LayeredFirewallBackend {
    var name: String { "iptables" }
    var package: String { "iptables" }

    /// One of the two address families: its tool and what boot loads.
    struct Family {
        let ipv6: Bool
        var tool: String { ipv6 ? "ip6tables" : "iptables" }
        var icmp: String { ipv6 ? "ipv6-icmp" : "icmp" }

        /// The save file boot restores, by distribution.
        func saveFile(_ effects: any Effects) throws -> String {
            let host = effects.host
            if FirewallBackends.installed(["/etc/alpine-release"], on: host) {
                return ipv6 ? "/etc/iptables/rules6-save" : "/etc/iptables/rules-save"
            }
            if FirewallBackends.installed(["/etc/redhat-release"], on: host) {
                return ipv6 ? "/etc/sysconfig/ip6tables" : "/etc/sysconfig/iptables"
            }
            return ipv6 ? "/etc/iptables/rules.v6" : "/etc/iptables/rules.v4"
        }
    }

    static let families = [Family(ipv6: false), Family(ipv6: true)]

    func isAvailable(on host: Host) -> Bool {
        FirewallBackends.installed(["/usr/sbin/iptables", "/sbin/iptables", "/usr/bin/iptables"], on: host)
    }

    func liveRules(on host: Host) throws -> FirewallRuleset {
        var merged = FirewallRuleset()
        for family in Self.families {
            // The whole filter table: asked for by name, a missing chain is an error whose words
            // differ between iptables-legacy and iptables-nft.
            let result = try FirewallBackends.checked([family.tool, "-w", "-S"], package: package, on: host)
            let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("-A MEND ") }
            let found = FirewallMendComments.ruleset(from: FirewallMendComments.comments(inLines: lines.joined(separator: "\n")))
            for rule in found.rules { _ = merged.put(rule) }
            merged.incoming = merged.incoming ?? found.incoming
        }
        return merged
    }

    func setLive(_ ruleset: FirewallRuleset, on host: Host) throws {
        for family in Self.families {
            let mine = ruleset.family(ipv6: family.ipv6)
            if mine.isEmpty {
                // The jump first, then the chain: a chain still jumped to cannot be deleted.
                while try FirewallBackends.run([family.tool, "-w", "-D", "INPUT", "-j", "MEND"], package: package, on: host).status == 0 {}
                if try FirewallBackends.run([family.tool, "-w", "-F", "MEND"], package: package, on: host).status == 0 {
                    try FirewallBackends.checked([family.tool, "-w", "-X", "MEND"], package: package, on: host)
                }
                continue
            }
            // Declaring the chain in a --noflush restore empties it: the rules are replaced at once.
            let script = "*filter\n:MEND - [0:0]\n" + Self.ruleLines(mine, family).joined(separator: "\n") + "\nCOMMIT\n"
            try FirewallBackends.checked([family.tool + "-restore", "-w", "--noflush"], package: package, stdin: Array(script.utf8), on: host)
            if try FirewallBackends.run([family.tool, "-w", "-C", "INPUT", "-j", "MEND"], package: package, on: host).status != 0 {
                try FirewallBackends.checked([family.tool, "-w", "-I", "INPUT", "1", "-j", "MEND"], package: package, on: host)
            }
        }
    }

    func persistedRules(_ effects: any Effects) throws -> FirewallRuleset {
        var merged = FirewallRuleset()
        for family in Self.families {
            guard let text = try FileNamespace.text(family.saveFile(effects), effects) else { continue }
            let found = FirewallMendComments.ruleset(from: FirewallMendComments.comments(inLines: text))
            for rule in found.rules { _ = merged.put(rule) }
            merged.incoming = merged.incoming ?? found.incoming
        }
        return merged
    }

    func persistChanges(_ ruleset: FirewallRuleset, _ effects: any Effects) throws -> [Change] {
        var changes: [Change] = []
        for family in Self.families {
            let path = try family.saveFile(effects)
            let old = try FileNamespace.text(path, effects)
            let mine = ruleset.family(ipv6: family.ipv6)
            if old == nil, mine.isEmpty { continue }
            let text = Self.edited(old ?? "# Written by mend (firewall.*): iptables-restore format\n", Self.ruleLines(mine, family),
                                   keep: !mine.isEmpty)
            if let change = try FileNamespace.textChange(path, to: text, mode: 0o600, effects) { changes.append(change) }
        }
        return changes
    }

    func packetPath(mend: FirewallRuleset, ipv6: Bool, on host: Host) throws -> FirewallPacketPath {
        let family = Family(ipv6: ipv6)
        let listing = try FirewallBackends.checked([family.tool, "-w", "-S", "INPUT"], package: package, on: host)
        var entries: [FirewallPacketPath.Entry] = []
        var policy = "accept"
        var jumped = false
        for line in String(decoding: listing.stdout, as: UTF8.self).split(separator: "\n").map(String.init) {
            let words = Self.words(line)
            if words.first == "-P", words.count >= 3 { policy = words[2] == "ACCEPT" ? "accept" : "drop" }
            guard words.first == "-A" else { continue }
            if words == ["-A", "INPUT", "-j", "MEND"] {
                if !jumped { entries += FirewallMendComments.entries(mend.family(ipv6: family.ipv6)) }
                jumped = true
                continue
            }
            entries.append(Self.entry(words, text: line))
        }
        // Planned rules before the chain exists: the jump will be first.
        if !jumped, !mend.isEmpty { entries.insert(contentsOf: FirewallMendComments.entries(mend.family(ipv6: family.ipv6)), at: 0) }
        return FirewallPacketPath(chains: [.init(entries: entries, policy: policy)], acceptEndsChainOnly: false)
    }

    // MARK: Rules as iptables writes them

    /// mend's chain as `-A MEND …` lines: the openings a default deny needs, the rules, the default.
    static func ruleLines(_ ruleset: FirewallRuleset, _ family: Family) -> [String] {
        var lines: [String] = []
        // The order of iptables-save: matches, the comment, the target.
        func add(_ match: String, _ target: String, _ comment: String) {
            lines.append("-A MEND " + (match.isEmpty ? "" : match + " ") + "-m comment --comment \"mend: \(comment)\" -j \(target)")
        }
        if ruleset.incoming == "deny" || ruleset.incoming == "reject" {
            add("-m conntrack --ctstate RELATED,ESTABLISHED", "ACCEPT", "default established")
            add("-i lo", "ACCEPT", "default loopback")
            add("-p \(family.icmp)", "ACCEPT", "default icmp")
        }
        for rule in ruleset.rules {
            let source = rule.from.isAny ? "" : "-s \(rule.from.cidr) "
            let match = "\(source)-p \(rule.proto) -m \(rule.proto) --dport \(rule.ports.lowerBound)"
                + (rule.ports.lowerBound == rule.ports.upperBound ? "" : ":\(rule.ports.upperBound)")
            let reject = rule.proto == "tcp" ? "REJECT --reject-with tcp-reset" : "REJECT"
            switch rule.action {
            case .allow: add(match, "ACCEPT", rule.text)
            case .deny: add(match, "DROP", rule.text)
            case .reject: add(match, reject, rule.text)
            case .limit:
                // New connections under the rate are accepted, those above dropped; the rest of a
                // connection is accepted.
                let rate = rule.rate ?? .standard
                add("\(match) -m conntrack --ctstate NEW -m limit --limit \(rate.text)", "ACCEPT", rule.text)
                add("\(match) -m conntrack --ctstate NEW", "DROP", rule.text)
                add(match, "ACCEPT", rule.text)
            }
        }
        if let incoming = ruleset.incoming {
            add("", ["deny": "DROP", "reject": "REJECT"][incoming] ?? "ACCEPT", "default incoming \(incoming)")
        }
        return lines
    }

    /// A save file with mend's chain, jump and rules replaced (`keep`) or taken out, the rest as it was.
    static func edited(_ text: String, _ rules: [String], keep: Bool) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        lines.removeAll { $0.hasPrefix(":MEND ") || $0.hasPrefix("-A MEND ") || $0 == "-A INPUT -j MEND" }
        guard keep else { return lines.map { $0 + "\n" }.joined() }
        guard let start = lines.firstIndex(of: "*filter"),
              let commit = lines[start...].firstIndex(of: "COMMIT") else {
            lines += ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":MEND - [0:0]",
                      "-A INPUT -j MEND"] + rules + ["COMMIT"]
            return lines.map { $0 + "\n" }.joined()
        }
        lines.insert(contentsOf: rules, at: commit)
        let firstRule = lines[start..<commit].firstIndex { $0.hasPrefix("-A ") } ?? commit
        lines.insert("-A INPUT -j MEND", at: firstRule)
        let lastChain = lines[start..<firstRule].lastIndex { $0.hasPrefix(":") } ?? start
        lines.insert(":MEND - [0:0]", at: lastChain + 1)
        return lines.map { $0 + "\n" }.joined()
    }

    /// The words of an `iptables -S` line, a quoted comment as one word.
    static func words(_ line: String) -> [String] {
        var words: [String] = [], current = "", quoted = false, escaped = false
        for character in line {
            if escaped { current.append(character); escaped = false; continue }
            if character == "\\" { escaped = true; continue }
            if character == "\"" { quoted.toggle(); continue }
            if character == " ", !quoted {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Another tool's INPUT rule as mend reads it: source, protocol, port, `-i lo`, verdict; any
    /// other match makes it one mend does not model.
    static func entry(_ words: [String], text: String) -> FirewallPacketPath.Entry {
        var match = FirewallPacketPath.Match()
        var modelled = true
        var verdict = "other"
        var i = 2
        while i < words.count {
            let word = words[i], next = i + 1 < words.count ? words[i + 1] : ""
            switch word {
            case "-s":
                if let source = try? FirewallSource(next) { match.from = source } else { modelled = false }
                i += 2
            case "-p":
                if FirewallRule.protocols.contains(next) { match.proto = next } else { modelled = false }
                i += 2
            case "-m":
                if !["tcp", "udp", "comment"].contains(next) { modelled = false }
                i += 2
            case "--comment":
                i += 2
            case "--dport":
                let bounds = next.split(separator: ":").compactMap { Int($0) }
                if bounds.count == 1 { match.ports = bounds[0]...bounds[0] } else if bounds.count == 2, bounds[0] <= bounds[1] {
                    match.ports = bounds[0]...bounds[1]
                } else { modelled = false }
                match.hasPort = true
                i += 2
            case "-i":
                if next == "lo" { match.loopbackOnly = true } else { modelled = false }
                i += 2
            case "-j":
                verdict = ["ACCEPT": "accept", "DROP": "drop", "REJECT": "reject"][next] ?? "other"
                i += 2
            case "--reject-with":
                i += 2
            default:
                modelled = false
                i += 1
            }
        }
        return FirewallPacketPath.Entry(match: modelled ? match : nil, verdict: verdict, source: "other", text: text)
    }
}
