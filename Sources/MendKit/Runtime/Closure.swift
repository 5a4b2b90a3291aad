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
