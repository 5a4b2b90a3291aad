/// A local customisation of the SELinux policy that semanage keeps, as a type or null for none:
/// - kind `selinux-fcontext`, target a path regex (`/opt/node(/.*)?`): the type of the local
///   file-context rule for all kinds of file, from `semanage fcontext -l -C`;
/// - kind `selinux-port`, target `tcp/8545`: the local type of that one port, from
///   `semanage port -l -C`.
///
/// Written with `semanage fcontext|port` `-a`, `-m` or `-d`. Under `--root` it reads as unknown
/// and cannot be written.
public struct SelinuxCustomisationResource: Resource {
    /// What semanage customises: its subcommand.
    public enum Object: String, Sendable {
        case fcontext, port
    }

    public let object: Object
    public var kind: String { "selinux-\(object.rawValue)" }
    public init(_ object: Object) { self.object = object }

    public func read(_ target: String, on host: Host) throws -> JSON {
        guard host.isLive else { return SelinuxTools.unknownUnderRoot }
        let listing = try SelinuxTools.semanage([object.rawValue, "-l", "-C"], on: host)
        let types = object == .fcontext ? SelinuxListing.fcontextTypes(listing) : SelinuxListing.portTypes(listing)
        return types[target].map(JSON.string) ?? .null
    }

    public func write(_ target: String, _ state: JSON, on host: Host) throws {
        let wanted = try SelinuxTypeState.wanted(state, kind, target, on: host)
        let rest = try arguments(target)
        let now = try read(target, on: host).string
        guard now != wanted else { return }
        if let wanted {
            try SelinuxTools.semanageSet(object.rawValue, type: wanted, rest, modify: now != nil, on: host)
        } else {
            try SelinuxTools.semanage([object.rawValue, "-d"] + rest, on: host)
        }
    }

    public func reportValue(_ state: JSON) -> JSON { SelinuxTypeState.shown(state) }

    public func unknownState(_ target: String, reason: String, on host: Host) -> JSON? {
        .object([("unknown", .string(reason))])
    }

    /// What names the customised object on semanage's command line: the regex, or `-p tcp 8545`.
    private func arguments(_ target: String) throws -> [String] {
        guard object == .port else { return [target] }
        let parts = target.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, SelinuxNames.protocols.contains(parts[0]), let port = Int(parts[1]) else {
            throw HostError("selinux-port \(target): not a port such as tcp/8545")
        }
        return ["-p", parts[0], String(port)]
    }
}

/// The states of the two semanage resources: a type name, null for none, or unknown.
enum SelinuxTypeState {
    /// The type a state asks for (nil: no local customisation); an error for an unknown or damaged
    /// state, and on a host whose policy semanage cannot change (--root).
    static func wanted(_ state: JSON, _ kind: String, _ target: String, on host: Host) throws -> String? {
        guard host.isLive else {
            throw HostError("\(kind) \(target): semanage cannot change the policy of --root \(host.root) (it has no root option)")
        }
        switch state {
        case .null: return nil
        case .string(let type) where SelinuxNames.isType(type): return type
        default: throw HostError("\(kind) \(target): the recorded state is damaged or unknown")
        }
    }

    static func shown(_ state: JSON) -> JSON {
        switch state {
        case .null: return .string("none")
        case .string: return state
        default: return state["unknown"].map { .string("unknown: \($0.string ?? "")") } ?? state
        }
    }
}

/// The SELinux label of a file (kind `selinux-label`, target its path): its `security.selinux`
/// extended attribute as text (`"system_u:object_r:bin_t:s0"`), or null when it has none (a file
/// system without labels). Read and written through the host's extended attributes, as
/// `ls -Z` and `chcon -h` do: the label of the path itself, a link's own label for a link.
/// A file that does not exist is an error naming it.
public struct SelinuxLabelResource: Resource {
    public var kind: String { "selinux-label" }
    public init() {}
    static let attribute = "security.selinux"

    public func read(_ target: String, on host: Host) throws -> JSON {
        let resolved = try Self.existing(target, on: host)
        guard var bytes = try host.extendedAttribute(Self.attribute, of: resolved) else { return .null }
        // The kernel and libselinux store the label with its C terminator.
        while bytes.last == 0 { bytes.removeLast() }
        return .string(String(decoding: bytes, as: UTF8.self))
    }

    public func write(_ target: String, _ state: JSON, on host: Host) throws {
        let resolved = try Self.existing(target, on: host)
        switch state {
        case .null: try host.removeExtendedAttribute(Self.attribute, of: resolved)
        case .string(let label) where !label.isEmpty && Arguments.refused(in: label, .noControlCharacters) == nil:
            try host.setExtendedAttribute(Self.attribute, Array(label.utf8) + [0], of: resolved)
        default: throw HostError("selinux-label \(target): the recorded label is damaged or unknown")
        }
    }

    public func reportValue(_ state: JSON) -> JSON { SelinuxTypeState.shown(state) }

    /// The resolved path of an existing file: its directory resolved under the root, the last
    /// component kept, so a link is labelled itself as restorecon does.
    static func existing(_ target: String, on host: Host) throws -> String {
        let resolved = target == "/" ? try host.resolve(target) : try host.resolveLink(target)
        guard try host.info(resolved) != nil else { throw HostError.notFound("\(target) does not exist") }
        return resolved
    }
}
