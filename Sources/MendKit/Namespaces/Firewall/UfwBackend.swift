import Glibc

/// ufw: mend's rules are ufw rules whose comment is `mend: RULE`, added and deleted with the `ufw`
/// command, which writes its rules files (/etc/ufw/user.rules, user6.rules) and, when ufw is
/// active, the running rules in one go: on the live host the two layers are one change. mend
/// reads its rules back from the `### tuple ###` lines of those files (the comment is hex there);
/// the default for incoming packets is ufw's own (`DEFAULT_INPUT_POLICY` in /etc/default/ufw), set
/// with `ufw default`. Rules of others are never deleted or moved; mend's are added after them, in
/// mend's order.
///
/// Under `--root` ufw itself still writes the files: it runs on a scratch copy of the root's
/// /etc/ufw (`--datadir`, switched off there so it loads no rules) in a network namespace of its
/// own (so its probe of the kernel touches nothing), and what it wrote becomes file changes of
/// the root — planned exactly, undone like any file.
struct UfwBackend: LayeredFirewallBackend {
    var name: String { "ufw" }
    var package: String { "ufw" }
    var persistedLayerIsLive: Bool { true }
    var readsOffline: Bool { true }
    static let rulesFiles = ["/etc/ufw/user.rules", "/etc/ufw/user6.rules"]
    static let defaults = "/etc/default/ufw"

    func isAvailable(on host: Host) -> Bool {
        FirewallBackends.installed(["/usr/sbin/ufw", "/sbin/ufw", "/usr/bin/ufw"], on: host)
    }

    /// One `### tuple ###` line: `allow tcp 30303 0.0.0.0/0 any 10.0.0.0/8 in comment=HEX`.
    struct Tuple {
        var action: String
        var proto: String
        var dport: String
        var destination: String
        /// True for a rule of an application profile, which ufw never merges with a port rule.
        var hasApplication: Bool
        var sport: String
        var source: String
        var direction: String
        var comment: String?
        var text: String

        init?(_ line: Substring) {
            guard line.hasPrefix("### tuple ### ") else { return nil }
            let words = line.dropFirst("### tuple ### ".count).split(separator: " ").map(String.init)
            guard words.count >= 7 else { return nil }
            action = words[0]
            proto = words[1]
            dport = words[2]
            destination = words[3]
            sport = words[4]
            source = words[5]
            // A rule of an application profile (`ufw allow OpenSSH`) names the profiles before the direction.
            let hasApps = !(words[6] == "in" || words[6] == "out" || words[6].hasPrefix("in_") || words[6].hasPrefix("out_"))
            guard !hasApps || words.count >= 9 else { return nil }
            hasApplication = hasApps
            direction = hasApps ? words[8] : words[6]
            comment = words.dropFirst(hasApps ? 9 : 7).first { $0.hasPrefix("comment=") }.flatMap { UfwBackend.unhex(String($0.dropFirst(8))) }
            text = String(line.dropFirst("### tuple ### ".count))
        }
    }

    static func unhex(_ hex: String) -> String? {
        var bytes: [UInt8] = []
        var chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        while !chars.isEmpty {
            guard let byte = UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
            chars.removeFirst(2)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The tuples of a rules file (IPv4 or IPv6), in order.
    static func tuples(_ text: String?) -> [Tuple] {
        (text ?? "").split(separator: "\n").compactMap(Tuple.init)
    }

    func liveRules(on host: Host) throws -> FirewallRuleset {
        Self.ruleset { Self.text(host, $0) }
    }

    /// mend's rules in ufw's files (both families, each rule once) and ufw's incoming default,
    /// each file's text from `fileText`.
    static func ruleset(_ fileText: (String) throws -> String?) rethrows -> FirewallRuleset {
        var ruleset = FirewallRuleset()
        for path in rulesFiles {
            for rule in FirewallMendComments.ruleset(from: tuples(try fileText(path)).compactMap(\.comment)).rules where !ruleset.rules.contains(rule) {
                _ = ruleset.put(rule)
            }
        }
        ruleset.incoming = incoming(try fileText(defaults))
        return ruleset
    }

    /// A file of the host as text; nil when absent or unreadable.
    static func text(_ host: Host, _ path: String) -> String? {
        (try? host.read(host.resolve(path))).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// ufw's default for incoming packets in /etc/default/ufw: deny, reject or allow (nil when unreadable).
    static func incoming(_ defaults: String?) -> String? {
        for line in (defaults ?? "").split(separator: "\n") where line.hasPrefix("DEFAULT_INPUT_POLICY=") {
            let value = line.dropFirst("DEFAULT_INPUT_POLICY=".count).filter { $0 != "\"" }
            return ["DROP": "deny", "REJECT": "reject", "ACCEPT": "allow"][String(value)]
        }
        return nil
    }

    func setLive(_ ruleset: FirewallRuleset, on host: Host) throws {
        guard host.isLive else { throw HostError("ufw's running rules are not there under --root \(host.root)") }
        for arguments in Self.commands(from: try liveRules(on: host), to: ruleset) { try ufw(arguments, on: host) }
    }

    /// The ufw commands that take mend's rules from `now` to `target`. ufw appends what it adds:
    /// past the rules both lists share at their start, mend's are deleted by their specification
    /// (both families at once) and added again in order.
    static func commands(from now: FirewallRuleset, to target: FirewallRuleset) -> [[String]] {
        let kept = zip(now.rules, target.rules).prefix { $0 == $1 }.count
        var commands = now.rules[kept...].map { ["delete"] + spec($0) }
        commands += target.rules[kept...].map { spec($0) + ["comment", "mend: \($0.text)"] }
        if let incoming = target.incoming, incoming != now.incoming { commands.append(["default", incoming, "incoming"]) }
        return commands
    }

    /// `allow proto tcp from 10.0.0.0/8 to any port 8545`.
    static func spec(_ rule: FirewallRule) -> [String] {
        let ports = rule.ports.lowerBound == rule.ports.upperBound ? "\(rule.ports.lowerBound)" : "\(rule.ports.lowerBound):\(rule.ports.upperBound)"
        return [rule.action.rawValue, "proto", rule.proto, "from", rule.from.isAny ? "any" : rule.from.cidr, "to", "any", "port", ports]
    }

    /// ufw keeps one rule per port, proto and source: adding mend's would relabel someone else's
    /// rule as mend's ("Rule updated") and an undo would then delete it.
    func checkAdding(_ rules: [FirewallRule], _ effects: any Effects) throws {
        guard !rules.isEmpty else { return }
        for (index, path) in Self.rulesFiles.enumerated() {
            let anywhere = index == 0 ? "0.0.0.0/0" : "::/0"
            for tuple in Self.tuples(try FileNamespace.text(path, effects)) where !(tuple.comment?.hasPrefix("mend: ") ?? false) {
                guard tuple.direction == "in", !tuple.hasApplication, tuple.sport == "any", tuple.destination == anywhere else { continue }
                for rule in rules where rule.from.isAny || rule.from.isIPv6 == (index == 1) {
                    let ports = rule.ports.lowerBound == rule.ports.upperBound ? "\(rule.ports.lowerBound)" : "\(rule.ports.lowerBound):\(rule.ports.upperBound)"
                    guard tuple.proto == rule.proto, tuple.dport == ports,
                          (try? FirewallSource(tuple.source == anywhere ? "any" : tuple.source)) == rule.from else { continue }
                    throw MendError("ufw already has a rule of someone else's for \(rule.portText)/\(rule.proto) from \(rule.from.text) ('\(tuple.action) …'), and keeps one rule per port, proto and source: mend would take it over; delete it with ufw delete first, or leave this call out")
                }
            }
        }
    }

    /// ufw's limit has one rate, about 6 connections in 30 seconds.
    func check(_ rule: FirewallRule) throws {
        if rule.action == .limit, rule.rate != FirewallRate.standard {
            throw MendError("ufw's limit has one rate (\(FirewallRate.standard.text), 6 connections in 30 s): leave rate out on ufw")
        }
    }

    private func ufw(_ arguments: [String], on host: Host) throws {
        try FirewallBackends.checked(["ufw"] + arguments, package: package, on: host)
    }

    /// The files as this run sees them (planned in a plan); on the live host the same as the running rules.
    func persistedRules(_ effects: any Effects) throws -> FirewallRuleset {
        try Self.ruleset { try FileNamespace.text($0, effects) }
    }

    /// Under `--root`: ufw run on a scratch copy of the root's /etc/ufw holding the files as this
    /// run sees them, its results as file changes of the root.
    func persistChanges(_ ruleset: FirewallRuleset, _ effects: any Effects) throws -> [Change] {
        let host = effects.host
        let commands = Self.commands(from: try persistedRules(effects), to: ruleset)
        guard !commands.isEmpty else { return [] }
        var files: [(path: String, text: String)] = []
        for path in Self.rulesFiles + [Self.defaults] {
            guard let text = try FileNamespace.text(path, effects) else {
                throw HostError("ufw is not set up under \(host.root): \(path) is missing", code: ENOENT)
            }
            files.append((path, text))
        }
        guard isAvailable(on: Host.local) else {
            throw HostError("ufw not found on this machine (install the ufw package): under --root mend runs it on a copy of the root's files", code: ENOENT)
        }
        let written = try host.withScratchDirectory { scratch in
            try Self.copyConfiguration(from: host, to: scratch, files)
            // In a network namespace of its own: ufw probes the kernel by adding a chain, which
            // must not touch this machine's rules.
            for arguments in commands {
                try FirewallBackends.checked(["unshare", "--net", "ufw", "--rootdir=/", "--datadir=\(scratch)"] + arguments, package: "util-linux", on: host)
            }
            return files.map { ($0.path, Self.text(Host.local, scratch + $0.path) ?? "") }
        }
        guard zip(written, files).contains(where: { $0.1 != $1.text }) else {
            // ufw says "Rules updated" and writes nothing when ufw.conf lacks LOGLEVEL.
            throw HostError("ufw left its files under \(host.root) unchanged: check /etc/ufw/ufw.conf there (it needs a LOGLEVEL line)")
        }
        return try written.compactMap { try FileNamespace.textChange($0.0, to: $0.1, effects) }
    }

    /// What ufw reads under `--datadir`: the root's /etc/ufw (its before/after rules, application
    /// profiles), mend's files as planned, and ufw.conf with ufw off, so ufw writes files only.
    private static func copyConfiguration(from host: Host, to scratch: String, _ files: [(path: String, text: String)]) throws {
        for directory in ["/etc", "/etc/ufw", "/etc/ufw/applications.d", "/etc/default", "/lib", "/lib/ufw"] {
            try Host.local.makeDirectory(scratch + directory, mode: 0o700)
        }
        for directory in ["/etc/ufw", "/etc/ufw/applications.d"] {
            for entry in host.entries(try host.resolve(directory)) ?? [] where entry.mayBeFile {
                let bytes = try host.read(host.resolve(directory + "/" + entry.name)) ?? []
                try Host.local.writeScratchFile(scratch + directory + "/" + entry.name, bytes)
            }
        }
        for file in files { try Host.local.writeScratchFile(scratch + file.path, Array(file.text.utf8)) }
        let conf = (text(host, "/etc/ufw/ufw.conf") ?? "").split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("ENABLED=") }.joined(separator: "\n")
        try Host.local.writeScratchFile(scratch + "/etc/ufw/ufw.conf", Array(("ENABLED=no\n" + conf).utf8))
    }

    func liveNote(on host: Host) -> String? {
        Self.isActive(on: host) ? nil : "ufw is inactive: written to its files, enforced once ufw is enabled"
    }

    /// `ENABLED=yes` in ufw.conf: ufw loads its rules (at boot, and now when it is running).
    static func isActive(on host: Host) -> Bool {
        (text(host, "/etc/ufw/ufw.conf") ?? "").split(separator: "\n").contains { String($0).trimmingCharacters() == "ENABLED=yes" }
    }

    /// ufw's chains: its before-rules (loopback; established connections and ICMP are not new
    /// connections), the user rules in file order with mend's as planned (`mend` holds both
    /// families), then ufw's default.
    /// While ufw is inactive the kernel's INPUT chain is all there is.
    func packetPath(mend: FirewallRuleset, ipv6: Bool, on host: Host) throws -> FirewallPacketPath {
        guard Self.isActive(on: host) else {
            // ufw off: the kernel's own INPUT chain on the live host; under --root nothing filters at boot.
            guard host.isLive else { return FirewallPacketPath(chains: [.init(entries: [], policy: "accept")], acceptEndsChainOnly: false) }
            return try IptablesBackend().packetPath(mend: FirewallRuleset(), ipv6: ipv6, on: host)
        }
        let tuples = Self.tuples(Self.text(host, Self.rulesFiles[ipv6 ? 1 : 0]))
        var entries: [FirewallPacketPath.Entry] = [.init(match: .init(loopbackOnly: true), verdict: "accept", source: "other", text: "ufw before-input: lo")]
        let planned = mend.family(ipv6: ipv6).rules
        // As ``commands(from:to:)`` will leave them: the rules both lists share at their start stay
        // where the files have them, the rest go to the end in mend's order.
        let written = Self.ruleset { Self.text(host, $0) }.rules
        let staying = mend.rules.prefix(zip(written, mend.rules).prefix { $0 == $1 }.count)
        var placed: [FirewallRule] = []
        for tuple in tuples where tuple.direction == "in" {
            if let comment = tuple.comment, comment.hasPrefix("mend: ") {
                guard let rule = FirewallRule(text: String(comment.dropFirst(6))), staying.contains(rule), planned.contains(rule),
                      !placed.contains(rule) else { continue }
                placed.append(rule)
                entries.append(Self.entry(rule))
                continue
            }
            entries.append(Self.entry(tuple))
        }
        for rule in planned where !placed.contains(rule) { entries.append(Self.entry(rule)) }
        let policy = mend.incoming ?? Self.incoming(Self.text(host, Self.defaults)) ?? "deny"
        return FirewallPacketPath(chains: [.init(entries: entries, policy: policy == "allow" ? "accept" : "drop")], acceptEndsChainOnly: false)
    }

    private static func entry(_ rule: FirewallRule) -> FirewallPacketPath.Entry {
        let verdict = rule.action == .deny ? "drop" : rule.action == .reject ? "reject" : "accept"
        return .init(match: .init(ports: rule.ports, proto: rule.proto, from: rule.from, hasPort: true),
                     verdict: verdict, source: "mend", text: rule.text, rule: rule)
    }

    /// Another rule of ufw's files, as mend reads it.
    private static func entry(_ tuple: Tuple) -> FirewallPacketPath.Entry {
        let action = tuple.action.replacing("_log-all", with: "").replacing("_log", with: "")
        let verdict = ["allow": "accept", "limit": "accept", "deny": "drop", "reject": "reject"][action] ?? "other"
        var match = FirewallPacketPath.Match()
        var modelled = tuple.sport == "any"
        if tuple.proto != "any" {
            if FirewallRule.protocols.contains(tuple.proto) { match.proto = tuple.proto } else { modelled = false }
        }
        if tuple.dport != "any" {
            match.hasPort = true
            let bounds = tuple.dport.split(separator: ":").compactMap { Int($0) }
            if bounds.count == 1, !tuple.dport.contains(",") { match.ports = bounds[0]...bounds[0] }
            else if bounds.count == 2, bounds[0] <= bounds[1] { match.ports = bounds[0]...bounds[1] }
            else { modelled = false }
        }
        if let source = try? FirewallSource(tuple.source == "0.0.0.0/0" || tuple.source == "::/0" ? "any" : tuple.source) {
            match.from = source
        } else {
            modelled = false
        }
        return .init(match: modelled ? match : nil, verdict: verdict, source: "other", text: "ufw: " + tuple.text)
    }
}
