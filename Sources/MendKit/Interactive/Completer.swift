/// Tab completion for the REPL: keywords, namespaces, builtins, variables and map members, the
/// string arguments of builtins whose parameters say how they complete (sysctl keys, paths —
/// ``Builtin/Param/completion``), meta commands.
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
    static let limit = ArgumentCompletion.limit

    private let registry: Registry
    private let host: Host
    private let metaCommands: [(name: String, argument: Argument)]

    /// `host` is where the paths of arguments are listed (`--root` applies);
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
        case .string(_, let textStart, let raw, let argument):
            return completeString(line, textStart: textStart, raw: raw, argument: argument)
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
            let local = Host.local
            let found = ArgumentCompletion.paths(typed, base: local.currentDirectory(), on: local)
            return .matching(found.names.filter { !$0.contains(" ") && !$0.contains("\t") }, prefix: "",
                             start: argumentStart + found.start)
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

    private func completeString(_ line: [UInt8], textStart: Int, raw: Bool, argument: CursorContext.CallSite?) -> Completion {
        let typed = line[textStart...]
        let none = Completion(start: line.count, candidates: [])
        // After an escape or an interpolation the literal's text is not its value: no path to follow.
        if !raw, typed.contains(UInt8(ascii: "\\")) || text(typed).contains("${") { return none }
        guard let argument, let builtin = callee(line, open: argument.open),
              let completion = builtin.param(label: argument.label, position: argument.position)?.completion else { return none }
        let found = completion.complete(text(typed), host)
        return Completer.spelled(.matching(found.names, prefix: "", start: textStart + found.start), raw: raw)
    }

    /// The builtin called by the `(` at `open`: `ns.member(` or a global function `name(`; nil
    /// for a call of anything else (a member of a value, `f().g(`, a runbook function).
    private func callee(_ line: [UInt8], open: Int) -> Builtin? {
        let memberEnd = Completer.skipSpaces(line, before: open)
        let memberStart = Completer.identifierStart(line, before: memberEnd)
        guard memberStart < memberEnd else { return nil }
        let member = text(line[memberStart..<memberEnd])
        guard memberStart > 0, line[memberStart - 1] == UInt8(ascii: ".") else {
            return registry.functions[member]
        }
        let namespaceStart = Completer.identifierStart(line, before: memberStart - 1)
        // `x.sysctl.get(` is a member of a value, not the namespace.
        guard namespaceStart < memberStart - 1, namespaceStart == 0 || line[namespaceStart - 1] != UInt8(ascii: ".") else { return nil }
        return registry.namespaces[text(line[namespaceStart..<(memberStart - 1)])]?[member]
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

    // MARK: bytes

    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func isIdentifierByte(_ c: UInt8) -> Bool { CursorContext.isIdentifierByte(c) }

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
        CursorContext.skipSpaces(line, before: end)
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
