/// The unit suffixes of duration and size literals (case-sensitive).
public enum Units {
    /// Nanoseconds per duration unit.
    public static let durations: [String: Int] = [
        "ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
        "m": 60_000_000_000, "h": 3_600_000_000_000, "d": 86_400_000_000_000,
    ]
    /// Bytes per size unit.
    public static let sizes: [String: Int] = [
        "B": 1, "KB": 1_000, "MB": 1_000_000, "GB": 1_000_000_000, "TB": 1_000_000_000_000,
        "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
    ]
    static let help = "durations: ns us ms s m h d; sizes: B KB MB GB TB KiB MiB GiB TiB"
}
