extension Compiler {
    func binaryInstr(_ op: BinaryOp) -> Instr {
        switch op {
        case .add: return .add
        case .sub: return .sub
        case .mul: return .mul
        case .div: return .div
        case .mod: return .mod
        case .eq: return .eq
        case .ne: return .ne
        case .lt: return .lt
        case .le: return .le
        case .gt: return .gt
        case .ge: return .ge
        case .in: return .in
        case .notIn: return .notIn
        }
    }

    func compileExpr(_ e: Expr) {
        switch e.kind {
        case .literal(let lit):
            switch lit {
            case .null: emit(.null, 1, e.span)
            case .bool(let b): emit(b ? .true : .false, 1, e.span)
            case .int(let v):
                if let small = Int32(exactly: v) { emit(.smallInt(small), 1, e.span) } else { emit(.constant(constant(.int(v))), 1, e.span) }
            case .float(let v): emit(.constant(constant(.float(v))), 1, e.span)
            case .string(let v): emit(.constant(constant(.string(v))), 1, e.span)
            case .duration(let v): emit(.constant(constant(.duration(v))), 1, e.span)
            case .size(let v): emit(.constant(constant(.size(v))), 1, e.span)
            }
        case .interpolated(let parts):
            for part in parts {
                switch part {
                case .text(let t): emit(.constant(constant(.string(t))), 1, e.span)
                case .expr(let x): compileExpr(x)
                }
            }
            emit(.interpolate(Int32(parts.count)), 1 - parts.count, e.span)
        case .name(let name):
            loadVariable(name, e.span)
        case .list(let items):
            for item in items { compileExpr(item) }
            emit(.makeList(Int32(items.count)), 1 - items.count, e.span)
        case .map(let entries):
            for (key, value) in entries {
                switch key {
                case .name(let n): emit(.constant(constant(.string(n))), 1, e.span)
                case .expr(let k): compileExpr(k)
                }
                compileExpr(value)
            }
            emit(.makeMap(Int32(entries.count)), 1 - 2 * entries.count, e.span)
        case .unary(let op, let operand):
            compileExpr(operand)
            emit(op == .negate ? .negate : .not, 0, e.span)
        case .binary(let op, let l, let r):
            if op == .add || op == .sub, case .name(let name) = l.kind, case .literal(.int(let k)) = r.kind,
               let small = Int32(exactly: op == .add ? k : -k), case .local(let v) = resolve(name), v.declared {
                v.sites.append(emit(.localAddConst(v.slot, small), 1, e.span))
                return
            }
            compileExpr(l)
            if case .literal(.int(let k)) = r.kind, let small = Int32(exactly: op == .sub ? -k : k), small != 0 || op != .mod {
                switch op {
                case .add, .sub: emit(.addConst(small), 0, e.span); return
                case .mul: emit(.mulConst(small), 0, e.span); return
                case .mod: emit(.modConst(small), 0, e.span); return
                default: break
                }
            }
            compileExpr(r)
            emit(binaryInstr(op), -1, e.span)
        case .and(let l, let r):
            compileExpr(l)
            let site = emit(.andJump(0), -1, l.span)
            compileExpr(r)
            emit(.checkBool, 0, r.span)
            patchJump(site)
        case .or(let l, let r):
            compileExpr(l)
            let site = emit(.orJump(0), -1, l.span)
            compileExpr(r)
            emit(.checkBool, 0, r.span)
            patchJump(site)
        case .call(let callee, let args):
            compileCall(callee, args, e.span)
        case .member(let object, let name, let nameSpan):
            if case .name(let ns) = object.kind, case .namespace(_, let members) = resolve(ns) {
                guard let b = namespaceMember(ns, members, name, nameSpan) else {
                    emit(.null, 1, e.span)
                    return
                }
                if b.kind == .property {
                    emit(.callBuiltin(builtinIndex(b.qualifiedName), 0), 1, e.span)
                } else {
                    emit(.loadBuiltin(builtinIndex(b.qualifiedName)), 1, e.span)
                }
                return
            }
            compileExpr(object)
            emit(.getMember(nameIndex(name)), 0, nameSpan)
        case .index(let object, let index):
            compileExpr(object)
            compileExpr(index)
            emit(.getIndex, -1, e.span)
        case .function(let decl):
            compileFunction(decl)
        }
    }

    private func namespaceMember(_ ns: String, _ members: [String: BuiltinSignature], _ name: String,
                                 _ span: Span) -> BuiltinSignature? {
        if let b = members[name] { return b }
        error(span, "'\(ns)' has no member '\(name)'" + Suggest.hint(for: name, in: members.keys))
        return nil
    }

    private func compileCall(_ callee: Expr, _ args: [CallArgument], _ span: Span) {
        switch callee.kind {
        case .name(let name):
            switch resolve(name) {
            case .builtin(let b):
                compileBuiltinCall(b, args, span, calleeSpan: callee.span)
                return
            case .local(let v) where v.function != nil:
                if let decl = v.function { checkUserCall(decl, args, span) }
            case .upvalue(_, _, let decl?):
                checkUserCall(decl, args, span)
            case .global(let g):
                if let decl = g.function { checkUserCall(decl, args, span) }
                if args.allSatisfy({ $0.label == nil }), g.declared || !fn.isMain || options.isInteractive {
                    for a in args { compileExpr(a.value) }
                    emit(.callGlobal(g.slot, Int32(args.count)), 1 - args.count, span)
                    return
                }
            default:
                break
            }
        case .member(let object, let name, let nameSpan):
            if case .name(let ns) = object.kind, case .namespace(_, let members) = resolve(ns) {
                guard let b = namespaceMember(ns, members, name, nameSpan) else {
                    for a in args { compileExpr(a.value); emit(.pop, -1, a.span) }
                    emit(.null, 1, span)
                    return
                }
                compileBuiltinCall(b, args, span, calleeSpan: callee.span)
                return
            }
            compileExpr(object)
            for a in args { compileExpr(a.value) }
            emit(.callMethod(nameIndex(name), labelSet(args.map(\.label))), -args.count, nameSpan)
            return
        default:
            break
        }
        compileExpr(callee)
        for a in args { compileExpr(a.value) }
        if args.contains(where: { $0.label != nil }) {
            emit(.callLabelled(labelSet(args.map(\.label))), -args.count, span)
        } else {
            emit(.call(Int32(args.count)), -args.count, span)
        }
    }

    /// Checks a call to a function whose declaration is known: arity and labels.
    private func checkUserCall(_ decl: FunctionDecl, _ args: [CallArgument], _ span: Span) {
        let names = decl.params.map(\.name)
        let required = decl.params.filter { $0.defaultValue == nil }.map(\.name)
        let display = "\(decl.name ?? "fn")(\(names.joined(separator: ", ")))"
        _ = bindArguments(display, names, positionalCount: names.count, required: Set(required), variadic: false, args, span)
    }

    /// Maps arguments to parameter positions, reporting unknown labels, duplicates, missing and
    /// extra arguments. Returns nil after an error.
    /// Positional arguments fill the first `positionalCount` parameters; a variadic builtin's
    /// extra ones go to slots after all the parameters.
    private func bindArguments(_ display: String, _ names: [String], positionalCount: Int, required: Set<String>,
                               variadic: Bool, _ args: [CallArgument], _ span: Span) -> [Int]? {
        var positions: [Int] = []
        var filled = Set<Int>()
        var ok = true
        var positional = 0
        for a in args {
            if let label = a.label {
                guard let k = names.firstIndex(of: label) else {
                    error(a.span, "\(display) has no parameter '\(label)'" + Suggest.hint(for: label, in: names))
                    ok = false
                    continue
                }
                if filled.contains(k) {
                    error(a.span, "argument '\(label)' is given twice")
                    ok = false
                }
                filled.insert(k)
                positions.append(k)
            } else {
                if positional >= positionalCount, !variadic {
                    let count = args.filter { $0.label == nil }.count
                    let bound = required.count == positionalCount ? "" : "at most "
                    let labels = names[positionalCount...].filter { !filled.contains(names.firstIndex(of: $0) ?? -1) }
                    error(a.span, "\(display) takes \(bound)\(positionalCount) argument\(positionalCount == 1 ? "" : "s"), got \(count)"
                          + Suggest.labelHint(labels: Array(labels), forExtra: a.span.text))
                    return nil
                }
                let slot = positional < positionalCount ? positional : names.count + positional - positionalCount
                filled.insert(slot)
                positions.append(slot)
                positional += 1
            }
        }
        for (k, name) in names.enumerated() where required.contains(name) && !filled.contains(k) {
            error(span, "missing argument '\(name)' in the call to \(display)")
            ok = false
        }
        return ok ? positions : nil
    }

    private func compileBuiltinCall(_ b: BuiltinSignature, _ args: [CallArgument], _ span: Span, calleeSpan: Span) {
        if b.kind == .property {
            error(span, "'\(b.qualifiedName)' is a value, not a function: write \(b.qualifiedName) without '()'")
            emit(.null, 1, span)
            return
        }
        if b.changesHost, !inStep, fn.isMain, !options.isInteractive {
            error(calleeSpan, "'\(b.qualifiedName)' changes the host: call it inside a step (or a rollback block)")
        }
        let names = b.params.map(\.name)
        let required = Set(b.params.filter(\.required).map(\.name))
        let display = "\(b.qualifiedName)(\(names.joined(separator: ", "))\(b.variadic ? ", …" : ""))"
        guard let positions = bindArguments(display, names, positionalCount: b.positionalCount, required: required,
                                            variadic: b.variadic, args, span) else {
            for a in args { compileExpr(a.value); emit(.pop, -1, a.span) }
            emit(.null, 1, span)
            return
        }
        let inOrder = positions.enumerated().allSatisfy { $0.offset == $0.element }
        if inOrder {
            for a in args { compileExpr(a.value) }
            emit(.callBuiltin(builtinIndex(b.qualifiedName), Int32(args.count)), 1 - args.count, span)
            return
        }
        // Labelled arguments out of order: evaluate in source order, pass in parameter order.
        var slotFor: [Int: Int32] = [:]
        for (a, k) in zip(args, positions) {
            compileExpr(a.value)
            let t = temporary()
            emit(.storeLocal(t), -1, a.span)
            slotFor[k] = t
        }
        let count = (positions.max() ?? -1) + 1
        for k in 0..<count {
            if let t = slotFor[k] { emit(.loadLocal(t), 1, span) } else { emit(.absent, 1, span) }
        }
        emit(.callBuiltin(builtinIndex(b.qualifiedName), Int32(count)), 1 - count, span)
    }
}
