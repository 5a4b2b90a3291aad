import CMendSupport

/// A run was stopped from outside the runbook: SIGINT, SIGTERM, SIGHUP, a step's timeout, or the
/// run's memory budget. Not a
/// ``MendError``, so `try`/`catch` in the runbook cannot swallow it; the engine catches it,
/// fails the step and rolls back.
public struct Interrupted: Error, Sendable, CustomStringConvertible {
    public enum Reason: Sendable {
        case signal(String)
        case timeout
        /// The process grew past its memory budget of this many bytes (`--max-memory`).
        case memory(Int)
    }

    public let reason: Reason

    public init(_ reason: Reason) {
        self.reason = reason
    }

    /// The interruption now pending (the engine clears it when it handles it).
    static func pending() -> Interrupted {
        switch Int(mend_interrupt_pending()) {
        case Int(MEND_INTERRUPT_SIGTERM): return Interrupted(.signal("SIGTERM"))
        case Int(MEND_INTERRUPT_SIGHUP): return Interrupted(.signal("SIGHUP"))
        case Int(MEND_INTERRUPT_TIMEOUT): return Interrupted(.timeout)
        case Int(MEND_INTERRUPT_MEMORY): return Interrupted(.memory(Int(mend_memory_watch_limit())))
        default: return Interrupted(.signal("SIGINT"))
        }
    }

    /// The interruption now pending, or nil.
    public static var current: Interrupted? { isPending ? pending() : nil }

    /// True when an interruption is pending.
    public static var isPending: Bool { mend_interrupt_pending() != 0 }

    /// Throws when an interruption is pending: for builtins that wait (sleep, commands, confirm).
    public static func check() throws(Interrupted) {
        if mend_interrupt_pending() != 0 { throw pending() }
    }

    public var description: String {
        switch reason {
        case .signal(let name): return "interrupted by \(name)"
        case .timeout: return "timed out"
        case .memory(let limit):
            return "the run used more than its memory budget of \(Value.size(limit).display) (--max-memory)"
        }
    }
}

/// Checks for an interruption every few thousand ticks: for builtins that loop over big values
/// (`lines`, `split`, `format`, printing, `sort`, `range`), where the VM, which polls at backward
/// jumps and calls, has no say until they return.
struct InterruptPoll {
    private static let interval = 4096
    private var left = InterruptPoll.interval

    @inline(__always)
    mutating func tick() throws(Interrupted) {
        left &-= 1
        if left <= 0 {
            left = InterruptPoll.interval
            try Interrupted.check()
        }
    }
}
