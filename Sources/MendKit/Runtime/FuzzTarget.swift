/// The fuzzing targets: what `scripts/fuzz` hands libFuzzer's inputs to (Fuzz/main.swift) and what
/// FuzzRegressionTests replays the committed corpus through, so a finding reproduces in both.
/// Each target takes any bytes and returns normally: an error is an answer; a trap, a memory
/// error or a hang is a finding.
///
/// `run` evaluates the input as a program in a sandbox: the core library only (no namespace, so
/// nothing reads or changes the host), no file imports, a `sleep` that returns at once, a smaller
/// `range`, output thrown away, and an instruction budget so `while true {}` ends.
///
/// Not part of the embedding API: public only to `@_spi(Fuzzing) import MendKit` (the fuzz driver).
@_spi(Fuzzing) public enum FuzzTarget: String, CaseIterable, Sendable {
    case lex, parse, compile, run

    /// Instructions one fuzzed program may run: a few milliseconds' worth, so a loop costs the
    /// fuzzer little but still reaches every instruction of its body.
    public static let instructionBudget = 100_000

    /// Feeds `bytes` to this target; returns what happened, for the tests.
    @discardableResult
    public func callAsFunction(_ bytes: [UInt8]) -> Outcome {
        let file = SourceFile(name: "fuzz.mend", bytes: bytes)
        switch self {
        case .lex:
            return Lexer.tokenize(file).diagnostics.isEmpty ? .accepted : .rejected
        case .parse:
            do {
                _ = try Parser.parse(file)
                return .accepted
            } catch {
                return .rejected
            }
        case .compile:
            do {
                _ = try FuzzTarget.interpreter().compile(file)
                return .accepted
            } catch {
                return .rejected
            }
        case .run:
            let interpreter = FuzzTarget.interpreter()
            do {
                // One large-stack thread for both, not one each.
                try interpreter.onLargeStackIfNeeded {
                    let unit = try interpreter.compile(file, options: CompileOptions(keepsLastValue: true))
                    _ = try interpreter.run(unit)
                }
                return .accepted
            } catch let error as MendError where error.message.hasPrefix("the program ran more than") {
                return .outOfBudget
            } catch {
                return .rejected
            }
        }
    }

    public enum Outcome: Equatable, Sendable {
        /// Lexed, parsed, compiled or ran without an error.
        case accepted
        /// An error: a diagnostic, a runtime error.
        case rejected
        /// The program ran out of its instruction budget.
        case outOfBudget
    }

    /// A sandboxed interpreter; small limits keep each input cheap.
    static func interpreter() -> Interpreter {
        let interpreter = Interpreter(registry: sandbox, output: DiscardedOutput(), maxCallDepth: 1_000,
                                      stackSlots: 20_000)
        interpreter.instructionBudget = instructionBudget
        interpreter.allowsFileImports = false
        return interpreter
    }

    /// Elements the sandbox's `range` may build: a list at the language's cap (100 000 000 ints,
    /// 2.4 GB) is legal but over libFuzzer's 2 GiB, and fuzzing it finds nothing new.
    public static let maxRangeElements = 1_000_000

    /// The core library with a `sleep` that checks its argument and returns (a fuzzed `sleep(1h)`
    /// must not stall the fuzzer) and a `range` capped at ``maxRangeElements``. Shared: a frozen
    /// registry is only read.
    static let sandbox: Registry = {
        let registry = Registry()
        CoreLibrary.register(into: registry)
        if let range = registry.functions["range"] {
            registry.register(Builtin(name: "range", params: range.params, doc: range.doc, example: range.example) { args in
                guard try CoreLibrary.rangeBounds(args).count <= UInt128(maxRangeElements) else {
                    throw MendError("range: more than \(maxRangeElements) elements in the fuzzing sandbox")
                }
                return try range.body(&args)
            })
        }
        registry.register(Builtin(name: "sleep", params: [Builtin.Param("duration")],
                                  doc: "Checks a duration and returns at once (the fuzzing sandbox).") { args in
            let ns = try args.duration(0)
            guard ns >= 0 else { throw MendError("sleep: the duration must not be negative, got \(Value.formatDuration(ns))") }
            return .null
        })
        return registry
    }()
}

/// Output nobody reads.
private final class DiscardedOutput: OutputSink {
    func standardOutput(_ text: String) {}
    func standardError(_ text: String) {}
}
