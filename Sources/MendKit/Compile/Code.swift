/// The compiled form of a program: stack-machine instructions with every variable resolved to a
/// slot (a frame local, a captured cell or a module global), so running it does no name lookups.

/// One instruction. Operands are indexes into the owning ``FunctionCode``'s tables.
public enum Instr {
    case constant(Int32)
    /// Pushes an int that fits in the operand.
    case smallInt(Int32)
    /// Pushes `local(a) + b`: `n - 1` and `i + 1` without touching the stack twice.
    case localAddConst(Int32, Int32)
    case null
    case `true`
    case `false`
    /// Stands for an optional argument left out; the callee fills in its default.
    case absent
    case pop
    case loadLocal(Int32)
    case storeLocal(Int32)
    /// The slot holds a captured variable's cell.
    case loadCell(Int32)
    case storeCell(Int32)
    /// A fresh cell for a captured variable (each block entry and loop iteration has its own).
    case newCell(Int32)
    /// Moves a parameter's value into a fresh cell because a closure captures it.
    case boxSlot(Int32)
    case nop
    case loadGlobal(Int32)
    case storeGlobal(Int32)
    /// A builtin function as a value (`let f = len`).
    case loadBuiltin(Int32)
    case add, sub, mul, div, mod
    case eq, ne, lt, le, gt, ge, `in`, notIn
    case negate, not
    /// `local(a) < b`, jumping to `c` when false: the common loop and recursion test.
    case lessLocalConstJump(Int32, Int32, Int32)
    case jump(Int32)
    /// Pops a bool; jumps when false.
    case jumpIfFalse(Int32)
    /// `and`: if the top is false, keeps it and jumps; otherwise pops it.
    case andJump(Int32)
    /// `or`: if the top is true, keeps it and jumps; otherwise pops it.
    case orJump(Int32)
    /// Checks the top is a bool (the right side of `and`/`or`).
    case checkBool
    case makeList(Int32)
    case makeMap(Int32)
    case interpolate(Int32)
    case getMember(Int32)
    case setMember(Int32)
    case getIndex
    case setIndex
    /// Calls the value below `argc` positional arguments.
    case call(Int32)
    /// Calls the function in global `a` with `b` positional arguments (no callee on the stack).
    case callGlobal(Int32, Int32)
    /// Calls with a label set (``FunctionCode/labelSets``).
    case callLabelled(Int32)
    /// Calls builtin `builtins[a]` with `b` arguments already in parameter order.
    case callBuiltin(Int32, Int32)
    /// Calls method `names[a]` on the receiver below the arguments of label set `b`.
    case callMethod(Int32, Int32)
    case closure(Int32)
    case `return`
    /// Returns the value of local `a` (a cell's content if it was captured).
    case returnLocal(Int32)
    case returnNil
    /// If the parameter in slot `a` was left out, runs the default's code; otherwise jumps to `b`.
    case defaultArg(Int32, Int32)
    /// Pops an iterable into slots `a` (items) and `a+1` (position); `b` = 1 for two loop names.
    case forPrep(Int32, Int32)
    /// Pushes the next item of the loop at slot `a`, or jumps to `b` when done.
    case forNext(Int32, Int32)
    /// Pops start, end and step of a `range` loop into slots `a`, `a+1`, `a+2`.
    case rangePrep(Int32)
    /// At the bottom of a `range` loop: if the count at slot `a` goes on, pushes it and jumps
    /// back to the body at `b`; otherwise falls through.
    case rangeLoop(Int32, Int32)
    /// `x + k`, `x * k`, `x % k` with a small constant `k`.
    case addConst(Int32)
    case mulConst(Int32)
    case modConst(Int32)
    /// Pops a two-item list and pushes both items.
    case unpack2
    /// Starts a `try`: on an error, unwind to this frame and jump to `a`.
    case tryBegin(Int32)
    case tryEnd
    case assert(Int32)
    case step(Int32)
    case importModule(Int32)
    case param(Int32)
    case runbookTitle
}

/// A literal in the constant pool.
public enum Constant {
    case int(Int)
    case float(Double)
    case string(String)
    case duration(Int)
    case size(Int)
}

/// How an `assert`, `check` or `require` reports: its source and the slots holding the operands
/// of a comparison, so a failure can show `left 4096, right 65535`.
public struct AssertInfo {
    public enum Kind: String { case assert, check, require }
    public let kind: Kind
    public let source: String
    public let leftSlot: Int32?
    public let rightSlot: Int32?
    public let hasMessage: Bool
    public let span: Span
}

/// What the engine needs to run a step; the name, modifiers and body closures are on the stack.
public struct StepInfo {
    public let hasWhen: Bool
    public let hasTimeout: Bool
    public let hasConfirm: Bool
    public let hasRollback: Bool
    public let span: Span
}

/// A `param` declaration.
public struct ParamInfo {
    public let name: String
    public let secret: Bool
    public let span: Span
    /// The default when it is a literal: its type lets a `--param` be checked before anything runs.
    public let literalDefault: Literal?
}

/// Where a closure's captured cell comes from in the frame that creates it.
public struct Capture {
    /// The slot of the creating frame holding the cell.
    public let sourceSlot: Int32
    /// The slot of the new function's frame that receives it.
    public let targetSlot: Int32
}

/// One compiled function (or a program's top level).
public final class FunctionCode {
    public let name: String
    public internal(set) var code: [Instr] = []
    /// The source span of each instruction, for errors.
    public internal(set) var spans: [Span] = []
    public internal(set) var constants: [Constant] = []
    public internal(set) var names: [String] = []
    /// Labels of a call's arguments (nil for positional ones).
    public internal(set) var labelSets: [[String?]] = []
    public internal(set) var builtins: [String] = []
    public internal(set) var functions: [FunctionCode] = []
    public internal(set) var asserts: [AssertInfo] = []
    public internal(set) var steps: [StepInfo] = []
    public internal(set) var params: [ParamInfo] = []
    public internal(set) var imports: [String] = []
    public let parameterNames: [String]
    public let requiredCount: Int
    public internal(set) var slotCount: Int
    public internal(set) var maxStack = 0
    public internal(set) var captures: [Capture] = []
    /// Names of the captured variables' slots, for "used before it is assigned".
    public internal(set) var variableNames: [Int32: String] = [:]
    public let span: Span
    /// Step bodies and rollback blocks: `return` ends the step; they are not called by runbooks.
    public let isStepBody: Bool

    init(name: String, parameterNames: [String], requiredCount: Int, span: Span, isStepBody: Bool = false) {
        self.name = name
        self.parameterNames = parameterNames
        self.requiredCount = requiredCount
        self.slotCount = parameterNames.count
        self.span = span
        self.isStepBody = isStepBody
    }
}

/// A compiled program or module: its top-level code and the globals it declared.
public final class CompiledUnit {
    public let main: FunctionCode
    /// Names of the module's globals, by slot.
    public let globalNames: [String]
    public let file: SourceFile

    init(main: FunctionCode, globalNames: [String], file: SourceFile) {
        self.main = main
        self.globalNames = globalNames
        self.file = file
    }
}
