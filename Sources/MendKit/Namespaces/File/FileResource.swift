/// A file's existence, content, mode and owner: the state `file.*` builtins change (kind `file`).
///
/// As JSON: `{"exists": false, "missing_dirs": […]}` or `{"exists": true, "mode": 420, "uid": 0,
/// "gid": 0, "text": "…"}` (`"base64"` instead of `"text"` for content that is not UTF-8).
/// `missing_dirs` lists the directories a new file needs, so undo removes them again.
public struct FileResource: Resource {
    public var kind: String { "file" }
    /// Larger contents are shown in reports by digest and size.
    public static let reportLimit = 64 << 10

    public init() {}

    /// A file state in plain Swift.
    public struct State: Equatable {
        public var exists: Bool
        public var mode: UInt32 = 0o644
        public var uid: UInt32 = 0
        public var gid: UInt32 = 0
        public var content: [UInt8] = []
        public var missingDirectories: [String] = []
        /// Why the content is not known (a plan without the privilege to read it); nil when it is.
        public var unknown: String?

        public init(exists: Bool, mode: UInt32 = 0o644, uid: UInt32 = 0, gid: UInt32 = 0, content: [UInt8] = [],
                    missingDirectories: [String] = []) {
            self.exists = exists
            self.mode = mode
            self.uid = uid
            self.gid = gid
            self.content = content
            self.missingDirectories = missingDirectories
        }

        /// A new, empty file as mend creates one: mode 0644, owned by this process's user.
        public init(newFileOn host: Host) {
            self.init(exists: true, mode: 0o644, uid: host.effectiveUserID, gid: host.effectiveGroupID)
        }

        public var json: JSON {
            guard exists else {
                return missingDirectories.isEmpty ? .object([("exists", .bool(false))])
                    : .object([("exists", .bool(false)), ("missing_dirs", .array(missingDirectories.map(JSON.string)))])
            }
            let body: (String, JSON) = unknown.map { ("unknown", .string($0)) }
                ?? String(validating: content, as: UTF8.self).map { ("text", .string($0)) }
                ?? ("base64", .string(Base64.encode(content)))
            return .object([("exists", .bool(true)), ("mode", .int(Int(mode))), ("uid", .int(Int(uid))),
                            ("gid", .int(Int(gid))), body])
        }

        public init?(_ json: JSON) {
            guard let exists = json["exists"]?.bool else { return nil }
            self.exists = exists
            missingDirectories = json["missing_dirs"]?.array?.compactMap(\.string) ?? []
            guard exists else { return }
            guard let mode = json["mode"]?.int, let uid = json["uid"]?.int, let gid = json["gid"]?.int else { return nil }
            self.mode = UInt32(truncatingIfNeeded: mode)
            self.uid = UInt32(truncatingIfNeeded: uid)
            self.gid = UInt32(truncatingIfNeeded: gid)
            if let reason = json["unknown"]?.string {
                unknown = reason
            } else if let text = json["text"]?.string {
                content = Array(text.utf8)
            } else if let encoded = json["base64"]?.string, let bytes = Base64.decode(encoded) {
                content = bytes
            } else {
                return nil
            }
        }
    }

    public func read(_ target: String, on host: Host) throws -> JSON {
        try readState(target, on: host).json
    }

    /// The current state of the file at `target`.
    public func readState(_ target: String, on host: Host) throws -> State {
        let resolved = try host.resolve(target)
        guard let info = try host.info(resolved) else {
            // Through a dangling link, the directories missing are the link target's.
            return State(exists: false, missingDirectories: try missingDirectories(above: host.shown(resolved), on: host))
        }
        guard info.isRegular else {
            let message = "\(target) is not a regular file"
            throw info.isDirectory ? HostError.directory(message) : HostError.notARegularFile(message)
        }
        return State(exists: true, mode: info.mode, uid: info.uid, gid: info.gid, content: try host.read(resolved) ?? [])
    }

    public func write(_ target: String, _ json: JSON, on host: Host) throws {
        guard let state = State(json), state.unknown == nil else { throw HostError("\(target): the recorded file state is damaged") }
        if state.exists {
            for dir in try missingDirectories(above: host.shown(host.resolve(target)), on: host) {
                try host.makeDirectory(host.resolve(dir))
            }
            try host.writeAtomically(host.resolve(target), state.content, mode: state.mode, uid: state.uid, gid: state.gid)
        } else {
            try host.remove(host.resolve(target))
            for dir in state.missingDirectories.reversed() { try host.removeDirectory(host.resolve(dir)) }
        }
    }

    /// The directories above `target` that do not exist, outermost first.
    private func missingDirectories(above target: String, on host: Host) throws -> [String] {
        var missing: [String] = []
        var dir = host.parent(of: target)
        while dir != "/", try host.info(host.resolve(dir)) == nil {
            missing.insert(dir, at: 0)
            dir = host.parent(of: dir)
        }
        return missing
    }

    /// A file that exists but may not be read: its mode and owner, with the content unknown.
    public func unknownState(_ target: String, reason: String, on host: Host) -> JSON? {
        guard let resolved = try? host.resolve(target), let info = try? host.info(resolved), info.isRegular else { return nil }
        var state = State(exists: true, mode: info.mode, uid: info.uid, gid: info.gid)
        state.unknown = reason
        return state.json
    }

    public func reportValue(_ json: JSON) -> JSON {
        guard let state = State(json), state.exists else { return .null }
        if let reason = state.unknown { return .object([("unknown", .string(reason))]) }
        if state.content.count <= FileResource.reportLimit, let text = String(validating: state.content, as: UTF8.self) {
            return .string(text)
        }
        return .object([("sha256", .string(SHA256.hex(state.content))), ("bytes", .int(state.content.count))])
    }

    /// Two states are the same when the file is; for a missing file, also when the same
    /// directories above it are missing — a write killed after creating them is not undone until
    /// they are gone again.
    public func same(_ a: JSON, _ b: JSON) -> Bool {
        guard var x = State(a), var y = State(b) else { return a == b }
        if x.exists || y.exists {
            x.missingDirectories = []
            y.missingDirectories = []
        } else {
            x.missingDirectories.sort()
            y.missingDirectories.sort()
        }
        return x == y
    }

    public var showsDiff: Bool { true }
}
