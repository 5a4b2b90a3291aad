extension Interpreter {
    /// Calls `callee` with the `argc` arguments at `fp`, which the call consumes (they are
    /// released whether it returns or throws).
    func callValue(_ callee: Value, fp: UnsafeMutablePointer<Value>, argc: Int, labels: [String?]?) throws -> Value {
        guard case .function(let function) = callee else {
            fp.deinitialize(count: argc)
            throw MendError("cannot call \(callee.aTypeName)")
        }
        switch function {
        case .closure(let c):
            if labels == nil, argc == c.proto.parameterCount, argc == c.proto.requiredCount {
                return try execute(c, fp: fp, argc: argc)
            }
            var count = argc
            do {
                if let labels { count = try arrange(c.proto, fp: fp, labels: labels) }
                try checkArity(c.proto, fp: fp, argc: count)
            } catch {
                fp.deinitialize(count: count)
                throw error
            }
            return try execute(c, fp: fp, argc: count)
        case .builtin(let b), .bound(let b, _):
            var receiver = Value.null
            if case .bound(_, let r) = function { receiver = r }
            defer { fp.deinitialize(count: argc) }
            return try callBuiltin(b, args: fp, argc: argc, labels: labels, receiver: receiver)
        }
    }

    private func checkArity(_ proto: Proto, fp: UnsafeMutablePointer<Value>, argc: Int) throws {
        let code = proto.source
        if argc > proto.parameterCount {
            throw MendError("\(signature(code)) takes \(proto.parameterCount) argument\(proto.parameterCount == 1 ? "" : "s"), got \(argc)")
        }
        for k in 0..<code.requiredCount where k >= argc || fp[k].isAbsent {
            throw MendError("missing argument '\(code.parameterNames[k])' in the call to \(signature(code))")
        }
    }

    private func signature(_ code: FunctionCode) -> String {
        "\(code.name)(\(code.parameterNames.joined(separator: ", ")))"
    }

    /// Puts labelled arguments in parameter order, with gaps marked absent; returns the new count.
    private func arrange(_ proto: Proto, fp: UnsafeMutablePointer<Value>, labels: [String?]) throws -> Int {
        let names = proto.source.parameterNames
        var arranged = [Value](repeating: absentValue, count: max(names.count, labels.count))
        var used = 0
        for (k, label) in labels.enumerated() {
            let position: Int
            if let label {
                guard let p = names.firstIndex(of: label) else {
                    throw MendError("\(signature(proto.source)) has no parameter '\(label)'" + Suggest.hint(for: label, in: names))
                }
                if !arranged[p].isAbsent { throw MendError("argument '\(label)' is given twice") }
                position = p
            } else {
                position = k
            }
            arranged[position] = fp[k]
            used = max(used, position + 1)
        }
        fp.deinitialize(count: labels.count)
        fp.initialize(from: arranged, count: used)
        return used
    }

    /// Binds and runs a builtin. The arguments stay owned by the caller.
    func callBuiltin(_ b: Builtin, args: UnsafeMutablePointer<Value>, argc: Int, labels: [String?]?,
                     receiver: Value) throws -> Value {
        var values = [Value?](repeating: nil, count: b.params.count)
        var rest: [Value] = []
        if let labels {
            var positional = 0
            for k in 0..<argc {
                if let label = labels[k] {
                    guard let p = b.params.firstIndex(where: { $0.name == label }) else {
                        throw MendError("\(b.signature) has no parameter '\(label)'"
                                        + Suggest.hint(for: label, in: b.params.map(\.name)))
                    }
                    if values[p] != nil { throw MendError("argument '\(label)' is given twice") }
                    values[p] = args[k]
                } else {
                    try place(b, args[k], at: positional, &values, &rest)
                    positional += 1
                }
            }
        } else {
            // Compiled calls put every argument in its slot already (absent where left out).
            for k in 0..<argc {
                if k < b.params.count {
                    values[k] = args[k].isAbsent ? nil : args[k]
                } else if b.variadic {
                    rest.append(args[k])
                } else {
                    throw MendError("\(b.signature) takes at most \(b.positionalCount) argument\(b.positionalCount == 1 ? "" : "s")"
                                    + b.labelHint(forExtra: args[k].literal))
                }
            }
        }
        for (k, p) in b.params.enumerated() where p.required && values[k] == nil {
            throw MendError("missing argument '\(p.name)' in the call to \(b.signature)")
        }
        if b.changesHost, stepDepth == 0, !isInteractive {
            throw MendError("\(b.qualifiedName) changes the host: call it inside a step (or a rollback block)")
        }
        let savedTop = top
        top = args + argc
        defer { top = savedTop }
        var arguments = Arguments(builtin: b, values: values, rest: rest, receiver: receiver, context: self)
        do {
            return try b.body(&arguments)
        } catch let error as HostError {
            throw MendError(error)
        } catch let error as ProcessError {
            throw MendError("\(b.qualifiedName): \(error.description)", kind: .host)
        } catch let error as ChangeRefused {
            throw MendError(error.message)
        }
    }

    /// Puts the `k`-th positional argument of a labelled call in its slot.
    private func place(_ b: Builtin, _ v: Value, at k: Int, _ values: inout [Value?], _ rest: inout [Value]) throws {
        guard let slot = b.slot(forPositional: k) else {
            throw MendError("\(b.signature) takes at most \(b.positionalCount) argument\(b.positionalCount == 1 ? "" : "s")"
                            + b.labelHint(forExtra: v.literal))
        }
        if slot < b.params.count {
            values[slot] = v.isAbsent ? nil : v
        } else {
            rest.append(v)
        }
    }

    /// Calls a function value whose arguments are at `fp` (they are consumed), adding the call
    /// site to the chain of an error that leaves a runbook function. (The VM's `call` and
    /// `callGlobal` inline their common case, a runbook function with every argument: going
    /// through here costs fib(30) a fifth of its speed.)
    func callTraced(_ callee: Value, fp: UnsafeMutablePointer<Value>, argc: Int, labels: [String?]?,
                    at span: @autoclosure () -> Span) throws -> Value {
        do {
            return try callValue(callee, fp: fp, argc: argc, labels: labels)
        } catch {
            throw addTrace(error, callee, span())
        }
    }

    /// Adds a line of the call chain to an error leaving a runbook function.
    func addTrace(_ error: any Error, _ callee: Value, _ span: Span) -> any Error {
        guard var e = error as? MendError, case .function(.closure(let c)) = callee, !c.proto.source.isStepBody else {
            return error
        }
        e.addCall("  in \(c.proto.name), called at \(span.description)")
        return e
    }

    /// Calls a function value from Swift (builtins such as `map` and `sort`, the engine).
    public func call(_ function: Value, _ arguments: [Value]) throws -> Value {
        let base = top
        guard base + arguments.count + 1 < stackEnd else { throw MendError("recursion too deep (value stack exhausted)") }
        startBudgetIfOutermost()
        base.initialize(to: function)
        (base + 1).initialize(from: arguments, count: arguments.count)
        let savedTop = top
        top = base + 1 + arguments.count
        defer {
            top = savedTop
            base.deinitialize(count: 1)
        }
        return try callValue(function, fp: base + 1, argc: arguments.count, labels: nil)
    }
}
