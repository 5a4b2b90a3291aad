// How mend runs code
//
// A stack machine over one value stack, allocated when the interpreter is made. A call allocates
// nothing: the callee's frame starts at its first argument (`fp`), its locals follow (slotCount
// slots, all known from compiling) and its operand stack grows above them (`sp`, at most
// maxStack). Returning releases the frame's values and leaves the result where the callee was.
// Each runbook call is one Swift call of `execute`, so Swift's own unwinding carries errors; the
// interpreter runs on a thread with a 1 GiB stack (LargeStack.swift) so that deep recursion meets
// the call-depth limit, a runbook error, long before the machine stack.
//
// The dispatch loop is one `switch` over ``Instr``. The instructions of ordinary loops and calls
// are handled inline; the rest go to `executeRare`, kept out of line so the loop stays small
// enough for the compiler to hold `pc`, `sp` and `fp` in registers. Arithmetic and comparison on
// two ints overwrite the stack slot in place — ints need no retain or release — and check
// overflow (`…ReportingOverflow`): an overflow is a runbook error, never a trap. Anything else goes
// to ``Operators``. ``Value`` keeps scalars inline and strings, lists and maps by reference, with no
// class payload for ints, floats or bools; a global is one indexed read through the module's buffer.
//
// Fused instructions. Every dispatched instruction costs a jump through the switch and a trip
// through the stack; loops and recursion are mostly `i < n`, `i + 1` and calls. So the compiler
// emits one instruction for such a shape — `lessLocalConstJump` tests a local against a constant
// and branches, `localAddConst` adds a constant to a local, `rangeLoop` counts a `for … in range`
// loop without a list, `callGlobal` calls a global without loading it first, `returnLocal`
// returns a local — and the VM runs it without touching the operand stack more than it must.
//
// Calls. A call of a runbook function with exactly its parameters, the common case, goes straight
// to `execute` (the `call` and `callGlobal` cases inline it). Everything else — labels, defaults,
// builtins, bound methods — goes through `callValue` (Calls.swift), which arranges the arguments;
// a builtin gets them bound to its parameters in ``Arguments``, and the OS errors it throws become
// runbook errors that name it.
//
// Errors. An error leaving an instruction gets that instruction's span if it has none. If a `try`
// of this frame is active, the stack is cut back to the handler's height, the error's map is
// pushed and execution goes on at the `catch`; otherwise the frame is released and the error goes
// up, each runbook function on the way adding a line to its call chain.
//
// Interruption. A signal or a step's timeout sets a flag (CMendSupport) that the loop reads at
// every backward jump, every step of a range loop and every frame entry — every loop and every
// recursion passes one — so `while true {}` stops at once while straight-line code pays nothing.
// Builtins that wait (`sleep`, `run`) watch the flag themselves.
//
// Budget. An embedder running untrusted text sets ``Interpreter/instructionBudget``: every
// dispatched instruction decrements a counter (Int.max when there is no budget, so the unlimited
// case pays one decrement and one predictable branch) and the first one past it is a runbook error.

import CMendSupport

/// Marks an optional argument that was left out; the callee fills in the default.
/// Shared by every interpreter, and safe so: the sentinel is only compared by identity, never
/// written — a captured slot gets a cell of its own (newCell, boxSlot) before any storeCell.
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

/// A `try` block active in the frame at call depth `depth`.
struct Handler {
    let target: Int
    let stackHeight: Int
    let depth: Int
}

extension Interpreter {
    /// Drops the `try` handlers of a frame that returns from inside a `try` block.
    func dropHandlers() {
        while let h = handlers.last, h.depth == depth { handlers.removeLast() }
    }

    /// Runs `closure` whose `argc` arguments are already at `fp`. The frame's slots are owned by
    /// this call and released before it returns or throws.
    func execute(_ entry: Closure, fp: UnsafeMutablePointer<Value>, argc: Int) throws -> Value {
        // Unretained: the caller keeps `entry` alive for the whole call.
        unowned(unsafe) let closure = entry
        var sp = try enterFrame(closure, fp: fp, argc: argc)
        let code = closure.code
        let constants = closure.constants
        let globals = closure.globals.pointee
        var pc = 0

        while true {
            let instr = code[pc]
            pc &+= 1
            do {
                // One decrement and test per instruction; the budget is Int.max when unlimited.
                instructionsLeft &-= 1
                if instructionsLeft < 0 { throw budgetSpent() }
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
                case .pop:
                    sp -= 1
                    sp.deinitialize(count: 1)
                case .loadLocal(let s):
                    if case .int(let v) = fp[Int(s)] { sp.initialize(to: .int(v)) } else { sp.initialize(to: fp[Int(s)]) }
                    sp += 1
                case .storeLocal(let s):
                    sp -= 1
                    fp[Int(s)] = sp.move()
                case .loadCell(let s):
                    guard case .cell(let c) = fp[Int(s)] else { throw MendError("internal error: slot \(s) holds no cell") }
                    if c.value.isAbsent { throw unassigned(closure.proto.source.variableNames[s]) }
                    sp.initialize(to: c.value)
                    sp += 1
                case .storeCell(let s):
                    guard case .cell(let c) = fp[Int(s)] else { throw MendError("internal error: slot \(s) holds no cell") }
                    sp -= 1
                    c.value = sp.move()
                case .loadGlobal(let s):
                    if globals[Int(s)].isAbsent { throw unassigned(closure.proto.module.names[Int(s)]) }
                    sp.initialize(to: globals[Int(s)])
                    sp += 1
                case .storeGlobal(let s):
                    sp -= 1
                    globals[Int(s)] = sp.move()
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
                case .lessLocalConstJump(let s, let k, let target):
                    var v = fp[Int(s)]
                    if case .cell(let c) = v { v = c.value }
                    let less: Bool
                    if case .int(let a) = v { less = a < Int(k) } else { less = try Operators.compare(v, .int(Int(k))) < 0 }
                    if !less { pc = Int(target) }
                case .jump(let target):
                    // A backward jump closes a loop: the place to notice a signal or a step's timeout.
                    if Int(target) < pc, mend_interrupt_pending() != 0 { throw Interrupted.pending() }
                    pc = Int(target)
                case .jumpIfFalse(let target):
                    sp -= 1
                    let v = sp.move()
                    guard case .bool(let b) = v else { throw MendError("a condition must be a bool, got \(v.typeName)") }
                    if !b { pc = Int(target) }
                case .call(let n):
                    let argc = Int(n)
                    let calleeFp = sp - argc
                    if case .function(.closure(let c)) = (calleeFp - 1).pointee, argc == c.parameterCount,
                       argc == c.requiredCount {
                        let result: Value
                        do {
                            result = try execute(c, fp: calleeFp, argc: argc)
                        } catch {
                            sp = calleeFp
                            throw addTrace(error, .function(.closure(c)), closure.proto.spans[pc - 1])
                        }
                        sp = calleeFp - 1
                        sp.pointee = result
                        sp += 1
                        continue
                    }
                    sp = calleeFp
                    (sp - 1).pointee = try callTraced((sp - 1).pointee, fp: calleeFp, argc: argc, labels: nil,
                                                      at: closure.proto.spans[pc - 1])
                case .callGlobal(let s, let n):
                    let argc = Int(n)
                    let calleeFp = sp - argc
                    if case .function(.closure(let c)) = globals[Int(s)], argc == c.parameterCount,
                       argc == c.requiredCount {
                        let result: Value
                        do {
                            result = try execute(c, fp: calleeFp, argc: argc)
                        } catch {
                            sp = calleeFp
                            throw addTrace(error, .function(.closure(c)), closure.proto.spans[pc - 1])
                        }
                        sp = calleeFp
                        sp.initialize(to: result)
                        sp += 1
                        continue
                    }
                    sp = calleeFp
                    sp.initialize(to: try callTraced(globals[Int(s)], fp: calleeFp, argc: argc, labels: nil,
                                                     at: closure.proto.spans[pc - 1]))
                    sp += 1
                case .callBuiltin(let k, let n):
                    let argc = Int(n)
                    let b = closure.proto.builtins[Int(k)]
                    let result = try callBuiltin(b, args: sp - argc, argc: argc, labels: nil, receiver: .null)
                    sp -= argc
                    sp.deinitialize(count: argc)
                    sp.initialize(to: result)
                    sp += 1
                case .return, .returnNil, .returnLocal:
                    var result: Value
                    switch instr {
                    case .return:
                        sp -= 1
                        result = sp.move()
                    case .returnLocal(let s):
                        result = fp[Int(s)]
                        if case .cell(let c) = result { result = c.value }
                    default:
                        result = .null
                    }
                    releaseRange(fp, sp)
                    if let h = handlers.last, h.depth == depth { dropHandlers() }
                    depth -= 1
                    return result
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
                case .rangeLoop(let s, let target):
                    guard case .int(let current) = fp[Int(s)], case .int(let end) = fp[Int(s) + 1],
                          case .int(let step) = fp[Int(s) + 2] else {
                        throw MendError("internal error: range loop state")
                    }
                    if step > 0 ? current < end : current > end {
                        sp.initialize(to: .int(current))
                        sp += 1
                        let (next, overflow) = current.addingReportingOverflow(step)
                        // The slot holds an int: overwrite without a release.
                        (fp + Int(s)).initialize(to: .int(overflow ? end : next))
                        if mend_interrupt_pending() != 0 { throw Interrupted.pending() }
                        pc = Int(target)
                    }
                case .addConst(let k):
                    if case .int(let a) = (sp - 1).pointee {
                        let (v, o) = a.addingReportingOverflow(Int(k))
                        if o { throw MendError("integer overflow in \(a) \(k < 0 ? "-" : "+") \(k.magnitude)") }
                        (sp - 1).initialize(to: .int(v))
                    } else {
                        (sp - 1).pointee = try Operators.binary(k < 0 ? .sub : .add, (sp - 1).pointee, .int(Int(k.magnitude)))
                    }
                case .mulConst(let k):
                    if case .int(let a) = (sp - 1).pointee {
                        let (v, o) = a.multipliedReportingOverflow(by: Int(k))
                        if o { throw MendError("integer overflow in \(a) * \(k)") }
                        (sp - 1).initialize(to: .int(v))
                    } else {
                        (sp - 1).pointee = try Operators.binary(.mul, (sp - 1).pointee, .int(Int(k)))
                    }
                case .modConst(let k):
                    if case .int(let a) = (sp - 1).pointee, a >= 0, k > 0 {
                        (sp - 1).initialize(to: .int(a % Int(k)))
                    } else {
                        (sp - 1).pointee = try Operators.binary(.mod, (sp - 1).pointee, .int(Int(k)))
                    }
                default:
                    try executeRare(instr, closure.proto, fp: fp, sp: &sp, pc: &pc)
                }
            } catch var error {
                if var e = error as? MendError, e.span == nil {
                    e.span = closure.proto.spans[pc - 1]
                    error = e
                }
                if let e = error as? MendError, let h = handlers.last, h.depth == depth {
                    handlers.removeLast()
                    let height = fp + h.stackHeight
                    if sp > height {
                        releaseRange(height, sp)
                        sp = height
                    }
                    sp.initialize(to: errorValue(e))
                    sp += 1
                    pc = h.target
                    continue
                }
                releaseRange(fp, sp)
                depth -= 1
                throw error
            }
        }
    }

    /// The run went past ``Interpreter/instructionBudget``.
    @inline(never)
    func budgetSpent() -> MendError {
        MendError("the program ran more than \(instructionBudget ?? Int.max) instructions (the interpreter's instruction budget)")
    }

    /// A variable read before its `let` ran (possible from a function defined earlier).
    func unassigned(_ name: String?) -> MendError {
        MendError("'\(name ?? "a variable")' is used before it is assigned (its 'let' has not run yet)")
    }

    /// Checks the limits, counts the call and sets up a frame's slots; returns the frame's stack top.
    @inline(__always)
    func enterFrame(_ closure: Closure, fp: UnsafeMutablePointer<Value>, argc: Int) throws -> UnsafeMutablePointer<Value> {
        guard depth < maxCallDepth, fp + closure.frameSize <= stackEnd else {
            releaseRange(fp, fp + argc)
            throw MendError("recursion too deep (more than \(maxCallDepth) nested calls)")
        }
        if mend_interrupt_pending() != 0 {
            releaseRange(fp, fp + argc)
            throw Interrupted.pending()
        }
        depth += 1
        if argc < closure.parameterCount {
            (fp + argc).initialize(repeating: absentValue, count: closure.parameterCount - argc)
        }
        if closure.slotCount > closure.parameterCount {
            (fp + closure.parameterCount).initialize(repeating: .null, count: closure.slotCount - closure.parameterCount)
        }
        if closure.hasCaptures {
            for (k, capture) in closure.proto.captures.enumerated() {
                fp[Int(capture.targetSlot)] = .cell(closure.cells[k])
            }
        }
        return fp + closure.slotCount
    }
}
