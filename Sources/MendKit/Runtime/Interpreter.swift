import Glibc

/// Where `print` and `log` go. The command line writes to stdout and stderr; embedders and tests
/// can capture.
public protocol OutputSink: AnyObject {
    func standardOutput(_ text: String)
    func standardError(_ text: String)
}

/// Runs a step. The engine provides one; without it, steps run in order, as plain blocks.
public protocol StepRunner: AnyObject {
    func runStep(_ step: StepCall, in interpreter: Interpreter) throws
}

/// A step as the program reached it.
public struct StepCall {
    public let name: String
    /// The `when` condition's value (nil when the step has none).
    public let when: Bool?
    /// Nanoseconds.
    public let timeout: Int?
    /// Nanoseconds.
    public let confirm: Int?
    public let body: Value
    public let rollback: Value?
    public let span: Span
}

/// The outcome of a `check`.
public struct CheckResult {
    public let ok: Bool
    public let message: String
    public let location: String
}

/// A `param` as the run resolved it.
public struct ResolvedParam {
    public let name: String
    public let value: Value
    public let secret: Bool
}

/// The mend interpreter: compiles and runs programs, holds their modules and the value stack.
///
/// ```swift
/// let interpreter = Interpreter()
/// let value = try interpreter.evaluate("1 + 2 * 3")   // .int(7)
/// ```
/// Embedders add builtins with ``Registry/register(_:)`` on ``Interpreter/registry`` before compiling
/// (the first compile freezes the registry).
public final class Interpreter: BuiltinContext {
    public let registry: Registry
    public var output: any OutputSink
    /// `--param name=value` overrides, as text.
    public var parameters: [String: String] = [:]
    public var stepRunner: (any StepRunner)?
    /// Host-changing builtins are allowed outside steps (the REPL).
    public var isInteractive = false
    /// From `runbook "…"`.
    public internal(set) var title: String?
    public internal(set) var checks: [CheckResult] = []
    public internal(set) var resolvedParams: [ResolvedParam] = []
    /// Told each `log` line (the engine keeps them in its report).
    public var logObserver: ((String) -> Void)?
    /// How builtins read and change the host; an engine replaces the default, which refuses changes.
    public var effects: any Effects = ReadOnlyEffects()
    public var choices: [String: String] = [:]
    /// `require`s that did not hold, thrown together before the first step.
    var failedRequires: [(String, Span)] = []
    /// Deepest runbook call nesting before "recursion too deep".
    public let maxCallDepth: Int
    /// The most VM instructions one run may execute, nil for no limit (the default). Counted afresh
    /// by each outermost ``run(_:module:)``, ``evaluate(_:name:)`` and ``call(_:_:)`` (imports, steps
    /// and callbacks count in the run that reaches them); going past it raises the runtime error
    /// "the program ran more than N instructions", so untrusted text such as `while true {}` ends.
    /// Once spent, every further instruction raises it again: a `catch` cannot keep the program going.
    public var instructionBudget: Int?
    /// `import "./file.mend"` and other file imports read the local file system; false refuses them
    /// (standard modules still load), for running text that must not reach any file.
    public var allowsFileImports = true

    let stackBase: UnsafeMutablePointer<Value>
    let stackEnd: UnsafeMutablePointer<Value>
    /// The first free stack slot while a builtin runs, where callbacks put their frames.
    @exclusivity(unchecked) var top: UnsafeMutablePointer<Value>
    @exclusivity(unchecked) var depth = 0
    /// Instructions left of ``instructionBudget`` in this run; the VM decrements it per instruction.
    @exclusivity(unchecked) var instructionsLeft = Int.max
    /// Nesting of running steps: host changes are allowed when positive.
    @exclusivity(unchecked) var stepDepth = 0
    /// Active `try` blocks of all frames, innermost last.
    var handlers: [Handler] = []
    var modules: [String: Module] = [:]
    var loading: [String] = []
    var onLargeStack = false

    public init(registry: Registry, output: any OutputSink = StandardOutput(), maxCallDepth: Int = 10_000,
                stackSlots: Int = 4_000_000) {
        self.registry = registry
        self.output = output
        self.maxCallDepth = maxCallDepth
        stackBase = UnsafeMutablePointer<Value>.allocate(capacity: stackSlots)
        stackEnd = stackBase + stackSlots
        top = stackBase
    }

    deinit {
        stackBase.deallocate()
    }

    /// Parses and compiles `file`. Throws ``Diagnostics``.
    public func compile(_ file: SourceFile, options: CompileOptions = CompileOptions(),
                        globals: GlobalScope = GlobalScope()) throws(Diagnostics) -> CompiledUnit {
        // From the first compile on, code refers to the builtins: the table stays as it is.
        registry.freeze()
        // Parsing and compiling recurse as deep as the program nests: give them the large stack too.
        let compiled = try? onLargeStackIfNeeded { () -> Result<CompiledUnit, Diagnostics> in
            do {
                let program = try Parser.parse(file)
                return .success(try Compiler.compile(program, symbols: self.registry, options: options, globals: globals))
            } catch let diagnostics as Diagnostics {
                return .failure(diagnostics)
            } catch {
                return .failure(Diagnostics([Diagnostic(Span(file, 0, 0), "internal error: \(error)")]))
            }
        }
        guard let compiled else { throw Diagnostics([Diagnostic(Span(file, 0, 0), "internal error: cannot start the compiler")]) }
        return try compiled.get()
    }

    /// Runs a compiled program as a fresh module; returns its result (the last expression's
    /// value when compiled with `keepsLastValue`). Throws ``MendError``, ``PreconditionFailed``,
    /// ``UsageError`` or ``Diagnostics`` (a bad import).
    public func run(_ unit: CompiledUnit, module: Module? = nil) throws -> Value {
        let module = module ?? Module(name: unit.file.name, file: unit.file)
        startBudgetIfOutermost()
        return try onLargeStackIfNeeded {
            try self.runUnit(unit, in: module)
        }
    }

    /// Compiles and runs a snippet, returning the value of its last expression.
    public func evaluate(_ source: String, name: String = "<eval>") throws -> Value {
        let file = SourceFile(name: name, text: source)
        let module = Module(name: name, file: file)
        let unit = try onLargeStackIfNeeded {
            try self.compile(file, options: CompileOptions(keepsLastValue: true), globals: module.scope)
        }
        return try run(unit, module: module)
    }

    func runUnit(_ unit: CompiledUnit, in module: Module) throws -> Value {
        // A runbook file that imports itself, directly or not, is a cycle too.
        let isProgram = loading.isEmpty
        let key = isProgram ? Host.local.canonicalLocalPath(unit.file.name) : nil
        if let key { loading.append(key) }
        defer { if key != nil { loading.removeAll() } }
        module.reserve(unit.globalNames)
        let proto = try Proto(unit.main, module: module, registry: registry)
        let closure = Closure(proto: proto, cells: [])
        let result = try execute(closure, fp: top, argc: 0)
        if isProgram { try throwIfRequiresFailed() }
        return result
    }

    /// Refills the instruction budget when no runbook code is running (not for a callback of a builtin).
    func startBudgetIfOutermost() {
        if depth == 0 { instructionsLeft = instructionBudget ?? Int.max }
    }

    /// Interpreter code recurses; it runs on a thread with a large stack so the call-depth limit,
    /// not the machine stack, is what a deep program hits.
    func onLargeStackIfNeeded<T>(_ body: () throws -> T) throws -> T {
        if onLargeStack { return try body() }
        onLargeStack = true
        defer { onLargeStack = false }
        return try LargeStack.run(body)
    }

    // MARK: BuiltinContext

    public func printLine(_ text: String) {
        output.standardOutput(text + "\n")
    }

    public func logLine(_ text: String) {
        output.standardError("[\(effects.host.utcTimestamp())] \(text)\n")
        logObserver?(text)
    }
}

/// Writes to the process's stdout and stderr.
public final class StandardOutput: OutputSink, Sendable {
    public init() {}
    public func standardOutput(_ text: String) { write(1, text) }
    public func standardError(_ text: String) { write(2, text) }

    private func write(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
