/// The `sysfs` namespace: kernel settings under /sys, read, chosen and set, undoably. Paths are
/// relative to /sys (`kernel/mm/transparent_hugepage/enabled`) or absolute (`/sys/…`) and resolve
/// under `--root`. Changes are ``Change``s of a ``SysfsResource``.
public enum SysfsNamespace {
    typealias Param = Builtin.Param
    static let resource = SysfsResource()
    /// Paths relative to /sys, or absolute ones under it.
    static let paths = ArgumentCompletion.path(under: "/sys")

    /// The `sysfs` builtins, registered by ``Registry/standard()``.
    public static let table = NamespaceTable(
        "sysfs", doc: "Kernel settings under /sys: get, choice (the bracketed option), set (undoable).", resources: [resource], [
        .function("get", [Param("path", completes: paths)], doc: """
            The content of a file under /sys, without surrounding white space.
            The path is relative to /sys ("kernel/mm/transparent_hugepage/enabled") or absolute ("/sys/…").
            A choice file reads as the kernel shows it, "always madvise [never]"; in a plan it shows the
            planned choice. A missing file is an error that names it.
            """, example: #"sysfs.get("devices/system/cpu/online")  # "0-7""#, body: get),
        .function("choice", [Param("path", completes: paths)], doc: """
            The bracketed option of a choice file: "never" for "always madvise [never]".
            Transparent huge pages, I/O schedulers and other kernel switches show their options this way.
            A file without a bracketed option is an error (read it with sysfs.get).
            """, example: """
            if file.exists("/sys/kernel/mm/transparent_hugepage/enabled") {
              print(sysfs.choice("kernel/mm/transparent_hugepage/enabled"))  # madvise, on most distributions
            }
            """, body: choice),
        .function("set", [Param("path", completes: paths), Param("value")], changesHost: true, doc: """
            Sets a file under /sys; returns true when it had to change.
            For a choice file the value must be one of its options (an error lists them) and the comparison
            is with the bracketed one; otherwise with the content. The value (a string or an int) is written
            with one write(), as the kernel expects. Undo writes the old value back. Writing needs root:
            permission denied is exit 77.
            """, example: """
            step "transparent huge pages off" when file.exists("/sys/kernel/mm/transparent_hugepage/enabled") {
              sysfs.set("kernel/mm/transparent_hugepage/enabled", "never")
            }
            """, body: set),
    ])

    static func get(_ args: inout Arguments) throws -> Value {
        let target = try SysfsResource.path(try args.name(0), in: args.builtin.qualifiedName)
        return try args.naming {
            let host = args.context.effects.host
            let content = try SysfsResource.content(of: target, on: host)
            let state = try args.context.effects.state(of: resource, target).string ?? content
            if let choice = SysfsChoice(content), choice.options.contains(state) {
                return .string(choice.rendered(choosing: state))
            }
            return .string(state)
        }
    }

    static func choice(_ args: inout Arguments) throws -> Value {
        let target = try SysfsResource.path(try args.name(0), in: args.builtin.qualifiedName)
        return try args.naming {
            _ = try choiceFile(target, args)
            return .string(try args.context.effects.state(of: resource, target).string ?? "")
        }
    }

    static func set(_ args: inout Arguments) throws -> Value {
        let target = try SysfsResource.path(try args.name(0), in: args.builtin.qualifiedName)
        let value = try settable(args)
        return try args.naming {
            let host = args.context.effects.host
            if let choice = SysfsChoice(try SysfsResource.content(of: target, on: host)), !choice.options.contains(value) {
                throw MendError("sysfs.set: \(Value.quote(value)) is not an option of \(target)"
                    + Suggest.hint(for: value, in: choice.options) + "; options: " + choice.options.joined(separator: ", "))
            }
            let before = try args.context.effects.state(of: resource, target)
            let after = JSON.string(value)
            guard !resource.same(before, after) else { return .bool(false) }
            try args.context.effects.perform(Change(resource, target: target, before: before, after: after))
            return .bool(true)
        }
    }

    /// The options of a choice file; an error when it has none.
    private static func choiceFile(_ target: String, _ args: Arguments) throws -> SysfsChoice {
        let content = try SysfsResource.content(of: target, on: args.context.effects.host)
        guard let choice = SysfsChoice(content) else {
            throw MendError("sysfs.choice: \(target) has no bracketed choice (it holds \(Value.quote(content)); read it with sysfs.get)")
        }
        return choice
    }

    /// The value to write: a string or an int, on one line.
    private static func settable(_ args: Arguments) throws -> String {
        let value = try args.value(1)
        let text: String
        switch value {
        case .string(let s): text = s.trimmingCharacters()
        case .int(let i): text = String(i)
        default: throw args.typeError(1, expected: "a string or an int", got: value)
        }
        guard !text.isEmpty, !text.contains("\n"), !text.utf8.contains(0) else {
            throw MendError("sysfs.set: the value must be one non-empty line, got \(value.literal)")
        }
        return text
    }
}
