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
