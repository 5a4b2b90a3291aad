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
