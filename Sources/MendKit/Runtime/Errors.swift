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
    /// The call chain as kept: its first 10 and last 10 lines (`  in f, called at file:3:5`),
    /// innermost first, a run of the same line once, with how many times it repeats. Bounded, so
    /// an error leaving 10,000 nested calls costs each of them the same, whatever the depth.
    private var head: [(line: String, times: Int)] = []
    private var tail: [(line: String, times: Int)] = []
    /// Lines dropped between `head` and `tail`.
    private var omitted = 0

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

    /// Adds the next (outer) line of the call chain as the error leaves a function or module.
    public mutating func addCall(_ line: String) {
        if tail.isEmpty, let last = head.last, last.line == line {
            head[head.count - 1].times += 1
        } else if let last = tail.last, last.line == line {
            tail[tail.count - 1].times += 1
        } else if head.count < 10 {
            head.append((line, 1))
        } else {
            tail.append((line, 1))
            if tail.count > 10 {
                tail.removeFirst()
                omitted += 1
            }
        }
    }

    /// The lines of the call chain as kept, innermost first, a run of the same line once.
    public var trace: [String] { (head + tail).map(\.line) }

    /// The call chain with runs of the same line folded (deep recursion) and at most 20 lines.
    public var compactTrace: [String] {
        func shown(_ call: (line: String, times: Int)) -> String { call.times > 1 ? "\(call.line) (\(call.times) times)" : call.line }
        guard omitted > 0 else { return (head + tail).map(shown) }
        return head.map(shown) + ["  … \(omitted + tail.count - 5) more calls …"] + tail.suffix(5).map(shown)
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
