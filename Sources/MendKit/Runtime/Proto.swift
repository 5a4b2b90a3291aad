/// A compiled function made ready to run: constants as values, builtins looked up, instructions
/// in a buffer the VM indexes without bounds checks.
public final class Proto {
    public let name: String
    let code: UnsafeMutablePointer<Instr>
    let codeCount: Int
    let spans: [Span]
    /// Owned buffer: reading a constant retains nothing but the value.
    let constants: UnsafeMutablePointer<Value>
    let constantCount: Int
    let builtins: [Builtin]
    let functions: [Proto]
    let source: FunctionCode
    let module: Module
    /// Where the module keeps its (movable) globals buffer.
    let globals: UnsafeMutablePointer<UnsafeMutablePointer<Value>>
    let parameterCount: Int
    let slotCount: Int
    let frameSize: Int
    let requiredCount: Int
    let captures: [Capture]

    init(_ fc: FunctionCode, module: Module, registry: Registry) throws {
        name = fc.name
        codeCount = fc.code.count
        code = UnsafeMutablePointer<Instr>.allocate(capacity: max(1, codeCount))
        code.initialize(from: fc.code, count: codeCount)
        spans = fc.spans
        constantCount = fc.constants.count
        constants = UnsafeMutablePointer<Value>.allocate(capacity: max(1, constantCount))
        constants.initialize(from: fc.constants.map { c in
            switch c {
            case .int(let v): return .int(v)
            case .float(let v): return .float(v)
            case .string(let v): return .string(v)
            case .duration(let v): return .duration(v)
            case .size(let v): return .size(v)
            }
        }, count: constantCount)
        builtins = try fc.builtins.map { name in
            guard let b = registry.lookup(name) else { throw MendError("internal error: unknown builtin \(name)") }
            return b
        }
        functions = try fc.functions.map { try Proto($0, module: module, registry: registry) }
        source = fc
        self.module = module
        globals = module.storage
        parameterCount = fc.parameterNames.count
        slotCount = fc.slotCount
        frameSize = fc.slotCount + fc.maxStack + 1
        requiredCount = fc.requiredCount
        captures = fc.captures
    }

    deinit {
        code.deinitialize(count: codeCount)
        code.deallocate()
        constants.deinitialize(count: constantCount)
        constants.deallocate()
    }
}

/// A function value: code plus the cells of the variables it captured.
public final class Closure {
    let proto: Proto
    let cells: [Cell]
    // Copies of the proto's hot fields: the VM reads them without retaining the proto.
    let code: UnsafeMutablePointer<Instr>
    let constants: UnsafeMutablePointer<Value>
    let globals: UnsafeMutablePointer<UnsafeMutablePointer<Value>>
    let parameterCount: Int
    let requiredCount: Int
    let slotCount: Int
    let frameSize: Int
    let hasCaptures: Bool

    init(proto: Proto, cells: [Cell]) {
        self.proto = proto
        self.cells = cells
        code = proto.code
        constants = proto.constants
        globals = proto.globals
        parameterCount = proto.parameterCount
        requiredCount = proto.requiredCount
        slotCount = proto.slotCount
        frameSize = proto.frameSize
        hasCaptures = !cells.isEmpty
    }
}

/// The storage of one file's (or the REPL's) top-level variables.
public final class Module {
    public let name: String
    public let file: SourceFile?
    /// Holds the globals buffer's address. The buffer grows only between runs of code (new REPL
    /// lines), so a running frame's copy of the address stays valid.
    let storage: UnsafeMutablePointer<UnsafeMutablePointer<Value>>
    private var globals: UnsafeMutablePointer<Value> {
        get { storage.pointee }
        set { storage.pointee = newValue }
    }
    private(set) var capacity: Int
    private(set) var count = 0
    /// The names the compiler resolves against, kept for the REPL's next lines.
    public let scope = GlobalScope()
    /// Names of the globals by slot, from the last unit run here.
    private(set) var names: [String] = []

    /// A module for code to run in; the REPL keeps one for the whole session, so each input sees
    /// the names the earlier ones defined (compile with ``scope`` as the globals).
    public init(name: String, file: SourceFile? = nil) {
        self.name = name
        self.file = file
        capacity = 64
        storage = UnsafeMutablePointer<UnsafeMutablePointer<Value>>.allocate(capacity: 1)
        storage.initialize(to: UnsafeMutablePointer<Value>.allocate(capacity: capacity))
    }

    /// Makes room for the globals `names` (by slot); new ones start unassigned.
    func reserve(_ names: [String]) {
        self.names = names
        let n = names.count
        guard n > count else { return }
        if n > capacity {
            let newCapacity = max(n, capacity * 2)
            let fresh = UnsafeMutablePointer<Value>.allocate(capacity: newCapacity)
            fresh.moveInitialize(from: globals, count: count)
            globals.deallocate()
            globals = fresh
            capacity = newCapacity
        }
        (globals + count).initialize(repeating: absentValue, count: n - count)
        count = n
    }

    /// The value of a global by name (after the module ran).
    public func value(of name: String) -> Value? {
        guard let slot = names.firstIndex(of: name), slot < count else { return nil }
        return globals[slot]
    }

    /// The module's top-level names and values, as an `import` binds them.
    func exports() -> MapRef {
        let m = MapRef()
        for (slot, name) in names.enumerated() where slot < count && !globals[slot].isAbsent {
            m[name] = globals[slot]
        }
        return m
    }

    deinit {
        globals.deinitialize(count: count)
        globals.deallocate()
        storage.deallocate()
    }
}

/// A `require` that did not hold: nothing may run (exit 4).
public struct PreconditionFailed: Error, @unchecked Sendable {
    /// Each `require` that did not hold, in program order.
    public let failures: [(message: String, span: Span)]
    /// The first failure's message.
    public var message: String { failures.first?.message ?? "" }
    /// The first failure's location.
    public var span: Span? { failures.first?.span }
    /// One located diagnostic per failure.
    public var diagnostics: Diagnostics { Diagnostics(failures.map { Diagnostic($0.span, $0.message) }) }
}

/// A bad command-line input found while running, e.g. a `--param` of the wrong type (exit 64).
public struct UsageError: Error, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}
