/// chrony's configuration file and the directives `clock.configure` manages in it: `server` (and
/// the distribution's `pool` lines, which the servers replace), `makestep`, `rtcsync` and
/// `driftfile`. Every other line — comments, `keyfile`, `logdir`, `include`s — stays as it was.
enum ChronyConfig {
    /// The file chronyd reads: /etc/chrony.conf on CentOS and RHEL, /etc/chrony/chrony.conf on
    /// Debian, Ubuntu and Alpine (whose chronyd is built with --sysconfdir=/etc/chrony) — the one
    /// that exists, else the family's.
    static func path(_ effects: any Effects) throws -> String {
        for path in ["/etc/chrony/chrony.conf", "/etc/chrony.conf"] where try FileNamespace.text(path, effects) != nil { return path }
        let text = try FileNamespace.text("/etc/os-release", effects) ?? FileNamespace.text("/usr/lib/os-release", effects) ?? ""
        let fields = FactsReader.osReleaseFields(text)
        let ids = ([fields["ID"]] + (fields["ID_LIKE"]?.split(separator: " ").map(String.init) ?? [])).compactMap { $0?.lowercased() }
        return ids.contains { FactsReader.family(of: $0) == "rhel" } ? "/etc/chrony.conf" : "/etc/chrony/chrony.conf"
    }

    /// The directive a line starts with, as chronyd reads it: after any white space, in any case.
    static func keyword(_ line: String) -> String {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map { $0.lowercased() } ?? ""
    }

    /// `text` with the managed directives replaced by `lines`: the first managed line's place
    /// takes them all (the end of the file when there was none).
    static func edited(_ text: String, managing keywords: Set<String>, with lines: [String]) -> String {
        var out: [String] = []
        var placed = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            guard keywords.contains(keyword(line)) else { out.append(line); continue }
            if !placed { out += lines; placed = true }
        }
        if !placed {
            if out.last == "" { out.removeLast() }
            out += lines + [""]
        }
        return out.joined(separator: "\n")
    }
}

extension ClockNamespace {
    static func configure(_ args: inout Arguments) throws -> Value {
        let builtin = "clock.configure"
        var lines: [String] = []
        var keywords: Set<String> = []
        let iburst = try args.optionalBool(1, nilIsAbsent: true)
        let minpoll = try args.optionalInt(2, nilIsAbsent: true)
        let maxpoll = try args.optionalInt(3, nilIsAbsent: true)
        for poll in [minpoll, maxpoll].compactMap({ $0 }) where !(-6...24).contains(poll) {
            throw MendError("\(builtin): minpoll and maxpoll are log2 seconds from -6 to 24, got \(poll)")
        }
        if let minpoll, let maxpoll, minpoll > maxpoll {
            throw MendError("\(builtin): minpoll (\(minpoll)) must not be above maxpoll (\(maxpoll))")
        }
        let list = try args.optionalList(0, nilIsAbsent: true)
        if list == nil, iburst != nil || minpoll != nil || maxpoll != nil {
            throw MendError("\(builtin): iburst, minpoll and maxpoll go with servers: name the servers they are for")
        }
        if let list {
            let iburst = iburst ?? true
            guard !list.items.isEmpty else { throw MendError("\(builtin): servers must name at least one server") }
            for item in list.items {
                guard case .string(let server) = item else { throw MendError("\(builtin): a server is a string, got \(item.aTypeName)") }
                guard !server.isEmpty, server.allSatisfy({ $0.isLetter || $0.isNumber || ".-:_".contains($0) }) else {
                    throw MendError("\(builtin): a server is a host name or an address, got \(Value.quote(server))")
                }
                var words = ["server", server]
                if iburst { words.append("iburst") }
                if let minpoll { words += ["minpoll", String(minpoll)] }
                if let maxpoll { words += ["maxpoll", String(maxpoll)] }
                lines.append(words.joined(separator: " "))
            }
            keywords.formUnion(["server", "pool"])
        }
        if let makestep = try args.optionalString(4, nilIsAbsent: true) {
            let parts = makestep.split(separator: " ")
            guard parts.count == 2, Double(parts[0]).map({ $0 > 0 }) == true, Int(parts[1]) != nil else {
                throw MendError("\(builtin): makestep is \"THRESHOLD LIMIT\" (seconds, updates; -1 for no limit) such as \"1.0 -1\", got \(Value.quote(makestep))")
            }
            lines.append("makestep \(makestep)")
            keywords.insert("makestep")
        }
        if let rtcsync = try args.optionalBool(5, nilIsAbsent: true) {
            if rtcsync { lines.append("rtcsync") }
            keywords.insert("rtcsync")
        }
        if let driftfile = try args.optionalName(6, .noControlCharacters, nilIsAbsent: true) {
            guard driftfile.hasPrefix("/"), !driftfile.contains(" ") else {
                throw MendError("\(builtin): driftfile must be an absolute path without spaces, got \(Value.quote(driftfile))")
            }
            lines.append("driftfile \(driftfile)")
            keywords.insert("driftfile")
        }
        guard !keywords.isEmpty else { throw MendError("\(builtin): name at least one of servers, makestep, rtcsync, driftfile") }
        let effects = args.context.effects
        let path = try ChronyConfig.path(effects)
        let before = try FileNamespace.text(path, effects)
        let after = ChronyConfig.edited(before ?? "", managing: keywords, with: lines)
        // Removing a directive from a file that does not exist leaves nothing to write.
        guard before != nil || !after.isEmpty,
              let change = try FileNamespace.textChange(path, to: after, effects) else { return .bool(false) }
        try effects.perform(change)
        try restartChrony(effects, builtin)
        return .bool(true)
    }

    /// chronyd reads its file only when it starts: restart it where it runs. A stopped chronyd
    /// stays stopped (another time daemon may be the host's), and under --root nothing runs.
    private static func restartChrony(_ effects: any Effects, _ builtin: String) throws {
        guard effects.host.isLive, let manager = try ServiceManagers.detect(on: effects.host) else { return }
        for unit in ["chrony.service", "chronyd.service", "chronyd", "chrony"] {
            guard (try? manager.status(unit, on: effects.host))?.exists == true else { continue }
            let state = try effects.state(of: ServiceNamespace.runtime, unit)["state"]?.string
            if state.map(ServiceRuntimeResource.runs) == true {
                try ServiceNamespace.changeRuntime(manager, unit, .restart, effects, builtin)
            }
            return
        }
    }
}
