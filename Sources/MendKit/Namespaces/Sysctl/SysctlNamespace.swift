/// The `sysctl` namespace: kernel parameters read and written under /proc/sys, and persisted in
/// one managed file, /etc/sysctl.d/90-mend.conf. A live change is a ``Change`` of a
/// ``SysctlResource``; a persisted one is a ``Change`` of that file (a ``FileResource``), so plans
/// show both, runs journal both and undo restores both.
public enum SysctlNamespace {
    typealias Param = Builtin.Param
    static let resource = SysctlResource()

    /// The `sysctl` builtins, registered by ``Registry/standard()``.
    public static let table = NamespaceTable(
        "sysctl", doc: "Kernel parameters: get, set (live, persist: true for boot), persisted, list; /proc/sys under --root.",
        resources: [resource], [
        .function("get", [Param("key", completes: keys)], doc: """
            The live value of a kernel parameter, typed.
            One integer is an int, several (net.ipv4.ip_local_port_range) a list of ints, anything else
            the text. The key may use / instead of . (net/core/somaxconn). In a plan it is the planned value.
            An unknown key is an error that suggests the nearest one.
            """, example: #"sysctl.get("net.core.somaxconn")"#, body: get),
        .function("set", [Param("key", completes: keys), Param("value"), .label("persist")], changesHost: true, doc: """
            Sets a kernel parameter now; returns true when anything had to change.
            value is an int, a size, a string or a list (written joined by a tab). The live value is written
            to /proc/sys in place. persist: true also makes /etc/sysctl.d/90-mend.conf set it at boot: the
            key's line there is replaced or appended, never duplicated, and no other file is touched. The
            live and the persisted value are separate changes, so a plan shows drift between them. If a file
            that boot applies later still sets the key otherwise (e.g. /etc/sysctl.conf), the call fails and
            names that file and line. Undo restores the old value and the file. Permission denied → exit 77.
            """, example: """
            step "kernel baseline" when file.exists("/proc/sys/net/core/somaxconn") {
              sysctl.set("net.core.somaxconn", 65535)
              sysctl.set("vm.swappiness", 1, persist: true)
            }
            """, body: set),
        .function("persisted", [Param("key", completes: keys)], doc: """
            The value boot will apply to a kernel parameter, typed as sysctl.get, or nil when no file sets it.
            Follows systemd-sysctl: *.conf in /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d,
            /usr/lib/sysctl.d, /lib/sysctl.d (a name in an earlier directory masks it in later ones), all in
            lexical order of file name, the last assignment winning; then /etc/sysctl.conf. In a plan it sees
            the planned files.
            """, example: #"sysctl.persisted("vm.swappiness")  # 60 on Ubuntu 22.04, from /usr/lib/sysctl.d"#, body: persisted),
        .function("list", [.optional("prefix", completes: keys)], doc: """
            A map of every readable key under a prefix to its typed value, in key order.
            The prefix is a key or a group of keys (net.core); without one, all of /proc/sys. Keys that
            cannot be read (write-only ones such as vm.drop_caches) are left out.
            """, example: #"sysctl.list("net.core")["net.core.somaxconn"]"#, body: list),
    ])

    /// Keys complete one component at a time from /proc/sys (``SysctlTree/completion``).
    static let keys = ArgumentCompletion(SysctlTree.completion)

    static func get(_ args: inout Arguments) throws -> Value {
        let key = try SysctlKey(args.name(0, .noControlCharacters))
        return SysctlValue.typed(try current(key, args))
    }

    static func persisted(_ args: inout Arguments) throws -> Value {
        let key = try SysctlKey(args.name(0, .noControlCharacters))
        guard let value = try SysctlFiles.bootAssignment(for: key, args.context.effects)?.value else { return .null }
        return SysctlValue.typed(value)
    }

    static func list(_ args: inout Arguments) throws -> Value {
        let prefix = try args.optionalName(0, .noControlCharacters) ?? ""
        let effects = args.context.effects
        let result = MapRef()
        for key in try SysctlTree.keys(under: SysctlKey(prefix, allowEmpty: true), on: effects.host) {
            // Unreadable entries (write-only, or refused to this user) are not values to list.
            guard let state = try? effects.state(of: resource, key.name), let value = state["value"]?.string else { continue }
            result[key.name] = SysctlValue.typed(value)
        }
        return .map(result)
    }

    /// The live value of a key as this run sees it (planned in a plan).
    private static func current(_ key: SysctlKey, _ args: Arguments) throws -> String {
        let state = try args.context.effects.state(of: resource, key.name)
        guard let value = state["value"]?.string else { throw MendError("\(key): unreadable sysctl state") }
        return value
    }

    /// The live change, then (persist: true) the managed file's.
    static func set(_ args: inout Arguments) throws -> Value {
        let key = try SysctlKey(args.name(0, .noControlCharacters))
        let given = try args.value(1)
        guard let text = SysctlValue.text(of: given) else {
            throw args.typeError(1, expected: "an int, a size, a string or a list of them", got: given)
        }
        guard !text.contains("\n") else { throw MendError("sysctl.set: the value for \(key) must be one line") }
        try args.checked(text, "'value'")
        let persist = try args.optionalBool(2) ?? false
        let effects = args.context.effects
        let before = SysctlResource.state(try current(key, args))
        let after = SysctlResource.state(text)
        let liveChanges = !resource.same(before, after)

        // Everything is checked before anything changes, so a refused persist changes nothing.
        var fileChange: Change?
        if persist {
            fileChange = try persistChange(key, text, effects)
        }
        if liveChanges {
            // Reading the boot files is only for the note: a failure there must not block the change.
            let note: String? = persist ? nil : try? bootNote(key, text, effects)
            try effects.perform(Change(resource, target: key.name, before: before, after: after, note: note))
        }
        if let fileChange { try effects.perform(fileChange) }
        return .bool(liveChanges || fileChange != nil)
    }

    /// The managed file's change that makes boot apply `value` to `key`, or nil when it already
    /// does. Fails when a file applied later at boot would still override it.
    private static func persistChange(_ key: SysctlKey, _ value: String, _ effects: any Effects) throws -> Change? {
        let path = SysctlFiles.managedFile
        let files = FileResource()
        guard let before = FileResource.State(try effects.state(of: files, path)) else {
            throw MendError("\(path): unreadable file state")
        }
        let oldText = before.exists ? String(decoding: before.content, as: UTF8.self) : ""
        let newText = SysctlFiles.edited(oldText, key: key, value: value)
        if let winner = try SysctlFiles.bootAssignment(for: key, effects, replacing: (path, newText)),
           winner.file != path, let winning = winner.value,
           SysctlValue.tokens(winning) != SysctlValue.tokens(value) {
            // Name the file a link leads to too: 99-sysctl.conf is often /etc/sysctl.conf.
            let real = (try? effects.host.resolve(winner.file)).map(effects.host.shown) ?? winner.file
            let link = real == winner.file ? "" : " (a link to \(real))"
            throw MendError("sysctl.set: \(key) = \(shown(value)) in \(path) would not hold at boot: "
                            + "\(winner.location)\(link) sets \(key) = \(shown(winning)) after it; change or remove that line")
        }
        guard !before.exists || newText != oldText else { return nil }
        var after = before
        if !before.exists {
            after = FileResource.State(newFileOn: effects.host)
        }
        after.content = Array(newText.utf8)
        after.missingDirectories = []
        let old = try SysctlFiles.bootAssignment(for: key, effects)?.value
        let note = "\(key) persisted: \(old.map(shown) ?? "(none)") → \(shown(value))"
        return Change(files, target: path, before: before.json, after: after.json, note: note)
    }

    /// "boot sets 60" when a live-only change leaves the value boot applies different.
    private static func bootNote(_ key: SysctlKey, _ value: String, _ effects: any Effects) throws -> String? {
        guard let boot = try SysctlFiles.bootAssignment(for: key, effects)?.value,
              SysctlValue.tokens(boot) != SysctlValue.tokens(value) else { return nil }
        return "not persisted: boot sets \(shown(boot))"
    }

    /// A value as reports print it: `65535`, `[32768, 60999]`, `"text"`.
    private static func shown(_ value: String) -> String {
        SysctlValue.json(value).text
    }
}
