/// A kernel setting under /sys (kind `sysfs`): the state `sysfs.set` changes.
///
/// The target is the absolute path (`/sys/kernel/mm/transparent_hugepage/enabled`). The state is a
/// JSON string: for a choice file (`always madvise [never]`) the chosen option (`"never"`), for any
/// other file its content without surrounding white space. A write is one `write()` in place, as the
/// kernel wants it; under a fixture root (`--root`) a choice file is rewritten with the new option
/// bracketed, so it reads back the way the kernel would show it.
public struct SysfsResource: Resource {
    public var kind: String { "sysfs" }

    public init() {}

    public func read(_ target: String, on host: Host) throws -> JSON {
        let content = try SysfsResource.content(of: target, on: host)
        return .string(SysfsChoice(content)?.chosen ?? content)
    }

    public func write(_ target: String, _ state: JSON, on host: Host) throws {
        guard let value = state.string else { throw HostError("\(target): the recorded sysfs state is damaged") }
        let resolved = try host.resolve(target)
        var text = value
        // The kernel brackets the choice itself; a fixture file has to be told.
        if !host.isLive, let choice = SysfsChoice(try SysfsResource.content(of: target, on: host)),
           choice.options.contains(value) {
            text = choice.rendered(choosing: value)
        }
        // A newline, as `echo never > …` writes it: every sysfs parser takes one.
        try host.writeInPlace(resolved, Array((text + "\n").utf8))
    }

    /// The text of a sysfs file without surrounding white space; an error names a missing file.
    public static func content(of target: String, on host: Host) throws -> String {
        let resolved = try host.resolve(target)
        guard let info = try host.info(resolved) else {
            throw HostError.notFound("\(target) does not exist")
        }
        guard !info.isDirectory else { throw HostError.directory("\(target) is a directory, not a sysfs file") }
        guard let bytes = try host.read(resolved) else { throw HostError.notFound("\(target) does not exist") }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw HostError("\(target) does not hold text")
        }
        return text.trimmingCharacters()
    }

    /// The absolute path of a sysfs file named relative to /sys (`kernel/mm/…`) or absolutely
    /// (`/sys/kernel/mm/…`). `.` and `..` are resolved; the path may not leave /sys.
    public static func path(_ name: String, in builtin: String = "sysfs") throws -> String {
        var rest = Substring(name)
        if name.hasPrefix("/") {
            guard name == "/sys" || name.hasPrefix("/sys/") else {
                throw MendError("\(builtin): \(Value.quote(name)) is not under /sys: give a path such as \"kernel/mm/transparent_hugepage/enabled\"")
            }
            rest = name.dropFirst(4)
        }
        var parts: [Substring] = []
        for part in rest.split(separator: "/") where part != "." {
            if part == ".." {
                guard parts.popLast() != nil else { throw MendError("\(builtin): \(Value.quote(name)) leaves /sys") }
            } else {
                parts.append(part)
            }
        }
        guard !parts.isEmpty else { throw MendError("\(builtin): \(Value.quote(name)) names no file under /sys") }
        return "/sys/" + parts.joined(separator: "/")
    }
}

/// The options of a choice file such as `always madvise [never]`: the words, one in brackets.
public struct SysfsChoice: Equatable {
    /// The options without brackets, in the file's order.
    public let options: [String]
    /// The bracketed option.
    public let chosen: String

    /// Nil unless the text is words on one line with exactly one of them in brackets.
    public init?(_ text: String) {
        guard !text.contains("\n") else { return nil }
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        var options: [String] = []
        var chosen: String?
        for word in words {
            if word.count > 2, word.hasPrefix("["), word.hasSuffix("]") {
                guard chosen == nil else { return nil }
                let option = String(word.dropFirst().dropLast())
                chosen = option
                options.append(option)
            } else {
                options.append(String(word))
            }
        }
        guard let chosen else { return nil }
        self.options = options
        self.chosen = chosen
    }

    /// The file's text with `option` bracketed instead: `always madvise [never]`.
    public func rendered(choosing option: String) -> String {
        options.map { $0 == option ? "[\($0)]" : $0 }.joined(separator: " ")
    }
}
