/// A kernel parameter's name: `net.core.somaxconn`, the file `/proc/sys/net/core/somaxconn`.
///
/// Names are kept in dotted form. As in sysctl.d(5), a name may also be written with `/`: when its
/// first separator is a slash, dots and slashes are swapped, so `net/ipv4/conf/eth0.200/forwarding`
/// and `net.ipv4.conf.eth0/200.forwarding` are the same key (a dot inside a path component becomes
/// a slash in the dotted form).
struct SysctlKey: Hashable, CustomStringConvertible {
    /// The dotted form: `net.ipv4.conf.eth0/200.forwarding`.
    let name: String

    /// Parses a key as a runbook or a configuration file writes it. The empty key (`""`) is the
    /// root of /proc/sys, which only `sysctl.list` accepts.
    init(_ text: String, allowEmpty: Bool = false) throws {
        let trimmed = SysctlValue.trim(text)
        let firstSeparator = trimmed.first { $0 == "/" || $0 == "." }
        var dotted = firstSeparator == "/" ? SysctlKey.swapSeparators(trimmed) : trimmed
        // A trailing separator (`net.core.`) names the same directory as without it.
        while dotted.hasSuffix(".") { dotted.removeLast() }
        if dotted.isEmpty, allowEmpty {
            name = ""
            return
        }
        let parts = SysctlKey.swapSeparators(dotted).split(separator: "/", omittingEmptySubsequences: false)
        guard !dotted.isEmpty, !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }),
              !dotted.contains(where: { $0 == "\0" || $0.isWhitespace || $0 == "=" }) else {
            throw MendError("'\(text)' is not a sysctl key (write it like net.core.somaxconn)")
        }
        name = dotted
    }

    /// The key of a file found under /proc/sys, from its path components below it.
    init(components: [String]) {
        name = components.map { SysctlKey.swapSeparators($0) }.joined(separator: ".")
    }

    /// The key's file: `/proc/sys/net/core/somaxconn` (`/proc/sys` for the empty key).
    var path: String { name.isEmpty ? "/proc/sys" : "/proc/sys/" + SysctlKey.swapSeparators(name) }

    /// The key's name components as directory and file names (`eth0.200`, not `eth0/200`).
    var components: [String] {
        name.isEmpty ? [] : SysctlKey.swapSeparators(name).split(separator: "/").map(String.init)
    }

    var description: String { name }

    /// `a.b/c` ⇄ `a/b.c`.
    static func swapSeparators(_ s: String) -> String {
        String(s.map { $0 == "." ? "/" : $0 == "/" ? "." : $0 })
    }
}

/// How sysctl values look to runbooks and to the kernel.
enum SysctlValue {
    /// The value as the state keeps it: without the surrounding whitespace (the kernel's newline),
    /// and with the numbers of a multi-number value separated by one tab, as the kernel prints them.
    /// Other text keeps its inner spaces (a `kernel.core_pattern` command line).
    static func normalized(_ raw: String) -> String {
        let trimmed = trim(raw)
        let words = tokens(trimmed)
        if words.count > 1, words.allSatisfy({ Int($0) != nil }) { return words.joined(separator: "\t") }
        return trimmed
    }

    /// The words of a value: what two values must share to be the same setting.
    static func tokens(_ s: String) -> [String] {
        s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).map(String.init)
    }

    /// A value typed for runbooks: one integer → int, several integers → list of ints, otherwise
    /// the text. Numbers beyond 64 bits stay text.
    static func typed(_ raw: String) -> Value {
        let words = tokens(raw)
        let numbers = words.compactMap { Int($0) }
        if !words.isEmpty, numbers.count == words.count {
            return numbers.count == 1 ? .int(numbers[0]) : .list(ListRef(numbers.map(Value.int)))
        }
        return .string(trim(raw))
    }

    /// The typed value as JSON, for reports.
    static func json(_ raw: String) -> JSON {
        switch typed(raw) {
        case .int(let i): return .int(i)
        case .list(let l): return .array(l.items.compactMap { if case .int(let i) = $0 { return JSON.int(i) } else { return nil } })
        default: return .string(trim(raw))
        }
    }

    /// The text to write for a runbook value: an int, a size (bytes), a string, or a list of those
    /// (joined with a tab, as the kernel prints multi-value keys). nil for any other type.
    static func text(of value: Value) -> String? {
        switch value {
        case .int(let i): return String(i)
        case .size(let bytes): return String(bytes)
        case .string(let s): return trim(s)
        case .list(let l):
            var parts: [String] = []
            for item in l.items {
                switch item {
                case .int(let i): parts.append(String(i))
                case .size(let bytes): parts.append(String(bytes))
                case .string(let s) where !trim(s).isEmpty: parts.append(trim(s))
                default: return nil
                }
            }
            return parts.isEmpty ? nil : parts.joined(separator: "\t")
        default: return nil
        }
    }

    /// Without the spaces, tabs and line ends around it.
    static func trim(_ s: String) -> String {
        var rest = Substring(s)
        while let c = rest.first, c.isWhitespace { rest.removeFirst() }
        while let c = rest.last, c.isWhitespace { rest.removeLast() }
        return String(rest)
    }
}

/// A kernel parameter's live value under /proc/sys (kind `sysctl`, target the dotted key).
///
/// As JSON: `{"value": "65535"}`, the value as ``SysctlValue/normalized(_:)`` keeps it. Writing
/// it is one `write()` of the value and a newline to the key's file; reports show the typed value
/// (`4096`, `[32768, 60999]`, `"text"`).
public struct SysctlResource: Resource {
    public var kind: String { "sysctl" }

    public init() {}

    /// The state holding `value`.
    static func state(_ value: String) -> JSON { .object([("value", .string(SysctlValue.normalized(value)))]) }

    public func read(_ target: String, on host: Host) throws -> JSON {
        let key = try SysctlKey(target)
        let (resolved, info) = try existingFile(key, on: host)
        if info.mode & 0o444 == 0 {
            // vm.drop_caches and the like: an action, not a state (and not undoable).
            throw MendError("\(key) is write-only: its value cannot be read, so mend can neither show nor undo it")
        }
        do throws(HostError) {
            let bytes = try host.read(resolved) ?? []
            return SysctlResource.state(String(decoding: bytes, as: UTF8.self))
        } catch {
            throw HostError("cannot read \(key): \(HostError.reason(error.code))", code: error.code)
        }
    }

    public func write(_ target: String, _ state: JSON, on host: Host) throws {
        let key = try SysctlKey(target)
        guard let value = state["value"]?.string else { throw HostError("\(key): the recorded sysctl state is damaged") }
        let (resolved, _) = try existingFile(key, on: host)
        do throws(HostError) {
            try host.writeInPlace(resolved, Array((value + "\n").utf8))
        } catch where error.isPermissionDenied {
            // Exit 77, naming the key rather than its file.
            throw HostError("cannot write \(key): \(HostError.reason(error.code))", code: error.code)
        } catch where error.isRejectedValue {
            throw MendError("the kernel rejected \(key) = \(Value.quote(value.replacing("\t", with: " "))): "
                            + HostError.reason(error.code), kind: .host)
        } catch {
            throw HostError("cannot write \(key): \(HostError.reason(error.code))", code: error.code)
        }
    }

    /// The resolved file of an existing key and its facts; an unknown key (or a directory) is an
    /// error that suggests the nearest key.
    private func existingFile(_ key: SysctlKey, on host: Host) throws -> (String, Host.FileInfo) {
        let resolved = try host.resolve(key.path)
        guard let info = try host.info(resolved) else { throw SysctlTree.unknownKey(key, on: host) }
        if info.isDirectory {
            throw MendError("\(key) is a group of sysctl keys, not a key (sysctl.list(\"\(key)\") lists them)")
        }
        return (resolved, info)
    }

    public func reportValue(_ state: JSON) -> JSON {
        state["value"]?.string.map(SysctlValue.json) ?? .null
    }

    /// The same words make the same setting: `32768 60999` is the kernel's `32768\t60999`.
    public func same(_ a: JSON, _ b: JSON) -> Bool {
        guard let x = a["value"]?.string, let y = b["value"]?.string else { return a == b }
        return SysctlValue.tokens(x) == SysctlValue.tokens(y)
    }
}
