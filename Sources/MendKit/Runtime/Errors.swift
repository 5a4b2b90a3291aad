/// A runtime error raised by a runbook: a failed operation, `fail(…)`, a failed assertion.
///
/// Builtins throw it without a location; the evaluator adds the span of the call and, as the
/// error leaves each runbook function, a line of the call chain.
public struct MendError: Error, Sendable {
    public enum Kind: String, Sendable {
        /// A wrong operation: bad types, overflow, missing key, recursion too deep.
        case runtime
        /// `fail("…")` in the runbook.
        case failure
        /// A failed `assert`.
        case assertion
        /// A builtin could not do its work (a missing tool, a file that cannot be read).
        case host
        /// The host refused a change for want of privileges (exit 77).
        case permission
    }

    public var message: String
    public var kind: Kind
    public var span: Span?
    /// `  in f (file:3:5)` lines, innermost first.
    public var trace: [String] = []

    public init(_ message: String, kind: Kind = .runtime, span: Span? = nil) {
        self.message = message
        self.kind = kind
        self.span = span
    }

    /// A failed host operation as a runbook error: `permission` when privileges were missing.
    public init(_ error: HostError) {
        self.init(error.message, kind: error.isPermissionDenied ? .permission : .host)
    }

    /// The error as a located diagnostic (with the call chain as notes).
    public var diagnostic: Diagnostic? {
        span.map { Diagnostic($0, message, notes: compactTrace) }
    }

    /// The full text to print: located when possible.
    public func rendered() -> String {
        if let d = diagnostic { return d.rendered() }
        return "error: \(message)\n" + compactTrace.map { $0 + "\n" }.joined()
    }

    /// The call chain with runs of the same line folded (deep recursion) and at most 20 lines.
    public var compactTrace: [String] {
        var lines: [String] = []
        var k = 0
        while k < trace.count {
            var run = 1
            while k + run < trace.count, trace[k + run] == trace[k] { run += 1 }
            lines.append(run > 1 ? "\(trace[k]) (\(run) times)" : trace[k])
            k += run
        }
        guard lines.count > 20 else { return lines }
        return Array(lines.prefix(10)) + ["  … \(lines.count - 15) more calls …"] + Array(lines.suffix(5))
    }
}

/// A `require` that did not hold: nothing may run (exit 4).
public struct PreconditionFailed: Error, Sendable {
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
