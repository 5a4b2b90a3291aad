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
