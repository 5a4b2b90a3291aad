import Glibc

/// Tab completion for the REPL: keywords, namespaces, builtins, variables and map members,
/// sysctl keys inside sysctl.*("…"), paths inside file.*("…") and sysfs.*("…"), meta commands.
///
/// Pure logic over the registry, the REPL's names and the host's directories: it never evaluates
/// code or calls a function, and never throws, whatever the input.
public struct Completer: Sendable {
    /// How a meta command's argument completes.
    public enum Argument: Equatable, Sendable {
        /// The command takes no argument.
        case none
        /// One of these words (`:dry on|off`).
        case choices([String])
        /// A builtin as `mend doc` takes it: `len`, `sysctl`, `sysctl.get`, `split`, `string.split`.
        case builtinName
        /// A file of the machine the REPL runs on (`:load`), not one under `--root`.
        case path
        /// A step of the `:load`-ed file.
        case stepName
    }

    /// The REPL's names at the moment of the Tab.
    public struct Scope {
        /// Global variable and function names in scope.
        public var names: [String]
        /// A global's current value; nil when it is unassigned or unknown.
        public var value: (String) -> Value?
        /// The step names of the `:load`-ed file.
        public var steps: [String]

        public init(names: [String] = [], value: @escaping (String) -> Value? = { _ in nil }, steps: [String] = []) {
            self.names = names
            self.value = value
            self.steps = steps
        }
    }

    /// At most this many candidates, so a Tab in a huge directory or map stays quick.
    static let limit = 500

    private let registry: Registry
    private let host: Host
    private let metaCommands: [(name: String, argument: Argument)]

    /// `host` is where `sysctl`, `file` and `sysfs` paths are listed (`--root` applies);
    /// `metaCommands` are named with their colon: `(":dry", .choices(["on", "off"]))`.
    public init(registry: Registry, host: Host, metaCommands: [(name: String, argument: Argument)] = []) {
        self.registry = registry
        self.host = host
        self.metaCommands = metaCommands
    }

    /// The candidates for the end of `text`, the current input line up to the cursor.
    /// `isFirstLine` is false on continuation lines, where meta commands do not complete.
    public func complete(_ text: String, scope: Scope, isFirstLine: Bool = true) -> Completion {
        let line = Array(text.utf8)
        if isFirstLine, let colon = Completer.metaCommandStart(line) {
            return completeMetaCommand(line, colon: colon, scope: scope)
        }
        switch CursorContext.at(endOf: line) {
        case .code: return completeCode(line, scope: scope)
        case .comment: return Completion(start: line.count, candidates: [])
        case .string(let quote, let textStart, let raw): return completeString(line, quote: quote, textStart: textStart, raw: raw)
        }
    }

    // MARK: meta commands

    /// The offset of the `:` of a meta command line (spaces may stand before it).
    private static func metaCommandStart(_ line: [UInt8]) -> Int? {
        guard let first = line.firstIndex(where: { !isSpace($0) }), line[first] == UInt8(ascii: ":") else { return nil }
        return first
    }

    private func completeMetaCommand(_ line: [UInt8], colon: Int, scope: Scope) -> Completion {
        guard let space = line[colon...].firstIndex(where: Completer.isSpace) else {
            var completion = Completion.matching(metaCommands.map(\.name), prefix: text(line[colon...]), start: colon)
            // Saves typing the space before an argument once the command is certain.
            if completion.candidates.count == 1, let argument = argument(of: completion.candidates[0]), argument != .none {
                completion.appendsSpace = true
            }
            return completion
        }
        var argumentStart = space
        while argumentStart < line.count, Completer.isSpace(line[argumentStart]) { argumentStart += 1 }
        let typed = text(line[argumentStart...])
        // Where the word being typed starts: meta commands other than :step take words.
        let wordStart = (line[argumentStart...].lastIndex(where: Completer.isSpace) ?? argumentStart - 1) + 1
        let word = text(line[wordStart...])
        let isFirstWord = wordStart == argumentStart
        switch argument(of: text(line[colon..<space])) {
        case nil, .none?:
            return Completion(start: argumentStart, candidates: [])
        case .choices(let choices)?:
            return .matching(choices, prefix: word, start: wordStart)
        case .builtinName?:
            return isFirstWord ? builtinNames(typed, start: argumentStart) : Completion(start: line.count, candidates: [])
        case .path?:
            // :load reads the operator's own files, whatever `--root` says; its further words are
            // NAME=VALUE, and it splits at spaces, so a name with one cannot be loaded.
            guard isFirstWord else { return Completion(start: line.count, candidates: []) }
            var completion = Completer.paths(typed, start: argumentStart, base: Completer.currentDirectory(), on: Host())
            completion.candidates.removeAll { $0.contains(" ") || $0.contains("\t") }
            return completion
        case .stepName?:
            return .matching(scope.steps, prefix: typed, start: argumentStart)
        }
    }

    private func argument(of command: String) -> Argument? {
        metaCommands.first { $0.name == command }?.argument
    }

    /// The names `mend doc` takes: core functions, namespaces and bare method names; after
    /// `X.`, the members of namespace X or the methods of type X.
    private func builtinNames(_ typed: String, start: Int) -> Completion {
        let bytes = Array(typed.utf8)
        guard let dot = bytes.lastIndex(of: UInt8(ascii: ".")) else {
            let names = Array(registry.functions.keys) + registry.namespaces.keys + registry.methods.values.flatMap(\.keys)
            return .matching(names, prefix: typed, start: start)
        }
        let owner = text(bytes[..<dot])
        let members = Array(registry.namespaces[owner, default: [:]].keys) + registry.methods[owner, default: [:]].keys
        return .matching(members, prefix: text(bytes[(dot + 1)...]), start: start + dot + 1)
    }

    // MARK: code

    private func completeCode(_ line: [UInt8], scope: Scope) -> Completion {
        guard let chain = Completer.chain(endingAt: line) else { return Completion(start: line.count, candidates: []) }
        let names = chain.path.isEmpty ? topLevelNames(scope) : memberNames(chain.path, scope: scope)
        return .matching(names, prefix: chain.partial, start: chain.start)
    }

    /// The identifier chain before the cursor (`m.key.su`): the complete components (`m`, `key`),
    /// the partial last one (`su`) and where it starts. Nil when the text there is no chain of
    /// identifiers: a number (`1.5`), a member of a call or an index (`f().`, `xs[0].`), a lone `.`.
    private static func chain(endingAt line: [UInt8]) -> (path: [String], partial: String, start: Int)? {
        let start = identifierStart(line, before: line.count)
        let partial = line[start...]
        if let first = partial.first, isDigit(first) { return nil }
        // Right after a character no identifier holds (`sysć`): nothing, not every name.
        if partial.isEmpty, let last = line.last, last >= 0x80 { return nil }
        var path: [String] = []
        var end = start
        while end > 0, line[end - 1] == UInt8(ascii: ".") {
            let componentStart = identifierStart(line, before: end - 1)
            guard componentStart < end - 1, !isDigit(line[componentStart]) else { return nil }
            path.append(text(line[componentStart..<(end - 1)]))
            end = componentStart
        }
        return (path.reversed(), text(partial), start)
    }

    private func topLevelNames(_ scope: Scope) -> [String] {
        Keyword.allCases.map(\.rawValue) + ["secret"] + registry.functions.keys + registry.namespaces.keys + scope.names
    }

    /// The members after `path.`: of a global, its map keys and its type's methods (a global
    /// shadows a namespace of its name); of a namespace, its builtins. Values are only read.
    private func memberNames(_ path: [String], scope: Scope) -> [String] {
        let head = path[0]
        guard scope.names.contains(head) else {
            // Deeper chains through a namespace (`os.id.`) would need the host read: none.
            return path.count == 1 ? Array(registry.namespaces[head, default: [:]].keys) : []
        }
        guard var value = scope.value(head) else { return [] }
        // A global captured by a closure lives in a cell.
        if case .cell(let cell) = value { value = cell.value }
        for key in path.dropFirst() {
            guard case .map(let map) = value, let member = map[key] else { return [] }
            value = member
        }
        var names = Array(registry.methods[value.typeName, default: [:]].keys)
        if case .map(let map) = value {
            for case .string(let key) in map.entries.keys where Completer.isIdentifier(key) { names.append(key) }
        }
        return names
    }

    // MARK: strings

    private func completeString(_ line: [UInt8], quote: Int, textStart: Int, raw: Bool) -> Completion {
        let typed = line[textStart...]
        let none = Completion(start: line.count, candidates: [])
        // After an escape or an interpolation the literal's text is not its value: no path to follow.
        if !raw, typed.contains(UInt8(ascii: "\\")) || text(typed).contains("${") { return none }
        let base: String
        switch Completer.calleeNamespace(line, before: quote) {
        case "sysctl": return Completer.spelled(sysctlKeys(text(typed), start: textStart), raw: raw)
        case "file":
            // file builtins take absolute paths only.
            guard typed.first == UInt8(ascii: "/") else {
                return typed.isEmpty ? Completion(start: textStart, candidates: ["/"]) : none
            }
            base = "/"
        case "sysfs": base = "/sys"
        default: return none
        }
        return Completer.spelled(Completer.paths(text(typed), start: textStart, base: base, on: host), raw: raw)
    }

    /// The namespace of the call whose first argument is the string opened at `quote`: `sysctl`
    /// for `sysctl.get("` or `sysctl.get(key: "`; nil for any other string.
    private static func calleeNamespace(_ line: [UInt8], before quote: Int) -> String? {
        var i = skipSpaces(line, before: quote)
        if i > 0, line[i - 1] == UInt8(ascii: ":") {
            let labelEnd = skipSpaces(line, before: i - 1)
            let labelStart = identifierStart(line, before: labelEnd)
            guard labelStart < labelEnd else { return nil }
            i = skipSpaces(line, before: labelStart)
        }
        guard i > 0, line[i - 1] == UInt8(ascii: "(") else { return nil }
        let memberEnd = skipSpaces(line, before: i - 1)
        let memberStart = identifierStart(line, before: memberEnd)
        guard memberStart < memberEnd, memberStart > 0, line[memberStart - 1] == UInt8(ascii: ".") else { return nil }
        let namespaceStart = identifierStart(line, before: memberStart - 1)
        // `x.sysctl.get(` is a member of a value, not the namespace.
        guard namespaceStart < memberStart - 1, namespaceStart == 0 || line[namespaceStart - 1] != UInt8(ascii: ".") else { return nil }
        return text(line[namespaceStart..<(memberStart - 1)])
    }

    /// sysctl keys, one component at a time from /proc/sys: `net.core.somax` → `somaxconn`, and
    /// groups with the separator after them (`net.co` → `core.`). As `sysctl.get` reads keys, a
    /// key whose first separator is `/` is written with `/` (`net/core/somaxconn`); in the dotted
    /// form a `.` inside a name is written `/` (`eth0/200`).
    private func sysctlKeys(_ typed: String, start: Int) -> Completion {
        let bytes = Array(typed.utf8)
        let slashed = bytes.first { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "/") } == UInt8(ascii: "/")
        let separator = slashed ? UInt8(ascii: "/") : UInt8(ascii: ".")
        guard let last = bytes.lastIndex(of: separator) else {
            return Completer.entries(of: "/proc/sys", on: host, prefix: typed, separator: separator, swapped: !slashed, start: start)
        }
        let groups = bytes[..<last].split(separator: separator, omittingEmptySubsequences: false).map(text)
        guard !groups.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            return Completion(start: start + last + 1, candidates: [])
        }
        let directory = "/proc/sys/" + groups.map { slashed ? $0 : SysctlKey.swapSeparators($0) }.joined(separator: "/")
        return Completer.entries(of: directory, on: host, prefix: text(bytes[(last + 1)...]), separator: separator,
                                 swapped: !slashed, start: start + last + 1)
    }

    /// Paths: `/etc/sys` completes the entries of /etc that start with `sys`, directories with a
    /// `/` after them; a relative path is taken from `base`.
    private static func paths(_ typed: String, start: Int, base: String, on host: Host) -> Completion {
        let bytes = Array(typed.utf8)
        let cut = bytes.lastIndex(of: UInt8(ascii: "/")).map { $0 + 1 } ?? 0
        let folder = text(bytes[..<cut])
        let directory = typed.hasPrefix("/") ? folder : base + "/" + folder
        return entries(of: directory, on: host, prefix: text(bytes[cut...]), separator: UInt8(ascii: "/"), swapped: false, start: start + cut)
    }

    /// The entries of `directory` (a path as runbooks name it) whose names start with `prefix`,
    /// directories followed by `separator`; `swapped` spells names with `.` and `/` exchanged (dotted
    /// sysctl keys). Hidden entries only when the prefix starts with `.`; a directory that cannot be
    /// read gives none.
    private static func entries(of directory: String, on host: Host, prefix: String, separator: UInt8,
                                swapped: Bool, start: Int) -> Completion {
        guard let resolved = try? host.resolve(directory), let entries = host.entries(resolved) else {
            return Completion(start: start, candidates: [])
        }
        var names: [String] = []
        for entry in entries where names.count < limit {
            let name = swapped ? SysctlKey.swapSeparators(entry.name) : entry.name
            guard name.utf8.starts(with: prefix.utf8), prefix.hasPrefix(".") || !name.hasPrefix(".") else { continue }
            let isDirectory = entry.isDirectory || (entry.isLink && leadsToDirectory(directory + "/" + entry.name, on: host))
            names.append(isDirectory ? name + String(UnicodeScalar(separator)) : name)
        }
        return .matching(names, prefix: "", start: start)
    }

    /// True when a symbolic link's target is a directory (`/sys/class/net/eth0`).
    private static func leadsToDirectory(_ path: String, on host: Host) -> Bool {
        guard let target = try? host.resolve(path) else { return false }
        return (try? host.info(target))??.isDirectory == true
    }

    /// The candidates as the string literal must spell them: in `"…"` a `\`, `"` or `$` is escaped;
    /// a name with a control character, or with a `'` in a raw string, cannot be written and is left out.
    private static func spelled(_ completion: Completion, raw: Bool) -> Completion {
        let names = completion.candidates.compactMap { name -> String? in
            if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return nil }
            if raw { return name.contains("'") ? nil : name }
            var escaped = ""
            for c in name.unicodeScalars {
                if c == "\\" || c == "\"" || c == "$" { escaped.unicodeScalars.append("\\") }
                escaped.unicodeScalars.append(c)
            }
            return escaped
        }
        return .matching(names, prefix: "", start: completion.start)
    }

    private static func currentDirectory() -> String {
        guard let buffer = getcwd(nil, 0) else { return "/" }
        defer { free(buffer) }
        return String(cString: buffer)
    }

    // MARK: bytes

    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func isIdentifierByte(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_")
    }

    private static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.utf8.first, !isDigit(first) else { return false }
        return s.utf8.allSatisfy(isIdentifierByte)
    }

    /// The start of the run of identifier bytes that ends at `end`.
    private static func identifierStart(_ line: [UInt8], before end: Int) -> Int {
        var i = end
        while i > 0, isIdentifierByte(line[i - 1]) { i -= 1 }
        return i
    }

    private static func skipSpaces(_ line: [UInt8], before end: Int) -> Int {
        var i = end
        while i > 0, isSpace(line[i - 1]) { i -= 1 }
        return i
    }
}

private func text(_ bytes: some Collection<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

/// What a Tab completes at the end of the input.
public struct Completion: Equatable, Sendable {
    /// Candidates replace `text[start...]` (a UTF-8 byte offset into the text).
    public var start: Int
    /// Sorted and unique.
    public var candidates: [String]
    /// Add a space after a unique candidate (meta commands that take an argument); otherwise nothing is appended.
    public var appendsSpace: Bool

    public init(start: Int, candidates: [String], appendsSpace: Bool = false) {
        self.start = start
        self.candidates = candidates
        self.appendsSpace = appendsSpace
    }

    /// The names that start with `prefix` (byte for byte), sorted, unique and at most ``Completer/limit``.
    static func matching(_ names: some Sequence<String>, prefix: String, start: Int) -> Completion {
        let matches = Set(names.filter { $0.utf8.starts(with: prefix.utf8) })
        return Completion(start: start, candidates: Array(matches.sorted().prefix(Completer.limit)))
    }
}
