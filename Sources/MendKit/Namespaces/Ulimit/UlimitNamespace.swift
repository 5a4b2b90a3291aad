/// The `ulimit` namespace: resource limits of this process (which `run` passes on to its commands),
/// of any process (/proc/PID/limits), for logins (/etc/security/limits.d) and for systemd units
/// (drop-ins). Every change is undoable: limits as ``UlimitResource`` changes, the limits.d file as
/// a ``FileResource`` change, a drop-in as a ``SystemdDropinResource`` change (which reloads systemd).
public enum UlimitNamespace {
    typealias Param = Builtin.Param
    static let resource = UlimitResource()
    static let file = FileResource()
    static let dropIn = SystemdDropinResource()
    /// The one limits.d file `ulimit.persist` edits; every other file stays untouched.
    public static let managedLimitsFile = "/etc/security/limits.d/90-mend.conf"
    /// The name of the drop-in `ulimit.unit` edits in /etc/systemd/system/UNIT.d.
    public static let dropInName = "90-mend-limits.conf"

    static var resourceNames: String { UlimitKind.all.map(\.name).joined(separator: ", ") }
    /// Resource names complete from the table of limits.
    static let resourceWords = ArgumentCompletion.words(UlimitKind.all.map(\.name))

    /// The `ulimit` builtins, registered by ``Registry/standard()``.
    public static let table = NamespaceTable("ulimit", doc: """
        Resource limits: get/set for this run and its commands, of(pid), persist (limits.d), unit (systemd drop-in).
        """, resources: [resource, dropIn], [
        .function("get", [Param("resource", completes: resourceWords)], doc: """
            The soft and hard limit of this process: {soft, hard}.
            Values are ints (bytes for sizes, seconds for cpu) or "unlimited". The commands run starts
            inherit these limits; in a plan a planned ulimit.set shows. Under --root they are still this
            process's limits. Resources: \(resourceNames).
            """, example: #"ulimit.get("nofile").soft  # 1024"#, body: get),
        .function("set", [Param("resource", completes: resourceWords), Param("soft"), .optional("hard")], changesHost: true, doc: """
            Sets a limit of this process and of the commands it starts; returns true when it had to change.
            hard defaults to soft (as the shell's ulimit does). soft and hard are ints, sizes or
            "unlimited"; soft may not exceed hard. Raising a hard limit needs root (exit 77 otherwise),
            and lowering it without root cannot be undone. In a plan nothing changes but later reads.
            Undo sets the old limits back. The limits end with the run: to keep them, use
            ulimit.persist (logins) or ulimit.unit (services).
            """, example: """
            step "more open files for the commands of this run" {
              ulimit.set("nofile", 4096, 8192)
            }
            """, body: set),
        .function("of", [Param("pid")], doc: """
            The limits of a running process, from /proc/PID/limits: a map resource → {soft, hard}.
            pid is an int or "self". Under --root the file is read under the root. A process that does
            not exist is an error.
            """, example: #"ulimit.of(1).nofile  # {soft: 1024, hard: 524288}"#, body: of),
        .function("persist", [Param("resource", completes: resourceWords), .optional("soft"), .optional("hard"), .optional("domain")],
                  changesHost: true, doc: """
            Persists a limit for logins (pam_limits) in \(managedLimitsFile); returns true when it had to change.
            Writes the lines "DOMAIN soft RESOURCE VALUE" and "DOMAIN hard RESOURCE VALUE" (give soft:,
            hard: or both; domain defaults to "*", any pam_limits domain such as "node" or "@group" works,
            as one word without control characters). A line for the same domain, type and resource is
            replaced where it stands, never duplicated; other lines and every other file stay untouched.
            Values are in the units of ulimit.get (bytes for sizes: limits.conf's KiB are written for you)
            or "unlimited"; for nice, the nice level (-20…19). Undo restores the file, or removes it when
            mend created it.
            """, example: """
            step "open files for the node user's logins" {
              ulimit.persist("nofile", soft: 65536, hard: 65536, domain: "node")
            }
            """, body: persist),
        .function("unit", [Param("unit"), Param("resource", completes: resourceWords), Param("value")], changesHost: true, doc: """
            Sets a limit of a systemd unit in a drop-in, then reloads systemd; returns true when it had to change.
            Writes /etc/systemd/system/UNIT.d/\(dropInName) with [Service] LimitNOFILE=value (the
            resource's Limit… name); other settings of the drop-in stay. unit without a suffix means
            UNIT.service; it holds only what systemd allows in unit names (letters, digits, :-_.\\@).
            value is an int, a size, "unlimited" or "SOFT:HARD". On the live host the write is followed by
            systemctl daemon-reload when systemd runs, on undo too; under --root the reload is left to the
            host (the plan says so). Restart the service for it to take effect.
            """, example: """
            step "node service limits" {
              ulimit.unit("node", "nofile", 131072)
            }
            """, body: unit),
    ])

    static func get(_ args: inout Arguments) throws -> Value {
        let kind = try UlimitKind.named(try args.string(0), in: "ulimit.get")
        return try current(kind, args).value
    }

    static func set(_ args: inout Arguments) throws -> Value {
        let kind = try UlimitKind.named(try args.string(0), in: "ulimit.set")
        let soft = try LimitValue.parse(try args.value(1), "ulimit.set: 'soft'")
        let hard = try args.optional(2).map { try LimitValue.parse($0, "ulimit.set: 'hard'") } ?? soft
        guard soft <= hard else {
            throw MendError("ulimit.set: the soft limit (\(soft.text)) is above the hard limit (\(hard.text))")
        }
        let before = try args.context.effects.state(of: resource, kind.name)
        let after = UlimitResource.state(LimitPair(soft: soft, hard: hard), on: args.context.effects.host)
        guard !resource.same(before, after) else { return .bool(false) }
        try args.context.effects.perform(Change(resource, target: kind.name, before: before, after: after))
        return .bool(true)
    }

    static func of(_ args: inout Arguments) throws -> Value {
        let value = try args.value(0)
        let pid: String
        switch value {
        case .int(let n) where n > 0: pid = String(n)
        case .string("self"): pid = "self"
        default: throw args.typeError(0, expected: "a process id (a positive int) or \"self\"", got: value)
        }
        let path = "/proc/\(pid)/limits"
        let host = args.context.effects.host
        guard let bytes = try host.read(host.resolve(path)) else {
            throw MendError("ulimit.of: no process \(pid) (\(path) does not exist)", kind: .host)
        }
        let rows = LimitFiles.parseProcLimits(String(decoding: bytes, as: UTF8.self))
        guard !rows.isEmpty else { throw MendError("ulimit.of: \(path) lists no limits", kind: .host) }
        let map = MapRef()
        for (kind, pair) in rows { map[kind.name] = pair.value }
        return .map(map)
    }

    static func persist(_ args: inout Arguments) throws -> Value {
        let kind = try UlimitKind.named(try args.string(0), in: "ulimit.persist")
        var settings: [(type: String, value: String)] = []
        var limits: [LimitValue] = []
        for (index, type) in [(1, "soft"), (2, "hard")] {
            guard let value = args.optional(index) else { continue }
            let (text, limit) = try limitsConfValue(value, kind, "ulimit.persist: '\(type)'")
            settings.append((type, text))
            if let limit { limits.append(limit) }
        }
        guard !settings.isEmpty else { throw MendError("ulimit.persist: give soft:, hard: or both") }
        if limits.count == 2, limits[0] > limits[1] {
            throw MendError("ulimit.persist: the soft limit (\(limits[0].text)) is above the hard limit (\(limits[1].text))")
        }
        let domain = try args.optionalName(3, .noControlCharacters, expected: "a string such as \"*\" or \"node\"")
            .map(limitsDomain) ?? "*"
        let path = managedLimitsFile
        let before = try fileState(file, path, args)
        let text = try fileText(before, path, "ulimit.persist")
        let edited = LimitFiles.editLimits(text, domain: domain, item: kind.name, settings: settings)
        if before.exists, edited == text { return .bool(false) }
        let after = replacing(before, with: edited, on: args.context.effects.host)
        try args.context.effects.perform(Change(file, target: path, before: before.json, after: after.json,
                                                note: FileNamespace.note(before, after)))
        return .bool(true)
    }

    static func unit(_ args: inout Arguments) throws -> Value {
        let unit = try unitName(try args.name(0, .noControlCharacters))
        let kind = try UlimitKind.named(try args.string(1), in: "ulimit.unit")
        let value = try systemdValue(try args.value(2), kind)
        let path = "/etc/systemd/system/\(unit).d/\(dropInName)"
        let before = try fileState(dropIn, path, args)
        let text = try fileText(before, path, "ulimit.unit")
        let edited = LimitFiles.editDropIn(text, key: kind.systemd, value: value)
        if before.exists, edited == text { return .bool(false) }
        let host = args.context.effects.host
        let after = replacing(before, with: edited, on: host)
        let note = [FileNamespace.note(before, after), SystemdDropinResource.reloadNote(on: host)].compactMap { $0 }
        try args.context.effects.perform(Change(dropIn, target: path, before: before.json, after: after.json,
                                                note: note.joined(separator: "; ")))
        return .bool(true)
    }

    /// This process's limits as the run sees them (planned in a plan).
    private static func current(_ kind: UlimitKind, _ args: Arguments) throws -> LimitPair {
        let state = try args.context.effects.state(of: resource, kind.name)
        guard let pair = UlimitResource.pair(state) else { throw MendError("ulimit \(kind.name): unreadable state") }
        return pair
    }

    /// A file's state through the overlay, read with `resource` (a file or a drop-in).
    private static func fileState(_ resource: any Resource, _ path: String, _ args: Arguments) throws -> FileResource.State {
        guard let state = FileResource.State(try args.context.effects.state(of: resource, path)) else {
            throw MendError("\(path): unreadable file state")
        }
        return state
    }

    /// The text of a file state ("" when there is no file); an error when it is not UTF-8.
    private static func fileText(_ state: FileResource.State, _ path: String, _ name: String) throws -> String {
        guard state.exists else { return "" }
        guard let text = String(validating: state.content, as: UTF8.self) else {
            throw MendError("\(name): \(path) is not UTF-8 text")
        }
        return text
    }

    /// The state with new content: a new file gets mode 0644 and this process's user, as file.write does.
    private static func replacing(_ state: FileResource.State, with text: String, on host: Host) -> FileResource.State {
        var after = state.exists ? state : FileResource.State(newFileOn: host)
        after.content = Array(text.utf8)
        after.missingDirectories = []
        return after
    }

    /// A value as limits.conf writes it, and the limit for the soft ≤ hard check (nil for nice).
    private static func limitsConfValue(_ value: Value, _ kind: UlimitKind, _ what: String) throws -> (String, LimitValue?) {
        if kind.name == "nice" {
            guard case .int(let n) = value, (-20...19).contains(n) else {
                throw MendError("\(what) must be a nice level from -20 to 19, got \(value.literal)")
            }
            return (String(n), nil)
        }
        let limit = try LimitValue.parse(value, what)
        guard case .finite(let n) = limit, kind.kibInLimitsConf else { return (limit.text, limit) }
        guard n % 1024 == 0 else {
            throw MendError("\(what): limits.conf counts \(kind.name) in KiB, so give a multiple of 1KiB (e.g. 64MiB), got \(value.literal)")
        }
        return (String(n / 1024), limit)
    }

    /// A pam_limits domain: a user, @group, %group, * or a uid/gid range, as one word (pam_limits
    /// splits a line at white space and ends it at `#`; control characters are refused before).
    private static func limitsDomain(_ domain: String) throws -> String {
        guard !domain.isEmpty, !domain.contains(where: { $0 == " " || $0 == "#" }) else {
            throw MendError("ulimit.persist: the domain must be one word such as \"*\", \"node\" or \"@node\", got \(Value.string(domain).literal)")
        }
        return domain
    }

    /// A unit's full name: `node` → `node.service`. Only the characters systemd allows in unit names
    /// (ASCII letters, digits and `:-_.\@`): it would pass over a drop-in directory named otherwise.
    private static func unitName(_ name: String) throws -> String {
        guard !name.isEmpty, !name.hasPrefix("."), name.unicodeScalars.allSatisfy(isUnitNameCharacter) else {
            throw MendError("ulimit.unit: \(Value.quote(name)) is not a unit name such as \"node.service\"")
        }
        return name.contains(".") ? name : name + ".service"
    }

    private static func isUnitNameCharacter(_ c: Unicode.Scalar) -> Bool {
        (c.isASCII && c.properties.isAlphabetic) || ("0"..."9").contains(c) || ":-_.\\@".unicodeScalars.contains(c)
    }

    /// A value as systemd's Limit… settings take it: `65536`, `infinity`, `1024:65536`.
    private static func systemdValue(_ value: Value, _ kind: UlimitKind) throws -> String {
        let what = "ulimit.unit: 'value'"
        func word(_ limit: LimitValue) -> String {
            if case .finite(let n) = limit { return String(n) }
            return "infinity"
        }
        if kind.name == "nice", case .int(let n) = value, (-20...19).contains(n), n < 0 { return String(n) }
        if case .string(let s) = value, s.contains(":") {
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw MendError("\(what) must be one limit or \"SOFT:HARD\", got \(value.literal)") }
            let soft = try LimitValue.parse(.string(String(parts[0])), what)
            let hard = try LimitValue.parse(.string(String(parts[1])), what)
            guard soft <= hard else { throw MendError("\(what): the soft limit (\(soft.text)) is above the hard limit (\(hard.text))") }
            return "\(word(soft)):\(word(hard))"
        }
        return word(try LimitValue.parse(value, what))
    }
}
