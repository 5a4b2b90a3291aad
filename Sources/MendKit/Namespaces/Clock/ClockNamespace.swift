/// The `clock` namespace: how well the host keeps time — the kernel's sync state (adjtimex,
/// read only), chronyd's tracking and sources (`chronyc -n -c`), a one-shot SNTP offset against a
/// server, which needs neither root nor chrony, and chrony's configuration file. Offsets are signed durations, positive
/// when the local clock is behind the reference.
public enum ClockNamespace {
    typealias Param = Builtin.Param

    /// The `clock` builtins, registered by ``Registry/standard()``.
    public static let table = NamespaceTable("clock", doc: """
        The host clock: kernel sync state, chrony's tracking and sources, an SNTP offset against a server and a bound.
        """, [
        .function("status", [.label("chrony")], doc: """
            The clock's sync state and offset, from the kernel and from chrony when it answers.
            A map: synchronized (the kernel's view through adjtimex: not STA_UNSYNC and not TIME_ERROR), offset (chrony's system-time offset when chronyd answers, else the kernel's
            remaining adjustment; positive: the clock is behind), max_error, est_error, frequency_ppm and
            daemon ("chrony", "timesyncd", "ntpd" or "none"), frequency_ppm the clock's own rate error
            (negative: it runs slow, as chrony says); when chronyd answers also reference, stratum,
            leap ("normal", "insert", "delete", "unsynchronised"), root_delay, root_dispersion and
            last_update (seconds since the reference time). chrony: "HOST:PORT" of chronyd's command port
            (default: the local chronyd). Under --root nothing runs: daemon is what the image enables and
            the rest is nil.
            """, example: """
            let s = clock.status()
            print(s.daemon, s.synchronized)
            """, body: status),
        .function("sources", [.label("chrony")], doc: """
            chronyd's time sources, as chronyc sources lists them.
            Maps: name, mode ("server", "peer", "refclock"), state ("selected",
            "combined", "not_combined", "falseticker", "too_variable", "unusable"), stratum, poll (log2
            seconds), reach (the 8-bit register as an int), last_rx (seconds), offset (positive: the
            clock is behind the source) and error. An error when chronyd does not answer; [] under --root.
            """, example: """
            fn selected() {
              for s in clock.sources() {
                if s.state == "selected" { return s.name }
              }
              return nil
            }
            """, body: sources),
        .function("offset", [Param("server"), .label("port"), .label("timeout"), .label("samples")], doc: """
            The local clock's offset from an NTP server, measured by SNTP (RFC 4330).
            Returns {offset, delay, stratum, server}: offset and delay are durations, offset positive when the local clock is behind the server.
            port: 123; timeout: 2s for the whole call, all samples included; samples: 4, the one with the
            smallest delay wins. Replies that do not echo the request are ignored; a Kiss-o'-Death (RATE,
            DENY, …) or an unsynchronised server is an error naming it, as is a name that does not
            resolve and a server that does not answer in time. Needs neither root nor chrony.
            """, example: """
            fn clock_ok(bound) {
              return abs(clock.offset("pool.ntp.org").offset) <= bound
            }
            """, body: offset),
        .function("within", [Param("bound"), .label("server"), .label("port"), .label("timeout"), .label("samples")], doc: """
            True when the SNTP offset to server (default "pool.ntp.org") is at most bound either way.
            The assert form shows both values when it fails:
            assert abs(clock.offset(server).offset) <= 100ms
            """, example: """
            fn in_sync() {
              return clock.within(100ms, server: "pool.ntp.org")
            }
            """, body: within),
        .function("configure", [.label("servers"), .label("iburst"), .label("minpoll"), .label("maxpoll"), .label("makestep"),
                                .label("rtcsync"), .label("driftfile")], changesHost: true, doc: """
            Sets chrony's directives in its configuration file; returns true when the file changed.
            The file is /etc/chrony/chrony.conf on Debian, Ubuntu and Alpine, /etc/chrony.conf on CentOS. servers:
            a list that replaces every server and pool line (iburst: true; minpoll, maxpoll: log2
            seconds); makestep: "THRESHOLD LIMIT"; rtcsync: true adds the line, false removes it;
            driftfile: a path. Directives not named, and every other line, stay as they are. A file
            change (a diff in plans, undone exactly), then a restart of chronyd where it runs.
            """, example: """
            step "chrony as the seed tunes it" {
              clock.configure(servers: ["pool.ntp.org"], iburst: true, minpoll: 4, maxpoll: 6,
                              makestep: "1.0 -1", rtcsync: true, driftfile: "/var/lib/chrony/drift")
            }
            """, body: configure),
        .function("step", [.label("chrony")], changesHost: true, doc: """
            Makes chronyd step the clock now (chronyc makestep) instead of slewing.
            chronyd steps to the time it believes rather than slewing a large offset away; returns true when chronyd did. An action mend cannot undo: it
            is journalled as not undoable, and a plan lists it without running it. chronyd accepts it
            only on its Unix command socket, as root; chrony: the socket's path (default: chronyd's own).
            """, example: """
            step "clock stepped" when clock.status().daemon == "chrony" and abs(clock.status().offset) > 50ms {
              clock.step()
            }
            """, body: step),
    ])

    // MARK: Acting

    static func step(_ args: inout Arguments) throws -> Value {
        let chrony = try args.optionalName(0, .noControlCharacters, nilIsAbsent: true)
        let effects = args.context.effects
        guard effects.host.isLive else {
            throw MendError("clock.step: under --root there is no running clock to step (\(effects.host.root) is an image)")
        }
        // chronyd refuses makestep on its network command port, and a socket that does not answer
        // should fail the step before anything is journalled.
        if let chrony, !chrony.hasPrefix("/") {
            throw MendError("clock.step: chronyd takes makestep only on its Unix command socket: give chrony: its path, not \(Value.quote(chrony))")
        }
        _ = try Chrony.chronyc("tracking", address: chrony, on: effects.host, for: "clock.step")
        let argv = try Chrony.argv("makestep", address: chrony)
        let result = try effects.runCommand(argv.joined(separator: " "), readonly: false) {
            try Tools.run(argv, package: "chrony", on: effects.host, timeout: 10_000_000_000)
        }
        guard let result else { return .bool(false) }
        let said = (String(decoding: result.stdout, as: UTF8.self) + String(decoding: result.stderr, as: UTF8.self)).trimmingCharacters()
        guard result.status == 0, !said.hasPrefix("5") else {
            let refused = said.contains("Not authorised") || said.contains("Permission denied")
            throw MendError("clock.step: chronyc makestep failed: \(said.isEmpty ? "exit status \(result.status)" : said)"
                            + (refused ? " (chronyd takes it only on its Unix socket, as root)" : ""), kind: .host)
        }
        return .bool(true)
    }

    // MARK: Reading

    static func status(_ args: inout Arguments) throws -> Value {
        let chrony = try args.optionalName(0, .noControlCharacters, nilIsAbsent: true)
        let host = args.context.effects.host
        let map = MapRef()
        guard host.isLive else {
            for key in ["synchronized", "offset", "max_error", "est_error", "frequency_ppm"] { map[key] = .null }
            map["daemon"] = .string(ClockDaemon.enabled(on: host))
            return .map(map)
        }
        let kernel = try host.kernelClock()
        map["synchronized"] = .bool(kernel.synchronized)
        map["offset"] = .duration(kernel.offsetNanoseconds)
        map["max_error"] = .duration(kernel.maxErrorNanoseconds)
        map["est_error"] = .duration(kernel.estErrorNanoseconds)
        // The kernel holds the correction; the clock's own error is its opposite (chrony's sign).
        map["frequency_ppm"] = .float(-kernel.frequencyPPM)
        // With an address the caller asks that chronyd, whose failure is an error; without one a
        // host without chrony answers from the kernel.
        let tracking: Chrony.Tracking?
        if let chrony {
            tracking = Chrony.Tracking(csv: try Chrony.chronyc("tracking", address: chrony, on: host, for: "clock.status"))
            guard tracking != nil else { throw MendError("clock.status: chronyc tracking gave no figures from \(chrony)", kind: .host) }
        } else {
            tracking = (try? Chrony.chronyc("tracking", address: nil, on: host, for: "clock.status")).flatMap(Chrony.Tracking.init(csv:))
        }
        map["daemon"] = .string(tracking != nil ? "chrony" : ClockDaemon.running(on: host))
        if let tracking {
            map["offset"] = .duration(nanoseconds(tracking.offset))
            map["frequency_ppm"] = .float(tracking.frequencyPPM)
            map["reference"] = .string(tracking.reference)
            map["stratum"] = .int(tracking.stratum)
            map["leap"] = .string(tracking.leap)
            map["root_delay"] = .duration(nanoseconds(tracking.rootDelay))
            map["root_dispersion"] = .duration(nanoseconds(tracking.rootDispersion))
            // The reference time is chrony's estimate of true time, so a clock behind it would read negative.
            map["last_update"] = .duration(tracking.referenceTime > 0 ? max(0, nanoseconds(host.wallClock() - tracking.referenceTime)) : 0)
        }
        return .map(map)
    }

    static func sources(_ args: inout Arguments) throws -> Value {
        let chrony = try args.optionalName(0, .noControlCharacters, nilIsAbsent: true)
        let host = args.context.effects.host
        guard host.isLive else { return .list(ListRef([])) }
        let list = try Chrony.Source.parse(try Chrony.chronyc("sources", address: chrony, on: host, for: "clock.sources")).map { source -> Value in
            let map = MapRef()
            map["name"] = .string(source.name)
            map["mode"] = .string(source.mode)
            map["state"] = .string(source.state)
            map["stratum"] = .int(source.stratum)
            map["poll"] = .int(source.poll)
            map["reach"] = .int(source.reach)
            map["last_rx"] = source.lastRx.map { .duration($0 * 1_000_000_000) } ?? .null
            // chronyc's sign is the other way round: positive when the local clock is ahead.
            map["offset"] = .duration(-nanoseconds(source.offset))
            map["error"] = .duration(nanoseconds(source.error))
            return .map(map)
        }
        return .list(ListRef(list))
    }

    static func offset(_ args: inout Arguments) throws -> Value {
        let server = try args.name(0, .noControlCharacters)
        let sample = try measure(server, &args, "clock.offset", portIndex: 1)
        let map = MapRef()
        map["offset"] = .duration(sample.offset)
        map["delay"] = .duration(sample.delay)
        map["stratum"] = .int(sample.stratum)
        map["server"] = .string(server)
        return .map(map)
    }

    static func within(_ args: inout Arguments) throws -> Value {
        let bound = try args.duration(0)
        guard bound >= 0 else { throw MendError("clock.within: bound must not be negative, got \(Value.formatDuration(bound))") }
        let server = try args.optionalName(1, .noControlCharacters) ?? "pool.ntp.org"
        let sample = try measure(server, &args, "clock.within", portIndex: 2)
        return .bool(sample.offset.magnitude <= bound.magnitude)
    }

    /// One SNTP measurement with the port, timeout and samples at `portIndex` and after.
    private static func measure(_ server: String, _ args: inout Arguments, _ builtin: String, portIndex: Int) throws -> Sntp.Sample {
        let port = try args.optionalInt(portIndex, nilIsAbsent: true) ?? 123
        guard (1...65535).contains(port) else { throw MendError("\(builtin): port must be 1–65535, got \(port)") }
        let timeout = try args.optionalDuration(portIndex + 1, nilIsAbsent: true) ?? 2_000_000_000
        guard timeout > 0 else { throw MendError("\(builtin): timeout must be positive, got \(Value.formatDuration(timeout))") }
        let samples = try args.optionalInt(portIndex + 2, nilIsAbsent: true) ?? 4
        guard (1...16).contains(samples) else { throw MendError("\(builtin): samples must be 1–16, got \(samples)") }
        guard !server.isEmpty else { throw MendError("\(builtin): server must not be empty") }
        do {
            return try Sntp.query(server, port: port, timeout: timeout, samples: samples, on: args.context.effects.host)
        } catch let error as HostError {
            throw MendError("\(builtin): \(error.message)", kind: .host)
        } catch let error as MendError {
            throw MendError("\(builtin): \(error.message)", kind: error.kind)
        }
    }

    private static func nanoseconds(_ seconds: Double) -> Int { Int((seconds * 1e9).rounded()) }
}

/// Which time daemon keeps the clock: on the live host the one running, under `--root` the one
/// the image enables.
enum ClockDaemon {
    static let names = [("chronyd", "chrony"), ("systemd-timesyn", "timesyncd"), ("ntpd", "ntpd")]

    static func running(on host: Host) -> String {
        let commands = Set((host.entries("/proc") ?? []).compactMap { Int($0.name) }.compactMap(host.processName))
        return names.first { commands.contains($0.0) }?.1 ?? "none"
    }

    static func enabled(on host: Host) -> String {
        let links = [
            ("chrony", ["/etc/systemd/system/multi-user.target.wants/chronyd.service", "/etc/systemd/system/multi-user.target.wants/chrony.service",
                        "/etc/runlevels/default/chronyd"]),
            ("timesyncd", ["/etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service"]),
            ("ntpd", ["/etc/systemd/system/multi-user.target.wants/ntpd.service", "/etc/systemd/system/multi-user.target.wants/ntp.service",
                      "/etc/runlevels/default/ntpd"]),
        ]
        return links.first { $0.1.contains { (try? host.linkTarget(host.resolveLink($0))) != nil } }?.0 ?? "none"
    }
}
