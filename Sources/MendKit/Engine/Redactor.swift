/// Masks the values of `secret param`s in everything a run shows: plans, logs, reports and
/// error messages. (Journals keep them: undo may need them, and journals are root-only. Beside
/// each target and step name a journal keeps its masked form, which is what `mend rollback` and
/// `mend runs` show.)
public final class Redactor {
    /// What a secret looks like in output.
    public static let mask = "••••"
    private var secrets: [String] = []
    private var seen = 0

    public init() {}

    /// Learns the secrets among the params resolved so far (params resolve as the program runs).
    public func update(from params: [ResolvedParam]) {
        guard params.count > seen else { return }
        for p in params[seen...] where p.secret {
            let text = p.value.display
            // Also as a string literal shows it (assert operands, printed lists): `pa\"ss` for `pa"ss`;
            // and as a command's text quotes it for a shell: `pa'\''ss` for `pa'ss`.
            let escaped = String(Value.quote(text).dropFirst().dropLast())
            add([text, escaped, text.replacing("'", with: "'\\''")])
        }
        seen = params.count
    }

    /// Learns the secrets that `shown`, the masked form of `real`, masks: `mend rollback` has no
    /// params, only the journal's pairs of a target (or step name) and its masked form, and masks
    /// what else it shows with them (an error naming the target's directory). Two secrets side by
    /// side are learned as one; a secret that holds the text after it may be learned in parts.
    func learn(from real: String, shown: String) {
        let pieces = shown.split(separator: Redactor.mask, omittingEmptySubsequences: false)
        guard pieces.count > 1, let first = pieces.first, let last = pieces.last, real.hasPrefix(first) else { return }
        var rest = real.dropFirst(first.count)
        guard rest.hasSuffix(last) else { return }
        rest = rest.dropLast(last.count)
        var found: [String] = []
        for piece in pieces.dropFirst().dropLast() where !piece.isEmpty {
            guard let next = rest.firstRange(of: piece) else { return }
            found.append(String(rest[..<next.lowerBound]))
            rest = rest[next.upperBound...]
        }
        add(found + [String(rest)])
    }

    private func add(_ forms: [String]) {
        for form in forms where !form.isEmpty && !secrets.contains(form) { secrets.append(form) }
        // Longer first, so a secret that contains another is masked whole.
        secrets.sort { $0.count > $1.count }
    }

    /// True when there is nothing to mask.
    public var isEmpty: Bool { secrets.isEmpty }

    public func redact(_ text: String) -> String {
        var result = text
        for s in secrets where result.contains(s) { result = result.replacing(s, with: Redactor.mask) }
        return result
    }

    /// A copy of `value` with the secrets in its strings (and string keys) masked, for output laid
    /// out from the value itself (the REPL's tables pad by the masked text). Shared and cyclic parts
    /// stay shared; past the literal form's depth limit, where it prints `…`, values are kept.
    public func redact(_ value: Value) -> Value {
        guard !secrets.isEmpty else { return value }
        var copies: [ObjectIdentifier: Value] = [:]
        func copy(_ value: Value, depth: Int) -> Value {
            switch value {
            case .string(let s):
                return .string(redact(s))
            case .list(let list) where depth < Printer.maxDepth:
                if let done = copies[ObjectIdentifier(list)] { return done }
                let new = ListRef()
                copies[ObjectIdentifier(list)] = .list(new)
                new.items = list.items.map { copy($0, depth: depth + 1) }
                return .list(new)
            case .map(let map) where depth < Printer.maxDepth:
                if let done = copies[ObjectIdentifier(map)] { return done }
                let new = MapRef()
                copies[ObjectIdentifier(map)] = .map(new)
                for (key, item) in map.entries {
                    let newKey: MapKey = if case .string(let s) = key { .string(redact(s)) } else { key }
                    new.entries[newKey] = copy(item, depth: depth + 1)
                }
                return .map(new)
            default:
                return value
            }
        }
        return copy(value, depth: 0)
    }

    public func redact(_ json: JSON) -> JSON {
        guard !secrets.isEmpty else { return json }
        switch json {
        case .string(let s): return .string(redact(s))
        case .array(let items): return .array(items.map(redact))
        case .object(let members): return .object(members.map { (redact($0.0), redact($0.1)) })
        default: return json
        }
    }
}

/// An output sink that masks secrets before passing text on (`print` and `log` in a run).
public final class RedactingOutput: OutputSink {
    private let inner: any OutputSink
    private let redactor: Redactor
    private unowned let interpreter: Interpreter

    public init(_ inner: any OutputSink, redactor: Redactor, interpreter: Interpreter) {
        self.inner = inner
        self.redactor = redactor
        self.interpreter = interpreter
    }

    public func standardOutput(_ text: String) {
        redactor.update(from: interpreter.resolvedParams)
        inner.standardOutput(redactor.redact(text))
    }

    public func standardError(_ text: String) {
        redactor.update(from: interpreter.resolvedParams)
        inner.standardError(redactor.redact(text))
    }
}
