/// Marks an optional argument that was left out; the callee fills in the default.
nonisolated(unsafe) let absentCell = Cell(.null)
nonisolated(unsafe) let absentValue = Value.cell(absentCell)

/// Releases the values in `start..<end`; a plain loop beats the generic array destroy for the
/// few slots of a frame.
@inline(__always)
func releaseRange(_ start: UnsafeMutablePointer<Value>, _ end: UnsafeMutablePointer<Value>) {
    var p = start
    while p < end {
        _ = p.move()
        p += 1
    }
}

extension Value {
    @inline(__always) var isAbsent: Bool {
        if case .cell(let c) = self { return c === absentCell }
        return false
    }
}

/// A `try` block active in a frame.
private struct Handler {
    let target: Int
    let stackHeight: Int
}

extension Interpreter {
    /// Runs `closure` whose `argc` arguments are already at `fp`. The frame's slots are owned by
    /// this call and released before it returns or throws.
    func execute(_ closure: Closure, fp: UnsafeMutablePointer<Value>, argc: Int) throws -> Value {
        let proto = closure.proto
        guard depth < maxCallDepth, fp + proto.frameSize <= stackEnd else {
            fp.deinitialize(count: argc)
            throw MendError("recursion too deep (more than \(maxCallDepth) nested calls)")
        }
        depth += 1
        defer { depth -= 1 }
        let code = proto.code
        let constants = proto.constants
        let globals = proto.globals.pointee
        if argc < proto.parameterCount {
            (fp + argc).initialize(repeating: absentValue, count: proto.parameterCount - argc)
        }
        if proto.slotCount > proto.parameterCount {
            (fp + proto.parameterCount).initialize(repeating: .null, count: proto.slotCount - proto.parameterCount)
        }
        if !proto.captures.isEmpty {
            for (k, capture) in proto.captures.enumerated() {
                fp[Int(capture.targetSlot)] = .cell(closure.cells[k])
            }
        }
        var sp = fp + proto.slotCount
        var pc = 0
        var handlers: [Handler] = []

        while true {
            let instr = code[pc]
            pc += 1
            do {
                switch instr {
                case .constant(let k):
                    sp.initialize(to: constants[Int(k)])
                    sp += 1
                case .smallInt(let v):
                    sp.initialize(to: .int(Int(v)))
                    sp += 1
                case .localAddConst(let s, let k):
                    var v = fp[Int(s)]
                    if case .cell(let c) = v { v = c.value }
                    if case .int(let a) = v {
                        let (r, o) = a.addingReportingOverflow(Int(k))
                        if o { throw MendError("integer overflow in \(a) \(k < 0 ? "-" : "+") \(k.magnitude)") }
                        sp.initialize(to: .int(r))
                    } else {
                        sp.initialize(to: try Operators.binary(k < 0 ? .sub : .add, v, .int(Int(k.magnitude))))
                    }
                    sp += 1
                case .null:
                    sp.initialize(to: .null)
                    sp += 1
                case .true:
                    sp.initialize(to: .bool(true))
                    sp += 1
                case .false:
                    sp.initialize(to: .bool(false))
                    sp += 1
                case .absent:
                    sp.initialize(to: absentValue)
                    sp += 1
                case .pop:
                    sp -= 1
                    sp.deinitialize(count: 1)
                case .dup:
                    sp.initialize(to: (sp - 1).pointee)
                    sp += 1
                case .loadLocal(let s):
                    sp.initialize(to: fp[Int(s)])
                    sp += 1
                case .storeLocal(let s):
                    sp -= 1
                    fp[Int(s)] = sp.move()
                case .loadCell(let s):
                    guard case .cell(let c) = fp[Int(s)] else { throw MendError("internal error: slot \(s) holds no cell") }
                    sp.initialize(to: c.value)
                    sp += 1
                case .storeCell(let s):
                    guard case .cell(let c) = fp[Int(s)] else { throw MendError("internal error: slot \(s) holds no cell") }
                    sp -= 1
                    c.value = sp.move()
                case .newCell(let s):
                    fp[Int(s)] = .cell(Cell(.null))
                case .boxSlot(let s):
                    fp[Int(s)] = .cell(Cell(fp[Int(s)]))
                case .nop:
                    break
                case .loadGlobal(let s):
                    sp.initialize(to: globals[Int(s)])
                    sp += 1
                case .storeGlobal(let s):
                    sp -= 1
                    globals[Int(s)] = sp.move()
                case .loadBuiltin(let k):
                    sp.initialize(to: .function(.builtin(proto.builtins[Int(k)])))
                    sp += 1
                case .add:
                    // Both ints: overwrite in place; ints need no release.
                    if case .int(let a) = (sp - 2).pointee, case .int(let b) = (sp - 1).pointee {
                        let (v, o) = a.addingReportingOverflow(b)
                        if o { throw MendError("integer overflow in \(a) + \(b)") }
                        sp -= 1
                        (sp - 1).initialize(to: .int(v))
                    } else {
                        sp -= 1
                        let r = sp.move()
                        (sp - 1).pointee = try Operators.binary(.add, (sp - 1).pointee, r)
                    }
                case .sub:
                    // Both ints: overwrite in place; ints need no release.
                    if case .int(let a) = (sp - 2).pointee, case .int(let b) = (sp - 1).pointee {
                        let (v, o) = a.subtractingReportingOverflow(b)
                        if o { throw MendError("integer overflow in \(a) - \(b)") }
                        sp -= 1
                        (sp - 1).initialize(to: .int(v))
                    } else {
                        sp -= 1
                        let r = sp.move()
                        (sp - 1).pointee = try Operators.binary(.sub, (sp - 1).pointee, r)
                    }
                case .mul:
                    // Both ints: overwrite in place; ints need no release.
                    if case .int(let a) = (sp - 2).pointee, case .int(let b) = (sp - 1).pointee {
                        let (v, o) = a.multipliedReportingOverflow(by: b)
                        if o { throw MendError("integer overflow in \(a) * \(b)") }
                        sp -= 1
                        (sp - 1).initialize(to: .int(v))
                    } else {
                        sp -= 1
                        let r = sp.move()
                        (sp - 1).pointee = try Operators.binary(.mul, (sp - 1).pointee, r)
                    }
                case .div:
                    sp -= 1
                    let r = sp.move()
                    (sp - 1).pointee = try Operators.binary(.div, (sp - 1).pointee, r)
                case .mod:
                    sp -= 1
                    let r = sp.move()
                    if case .int(let a) = (sp - 1).pointee, case .int(let b) = r, b > 0, a >= 0 {
                        (sp - 1).pointee = .int(a % b)
                    } else {
                        (sp - 1).pointee = try Operators.binary(.mod, (sp - 1).pointee, r)
                    }
                case .eq:
                    sp -= 1
                    let r = sp.move()
                    (sp - 1).pointee = .bool(Interpreter.equal((sp - 1).pointee, r))
                case .ne:
                    sp -= 1
                    let r = sp.move()
                    (sp - 1).pointee = .bool(!Interpreter.equal((sp - 1).pointee, r))
                case .lt:
                    if case .int(let a) = (sp - 2).pointee, case .int(let b) = (sp - 1).pointee {
                        sp -= 1
                        (sp - 1).initialize(to: .bool(a < b))
                    } else {
                        sp -= 1
                        let r = sp.move()
                        (sp - 1).pointee = .bool(try Operators.compare((sp - 1).pointee, r) < 0)
                    }
                case .le:
                    if case .int(let a) = (sp - 2).pointee, case .int(let b) = (sp - 1).pointee {
                        sp -= 1
                        (sp - 1).initialize(to: .bool(a <= b))
                    } else {
                        sp -= 1
                        let r = sp.move()
                        (sp - 1).pointee = .bool(try Operators.compare((sp - 1).pointee, r) <= 0)
                    }
                case .gt:
                    if case .int(let a) = (sp - 2).pointee, case .int(let b) = (sp - 1).pointee {
                        sp -= 1
                        (sp - 1).initialize(to: .bool(a > b))
                    } else {
                        sp -= 1
                        let r = sp.move()
                        (sp - 1).pointee = .bool(try Operators.compare((sp - 1).pointee, r) > 0)
                    }
                case .ge:
                    if case .int(let a) = (sp - 2).pointee, case .int(let b) = (sp - 1).pointee {
                        sp -= 1
                        (sp - 1).initialize(to: .bool(a >= b))
                    } else {
                        sp -= 1
                        let r = sp.move()
                        (sp - 1).pointee = .bool(try Operators.compare((sp - 1).pointee, r) >= 0)
                    }
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
                case .lessLocalConstJump(let s, let k, let target):
                    var v = fp[Int(s)]
                    if case .cell(let c) = v { v = c.value }
                    let less: Bool
                    if case .int(let a) = v { less = a < Int(k) } else { less = try Operators.compare(v, .int(Int(k))) < 0 }
                    if !less { pc = Int(target) }
                case .jump(let target):
                    pc = Int(target)
                case .jumpIfFalse(let target):
                    sp -= 1
                    let v = sp.move()
                    guard case .bool(let b) = v else { throw MendError("a condition must be a bool, got \(v.typeName)") }
                    if !b { pc = Int(target) }
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
                        guard let key = MapKey(p.pointee) else {
                            throw MendError("a \(p.pointee.typeName) cannot be a map key")
                        }
                        m.entries[key] = (p + 1).pointee
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
                        if case .string(let s) = (sp - count + k).pointee { text += s } else { text += (sp - count + k).pointee.display }
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
                        throw MendError("cannot set '\(name)' on a \(object.typeName): only maps have keys")
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
                case .call(let n):
                    let argc = Int(n)
                    let calleeFp = sp - argc
                    let result: Value
                    if case .function(.closure(let c)) = (calleeFp - 1).pointee, argc == c.proto.parameterCount,
                       argc == c.proto.requiredCount {
                        // The common case, without the general call's argument checks.
                        do {
                            result = try execute(c, fp: calleeFp, argc: argc)
                        } catch {
                            sp = calleeFp
                            throw addTrace(error, (calleeFp - 1).pointee, proto.spans[pc - 1])
                        }
                    } else {
                        let callee = (calleeFp - 1).pointee
                        do {
                            result = try callValue(callee, fp: calleeFp, argc: argc, labels: nil)
                        } catch {
                            sp = calleeFp
                            throw addTrace(error, callee, proto.spans[pc - 1])
                        }
                    }
                    sp = calleeFp - 1
                    sp.pointee = result
                    sp += 1
                case .callGlobal(let s, let n):
                    let argc = Int(n)
                    let calleeFp = sp - argc
                    let result: Value
                    do {
                        if case .function(.closure(let c)) = globals[Int(s)], argc == c.proto.parameterCount,
                           argc == c.proto.requiredCount {
                            result = try execute(c, fp: calleeFp, argc: argc)
                        } else {
                            result = try callValue(globals[Int(s)], fp: calleeFp, argc: argc, labels: nil)
                        }
                    } catch {
                        sp = calleeFp
                        throw addTrace(error, globals[Int(s)], proto.spans[pc - 1])
                    }
                    sp = calleeFp
                    sp.initialize(to: result)
                    sp += 1
                case .callLabelled(let k):
                    let labels = proto.source.labelSets[Int(k)]
                    let argc = labels.count
                    let calleeFp = sp - argc
                    let callee = (calleeFp - 1).pointee
                    let result: Value
                    do {
                        result = try callValue(callee, fp: calleeFp, argc: argc, labels: labels)
                    } catch {
                        sp = calleeFp
                        throw addTrace(error, callee, proto.spans[pc - 1])
                    }
                    sp = calleeFp - 1
                    sp.pointee = result
                    sp += 1
                case .callBuiltin(let k, let n):
                    let argc = Int(n)
                    let b = proto.builtins[Int(k)]
                    let result = try callBuiltin(b, args: sp - argc, argc: argc, labels: nil, receiver: .null)
                    sp -= argc
                    sp.deinitialize(count: argc)
                    sp.initialize(to: result)
                    sp += 1
                case .callMethod(let k, let l):
                    let labels = proto.source.labelSets[Int(l)]
                    let argc = labels.count
                    let name = proto.source.names[Int(k)]
                    let receiverPtr = sp - argc - 1
                    let receiver = receiverPtr.pointee
                    if case .map(let m) = receiver {
                        guard let f = m[name] else {
                            throw MendError("no key \"\(name)\" in map" + Suggest.hint(for: name, in: m.entries.keys.compactMap { if case .string(let s) = $0 { s } else { nil } }))
                        }
                        receiverPtr.pointee = f
                        let result: Value
                        do {
                            result = try callValue(f, fp: sp - argc, argc: argc, labels: labels.contains { $0 != nil } ? labels : nil)
                        } catch {
                            sp -= argc
                            throw addTrace(error, f, proto.spans[pc - 1])
                        }
                        sp = receiverPtr
                        sp.pointee = result
                        sp += 1
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
                case .return:
                    sp -= 1
                    let result = sp.move()
                    releaseRange(fp, sp)
                    return result
                case .returnNil:
                    releaseRange(fp, sp)
                    return .null
                case .defaultArg(let s, let target):
                    var v = fp[Int(s)]
                    if case .cell(let c) = v, c !== absentCell { v = c.value }
                    if !v.isAbsent { pc = Int(target) }
                case .forPrep(let s, let pairs):
                    sp -= 1
                    let iterable = sp.move()
                    fp[Int(s)] = .list(try iterationItems(iterable, pairs: pairs == 1))
                    fp[Int(s) + 1] = .int(0)
                case .forNext(let s, let target):
                    guard case .list(let items) = fp[Int(s)], case .int(let i) = fp[Int(s) + 1] else {
                        throw MendError("internal error: loop state")
                    }
                    if i < items.items.count {
                        sp.initialize(to: items.items[i])
                        sp += 1
                        fp[Int(s) + 1] = .int(i + 1)
                    } else {
                        pc = Int(target)
                    }
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
                case .rangeNext(let s, let target):
                    guard case .int(let current) = fp[Int(s)], case .int(let end) = fp[Int(s) + 1],
                          case .int(let step) = fp[Int(s) + 2] else {
                        throw MendError("internal error: range loop state")
                    }
                    if step > 0 ? current < end : current > end {
                        sp.initialize(to: .int(current))
                        sp += 1
                        let (next, overflow) = current.addingReportingOverflow(step)
                        fp[Int(s)] = .int(overflow ? end : next)
                    } else {
                        pc = Int(target)
                    }
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
                    handlers.append(Handler(target: Int(target), stackHeight: sp - fp))
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
                    let module = try importModule(proto.source.imports[Int(k)], from: proto.module.file,
                                                  span: proto.spans[pc - 1])
                    sp.initialize(to: module)
                    sp += 1
                case .param(let k):
                    let info = proto.source.params[Int(k)]
                    (sp - 1).pointee = try paramValue(info, default: (sp - 1).pointee)
                case .runbookTitle:
                    sp -= 1
                    title = sp.move().display
                }
            } catch var error {
                if var e = error as? MendError {
                    if e.span == nil { e.span = proto.spans[pc - 1] }
                    error = e
                    if let h = handlers.popLast() {
                        let height = fp + h.stackHeight
                        if sp > height {
                            height.deinitialize(count: sp - height)
                            sp = height
                        }
                        sp.initialize(to: errorValue(e))
                        sp += 1
                        pc = h.target
                        continue
                    }
                }
                fp.deinitialize(count: sp - fp)
                throw error
            }
        }
    }
}
