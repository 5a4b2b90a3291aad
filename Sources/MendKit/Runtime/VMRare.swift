extension Interpreter {
    /// The instructions that are not on the hot path, kept out of ``execute(_:fp:argc:)`` so its
    /// loop stays small enough for the compiler to keep `sp` and `pc` in registers.
    @inline(never)
    func executeRare(_ instr: Instr, _ proto: Proto, fp: UnsafeMutablePointer<Value>, sp: inout UnsafeMutablePointer<Value>,
                     pc: inout Int) throws {
        switch instr {
        case .absent:
            sp.initialize(to: absentValue)
            sp += 1
        case .newCell(let s):
            fp[Int(s)] = .cell(Cell(absentValue))
        case .boxSlot(let s):
            fp[Int(s)] = .cell(Cell(fp[Int(s)]))
        case .nop:
            break
        case .loadBuiltin(let k):
            sp.initialize(to: .function(.builtin(proto.builtins[Int(k)])))
            sp += 1
        case .div:
            sp -= 1
            let r = sp.move()
            (sp - 1).pointee = try Operators.binary(.div, (sp - 1).pointee, r)
        case .in:
            sp -= 1
            let r = sp.move()
            (sp - 1).pointee = .bool(try Operators.contains(r, (sp - 1).pointee))
        case .notIn:
            sp -= 1
            let r = sp.move()
            (sp - 1).pointee = .bool(!(try Operators.contains(r, (sp - 1).pointee)))
        case .negate:
            (sp - 1).pointee = try Operators.negate((sp - 1).pointee)
        case .not:
            guard case .bool(let b) = (sp - 1).pointee else {
                throw MendError("'not' needs a bool, got \((sp - 1).pointee.typeName)")
            }
            (sp - 1).pointee = .bool(!b)
        case .andJump(let target):
            guard case .bool(let b) = (sp - 1).pointee else {
                throw MendError("'and' needs bools, got \((sp - 1).pointee.typeName)")
            }
            if b { sp -= 1; sp.deinitialize(count: 1) } else { pc = Int(target) }
        case .orJump(let target):
            guard case .bool(let b) = (sp - 1).pointee else {
                throw MendError("'or' needs bools, got \((sp - 1).pointee.typeName)")
            }
            if b { pc = Int(target) } else { sp -= 1; sp.deinitialize(count: 1) }
        case .checkBool:
            guard case .bool = (sp - 1).pointee else {
                throw MendError("'and'/'or' need bools, got \((sp - 1).pointee.typeName)")
            }
        case .makeList(let n):
            let count = Int(n)
            let items = Array(UnsafeBufferPointer(start: sp - count, count: count))
            sp -= count
            sp.deinitialize(count: count)
            sp.initialize(to: .list(ListRef(items)))
            sp += 1
        case .makeMap(let n):
            let count = Int(n)
            let m = MapRef()
            m.entries.reserveCapacity(count)
            var p = sp - 2 * count
            for _ in 0..<count {
                let key = try MapKey.of(p.pointee)
                m.entries[key] = (p + 1).pointee
                try ValueLimits.checkElements(m.entries.count, "map literal")
                p += 2
            }
            sp -= 2 * count
            sp.deinitialize(count: 2 * count)
            sp.initialize(to: .map(m))
            sp += 1
        case .interpolate(let n):
            let count = Int(n)
            var text = ""
            for k in 0..<count {
                if case .string(let s) = (sp - count + k).pointee { text += s } else { text += try (sp - count + k).pointee.displayText("string interpolation") }
                try ValueLimits.checkString(text.utf8.count, "string interpolation")
            }
            sp -= count
            sp.deinitialize(count: count)
            sp.initialize(to: .string(text))
            sp += 1
        case .getMember(let k):
            (sp - 1).pointee = try getMember((sp - 1).pointee, proto.source.names[Int(k)])
        case .setMember(let k):
            sp -= 1
            let value = sp.move()
            sp -= 1
            let object = sp.move()
            let name = proto.source.names[Int(k)]
            guard case .map(let m) = object else {
                throw MendError("cannot set '\(name)' on \(object.aTypeName): only maps have keys")
            }
            m[name] = value
        case .getIndex:
            sp -= 1
            let index = sp.move()
            (sp - 1).pointee = try getIndex((sp - 1).pointee, index)
        case .setIndex:
            sp -= 1
            let value = sp.move()
            sp -= 1
            let index = sp.move()
            sp -= 1
            let object = sp.move()
            try setIndex(object, index, value)
        case .callLabelled(let k):
            let labels = proto.source.labelSets[Int(k)]
            let argc = labels.count
            sp -= argc
            (sp - 1).pointee = try callTraced((sp - 1).pointee, fp: sp, argc: argc, labels: labels, at: proto.spans[pc - 1])
        case .callMethod(let k, let l):
            let labels = proto.source.labelSets[Int(l)]
            let argc = labels.count
            let name = proto.source.names[Int(k)]
            let receiverPtr = sp - argc - 1
            let receiver = receiverPtr.pointee
            if case .map(let m) = receiver {
                guard let f = m[name] else {
                    throw missingKey(.string(name), m)
                }
                // A module's function: it takes the receiver's place, and the result takes its.
                receiverPtr.pointee = f
                sp -= argc
                receiverPtr.pointee = try callTraced(f, fp: sp, argc: argc, labels: labels.contains { $0 != nil } ? labels : nil,
                                                     at: proto.spans[pc - 1])
            } else {
                let b = try method(name, of: receiver)
                let result = try callBuiltin(b, args: sp - argc, argc: argc,
                                             labels: labels.contains { $0 != nil } ? labels : nil, receiver: receiver)
                sp -= argc
                sp.deinitialize(count: argc)
                (sp - 1).pointee = result
            }
        case .closure(let k):
            let child = proto.functions[Int(k)]
            var cells: [Cell] = []
            cells.reserveCapacity(child.source.captures.count)
            for capture in child.source.captures {
                guard case .cell(let c) = fp[Int(capture.sourceSlot)] else {
                    throw MendError("internal error: captured slot \(capture.sourceSlot) holds no cell")
                }
                cells.append(c)
            }
            sp.initialize(to: .function(.closure(Closure(proto: child, cells: cells))))
            sp += 1
        case .defaultArg(let s, let target):
            var v = fp[Int(s)]
            if case .cell(let c) = v, c !== absentCell { v = c.value }
            if !v.isAbsent { pc = Int(target) }
        case .forPrep(let s, let pairs):
            sp -= 1
            let iterable = sp.move()
            fp[Int(s)] = .list(try iterationItems(iterable, pairs: pairs == 1))
            fp[Int(s) + 1] = .int(0)
        case .rangePrep(let s):
            sp -= 3
            let start = sp.move(), end = (sp + 1).move(), step = (sp + 2).move()
            guard case .int(let a) = start, case .int(let b) = end, case .int(let c) = step else {
                throw MendError("range() takes ints, got \(start.typeName), \(end.typeName), \(step.typeName)")
            }
            if c == 0 { throw MendError("range() step cannot be 0") }
            fp[Int(s)] = .int(a)
            fp[Int(s) + 1] = .int(b)
            fp[Int(s) + 2] = .int(c)
        case .unpack2:
            sp -= 1
            let v = sp.move()
            guard case .list(let l) = v, l.items.count == 2 else {
                throw MendError("expected a pair to unpack, got \(v.typeName)")
            }
            sp.initialize(to: l.items[0])
            sp += 1
            sp.initialize(to: l.items[1])
            sp += 1
        case .tryBegin(let target):
            handlers.append(Handler(target: Int(target), stackHeight: sp - fp, depth: depth))
        case .tryEnd:
            handlers.removeLast()
        case .assert(let k):
            let info = proto.source.asserts[Int(k)]
            var message: Value?
            if info.hasMessage { sp -= 1; message = sp.move() }
            sp -= 1
            let condition = sp.move()
            try assertion(info, condition, message, fp: fp)
        case .step(let k):
            let info = proto.source.steps[Int(k)]
            let count = 2 + (info.hasWhen ? 1 : 0) + (info.hasTimeout ? 1 : 0) + (info.hasConfirm ? 1 : 0)
                + (info.hasRollback ? 1 : 0)
            var values = Array(UnsafeBufferPointer(start: sp - count, count: count))
            sp -= count
            sp.deinitialize(count: count)
            let savedTop = top
            top = sp
            defer { top = savedTop }
            let name = values.removeFirst()
            let when = info.hasWhen ? values.removeFirst() : nil
            let timeout = info.hasTimeout ? values.removeFirst() : nil
            let confirm = info.hasConfirm ? values.removeFirst() : nil
            let body = values.removeFirst()
            let rollback = info.hasRollback ? values.removeFirst() : nil
            try runStep(info, name: name, when: when, timeout: timeout, confirm: confirm, body: body,
                        rollback: rollback)
            sp.initialize(to: .null)
            sp += 1
        case .importModule(let k):
            let savedTop = top
            top = sp
            defer { top = savedTop }
            // Relative to the file the import is written in: a REPL session's module has no file of
            // its own, but a runbook loaded into it does.
            let span = proto.spans[pc - 1]
            let module = try importModule(proto.source.imports[Int(k)], from: span.file, span: span)
            sp.initialize(to: module)
            sp += 1
        case .param(let k):
            let info = proto.source.params[Int(k)]
            (sp - 1).pointee = try paramValue(info, default: (sp - 1).pointee)
        case .runbookTitle:
            sp -= 1
            title = sp.move().display
        default:
            throw MendError("internal error: unexpected instruction \(instr)")
        }
    }
}
