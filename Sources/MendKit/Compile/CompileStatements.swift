extension Compiler {
    func compileBlock(_ block: Block) {
        enterBlock(block.statements)
        for s in block.statements { compileStatement(s) }
        exitBlock()
    }

    func compileStatement(_ s: Stmt) {
        if atTopLevel, !s.kind.isRunbookTitle { sawStatement = true }
        switch s.kind {
        case .expr(let e):
            compileExpr(e)
            emit(.pop, -1, s.span)
        case .let(let name, let nameSpan, let value):
            compileExpr(value)
            if atTopLevel, let g = globals[name] {
                g.declared = true
                emit(.storeGlobal(g.slot), -1, nameSpan)
            } else if let v = fn.lookupLocal(name) {
                v.declared = true
                storeLocal(v, nameSpan)
            } else {
                emit(.pop, -1, nameSpan)
            }
        case .assign(let target, let value):
            compileAssignment(target, value, s.span)
        case .if(let branches, let otherwise):
            var ends: [Int] = []
            for (condition, body) in branches {
                let skip = compileCondition(condition)
                compileBlock(body)
                ends.append(emit(.jump(0), 0, s.span))
                for site in skip { patchJump(site) }
            }
            if let otherwise { compileBlock(otherwise) }
            for site in ends { patchJump(site) }
        case .while(let condition, let body):
            let top = here
            let exits = compileCondition(condition)
            fn.loops.append(LoopContext(tryDepth: fn.tryDepth))
            compileBlock(body)
            let loop = fn.loops.removeLast()
            emit(.jump(Int32(top)), 0, s.span)
            for site in exits + loop.breaks { patchJump(site) }
            for site in loop.continues { patchJump(site, to: top) }
        case .for(let names, let iterable, let body):
            compileFor(names, iterable, body, s.span)
        case .break, .continue:
            compileBreakContinue(s)
        case .return(let value):
            if fn.isMain, !fn.code.isStepBody {
                error(s.span, "'return' outside a function")
                return
            }
            if let value, case .name(let name) = value.kind, case .local(let v) = resolve(name), v.declared {
                emit(.returnLocal(v.slot), 0, s.span)
            } else if let value {
                compileExpr(value)
                emit(.return, -1, s.span)
            } else {
                emit(.returnNil, 0, s.span)
            }
        case .function:
            break // created when its block is entered
        case .try(let body, let errorName, let handler):
            compileTry(body, errorName, handler, s.span)
        case .import(let path, let alias, let aliasSpan):
            if path.hasPrefix("std/"), let modules = symbols.standardModules, !modules.contains(path) {
                let hint = Suggest.hint(for: path, in: modules)
                error(importPathSpan(s.span), "no standard module \"\(path)\""
                      + (hint.isEmpty ? " (available: \(modules.sorted().joined(separator: ", ")))" : hint))
            }
            fn.code.imports.append(path)
            emit(.importModule(Int32(fn.code.imports.count - 1)), 1, s.span)
            if atTopLevel, let g = globals[alias] {
                g.declared = true
                emit(.storeGlobal(g.slot), -1, aliasSpan)
            } else if let v = fn.lookupLocal(alias) {
                v.declared = true
                storeLocal(v, aliasSpan)
            } else {
                emit(.pop, -1, aliasSpan)
            }
        case .runbook(let title):
            if let first = runbookTitle, atTopLevel {
                let (line, col) = file.location(of: first.start)
                error(s.span, "a runbook has one title: it is already named at \(line):\(col)")
            } else if sawStatement || !atTopLevel || options.isModule {
                error(s.span, "'runbook' names the runbook: it must be the first statement of the file")
            }
            if atTopLevel, runbookTitle == nil { runbookTitle = s.span }
            sawStatement = true
            compileExpr(title)
            emit(.runbookTitle, -1, s.span)
        case .param(let name, let nameSpan, let value, let secret):
            checkPreamble(s.span, "param")
            compileExpr(value)
            var literal: Literal?
            if case .literal(let l) = value.kind { literal = l }
            fn.code.params.append(ParamInfo(name: name, secret: secret, span: nameSpan, literalDefault: literal))
            emit(.param(Int32(fn.code.params.count - 1)), 0, s.span)
            if atTopLevel, let g = globals[name] {
                g.declared = true
                emit(.storeGlobal(g.slot), -1, nameSpan)
            } else {
                emit(.pop, -1, nameSpan)
            }
        case .require(let condition, let message):
            checkPreamble(s.span, "require")
            compileAssertion(.require, condition, message, s.span)
        case .assert(let condition, let message):
            compileAssertion(.assert, condition, message, s.span)
        case .check(let condition, let message):
            compileAssertion(.check, condition, message, s.span)
        case .step(let decl):
            compileStep(decl, s.span)
        }
    }

    /// The path literal of an `import` statement (the first string in it).
    private func importPathSpan(_ statement: Span) -> Span {
        let bytes = file.bytes
        var k = statement.start
        while k < statement.end, bytes[k] != UInt8(ascii: "\""), bytes[k] != UInt8(ascii: "'") { k += 1 }
        guard k < statement.end else { return statement }
        var e = k + 1
        while e < statement.end, bytes[e] != bytes[k] { e += 1 }
        return Span(file, k, min(e + 1, statement.end))
    }

    /// `param` and `require` stand at the top of a runbook, before its first step.
    private func checkPreamble(_ span: Span, _ keyword: String) {
        if options.isModule {
            error(span, "'\(keyword)' belongs in a runbook, not in an imported module")
        } else if !atTopLevel {
            error(span, "'\(keyword)' must stand at the top level of the runbook")
        } else if let firstStep {
            let (line, col) = file.location(of: firstStep.start)
            error(span, "'\(keyword)' must come before the first step (at \(line):\(col))")
        }
    }

    /// Compiles a condition; returns the jumps to patch to the false branch.
    func compileCondition(_ e: Expr) -> [Int] {
        if case .binary(.lt, let l, let r) = e.kind, case .name(let name) = l.kind,
           case .literal(.int(let k)) = r.kind, let c = Int32(exactly: k),
           case .local(let v) = resolve(name), v.declared {
            let site = emit(.lessLocalConstJump(v.slot, c, 0), 0, e.span)
            v.sites.append(site)
            return [site]
        }
        compileExpr(e)
        return [emit(.jumpIfFalse(0), -1, e.span)]
    }

    private func compileAssignment(_ target: Expr, _ value: Expr, _ span: Span) {
        switch target.kind {
        case .name(let name):
            compileExpr(value)
            storeVariable(name, target.span)
        case .member(let object, let name, let nameSpan):
            if case .name(let ns) = object.kind, case .namespace = resolve(ns) {
                error(target.span, "cannot assign to '\(ns).\(name)': namespace members are read-only")
                return
            }
            compileExpr(object)
            compileExpr(value)
            emit(.setMember(nameIndex(name)), -2, nameSpan)
        case .index(let object, let index):
            compileExpr(object)
            compileExpr(index)
            compileExpr(value)
            emit(.setIndex, -3, target.span)
        default:
            error(target.span, "cannot assign to this expression")
        }
    }

    private func compileFor(_ names: [(String, Span)], _ iterable: Expr, _ body: Block, _ span: Span) {
        fn.scopes.append(BlockScope())
        defer { fn.scopes.removeLast() }
        if case .call(let callee, let args) = iterable.kind, case .name("range") = callee.kind,
           case .builtin = resolve("range"), names.count == 1, (1...3).contains(args.count),
           args.allSatisfy({ $0.label == nil }) {
            // A counting loop: no list is built.
            let state = temporary(count: 3)
            if args.count == 1 {
                emit(.constant(constant(.int(0))), 1, iterable.span)
                compileExpr(args[0].value)
            } else {
                compileExpr(args[0].value)
                compileExpr(args[1].value)
            }
            if args.count == 3 { compileExpr(args[2].value) } else { emit(.constant(constant(.int(1))), 1, iterable.span) }
            emit(.rangePrep(state), -3, iterable.span)
            // The test sits at the bottom, so each turn takes one jump.
            let entry = emit(.jump(0), 0, span)
            let bodyStart = here
            fn.stack += 1
            let loop = compileLoopBody(names, body, span)
            let check = here
            patchJump(entry, to: check)
            for site in loop.continues { patchJump(site, to: check) }
            emit(.rangeLoop(state, Int32(bodyStart)), 0, span)
            for site in loop.breaks { patchJump(site) }
            return
        }
        compileExpr(iterable)
        let state = temporary(count: 2)
        emit(.forPrep(state, names.count == 2 ? 1 : 0), -1, iterable.span)
        let top = here
        let exitSite = emit(.forNext(state, 0), 1, span)
        let loop = compileLoopBody(names, body, span)
        emit(.jump(Int32(top)), 0, span)
        for site in loop.continues { patchJump(site, to: top) }
        patchJump(exitSite)
        for site in loop.breaks { patchJump(site) }
    }

    /// Binds the loop names from the item on the stack and compiles the body.
    private func compileLoopBody(_ names: [(String, Span)], _ body: Block, _ span: Span) -> LoopContext {
        if names.count == 2 {
            emit(.unpack2, 1, span)
            let second = declareLocal(names[1].0, .variable, names[1].1, declared: true)
            if let second { storeLocal(second, names[1].1) } else { emit(.pop, -1, span) }
        }
        let first = declareLocal(names[0].0, .variable, names[0].1, declared: true)
        if let first { storeLocal(first, names[0].1) } else { emit(.pop, -1, span) }
        fn.loops.append(LoopContext(tryDepth: fn.tryDepth))
        compileBlock(body)
        return fn.loops.removeLast()
    }

    private func compileBreakContinue(_ s: Stmt) {
        let isBreak: Bool
        if case .break = s.kind { isBreak = true } else { isBreak = false }
        let word = isBreak ? "break" : "continue"
        guard let loop = fn.loops.last else {
            if fn.code.isStepBody {
                error(s.span, "'\(word)' cannot leave a step: a step runs as a whole")
            } else {
                error(s.span, "'\(word)' outside a loop")
            }
            return
        }
        for _ in loop.tryDepth..<fn.tryDepth { emit(.tryEnd, 0, s.span) }
        let site = emit(.jump(0), 0, s.span)
        if isBreak { fn.loops[fn.loops.count - 1].breaks.append(site) } else { fn.loops[fn.loops.count - 1].continues.append(site) }
    }

    private func compileTry(_ body: Block, _ errorName: (String, Span)?, _ handler: Block, _ span: Span) {
        let begin = emit(.tryBegin(0), 0, span)
        fn.tryDepth += 1
        compileBlock(body)
        fn.tryDepth -= 1
        emit(.tryEnd, 0, span)
        let skip = emit(.jump(0), 0, span)
        patchJump(begin)
        // The error value is on the stack here.
        fn.stack += 1
        fn.scopes.append(BlockScope())
        if let (name, nameSpan) = errorName, let v = declareLocal(name, .variable, nameSpan, declared: true) {
            storeLocal(v, nameSpan)
        } else {
            emit(.pop, -1, span)
        }
        compileBlock(handler)
        fn.scopes.removeLast()
        patchJump(skip)
    }

    private func compileAssertion(_ kind: AssertInfo.Kind, _ condition: Expr, _ message: Expr?, _ span: Span) {
        var left: Int32?
        var right: Int32?
        if case .binary(let op, let l, let r) = condition.kind, op.isComparison {
            let a = temporary(), b = temporary()
            compileExpr(l)
            emit(.storeLocal(a), -1, l.span)
            compileExpr(r)
            emit(.storeLocal(b), -1, r.span)
            emit(.loadLocal(a), 1, l.span)
            emit(.loadLocal(b), 1, r.span)
            emit(binaryInstr(op), -1, condition.span)
            left = a
            right = b
        } else {
            compileExpr(condition)
        }
        if let message { compileExpr(message) }
        fn.code.asserts.append(AssertInfo(kind: kind, source: condition.span.text, leftSlot: left, rightSlot: right,
                                          hasMessage: message != nil, span: span))
        emit(.assert(Int32(fn.code.asserts.count - 1)), message == nil ? -1 : -2, span)
    }

    private func compileStep(_ decl: StepDecl, _ span: Span) {
        if options.isModule, atTopLevel {
            error(span, "a module cannot run steps at its top level: put them in a function")
        }
        if inStep {
            error(span, "a step cannot contain another step")
            return
        }
        if atTopLevel, firstStep == nil { firstStep = span }
        compileExpr(decl.name)
        if let when = decl.when { compileExpr(when) }
        if let timeout = decl.timeout { compileExpr(timeout) }
        if let confirm = decl.confirm { compileExpr(confirm) }
        compileStepBlock(decl.body, name: "step body")
        if let rollback = decl.rollback { compileStepBlock(rollback, name: "rollback") }
        fn.code.steps.append(StepInfo(hasWhen: decl.when != nil, hasTimeout: decl.timeout != nil,
                                      hasConfirm: decl.confirm != nil, hasRollback: decl.rollback != nil, span: span))
        let popped = 2 + (decl.when != nil ? 1 : 0) + (decl.timeout != nil ? 1 : 0) + (decl.confirm != nil ? 1 : 0)
            + (decl.rollback != nil ? 1 : 0)
        emit(.step(Int32(fn.code.steps.count - 1)), 1 - popped, span)
        emit(.pop, -1, span)
    }

    /// A step body or rollback block becomes a closure the engine calls.
    private func compileStepBlock(_ block: Block, name: String) {
        let saved = inStep
        inStep = true
        defer { inStep = saved }
        let decl = FunctionDecl(name: name, nameSpan: block.span, params: [], body: block, span: block.span)
        compileFunction(decl, isStepBody: true)
    }

    /// Compiles a function and emits the instruction that creates its closure.
    func compileFunction(_ decl: FunctionDecl, isStepBody: Bool = false) {
        let names = decl.params.map(\.name)
        let required = decl.params.filter { $0.defaultValue == nil }.count
        let code = FunctionCode(name: decl.name ?? "<fn>", parameterNames: names, requiredCount: required,
                                span: decl.span, isStepBody: isStepBody)
        code.slotCount = 0
        let outer = fn
        let savedInStep = inStep
        if !isStepBody { inStep = false }
        fn = FunctionState(code: code, parent: outer, isMain: false)
        fn.scopes.append(BlockScope())
        var seen: [String: Span] = [:]
        for p in decl.params {
            if let first = seen[p.name] {
                let (line, col) = file.location(of: first.start)
                error(p.span, "duplicate parameter '\(p.name)' (first at \(line):\(col))")
            }
            if seen[p.name] == nil { seen[p.name] = p.span }
            let v = LocalVar(name: p.name, slot: fn.newSlot(), kind: .variable, span: p.span, declared: true)
            v.isParameter = true
            fn.scopes[0].vars[p.name] = v
            fn.locals.append(v)
        }
        for v in fn.locals { v.sites.append(emit(.nop, 0, v.span)) }
        for (k, p) in decl.params.enumerated() {
            guard let def = p.defaultValue, let v = fn.scopes[0].vars[p.name] else { continue }
            let site = emit(.defaultArg(Int32(k), 0), 0, def.span)
            compileExpr(def)
            storeLocal(v, p.span)
            patchJump(site)
        }
        compileBlock(decl.body)
        emit(.returnNil, 0, Span(file, decl.span.end, decl.span.end))
        fn.finish()
        fn = outer
        inStep = savedInStep
        outer.code.functions.append(code)
        emit(.closure(Int32(outer.code.functions.count - 1)), 1, decl.span)
    }
}

extension StmtKind {
    var isRunbookTitle: Bool {
        if case .runbook = self { return true }
        return false
    }
}
