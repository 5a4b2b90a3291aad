/// The `selinux` namespace: the mode (a fact, declared with the other facts), a file's label, and
/// the changes the seed's CentOS 7 hosts need — a file-context rule, a relabel, a port type —
/// each a ``Change`` that is planned, journalled and undone. The changes go through semanage and
/// restorecon on the live host only (see ``SelinuxTools``); reads of labels work anywhere.
public enum SelinuxNamespace {
    typealias Param = Builtin.Param
    static let label = SelinuxLabelResource()
    static let fcontextRule = SelinuxCustomisationResource(.fcontext)
    static let portType = SelinuxCustomisationResource(.port)

    /// The `selinux` builtins, `selinux.mode` included, registered by ``Registry/standard()``.
    public static let table = NamespaceTable(
        "selinux", doc: "SELinux: mode, context(path); fcontext, restorecon, port (undoable, through semanage and restorecon).",
        resources: [label, fcontextRule, portType],
        FactsNamespace.facts.filter { $0.namespace == "selinux" }.map(\.declaration) + [
        .function("context", [Param("path", completes: .absolutePath)], doc: """
            The SELinux label of a file: "system_u:object_r:bin_t:s0", or nil when it has none.
            The security.selinux extended attribute of the path itself (a symbolic link's own label, as ls -Z
            shows it), read under --root too; nil on a file system that keeps no labels. In a plan, the label
            a planned selinux.restorecon gives. A missing file is an error naming it.
            """, example: #"selinux.context("/etc/hostname")  # "system_u:object_r:etc_t:s0" on CentOS 7, nil without SELinux"#,
            body: context),
        .function("fcontext", [Param("path_regex"), Param("type")], changesHost: true, doc: """
            Makes the policy label files matching a path regex with a type; returns true when it had to change.
            A local rule for all kinds of file: semanage fcontext -a -t TYPE REGEX, or -m when a local rule for
            the regex has another type (or the policy itself has one). The current rules are those of
            semanage fcontext -l -C. Files keep their labels until relabelled: follow with selinux.restorecon.
            Undo deletes the rule (-d) or puts the old type back (-m).
            """, example: """
            step "node binary labelled" when selinux.mode != "disabled" {
              selinux.fcontext("/opt/node/bin(/.*)?", "bin_t")
            }
            """, body: fcontext),
        .function("restorecon", [Param("path", completes: .absolutePath), .optional("recursive")], changesHost: true, doc: """
            Relabels a file (recursive: true, a tree) as the policy says; returns true when a label changed.
            restorecon -n -v PATH (-R when recursive) says which files it would relabel and to what; each of
            them is then a change of its own, journalled with its old label before the new one is written.
            Undo writes the old labels back.
            """, example: """
            step "node binary relabelled" when selinux.mode != "disabled" {
              selinux.restorecon("/etc/hostname")
            }
            """, body: restorecon),
        .function("port", [Param("port"), Param("proto"), Param("type")], changesHost: true, doc: """
            Gives a network port a type in the policy; returns true when it had to change.
            semanage port -a -t TYPE -p PROTO PORT, or -m when the port is defined with another type. proto
            is tcp, udp, dccp or sctp. The current definitions are those of semanage port -l -C (single
            ports; a range is not a definition of one of its ports). Undo deletes it (-d) or puts the old
            type back (-m).
            """, example: """
            step "RPC port typed" when selinux.mode != "disabled" {
              selinux.port(8545, "tcp", "http_port_t")
            }
            """, body: port),
    ])

    static func context(_ args: inout Arguments) throws -> Value {
        let path = try absolutePath(args, 0)
        let state = try args.naming { try args.context.effects.state(of: label, path) }
        switch state {
        case .null: return .null
        case .string(let context): return .string(context)
        default:
            throw MendError("selinux.context: the label of \(path) is not known in this plan: "
                            + (state["unknown"]?.string ?? "a planned relabel"), kind: .host)
        }
    }

    static func fcontext(_ args: inout Arguments) throws -> Value {
        let regex = try args.name(0, .noControlCharacters)
        guard regex.hasPrefix("/"), !regex.contains(where: { $0 == " " || $0 == "\t" }) else {
            throw MendError("selinux.fcontext: 'path_regex' must be an absolute path regex without spaces, such as \"/opt/node(/.*)?\", got \(Value.quote(regex))")
        }
        let type = try selinuxType(args, 1)
        return try setType(args, fcontextRule, target: regex, type: type)
    }

    static func port(_ args: inout Arguments) throws -> Value {
        let number = try args.int(0)
        guard (1...65535).contains(number) else { throw MendError("selinux.port: 'port' must be between 1 and 65535, got \(number)") }
        let proto = try args.name(1, .noControlCharacters)
        guard SelinuxNames.protocols.contains(proto) else {
            throw MendError("selinux.port: 'proto' must be one of " + SelinuxNames.protocols.sorted().joined(separator: ", ")
                            + ", got \(Value.quote(proto))" + Suggest.hint(for: proto, in: SelinuxNames.protocols.sorted()))
        }
        let type = try selinuxType(args, 2)
        return try setType(args, portType, target: "\(proto)/\(number)", type: type)
    }

    static func restorecon(_ args: inout Arguments) throws -> Value {
        let path = try absolutePath(args, 0)
        let recursive = try args.optionalBool(1) ?? false
        let effects = args.context.effects
        return try args.naming {
            try SelinuxTools.ready(args.builtin.qualifiedName, effects)
            let before = try effects.state(of: label, path)
            guard effects.host.isLive else {
                // Which files the root's policy would relabel cannot be known here.
                let after = JSON.object([("unknown", .string("the label restorecon gives (--root)"))])
                try effects.perform(Change(label, target: path, before: before, after: after, note: SelinuxTools.rootNote))
                return .bool(true)
            }
            let output = try SelinuxTools.restorecon(["-n", "-v"] + (recursive ? ["-R"] : []) + [path], on: effects.host)
            var changed = false
            for relabel in SelinuxListing.relabels(output) {
                let old = try effects.state(of: label, relabel.path)
                let new = JSON.string(relabel.context)
                guard old != new else { continue }
                try effects.perform(Change(label, target: relabel.path, before: old, after: new, note: "restorecon"))
                changed = true
            }
            return .bool(changed)
        }
    }

    /// Plans or makes a semanage customisation of `target` give `type`.
    private static func setType(_ args: Arguments, _ resource: any Resource, target: String, type: String) throws -> Value {
        let effects = args.context.effects
        return try args.naming {
            try SelinuxTools.ready(args.builtin.qualifiedName, effects)
            let before = try effects.state(of: resource, target)
            let after = JSON.string(type)
            guard before != after else { return .bool(false) }
            try effects.perform(Change(resource, target: target, before: before, after: after,
                                       note: effects.host.isLive ? nil : SelinuxTools.rootNote))
            return .bool(true)
        }
    }

    /// An SELinux type name argument: `bin_t`.
    private static func selinuxType(_ args: Arguments, _ index: Int) throws -> String {
        let type = try args.name(index, .noControlCharacters)
        guard SelinuxNames.isType(type) else {
            throw MendError("\(args.builtin.qualifiedName): 'type' must be an SELinux type name such as \"bin_t\" "
                            + "(letters, digits, _), got \(Value.quote(type))")
        }
        return type
    }

    /// An absolute path argument without control characters (restorecon reads names one per line).
    private static func absolutePath(_ args: Arguments, _ index: Int) throws -> String {
        let path = try args.name(index, .noControlCharacters)
        guard path.hasPrefix("/") else {
            throw MendError("\(args.builtin.qualifiedName): 'path' must be absolute (start with /), got \(Value.quote(path))")
        }
        return path
    }
}
