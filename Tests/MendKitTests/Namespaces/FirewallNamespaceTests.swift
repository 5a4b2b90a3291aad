import Testing
@testable import MendKit

/// The firewall namespace offline: the rule model, the files mend writes for each backend under
/// `--root`, and the errors raised before anything changes. Live behaviour, with real packets, is
/// in Tests/mendTests/FirewallPacketTests.swift.
@Suite struct FirewallNamespaceTests {
    private func run(_ source: String, in root: ScratchDirectory, plan: Bool = false) throws -> RunReport {
        try EngineHarness(root: root, registry: .standard()).run(source, plan: plan)
    }

    @Test func rulesKeepSourceSpecificOnesFirstAndReplaceByIdentity() throws {
        var rules = FirewallRuleset()
        let any = try FirewallSource("any"), lan = try FirewallSource("10.1.2.3/8")
        #expect(lan.text == "10.0.0.0/8")
        let put1 = rules.put(FirewallRule(action: .allow, ports: 30303...30303, proto: "tcp", from: any))
        #expect(put1)
        let put2 = rules.put(FirewallRule(action: .deny, ports: 8545...8545, proto: "tcp", from: any))
        #expect(put2)
        let put3 = rules.put(FirewallRule(action: .allow, ports: 8545...8545, proto: "tcp", from: lan))
        #expect(put3)
        let put4 = rules.put(FirewallRule(action: .allow, ports: 30303...30303, proto: "tcp", from: any))
        #expect(!put4)
        let put5 = rules.put(FirewallRule(action: .reject, ports: 30303...30303, proto: "tcp", from: any))
        #expect(put5)
        #expect(rules.rules.map(\.text) == ["allow 8545/tcp from 10.0.0.0/8", "reject 30303/tcp from any", "deny 8545/tcp from any"])
        for rule in rules.rules { #expect(FirewallRule(text: rule.text) == rule) }
        #expect(FirewallRule(text: "limit 22/tcp from 2001:db8::/32 rate 10/minute [ssh]")?.group == "ssh")
        #expect(try FirewallSource("2001:db8::1").contains(FirewallSource("2001:db8::/32")) == false)
        #expect(try FirewallSource("2001:db8::/32").contains(FirewallSource("2001:db8::1")))
    }

    @Test func iptablesSaveFilesKeepEveryoneElsesLines() {
        let saved = "*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n"
        let rules = IptablesBackend.ruleLines(FirewallRuleset(rules: [FirewallRule(action: .allow, ports: 22...22, proto: "tcp", from: .any)]), .init(ipv6: false))
        let edited = IptablesBackend.edited(saved, rules, keep: true)
        #expect(edited == "*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:MEND - [0:0]\n-A INPUT -j MEND\n-A INPUT -i lo -j ACCEPT\n"
                 + "-A MEND -p tcp -m tcp --dport 22 -m comment --comment \"mend: allow 22/tcp from any\" -j ACCEPT\nCOMMIT\n")
        #expect(IptablesBackend.edited(edited, [], keep: false) == saved)
    }

    /// firewalld's listing as mend reads it, and mend's rules as entries firewalld prints back.
    @Test func firewalldEntriesRoundTrip() throws {
        let listing = """
            public (default, active)
              target: default
              services: ssh dhcpv6-client
              ports: 30303/tcp 9000-9001/udp
              rich rules: \n\trule family="ipv4" source address="10.0.0.0/8" port port="8545" protocol="tcp" accept
            \trule family="ipv4" source address="192.0.2.66" log prefix="x" reject
            """
        let zone = FirewalldZone(listing: listing)
        #expect(zone.target == "default")
        #expect(zone.entries == ["port 30303/tcp", "port 9000-9001/udp", "service dhcpv6-client", "service ssh",
                                 #"rule family="ipv4" source address="10.0.0.0/8" port port="8545" protocol="tcp" accept"#,
                                 #"rule family="ipv4" source address="192.0.2.66" log prefix="x" reject"#])
        #expect(FirewalldZone.rule(zone.entries[5]) == nil, "a rule with parts mend does not model is left alone")
        let rules = [
            FirewallRule(action: .allow, ports: 30303...30304, proto: "udp", from: .any),
            FirewallRule(action: .allow, ports: 8545...8545, proto: "tcp", from: try FirewallSource("2001:db8::/32")),
            FirewallRule(action: .deny, ports: 22...22, proto: "tcp", from: try FirewallSource("192.0.2.1")),
            FirewallRule(action: .reject, ports: 8080...8080, proto: "tcp", from: .any),
            FirewallRule(action: .limit, ports: 22...22, proto: "tcp", from: .any, rate: try FirewallRate("10/minute")),
        ]
        for rule in rules { #expect(FirewalldZone.rule(FirewalldZone.entry(rule)) == rule, "\(FirewalldZone.entry(rule))") }
        #expect(FirewalldZone.rule(#"rule family="ipv4" port port="8545" protocol="tcp" drop"#) == FirewallRule(action: .deny, ports: 8545...8545, proto: "tcp", from: .any))
        let sourceOnly = try #require(FirewalldZone.RichRule(#"rule family="ipv4" source address="192.0.2.66" reject"#))
        let address = try FirewallSource("192.0.2.66")
        #expect(sourceOnly.ports == nil && sourceOnly.action == .reject && sourceOnly.from == address)
        #expect(FirewalldZone.RichRule(#"rule family="ipv6" source address="192.0.2.66" drop"#) == nil, "a family that does not match its source")
        #expect(FirewalldBackend.Offline.batched([["--zone=public", "--remove-port=1/tcp"], ["--zone=public", "--add-port=2/tcp"], ["--zone=public", "--add-port=3/tcp"],
                                                  ["--new-service=x"], ["--service=x", "--add-port=4/tcp"]])
                 == [["--zone=public", "--remove-port=1/tcp"], ["--zone=public", "--add-port=2/tcp", "--add-port=3/tcp"], ["--new-service=x"], ["--service=x", "--add-port=4/tcp"]])
        #expect(FirewalldBackend.Offline.services(inZone: #"<zone><service name="ssh"/><service name="../x"/><port port="1"/></zone>"#) == ["ssh"])
    }

    /// ufw's rules files keep the comment of a rule in hex.
    private func written(_ comment: String, for backend: String) -> String {
        backend == "ufw" ? "comment=" + comment.utf8.map { String($0, radix: 16) }.joined() : comment
    }

    @Test(arguments: ["nftables", "iptables", "ufw"])
    func underRootTheFilesAreWrittenPlannedAndUndone(_ backend: String) throws {
        try FixtureRoot.with("ubuntu-22.04") { root in
            let source = """
                firewall.use("\(backend)")
                step "p2p" {
                  firewall.service("blockchain-protocols", ports: ["30303/tcp", "30304/tcp"])
                  firewall.deny(8545)
                  assert firewall.is_allowed(30303) and not firewall.is_allowed(8545)
                }
                """
            if backend == "ufw" {
                // Ubuntu installs ufw inactive; this image has it on, so its rules filter at boot.
                try root.write("etc/ufw/ufw.conf", "ENABLED=yes\nLOGLEVEL=low\n")
            }
            let before = FixtureRoot.snapshot(root.path)
            let plan = try run(source, in: root, plan: true)
            #expect(plan.exitCode == 0, "\(failure(plan) ?? "")")
            #expect(plan.steps[0].changes.allSatisfy { $0.note?.contains("not live under --root") == true })
            #expect(FixtureRoot.snapshot(root.path) == before, "a plan touches nothing")
            let applied = try run(source, in: root)
            #expect(applied.exitCode == 0, "\(failure(applied) ?? "")")
            let file = ["nftables": "/etc/nftables.d/mend.nft", "iptables": "/etc/iptables/rules.v4", "ufw": "/etc/ufw/user.rules"][backend]!
            #expect(root.read(file)?.contains(written("mend: allow 30303/tcp from any [blockchain-protocols]", for: backend)) == true, "\(root.read(file) ?? "")")
            #expect(try run(source, in: root).steps[0].changes.isEmpty, "a second run changes nothing")
            let failed = try run(source.replacingOccurrences(of: "firewall.deny(8545)", with: "firewall.allow(8545)\n  fail(\"boom\")"), in: root)
            #expect(failed.exitCode == 1)
            #expect(root.read(file)?.contains(written("mend: deny 8545/tcp from any", for: backend)) == true, "the failed step's change is undone")
            let rolledBack = try EngineHarness(root: root, registry: .standard()).run(source.replacingOccurrences(of: "firewall.deny(8545)", with: "firewall.remove(8545)\n  fail(\"boom\")"))
            #expect(rolledBack.exitCode == 1)
            #expect(rolledBack.steps[0].changes.isEmpty == false, "the removal was a change")
            #expect(root.read(file)?.contains(written("mend: deny 8545/tcp from any", for: backend)) == true, "removals are undone too")
        }
    }

    /// ufw keeps one rule per port, proto and source, so mend refuses to add one over the
    /// operator's; and a plan's is_allowed sees mend's rules where ufw will put them.
    @Test func ufwNeverTakesOverAnOperatorsRuleAndPlansItsOrder() throws {
        try FixtureRoot.with("ubuntu-22.04") { root in
            try root.write("etc/ufw/ufw.conf", "ENABLED=yes\nLOGLEVEL=low\n")
            let rules = try #require(root.read("/etc/ufw/user.rules"))
            try root.write("etc/ufw/user.rules", rules.replacingOccurrences(of: "### RULES ###\n", with: """
                ### RULES ###

                ### tuple ### deny tcp 8545 0.0.0.0/0 any 0.0.0.0/0 in
                -A ufw-user-input -p tcp --dport 8545 -j DROP

                """))
            let before = FixtureRoot.snapshot(root.path)
            let takeover = try run("firewall.use(\"ufw\")\nstep \"s\" {\n  firewall.allow(8545)\n}", in: root)
            #expect(failure(takeover)?.hasPrefix("firewall.allow: ufw already has a rule of someone else's for 8545/tcp from any ('deny …')") == true, "\(failure(takeover) ?? "")")
            #expect(FixtureRoot.snapshot(root.path) == before, "nothing changed")
            #expect(try run("firewall.use(\"ufw\")\nstep \"s\" {\n  firewall.deny(9001)\n}", in: root).exitCode == 0)
            let plan = try run("""
                firewall.use("ufw")
                step "s" {
                  firewall.allow(9001, from: "10.0.0.0/8")
                  assert firewall.is_allowed(9001, from: "10.1.2.3") and not firewall.is_allowed(9001)
                }
                """, in: root, plan: true)
            #expect(plan.exitCode == 0, "mend's rule for a network goes before its deny: \(failure(plan) ?? "")")
        }
    }

    /// CentOS 7 enables firewalld: under `--root` firewall-offline-cmd changes a copy of the
    /// image's /etc/firewalld and its files become the changes — the seed's service file and the
    /// zone naming it, planned without touching anything, undone exactly.
    @Test func underRootFirewalldWritesTheServiceFileAndTheZone() throws {
        try FixtureRoot.with("centos-7") { root in
            let source = """
                step "p2p" {
                  assert firewall.backend() == "firewalld"
                  firewall.service("blockchain-protocols", ports: ["30303/tcp", "30304/tcp"], description: "devp2p and block sync")
                  firewall.allow(8545, from: "10.0.0.0/8")
                  assert firewall.is_allowed(30303) and firewall.is_allowed(8545, from: "10.1.2.3") and not firewall.is_allowed(8545)
                }
                """
            let before = FixtureRoot.snapshot(root.path)
            let plan = try run(source, in: root, plan: true)
            #expect(plan.exitCode == 0, "\(failure(plan) ?? "")")
            #expect(plan.steps[0].changes.map(\.target) == ["/etc/firewalld/services/blockchain-protocols.xml", "/etc/firewalld/zones/public.xml", "/etc/firewalld/zones/public.xml"])
            #expect(plan.steps[0].changes.allSatisfy { $0.note?.contains("not live under --root") == true })
            #expect(FixtureRoot.snapshot(root.path) == before, "a plan touches nothing")
            let applied = try run(source, in: root)
            #expect(applied.exitCode == 0, "\(failure(applied) ?? "")")
            let service = root.read("/etc/firewalld/services/blockchain-protocols.xml") ?? ""
            #expect(service.contains(#"<port port="30303" protocol="tcp"/>"#) && service.contains("<description>devp2p and block sync</description>"), "\(service)")
            let zone = root.read("/etc/firewalld/zones/public.xml") ?? ""
            #expect(zone.contains(#"<service name="blockchain-protocols"/>"#) && zone.contains(#"<source address="10.0.0.0/8"/>"#), "\(zone)")
            #expect(zone.contains(#"<service name="ssh"/>"#), "the image's services stay: \(zone)")
            #expect(try run(source, in: root).steps[0].changes.isEmpty, "a second run changes nothing")
            let failed = try run(source.replacingOccurrences(of: "firewall.allow(8545", with: "firewall.allow(8080)\n  fail(\"boom\")\n  firewall.allow(8545"), in: root)
            #expect(failed.exitCode == 1)
            #expect(root.read("/etc/firewalld/zones/public.xml") == zone, "the failed step's change is undone")
            let conflict = try run("step \"s\" {\n  firewall.deny(8545)\n}", in: root)
            #expect(failure(conflict)?.contains("firewalld checks the rules that drop or reject before those that accept") == true, "\(failure(conflict) ?? "")")
        }
    }

    @Test func badArgumentsFailBeforeAnythingChanges() throws {
        try FixtureRoot.with("ubuntu-22.04") { root in
            let cases = [
                #"firewall.allow(70000)"#: #"firewall.allow: a port is 1–65535 or a range such as "30303-30304", got "70000""#,
                #"firewall.allow("30304-30303")"#: #"firewall.allow: a port is 1–65535 or a range such as "30303-30304", got "30304-30303""#,
                #"firewall.deny(22, proto: "icmp")"#: #"firewall.deny: proto must be "tcp" or "udp", got "icmp""#,
                #"firewall.allow(22, from: "10.0.0.0/33")"#: #"firewall.allow: the prefix length of "10.0.0.0/33" must be 0–32"#,
                #"firewall.allow(22, from: "lan")"#: #"firewall.allow: from must be "any", an address or a CIDR such as "10.0.0.0/8" or "2001:db8::/32", got "lan""#,
                #"firewall.limit(22, rate: "fast")"#: #"firewall.limit: a rate is COUNT/UNIT with a unit of second, minute, hour or day (e.g. "10/minute"), got "fast""#,
                #"firewall.default("drop")"#: #"firewall.default: policy must be "deny", "reject" or "allow", got "drop""#,
                #"firewall.use("pf")"#: #"firewall.use: backend must be one of "ufw", "firewalld", "nftables", "iptables", got "pf""#,
                "firewall.use(\"ufw\")\n  firewall.limit(22, rate: \"20/minute\")": #"firewall.limit: ufw's limit has one rate"#,
            ]
            let before = FixtureRoot.snapshot(root.path)
            for (call, message) in cases {
                let report = try run("step \"s\" {\n  firewall.use(\"nftables\")\n  \(call)\n}", in: root)
                #expect(report.exitCode == 1)
                #expect(failure(report)?.hasPrefix(message) == true, "\(call): \(failure(report) ?? "no error")")
            }
            #expect(FixtureRoot.snapshot(root.path) == before)
        }
    }
}
