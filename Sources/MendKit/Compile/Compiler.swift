// How mend compiles a program
//
// A file is parsed into a syntax tree (Syntax/) and compiled, one function at a time, into code
// for a stack machine (Code.swift). One pass does two jobs that starlark-go gives to a resolver
// and a compiler: it decides where every name lives, and it emits the instructions that reach it.
// Nothing is looked up by name once the program runs.
//
// Where a name lives. `resolve(_:)` looks a name up in this order:
//   - a local of the function being compiled: a slot of its frame, numbered as declared;
//   - a local of an enclosing function (an upvalue): that function's variable is marked captured
//     and this function gets a slot of its own that will hold the same cell;
//   - a global of the module: a slot of the module's globals buffer (``GlobalScope``). Every
//     top-level `let`, `fn`, `param` and `import` is declared before any statement compiles, so a
//     function may call one defined below it;
//   - a core function or a namespace of the registry (``SymbolTable``): calls are checked here —
//     arity, labels, unknown members, a host-changing builtin outside a step;
//   - nothing: an error that names the nearest visible name.
// A block declares its `let`s and `fn`s when it is entered: a function is visible in its whole
// block (so two can call each other), a variable only after its `let` — reading it earlier is a
// compile error in straight-line code, and "used before it is assigned" at run time from a
// function called too early.
//
// Captures cost nothing until they happen. When a variable is declared, no one knows yet whether a
// closure further down will capture it. So its declaration emits a placeholder (`nop`), and every
// load and store of it remembers its instruction. When the function is finished (`finish()`), the
// variables found captured get their placeholder turned into `newCell` — a fresh cell each time
// the block is entered, so every loop iteration captures its own variable, as Go 1.22 and
// JavaScript's `let` do — or `boxSlot` for a parameter, and their loads and stores into
// `loadCell`/`storeCell`. Every other placeholder is removed and the jumps over it re-aimed.
// A `closure` instruction copies the captured cells into the function value; entering the
// function puts them in their slots, so inside it an upvalue is a slot holding a cell.
//
// Errors do not stop the pass. Up to ``Compiler/maxErrors`` are recorded, something harmless is
// emitted in place of the bad code, and they are reported in source order (functions compile
// before the statements around them). A REPL input that does not compile leaves the session's
// names as they were (``GlobalScope`` checkpoints).
//
// Shapes that dominate loops and recursion get instructions of their own — `local < const` with
// its jump, `local + const`, a call of a global, `return local`, `for i in range(…)` as a counting
// loop that never builds the list (CompileStatements.swift, CompileExpressions.swift). The VM's
// opening note says why.

/// How a unit is compiled.
public struct CompileOptions {
    /// A module (`import`ed file): no top-level steps, params or requires.
    public var isModule = false
    /// The REPL: host-changing builtins are allowed at top level, and the last expression's value is kept.
    public var isInteractive = false
    /// `mend eval`: the value of the last top-level expression is the result.
    public var keepsLastValue = false

    public init(isModule: Bool = false, isInteractive: Bool = false, keepsLastValue: Bool = false) {
        self.isModule = isModule
        self.isInteractive = isInteractive
        self.keepsLastValue = keepsLastValue
    }
}

/// A module's top-level names; kept across REPL lines so each line sees the earlier ones.
public final class GlobalScope {
    final class Global {
        let name: String
        let slot: Int32
        var declared: Bool
        var kind: VariableKind
        var function: FunctionDecl?
        /// Where it is declared (nil for names carried over from earlier REPL lines).
        var span: Span?
        init(name: String, slot: Int32, declared: Bool, kind: VariableKind) {
            self.name = name
            self.slot = slot
            self.declared = declared
            self.kind = kind
        }
    }

    private(set) var byName: [String: Global] = [:]
    /// Names by slot.
    public private(set) var names: [String] = []

    public init() {}

    func declare(_ name: String, kind: VariableKind, declared: Bool) -> Global {
        if let g = byName[name] {
            g.kind = kind
            return g
        }
        let g = Global(name: name, slot: Int32(names.count), declared: declared, kind: kind)
        byName[name] = g
        names.append(name)
        return g
    }

    subscript(_ name: String) -> Global? { byName[name] }

    /// What a compile may change in the scope, so a REPL input that does not compile leaves no
    /// half-declared names behind.
    struct Checkpoint {
        let count: Int
        let states: [(global: Global, declared: Bool, kind: VariableKind, function: FunctionDecl?, span: Span?)]
    }

    func checkpoint() -> Checkpoint {
        Checkpoint(count: names.count, states: byName.values.map { ($0, $0.declared, $0.kind, $0.function, $0.span) })
    }

    func restore(_ checkpoint: Checkpoint) {
        for name in names[checkpoint.count...] { byName[name] = nil }
        names.removeLast(names.count - checkpoint.count)
        for state in checkpoint.states {
            state.global.declared = state.declared
            state.global.kind = state.kind
            state.global.function = state.function
            state.global.span = state.span
        }
    }
}

enum VariableKind {
    case variable, function, module, param

    var noun: String {
        switch self {
        case .variable: return "variable"
        case .function: return "function"
        case .module: return "module"
        case .param: return "param"
        }
    }
}

/// A local variable of the function being compiled.
final class LocalVar {
    let name: String
    let slot: Int32
    let kind: VariableKind
    let span: Span
    var declared: Bool
    var function: FunctionDecl?
    /// Set when a nested function captures it: it then lives in a cell.
    var captured = false
    /// A function parameter: its value arrives in the slot and is boxed on entry if captured.
    var isParameter = false
    /// Instructions to rewrite if it turns out captured.
    var sites: [Int] = []
    init(name: String, slot: Int32, kind: VariableKind, span: Span, declared: Bool) {
        self.name = name
        self.slot = slot
        self.kind = kind
        self.span = span
        self.declared = declared
    }
}

/// Compiles a parsed program to ``FunctionCode``: resolves every name, checks what can be checked
/// before running (undefined names, arity, unknown namespace members, `break` outside a loop,
/// host changes outside a step), and reports all errors found.
public final class Compiler {
    public static let maxErrors = 20

    let symbols: any SymbolTable
    let options: CompileOptions
    let file: SourceFile
    let globals: GlobalScope
    var diagnostics: [Diagnostic] = []
    var fn: FunctionState
    /// True inside a step body or rollback block (lexically).
    var inStep = false
    /// The first top-level step: `param` and `require` must come before it.
    var firstStep: Span?
    /// The `runbook "title"` statement, once seen.
    var runbookTitle: Span?
    var sawStatement = false

    /// Compiles `program`; for the REPL pass the same `globals` for each line.
    public static func compile(_ program: Program, symbols: any SymbolTable, options: CompileOptions = CompileOptions(),
                               globals: GlobalScope = GlobalScope()) throws(Diagnostics) -> CompiledUnit {
        let checkpoint = options.isInteractive ? globals.checkpoint() : nil
        let compiler = Compiler(program: program, symbols: symbols, options: options, globals: globals)
        compiler.compileMain(program)
        if !compiler.diagnostics.isEmpty {
            if let checkpoint { globals.restore(checkpoint) }
            // Functions compile before the statements around them: report in source order.
            let ordered = compiler.diagnostics.enumerated().sorted {
                ($0.element.span.start, $0.offset) < ($1.element.span.start, $1.offset)
            }.map(\.element)
            throw Diagnostics(Array(ordered.prefix(maxErrors)))
        }
        return CompiledUnit(main: compiler.fn.code, globalNames: globals.names, file: program.file)
    }

    private init(program: Program, symbols: any SymbolTable, options: CompileOptions, globals: GlobalScope) {
        self.symbols = symbols
        self.options = options
        self.file = program.file
        self.globals = globals
        let span = Span(program.file, 0, program.file.bytes.count)
        self.fn = FunctionState(code: FunctionCode(name: "<main>", parameterNames: [], requiredCount: 0, span: span),
                                parent: nil, isMain: true)
    }

    func error(_ span: Span, _ message: String) {
        if diagnostics.count < Compiler.maxErrors { diagnostics.append(Diagnostic(span, message)) }
    }

    /// True for statements directly at the top of the file: their names are module globals.
    var atTopLevel: Bool { fn.isMain && fn.scopes.count == 1 }

    private func compileMain(_ program: Program) {
        let statements = program.statements
        fn.scopes.append(BlockScope())
        declareGlobals(statements)
        for s in statements {
            if case .function(let decl) = s.kind, let name = decl.name, let g = globals[name], g.function === decl {
                compileFunction(decl)
                emit(.storeGlobal(g.slot), -1, decl.nameSpan)
            }
        }
        let lastExpression = options.keepsLastValue || options.isInteractive
        for (k, s) in statements.enumerated() {
            if k == statements.count - 1, lastExpression, case .expr(let e) = s.kind {
                compileExpr(e)
                emit(.return, -1, s.span)
                fn.finish()
                return
            }
            compileStatement(s)
        }
        emit(.returnNil, 0, Span(file, file.bytes.count, file.bytes.count))
        fn.finish()
    }

    /// Top-level declarations are module globals; declaring them first lets functions refer to
    /// names defined later in the file.
    private func declareGlobals(_ statements: [Stmt]) {
        for s in statements {
            switch s.kind {
            case .let(let name, let span, _):
                declareGlobal(name, .variable, span, declared: false)
            case .function(let decl):
                if let name = decl.name {
                    let g = declareGlobal(name, .function, decl.nameSpan, declared: true)
                    g?.function = decl
                }
            case .import(_, let alias, let span):
                declareGlobal(alias, .module, span, declared: false)
            case .param(let name, let span, _, _):
                declareGlobal(name, .param, span, declared: false)
            default:
                break
            }
        }
    }

    @discardableResult
    private func declareGlobal(_ name: String, _ kind: VariableKind, _ span: Span, declared: Bool) -> GlobalScope.Global? {
        if let existing = globals[name], !options.isInteractive {
            let at = existing.span.map { s -> String in
                let (line, col) = s.file.location(of: s.start)
                return " (at \(line):\(col))"
            } ?? ""
            if existing.kind == .param, kind == .param {
                error(span, "duplicate param '\(name)'" + at)
            } else {
                error(span, "'\(name)' is already declared at the top level of this file" + at)
            }
            return nil
        }
        let g = globals.declare(name, kind: kind, declared: declared)
        g.span = span
        if options.isInteractive { g.declared = declared || g.declared }
        return g
    }

    // MARK: emitting

    @discardableResult
    func emit(_ instr: Instr, _ stackEffect: Int, _ span: Span) -> Int {
        fn.code.code.append(instr)
        fn.code.spans.append(span)
        fn.stack += stackEffect
        if fn.stack > fn.code.maxStack { fn.code.maxStack = fn.stack }
        return fn.code.code.count - 1
    }

    var here: Int { fn.code.code.count }

    /// Points the jump at `site` to the current position.
    func patchJump(_ site: Int) {
        patchJump(site, to: here)
    }

    func patchJump(_ site: Int, to target: Int) {
        let t = Int32(target)
        switch fn.code.code[site] {
        case .jump: fn.code.code[site] = .jump(t)
        case .jumpIfFalse: fn.code.code[site] = .jumpIfFalse(t)
        case .andJump: fn.code.code[site] = .andJump(t)
        case .orJump: fn.code.code[site] = .orJump(t)
        case .forNext(let a, _): fn.code.code[site] = .forNext(a, t)
        case .tryBegin: fn.code.code[site] = .tryBegin(t)
        case .defaultArg(let a, _): fn.code.code[site] = .defaultArg(a, t)
        case .lessLocalConstJump(let a, let b, _): fn.code.code[site] = .lessLocalConstJump(a, b, t)
        default: break
        }
    }

    func constant(_ c: Constant) -> Int32 {
        fn.code.constants.append(c)
        return Int32(fn.code.constants.count - 1)
    }

    func nameIndex(_ name: String) -> Int32 {
        if let k = fn.nameIndexes[name] { return k }
        fn.code.names.append(name)
        let k = Int32(fn.code.names.count - 1)
        fn.nameIndexes[name] = k
        return k
    }

    func builtinIndex(_ qualifiedName: String) -> Int32 {
        if let k = fn.builtinIndexes[qualifiedName] { return k }
        fn.code.builtins.append(qualifiedName)
        let k = Int32(fn.code.builtins.count - 1)
        fn.builtinIndexes[qualifiedName] = k
        return k
    }

    func labelSet(_ labels: [String?]) -> Int32 {
        fn.code.labelSets.append(labels)
        return Int32(fn.code.labelSets.count - 1)
    }

    // MARK: scopes and names

    /// Begins a block: declares its `let`s and `fn`s up front (functions are visible in their whole
    /// block) and creates the functions.
    func enterBlock(_ statements: [Stmt]) {
        fn.scopes.append(BlockScope())
        var functions: [(FunctionDecl, LocalVar)] = []
        for s in statements {
            switch s.kind {
            case .let(let name, let span, _):
                declareLocal(name, .variable, span, declared: false)
            case .function(let decl):
                if let name = decl.name, let v = declareLocal(name, .function, decl.nameSpan, declared: true) {
                    v.function = decl
                    functions.append((decl, v))
                }
            case .import(_, let alias, let span):
                declareLocal(alias, .module, span, declared: false)
            default:
                break
            }
        }
        for (decl, v) in functions {
            compileFunction(decl)
            storeLocal(v, decl.nameSpan)
        }
    }

    func exitBlock() {
        fn.scopes.removeLast()
    }

    /// A new local in the innermost block; a placeholder instruction becomes a fresh cell if the
    /// variable turns out to be captured.
    @discardableResult
    func declareLocal(_ name: String, _ kind: VariableKind, _ span: Span, declared: Bool) -> LocalVar? {
        if let existing = fn.scopes[fn.scopes.count - 1].vars[name] {
            let (line, col) = file.location(of: existing.span.start)
            error(span, "'\(name)' is already declared in this block (at \(line):\(col))")
            return nil
        }
        let v = LocalVar(name: name, slot: fn.newSlot(), kind: kind, span: span, declared: declared)
        fn.code.variableNames[v.slot] = name
        fn.scopes[fn.scopes.count - 1].vars[name] = v
        fn.locals.append(v)
        v.sites.append(emit(.nop, 0, span))
        return v
    }

    /// A hidden local for loop state or assertion operands.
    func temporary(count: Int = 1) -> Int32 {
        let first = fn.newSlot()
        for _ in 1..<max(1, count) { _ = fn.newSlot() }
        return first
    }

    enum Resolved {
        case local(LocalVar)
        /// A captured variable of an enclosing function, in this frame's slot.
        case upvalue(Int32, VariableKind, FunctionDecl?)
        case global(GlobalScope.Global)
        case builtin(BuiltinSignature)
        case namespace(String, [String: BuiltinSignature])
        case undefined
    }

    func resolve(_ name: String) -> Resolved {
        if let v = fn.lookupLocal(name) { return .local(v) }
        if let (slot, kind, decl) = fn.lookupUpvalue(name) { return .upvalue(slot, kind, decl) }
        if let g = globals[name] { return .global(g) }
        if let b = symbols.function(named: name) { return .builtin(b) }
        if let ns = symbols.namespace(named: name) { return .namespace(name, ns) }
        return .undefined
    }

    /// Every name visible here, for suggestions.
    func visibleNames() -> [String] {
        var names = Set(globals.names)
        var f: FunctionState? = fn
        while let state = f {
            for scope in state.scopes { names.formUnion(scope.vars.keys) }
            f = state.parent
        }
        names.formUnion(symbols.globalNames)
        return Array(names)
    }

    func undefinedName(_ name: String, _ span: Span) {
        error(span, "undefined name '\(name)'" + Suggest.hint(for: name, in: visibleNames()))
    }

    func loadVariable(_ name: String, _ span: Span) {
        switch resolve(name) {
        case .local(let v):
            if !v.declared { usedBeforeLet(name, v, span) }
            v.sites.append(emit(.loadLocal(v.slot), 1, span))
        case .upvalue(let slot, _, _):
            emit(.loadCell(slot), 1, span)
        case .global(let g):
            if !g.declared, fn.isMain, !options.isInteractive {
                let at = g.span.map { s -> String in
                    let (line, col) = s.file.location(of: s.start)
                    return " at \(line):\(col)"
                } ?? ""
                error(span, "'\(name)' is used before its declaration" + at)
            }
            emit(.loadGlobal(g.slot), 1, span)
        case .builtin(let b):
            if b.kind == .property {
                emit(.callBuiltin(builtinIndex(b.qualifiedName), 0), 1, span)
            } else {
                emit(.loadBuiltin(builtinIndex(b.qualifiedName)), 1, span)
            }
        case .namespace(let ns, _):
            error(span, "'\(ns)' is a namespace: use one of its members, e.g. \(ns).…")
            emit(.null, 1, span)
        case .undefined:
            undefinedName(name, span)
            emit(.null, 1, span)
        }
    }

    private func usedBeforeLet(_ name: String, _ v: LocalVar, _ span: Span) {
        let (line, col) = file.location(of: v.span.start)
        error(span, "'\(name)' is used before its 'let' at \(line):\(col)")
    }

    func storeLocal(_ v: LocalVar, _ span: Span) {
        v.sites.append(emit(.storeLocal(v.slot), -1, span))
    }

    /// Stores the top of the stack into `name` (an assignment, not a declaration).
    func storeVariable(_ name: String, _ span: Span) {
        switch resolve(name) {
        case .local(let v):
            if v.kind != .variable { cannotAssign(name, v.kind, span) }
            if !v.declared { usedBeforeLet(name, v, span) }
            storeLocal(v, span)
        case .upvalue(let slot, let kind, _):
            if kind != .variable { cannotAssign(name, kind, span) }
            emit(.storeCell(slot), -1, span)
        case .global(let g):
            if g.kind != .variable { cannotAssign(name, g.kind, span) }
            if !g.declared, fn.isMain, !options.isInteractive {
                error(span, "'\(name)' is assigned before it is declared: write 'let \(name) = …'")
            }
            emit(.storeGlobal(g.slot), -1, span)
        case .builtin, .namespace:
            error(span, "cannot assign to the builtin '\(name)': declare a variable with 'let \(name) = …'")
            emit(.pop, -1, span)
        case .undefined:
            error(span, "undefined name '\(name)': declare it with 'let \(name) = …'" + Suggest.hint(for: name, in: visibleNames()))
            emit(.pop, -1, span)
        }
    }

    private func cannotAssign(_ name: String, _ kind: VariableKind, _ span: Span) {
        error(span, "cannot assign to \(kind.noun) '\(name)'")
    }
}

/// Block scope: names declared in one `{ … }`.
struct BlockScope {
    var vars: [String: LocalVar] = [:]
}

/// Loop bookkeeping for `break` and `continue`.
struct LoopContext {
    var breaks: [Int] = []
    var continues: [Int] = []
    let tryDepth: Int
}

/// The function being compiled.
final class FunctionState {
    let code: FunctionCode
    let parent: FunctionState?
    let isMain: Bool
    var scopes: [BlockScope] = []
    var locals: [LocalVar] = []
    var upvalues: [ObjectIdentifier: Int32] = [:]
    var upvalueInfo: [String: (Int32, VariableKind, FunctionDecl?)] = [:]
    var loops: [LoopContext] = []
    var tryDepth = 0
    var stack = 0
    var nameIndexes: [String: Int32] = [:]
    var builtinIndexes: [String: Int32] = [:]

    init(code: FunctionCode, parent: FunctionState?, isMain: Bool) {
        self.code = code
        self.parent = parent
        self.isMain = isMain
    }

    func newSlot() -> Int32 {
        code.slotCount += 1
        return Int32(code.slotCount - 1)
    }

    func lookupLocal(_ name: String) -> LocalVar? {
        for scope in scopes.reversed() {
            if let v = scope.vars[name] { return v }
        }
        return nil
    }

    /// Finds `name` in an enclosing function and threads it down as a captured cell.
    func lookupUpvalue(_ name: String) -> (Int32, VariableKind, FunctionDecl?)? {
        if let known = upvalueInfo[name] { return known }
        guard let parent else { return nil }
        let sourceSlot: Int32
        let kind: VariableKind
        let decl: FunctionDecl?
        if let v = parent.lookupLocal(name) {
            v.captured = true
            sourceSlot = v.slot
            kind = v.kind
            decl = v.function
        } else if let (slot, k, d) = parent.lookupUpvalue(name) {
            sourceSlot = slot
            kind = k
            decl = d
        } else {
            return nil
        }
        let target = newSlot()
        code.variableNames[target] = name
        code.captures.append(Capture(sourceSlot: sourceSlot, targetSlot: target))
        upvalueInfo[name] = (target, kind, decl)
        return (target, kind, decl)
    }

    /// Rewrites the instructions of captured locals to use cells, then drops the placeholders
    /// of the variables no closure captured.
    func finish() {
        for v in locals where v.captured {
            for site in v.sites {
                switch code.code[site] {
                case .loadLocal(let s): code.code[site] = .loadCell(s)
                case .storeLocal(let s): code.code[site] = .storeCell(s)
                case .nop: code.code[site] = v.isParameter ? .boxSlot(v.slot) : .newCell(v.slot)
                default: break
                }
            }
        }
        removeNops()
    }

    private func removeNops() {
        var newIndex = [Int](repeating: 0, count: code.code.count + 1)
        var kept = 0
        for (k, instr) in code.code.enumerated() {
            newIndex[k] = kept
            if case .nop = instr { continue }
            kept += 1
        }
        newIndex[code.code.count] = kept
        guard kept < code.code.count else { return }
        var instrs: [Instr] = []
        var spans: [Span] = []
        instrs.reserveCapacity(kept)
        spans.reserveCapacity(kept)
        func to(_ t: Int32) -> Int32 { Int32(newIndex[Int(t)]) }
        for (k, instr) in code.code.enumerated() {
            let moved: Instr
            switch instr {
            case .nop: continue
            case .jump(let t): moved = .jump(to(t))
            case .jumpIfFalse(let t): moved = .jumpIfFalse(to(t))
            case .andJump(let t): moved = .andJump(to(t))
            case .orJump(let t): moved = .orJump(to(t))
            case .forNext(let a, let t): moved = .forNext(a, to(t))
            case .rangeLoop(let a, let t): moved = .rangeLoop(a, to(t))
            case .tryBegin(let t): moved = .tryBegin(to(t))
            case .defaultArg(let a, let t): moved = .defaultArg(a, to(t))
            case .lessLocalConstJump(let a, let b, let t): moved = .lessLocalConstJump(a, b, to(t))
            default: moved = instr
            }
            instrs.append(moved)
            spans.append(code.spans[k])
        }
        code.code = instrs
        code.spans = spans
    }
}
