import Testing
@testable import MendKit

/// The clock namespace's parsing without servers: SNTP packets and chronyc's CSV. Real servers
/// and chronyd are in Tests/mendTests/ClockTests.swift.
@Suite struct ClockNamespaceTests {
    /// A reply as a server would build it for `request`, its clock `skew` seconds ahead.
    private func reply(to request: [UInt8], at t: Double, skew: Double, mode: UInt8 = 4, stratum: UInt8 = 2, leap: UInt8 = 0, refid: String = "TEST") -> [UInt8] {
        var packet = [UInt8](repeating: 0, count: 48)
        packet[0] = leap << 6 | 4 << 3 | mode
        packet[1] = stratum
        packet.replaceSubrange(12..<16, with: Array(refid.utf8.prefix(4)))
        packet.replaceSubrange(24..<32, with: request[40..<48])
        packet.replaceSubrange(32..<40, with: Sntp.timestamp(t + skew))
        packet.replaceSubrange(40..<48, with: Sntp.timestamp(t + skew + 0.001))
        return packet
    }

    @Test func sntpSamplesKeepTheSignAndRefuseWhatIsNotOurs() throws {
        let t1 = 1_796_500_000.25
        let request = Sntp.request(transmit: t1)
        #expect(request.count == 48 && request[0] == 0x23)
        #expect(abs(Sntp.unixTime(request[40..<48]) - t1) < 1e-6)
        let sample = try #require(try Sntp.sample(reply(to: request, at: t1 + 0.010, skew: 0.25), request: request, sent: t1, received: t1 + 0.021, server: "s"))
        #expect(abs(sample.offset - 250_000_000) < 1000, "positive: the local clock is behind (\(sample.offset))")
        #expect(abs(sample.delay - 20_000_000) < 1000)
        var other = reply(to: request, at: t1, skew: 0)
        other.replaceSubrange(24..<32, with: Sntp.timestamp(t1 - 5))
        #expect(try Sntp.sample(other, request: request, sent: t1, received: t1, server: "s") == nil, "not the reply to this request")
        #expect(try Sntp.sample(reply(to: request, at: t1, skew: 0, mode: 3), request: request, sent: t1, received: t1, server: "s") == nil)
        #expect(throws: MendError.self) { try Sntp.sample(reply(to: request, at: t1, skew: 0, stratum: 0, refid: "DENY"), request: request, sent: t1, received: t1, server: "s") }
        #expect(throws: MendError.self) { try Sntp.sample(reply(to: request, at: t1, skew: 0, leap: 3), request: request, sent: t1, received: t1, server: "s") }
        var empty = reply(to: request, at: t1, skew: 0)
        empty.replaceSubrange(40..<48, with: [UInt8](repeating: 0, count: 8))
        #expect(try Sntp.sample(empty, request: request, sent: t1, received: t1 + 0.01, server: "s") == nil, "no transmit time: no time at all")
        #expect(try Sntp.sample(reply(to: request, at: t1, skew: 0), request: request, sent: t1, received: t1 + 0.0001, server: "s") == nil,
                "the server says it took longer than the round trip")
    }

    @Test(arguments: [("ubuntu-22.04", "/etc/chrony/chrony.conf"), ("centos-7", "/etc/chrony.conf"), ("alpine-3.19", "/etc/chrony/chrony.conf")])
    func configureWritesTheSeedsDirectivesPlannedIdempotentAndUndone(_ host: String, _ path: String) throws {
        try FixtureRoot.with(host) { root in
            let original = "# the distribution's file\npool 2.pool.ntp.org iburst\nkeyfile /etc/chrony/chrony.keys\nmakestep 1 3\nlogdir /var/log/chrony\n"
            try root.write(String(path.dropFirst()), original)
            let source = """
                step "chrony" {
                  clock.configure(servers: ["pool.ntp.org"], iburst: true, minpoll: 4, maxpoll: 6,
                                  makestep: "1.0 -1", rtcsync: true, driftfile: "/var/lib/chrony/drift")
                }
                """
            let harness = EngineHarness(root: root, registry: .standard())
            let before = FixtureRoot.snapshot(root.path)
            let plan = try harness.run(source, plan: true)
            #expect(plan.exitCode == 0 && plan.steps[0].changes.map(\.target) == [path], "\(failure(plan) ?? "")")
            #expect(FixtureRoot.snapshot(root.path) == before, "a plan touches nothing")
            #expect(try harness.run(source).exitCode == 0)
            #expect(root.read(path) == "# the distribution's file\nserver pool.ntp.org iburst minpoll 4 maxpoll 6\nmakestep 1.0 -1\nrtcsync\n"
                    + "driftfile /var/lib/chrony/drift\nkeyfile /etc/chrony/chrony.keys\nlogdir /var/log/chrony\n")
            #expect(try harness.run(source).steps[0].changes.isEmpty, "a second run changes nothing")
            let failed = try harness.run(source.replacingOccurrences(of: "maxpoll: 6", with: "maxpoll: 7") + "\nstep \"later\" { fail(\"boom\") }\n")
            #expect(failed.exitCode == 1)
            #expect(root.read(path)?.contains("maxpoll 6") == true, "the failed run is undone exactly")
            let bad = try harness.run("step \"s\" {\n  clock.configure(makestep: \"fast\")\n}")
            #expect(failure(bad)?.hasPrefix("clock.configure: makestep is \"THRESHOLD LIMIT\"") == true, "\(failure(bad) ?? "")")
        }
    }

    @Test func chronycCSVIsReadFieldByField() throws {
        let tracking = try #require(Chrony.Tracking(csv: "7F000001,127.0.0.1,3,1796525067.449312303,0.250074297,0.000000632,0.000008652,-0.148,0.055,3.474,0.000205097,0.000248411,0.5,Normal\n"))
        #expect(tracking.reference == "127.0.0.1" && tracking.stratum == 3 && tracking.leap == "normal")
        #expect(tracking.offset == 0.250074297 && tracking.frequencyPPM == -0.148 && tracking.rootDelay == 0.000205097)
        #expect(Chrony.Tracking(csv: "506 Cannot talk to daemon\n") == nil)
        let sources = try Chrony.Source.parse("^,*,127.0.0.1,8,-2,377,0,0.000000661,0.000000651,0.000003307\n#,x,GPS,0,4,17,120,-0.5,-0.5,0.001\n")
        #expect(sources.map(\.state) == ["selected", "falseticker"] && sources.map(\.mode) == ["server", "refclock"])
        #expect(sources.first?.reach == 255 && sources.last?.reach == 15)
        #expect(try Chrony.split("[::1]:323") == ("::1", 323) && Chrony.split("127.0.0.1") == ("127.0.0.1", nil))
        #expect(throws: MendError.self) { try Chrony.split("127.0.0.1:99999") }
        #expect(throws: MendError.self) { try Chrony.Source.parse("^,*,127.0.0.1,eight\n") }
        #expect(try Chrony.Source.parse("^,?,10.0.0.9,0,6,0,4294967295,0.0,0.0,0.0\n").first?.lastRx == nil)
        #expect(ChronyConfig.edited("\tPool a.example iburst\nServer\tb.example\n# server c\nkeyfile k\n", managing: ["server", "pool"], with: ["server d"])
                == "server d\n# server c\nkeyfile k\n", "chronyd reads directives after white space, in any case")
    }
}
