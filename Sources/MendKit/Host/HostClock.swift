import CMendSupport
import Glibc

/// Time and sleep, through the host like every other system call.
extension Host {
    /// Seconds since the Unix epoch (the real-time clock), with fractions.
    public func wallClock() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Whole seconds since the Unix epoch.
    public func wallClockSeconds() -> Int {
        Int(time(nil))
    }

    /// The current time in UTC as `2026-11-25T10:32:29Z`, for log lines.
    public func utcTimestamp() -> String {
        var t = time(nil)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// Nanoseconds of a monotonic clock: for durations, never for dates.
    public func monotonicNanoseconds() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts.tv_sec * 1_000_000_000 + ts.tv_nsec
    }

    /// Milliseconds of a monotonic clock.
    public func monotonicMilliseconds() -> Int {
        monotonicNanoseconds() / 1_000_000
    }

    /// Sleeps for `nanoseconds` (resumed after signals). Callers that must stay interruptible
    /// sleep in slices and check between them.
    public func sleep(nanoseconds: Int) {
        guard nanoseconds > 0 else { return }
        var request = timespec(tv_sec: nanoseconds / 1_000_000_000, tv_nsec: nanoseconds % 1_000_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }
}

/// The kernel's clock discipline as adjtimex(2) reads it (modes 0: nothing is changed).
public struct KernelClock: Sendable {
    /// Neither STA_UNSYNC nor TIME_ERROR: something (chrony, timesyncd, ntpd) keeps the clock in sync.
    public var synchronized: Bool
    /// The offset still being slewed away, in nanoseconds (positive: the clock is behind).
    public var offsetNanoseconds: Int
    public var frequencyPPM: Double
    public var maxErrorNanoseconds: Int
    public var estErrorNanoseconds: Int
}

extension Host {
    /// Reads the kernel's clock state with adjtimex(2), modes 0, which changes nothing.
    public func kernelClock() throws(HostError) -> KernelClock {
        var tx = timex()
        tx.modes = 0
        let state = adjtimex(&tx)
        guard state >= 0 else { throw HostError.last("cannot read the kernel clock (adjtimex)") }
        let nano = tx.status & Int32(STA_NANO) != 0
        return KernelClock(synchronized: tx.status & Int32(STA_UNSYNC) == 0 && state != TIME_ERROR,
                           offsetNanoseconds: nano ? tx.offset : tx.offset * 1000,
                           frequencyPPM: Double(tx.freq) / 65536,
                           maxErrorNanoseconds: tx.maxerror * 1000,
                           estErrorNanoseconds: tx.esterror * 1000)
    }
}
