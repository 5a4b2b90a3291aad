/// The largest values a runbook may build, checked wherever a string, list or map grows, so a
/// loop that doubles a value ends in a located error instead of exhausting memory. (The run's
/// memory budget, `--max-memory`, catches what many values of legal size add up to.)
///
/// Process-wide: a program may lower them before any interpreter runs, never while one does. The
/// fuzz driver does (Fuzz/main.swift), since one value at these caps is over libFuzzer's 2 GiB.
public enum ValueLimits {
    /// Bytes of one string (UTF-8).
    nonisolated(unsafe) public static var maxStringBytes = 100_000_000
    /// Elements of one list or entries of one map.
    nonisolated(unsafe) public static var maxElements = 100_000_000

    /// Throws unless a string of `bytes` bytes may be built; `what` names the operation.
    @inline(__always)
    static func checkString(_ bytes: Int, _ what: @autoclosure () -> String) throws {
        if bytes > maxStringBytes {
            throw MendError("\(what()): a string of \(bytes) bytes is over the limit of \(maxStringBytes) bytes")
        }
    }

    /// Throws unless a list or map of `count` elements may be built; `what` names the operation.
    @inline(__always)
    static func checkElements(_ count: Int, _ what: @autoclosure () -> String) throws {
        if count > maxElements {
            throw MendError("\(what()): \(count) elements is over the limit of \(maxElements) elements")
        }
    }

    /// The error of an operation (`what`) whose text grew past the limit, stopped at `bytes` bytes.
    static func stringTooLong(_ bytes: Int, _ what: String) -> MendError {
        MendError("\(what): a string of more than \(max(bytes, maxStringBytes)) bytes is over the limit of \(maxStringBytes) bytes")
    }
}
