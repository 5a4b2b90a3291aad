/// The runbook statements as the runtime sees them: assertions, checks, requires, params and
/// steps (which an engine may take over).
extension Interpreter {
    func assertion(_ info: AssertInfo, _ condition: Value, _ message: Value?, fp: UnsafeMutablePointer<Value>) throws {
        guard case .bool(let ok) = condition else {
            throw MendError("\(info.kind.rawValue) needs a bool condition, got \(condition.typeName)", span: info.span)
        }
        var text = message?.display ?? "\(info.kind.rawValue) failed: \(info.source)"
        if !ok, let l = info.leftSlot, let r = info.rightSlot {
            text += " — left \(fp[Int(l)].literal), right \(fp[Int(r)].literal)"
        }
        switch info.kind {
        case .assert:
            if !ok { throw MendError(text, kind: .assertion, span: info.span) }
        case .check:
            checks.append(CheckResult(ok: ok, message: ok ? (message?.display ?? info.source) : text,
                                      location: info.span.description))
            // With an engine, its report shows failed checks.
            if !ok, stepRunner == nil {
                let line = message == nil ? text : "check failed: \(text)"
                output.standardError("\(line) (\(info.span.description))\n")
            }
        case .require:
            // Every require is evaluated before the first step, so all failures are reported together.
            if !ok { failedRequires.append((message?.display ?? "require failed: \(info.source)", info.span)) }
        }
    }

    /// Throws when a `require` did not hold: before the first step and at the end of the program.
    func throwIfRequiresFailed() throws {
        guard !failedRequires.isEmpty else { return }
        let failures = failedRequires
        failedRequires = []
        throw PreconditionFailed(failures: failures)
    }

    func runStep(_ info: StepInfo, name: Value, when: Value?, timeout: Value?, confirm: Value?, body: Value,
                 rollback: Value?) throws {
        var condition: Bool?
        if let when {
            guard case .bool(let b) = when else { throw MendError("a step's 'when' must be a bool, got \(when.typeName)") }
            condition = b
        }
        func duration(_ v: Value?, _ word: String) throws -> Int? {
            guard let v else { return nil }
            guard case .duration(let d) = v, d > 0 else {
                throw MendError("a step's '\(word)' must be a positive duration such as 30s, got \(v.literal)")
            }
            return d
        }
        try run(StepCall(name: name.display, when: condition, timeout: try duration(timeout, "timeout"),
                         confirm: try duration(confirm, "confirm"), body: body, rollback: rollback, span: info.span))
    }

    /// Runs a step: through the engine when there is one, else as a plain block.
    func run(_ step: StepCall) throws {
        try throwIfRequiresFailed()
        if stepDepth > 0 { throw MendError("step \"\(step.name)\" starts inside another step") }
        stepDepth += 1
        defer { stepDepth -= 1 }
        if let stepRunner {
            try stepRunner.runStep(step, in: self)
        } else if step.when != false {
            _ = try call(step.body, [])
        }
    }

    /// The value of a `param`: its `--param` override parsed as the default's type, or the default.
    func paramValue(_ info: ParamInfo, default value: Value) throws -> Value {
        var result = value
        if let text = parameters[info.name] {
            result = try ParamParser.parse(text, like: value, name: info.name, secret: info.secret)
        } else if let text = environmentParameter(info.name) {
            result = try ParamParser.parse(text, like: value, name: info.name, origin: environmentName(info.name),
                                           secret: info.secret)
        }
        resolvedParams.append(ResolvedParam(name: info.name, value: result, secret: info.secret))
        return result
    }

    /// Checks `--param` and `MEND_PARAM_*` values against the types of literal defaults, so a
    /// wrong one is a usage error before anything runs.
    public func checkParameters(of unit: CompiledUnit) throws {
        for info in unit.main.params {
            guard let literal = info.literalDefault else { continue }
            let origin = parameters[info.name] != nil ? "--param \(info.name)" : environmentName(info.name)
            guard let text = parameters[info.name] ?? environmentParameter(info.name) else { continue }
            let example: Value
            switch literal {
            case .null: example = .null
            case .bool(let b): example = .bool(b)
            case .int(let i): example = .int(i)
            case .float(let f): example = .float(f)
            case .string(let s): example = .string(s)
            case .duration(let d): example = .duration(d)
            case .size(let s): example = .size(s)
            }
            _ = try ParamParser.parse(text, like: example, name: info.name, origin: origin, secret: info.secret)
        }
    }

    private func environmentName(_ name: String) -> String { "MEND_PARAM_" + name.uppercased() }

    private func environmentParameter(_ name: String) -> String? {
        effects.host.environmentValue(environmentName(name))
    }

    /// The map a `catch` binds: `{message, kind, location}`.
    func errorValue(_ e: MendError) -> Value {
        let m = MapRef()
        m["message"] = .string(e.message)
        m["kind"] = .string(e.kind.rawValue)
        m["location"] = e.span.map { .string($0.description) } ?? .null
        return .map(m)
    }
}

/// Parses `--param` text as the type of the param's default.
public enum ParamParser {
    /// `origin` names where the text came from in errors (`--param n`, `MEND_PARAM_N`); an error
    /// about a `secret` param's text does not show it.
    public static func parse(_ text: String, like example: Value, name: String, origin: String? = nil,
                             secret: Bool = false) throws -> Value {
        let source = origin ?? "--param \(name)"
        func bad(_ what: String) -> UsageError {
            UsageError("\(source): expected \(what)" + (secret ? " (the value of a secret param is not shown)" : ", got \"\(text)\""))
        }
        let trimmed = text.trimmingCharacters()
        switch example {
        case .int:
            guard let v = Int(trimmed.replacingUnderscores()) else { throw bad("an int") }
            return .int(v)
        case .float:
            guard let v = Double(trimmed), v.isFinite else { throw bad("a number") }
            return .float(v)
        case .bool:
            switch trimmed.lowercased() {
            case "true", "yes", "on", "1": return .bool(true)
            case "false", "no", "off", "0": return .bool(false)
            default: throw bad("true or false")
            }
        case .duration:
            guard case .duration(let d)? = unitLiteral(trimmed) else { throw bad("a duration such as 5s or 100ms") }
            return .duration(d)
        case .size:
            guard case .size(let s)? = unitLiteral(trimmed) else { throw bad("a size such as 16GiB or 512MB") }
            return .size(s)
        case .version:
            guard let v = Version(trimmed) else { throw bad("a version such as 1.21.5") }
            return .version(v)
        case .list(let l):
            let element = l.items.first ?? .string("")
            let parts = trimmed.isEmpty ? [] : trimmed.split(separator: ",", omittingEmptySubsequences: false)
            return .list(ListRef(try parts.map { try parse(String($0), like: element, name: name, origin: source, secret: secret) }))
        case .string, .null:
            return .string(text)
        default:
            throw UsageError("\(source): \(example.aTypeName) param cannot be set from the command line")
        }
    }

    /// `5s`, `1.5GiB`: lexed exactly as a literal in a runbook.
    static func unitLiteral(_ text: String) -> TokenKind? {
        let (tokens, errors) = Lexer.tokenize(SourceFile(name: "<param>", text: text))
        guard errors.isEmpty, tokens.count == 2 else { return nil }
        return tokens[0].kind
    }
}

extension Value {
    /// A size written as in a runbook (`512MiB`, `2GiB`, `100MB`) as bytes; nil for anything else.
    public static func size(parsing text: String) -> Int? {
        guard case .size(let bytes)? = ParamParser.unitLiteral(text.trimmingCharacters()) else { return nil }
        return bytes
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}
