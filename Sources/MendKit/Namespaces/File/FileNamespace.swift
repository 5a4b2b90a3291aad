/// The `file` namespace: read, test, write, edit by line and remove files. Every change is a
/// ``Change`` of a ``FileResource``, so it is planned, journalled and undone exactly, a file
/// that did not exist included.
public enum FileNamespace {
    typealias Param = Builtin.Param
    static let resource = FileResource()

    /// The `file` builtins, registered by ``Registry/standard()``.
    public static let table = NamespaceTable("file", doc: "Files: read, exists, sha256, elf, glob, write (atomic), line, remove; paths resolve under --root.",
                                             resources: [resource], [
        .function("read", [Param("path", completes: .absolutePath)], doc: """
            The content of a text file.
            In a plan it is the planned content. A missing file or one that is not UTF-8 text is an error
            (test with file.exists first).
            """, example: #"file.read("/etc/hostname").trim()"#, body: read),
        .function("exists", [Param("path", completes: .absolutePath)], doc: """
            True when a regular file exists at the path (in a plan: will exist); false for a directory.
            """, example: #"file.exists("/etc/os-release")"#, body: exists),
        .function("write", [Param("path", completes: .absolutePath), Param("text"), .optional("mode"), .optional("owner")],
                  changesHost: true, doc: """
            Makes a file hold exactly this text; returns true when it had to change.
            The file is replaced atomically (a temporary file in the same directory, flushed, then renamed), so
            readers never see half of it; a symbolic link stays a link and its target is written. mode (an int
            such as 0o640 or a string "0640") and owner ("user", "user:group" or ":group", names from the root's
            /etc/passwd and /etc/group) default to the file's current ones, or 0644 and this process's user
            for a new file. Missing directories above it are created. Undo restores the old content, mode and
            owner, or removes the file (and the directories made for it) when it did not exist.
            """, example: """
            step "motd" {
              file.write("/etc/motd", "Managed by mend\\n", mode: 0o644)
            }
            """, body: write),
        .function("line", [Param("path", completes: .absolutePath), Param("line"), .optional("match")], changesHost: true, doc: """
            Makes sure a file contains a line; returns true when it had to change.
            With match (a regular expression, the syntax of matches), the last line that matches is replaced
            by line, and line is appended when none does; without it, line is appended unless the file already has it. A missing
            file is created (mode 0644) with just that line. Other lines stay as they are.
            """, example: """
            step "swappiness persisted" {
              file.line("/etc/sysctl.d/90-node.conf", "vm.swappiness = 1", match: '^\\s*vm\\.swappiness\\s*=')
            }
            """, body: line),
        .function("remove", [Param("path", completes: .absolutePath)], changesHost: true, doc: """
            Removes a file; returns true when there was one.
            Undo puts it back with its content, mode and owner.
            """, example: """
            step "no stale lock" {
              file.remove("/var/run/node.lock")
            }
            """, body: remove),
        sha256,
        elf,
        glob,
    ])

    static func read(_ args: inout Arguments) throws -> Value {
        let path = try args.name(0)
        let state = try current(path, args)
        guard state.exists else { throw MendError("file.read: \(path) does not exist") }
        if let reason = state.unknown { throw MendError("file.read: \(reason)", kind: .permission) }
        guard let text = String(validating: state.content, as: UTF8.self) else {
            throw MendError("file.read: \(path) is not UTF-8 text")
        }
        return .string(text)
    }

    static func exists(_ args: inout Arguments) throws -> Value {
        do {
            return .bool(try current(try args.name(0), args).exists)
        } catch let error as HostError where error.isNotARegularFile {
            return .bool(false)
        }
    }

    static func write(_ args: inout Arguments) throws -> Value {
        let path = try args.name(0)
        let text = try args.string(1)
        let before = try current(path, args)
        var after = before.exists ? before : FileResource.State(newFileOn: args.context.effects.host)
        after.content = Array(text.utf8)
        after.missingDirectories = []
        after.unknown = nil
        if let mode = args.optional(2) { after.mode = try fileMode(mode, args) }
        if let owner = try args.optionalString(3, expected: ownerForm) { (after.uid, after.gid) = try fileOwner(owner, current: after, args) }
        return .bool(try change(path, before, after, args))
    }

    static func line(_ args: inout Arguments) throws -> Value {
        let path = try args.name(0)
        let line = try args.string(1)
        guard !line.contains("\n") else { throw MendError("file.line: 'line' must be one line, without \\n") }
        let pattern = try args.optionalString(2, expected: "a string (a regex)")
        let before = try current(path, args)
        if let reason = before.unknown {
            throw MendError("file.line: \(reason) (a plan cannot edit lines it cannot read)", kind: .permission)
        }
        var after = before.exists ? before : FileResource.State(newFileOn: args.context.effects.host)
        guard let text = String(validating: after.content, as: UTF8.self) else {
            throw MendError("file.line: \(path) is not UTF-8 text")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let original = lines
        if let pattern {
            let regex: RegexPattern
            do { regex = try RegexPattern(pattern) } catch { throw MendError("file.line: invalid regex \(Value.quote(pattern)): \(error)") }
            if let k = try lines.lastIndex(where: { try regex.matches($0) }) {
                lines[k] = line
            } else {
                lines.append(line)
            }
        } else if !lines.contains(line) {
            lines.append(line)
        }
        // Already there: leave the file alone, even a last line without its newline.
        if before.exists, lines == original { return .bool(false) }
        after.content = Array((lines.joined(separator: "\n") + "\n").utf8)
        after.missingDirectories = []
        return .bool(try change(path, before, after, args))
    }

    static func remove(_ args: inout Arguments) throws -> Value {
        let path = try args.name(0)
        let before = try current(path, args)
        guard before.exists else { return .bool(false) }
        return .bool(try change(path, before, FileResource.State(exists: false), args))
    }

    /// The file's state as the run sees it (planned in a plan).
    private static func current(_ path: String, _ args: Arguments) throws -> FileResource.State {
        let json = try args.context.effects.state(of: resource, path)
        guard let state = FileResource.State(json) else { throw MendError("\(path): unreadable file state") }
        return state
    }

    /// Hands the change to the engine; false when there was nothing to change.
    private static func change(_ path: String, _ before: FileResource.State, _ after: FileResource.State,
                               _ args: Arguments) throws -> Bool {
        guard !resource.same(before.json, after.json) else { return false }
        try args.context.effects.perform(Change(resource, target: path, before: before.json, after: after.json,
                                                note: note(before, after)))
        return true
    }

    /// The change that makes the file at `path` hold `text` (nil: no file), as this run sees it, or
    /// nil when it already does: for namespaces that keep a file of their own (a new one gets `mode`).
    static func textChange(_ path: String, to text: String?, mode: UInt32 = 0o644, _ effects: any Effects) throws -> Change? {
        guard let before = FileResource.State(try effects.state(of: resource, path)) else {
            throw MendError("\(path): unreadable file state")
        }
        var after = FileResource.State(exists: false)
        if let text {
            after = before.exists ? before : FileResource.State(newFileOn: effects.host)
            if !before.exists { after.mode = mode }
            after.content = Array(text.utf8)
            after.missingDirectories = []
            after.unknown = nil
        }
        guard !resource.same(before.json, after.json) else { return nil }
        return Change(resource, target: path, before: before.json, after: after.json, note: note(before, after))
    }

    /// The text of the file at `path` as this run sees it; nil when there is none or it is not UTF-8.
    static func text(_ path: String, _ effects: any Effects) throws -> String? {
        guard let state = FileResource.State(try effects.state(of: resource, path)), state.exists, state.unknown == nil else { return nil }
        return String(validating: state.content, as: UTF8.self)
    }

    /// "created (mode 0644)", "removed", "content changed, mode 0644 → 0600", "owner 0:0 → 1000:1000".
    static func note(_ before: FileResource.State, _ after: FileResource.State) -> String? {
        if !before.exists { return "created (mode \(octal(after.mode)))" }
        if !after.exists { return "removed" }
        var parts: [String] = []
        if before.unknown != nil {
            parts.append("content unknown (not readable here)")
        } else if before.content != after.content {
            parts.append("content changed")
        }
        if before.mode != after.mode { parts.append("mode \(octal(before.mode)) → \(octal(after.mode))") }
        if before.uid != after.uid || before.gid != after.gid {
            parts.append("owner \(before.uid):\(before.gid) → \(after.uid):\(after.gid)")
        }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private static func fileMode(_ value: Value, _ args: Arguments) throws -> UInt32 {
        let mode: Int?
        switch value {
        case .int(let i): mode = i
        case .string(let s): mode = Int(s, radix: 8)
        default: throw args.typeError(2, expected: "an int such as 0o644 or a string such as \"0644\"", got: value)
        }
        guard let mode, (0...0o7777).contains(mode) else {
            throw MendError("file.write: mode must be between 0 and 0o7777, got \(value.literal)")
        }
        return UInt32(mode)
    }

    private static let ownerForm = "a string such as \"root\" or \"node:node\""

    /// The uid and gid an owner argument names (`user`, `user:group`, `:group`) in the root's files.
    private static func fileOwner(_ text: String, current: FileResource.State, _ args: Arguments) throws -> (UInt32, UInt32) {
        guard !text.isEmpty else { throw args.typeError(3, expected: ownerForm, got: .string(text)) }
        let host = args.context.effects.host
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let uid = parts[0].isEmpty ? current.uid : try host.id(of: parts[0], group: false)
        let gid = parts.count > 1 && !parts[1].isEmpty ? try host.id(of: parts[1], group: true) : current.gid
        return (uid, gid)
    }
}
