/// chrony's configuration file and the directives `clock.configure` manages in it: `server` (and
/// the distribution's `pool` lines, which the servers replace), `makestep`, `rtcsync` and
/// `driftfile`. Every other line — comments, `keyfile`, `logdir`, `include`s — stays as it was.
enum ChronyConfig {
    /// The file chronyd reads: /etc/chrony/chrony.conf on Debian and Ubuntu, /etc/chrony.conf on
    /// CentOS and Alpine — the one that exists, else the family's.
    static func path(_ effects: any Effects) throws -> String {
        for path in ["/etc/chrony/chrony.conf", "/etc/chrony.conf"] where try FileNamespace.text(path, effects) != nil { return path }
        let osRelease = try FileNamespace.text("/etc/os-release", effects) ?? ""
        let ids = osRelease.split(separator: "\n").filter { $0.hasPrefix("ID=") || $0.hasPrefix("ID_LIKE=") }
            .flatMap { $0.split(separator: "=", maxSplits: 1).last?.filter { $0 != "\"" }.split(separator: " ") ?? [] }
        return ids.contains { FactsReader.family(of: $0.lowercased()) == "debian" } ? "/etc/chrony/chrony.conf" : "/etc/chrony.conf"
    }

    /// `text` with the managed directives replaced by `lines`: the first managed line's place
    /// takes them all (the end of the file when there was none).
    static func edited(_ text: String, managing keywords: Set<String>, with lines: [String]) -> String {
        var out: [String] = []
        var placed = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let keyword = line.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
            guard keywords.contains(keyword) else { out.append(line); continue }
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
        if let list = try args.optionalList(0, nilIsAbsent: true) {
            let iburst = try args.optionalBool(1, nilIsAbsent: true) ?? true
            let minpoll = try args.optionalInt(2, nilIsAbsent: true)
            let maxpoll = try args.optionalInt(3, nilIsAbsent: true)
            for poll in [minpoll, maxpoll].compactMap({ $0 }) where !(-6...24).contains(poll) {
                throw MendError("\(builtin): minpoll and maxpoll are log2 seconds from -6 to 24, got \(poll)")
            }
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
        let before = try FileNamespace.text(path, effects) ?? ""
        guard let change = try FileNamespace.textChange(path, to: ChronyConfig.edited(before, managing: keywords, with: lines), effects) else {
            return .bool(false)
        }
        try effects.perform(change)
        try restartChrony(effects, builtin)
        return .bool(true)
    }

    /// chronyd reads its file only when it starts: restart it where it runs. Under --root nothing
    /// runs, and a host without the service has nothing to restart.
    private static func restartChrony(_ effects: any Effects, _ builtin: String) throws {
        guard effects.host.isLive, let manager = try ServiceManagers.detect(on: effects.host) else { return }
        for unit in ["chrony.service", "chronyd.service", "chronyd", "chrony"] {
            guard (try? manager.status(unit, on: effects.host))?.exists == true else { continue }
            try ServiceNamespace.changeRuntime(manager, unit, .restart, effects, builtin)
            return
        }
    }
}
