// The RLIMIT_* numbers only: limits are read and set through Host.
import Glibc

/// A resource limit by its names: `nofile` for the kernel, /proc/PID/limits, limits.conf and systemd.
public struct UlimitKind: Sendable, Equatable {
    /// The name runbooks, `ulimit -…` help and limits.conf use: `nofile`.
    public let name: String
    /// The RLIMIT_* number.
    let rlimit: UInt32
    /// The row of /proc/PID/limits: `Max open files`.
    let label: String
    /// The systemd unit setting: `LimitNOFILE`.
    public let systemd: String
    /// What the number counts, for messages and docs: `files`, `bytes`.
    let unit: String

    /// limits.conf counts these in KiB; the kernel and systemd in bytes.
    var kibInLimitsConf: Bool { ["fsize", "data", "stack", "core", "rss", "memlock", "as"].contains(name) }

    /// In the order of /proc/PID/limits.
    public static let all: [UlimitKind] = [
        UlimitKind(name: "cpu", rlimit: RLIMIT_CPU.rawValue, label: "Max cpu time", systemd: "LimitCPU", unit: "seconds"),
        UlimitKind(name: "fsize", rlimit: RLIMIT_FSIZE.rawValue, label: "Max file size", systemd: "LimitFSIZE", unit: "bytes"),
        UlimitKind(name: "data", rlimit: RLIMIT_DATA.rawValue, label: "Max data size", systemd: "LimitDATA", unit: "bytes"),
        UlimitKind(name: "stack", rlimit: RLIMIT_STACK.rawValue, label: "Max stack size", systemd: "LimitSTACK", unit: "bytes"),
        UlimitKind(name: "core", rlimit: RLIMIT_CORE.rawValue, label: "Max core file size", systemd: "LimitCORE", unit: "bytes"),
        UlimitKind(name: "rss", rlimit: __RLIMIT_RSS.rawValue, label: "Max resident set", systemd: "LimitRSS", unit: "bytes"),
        UlimitKind(name: "nproc", rlimit: __RLIMIT_NPROC.rawValue, label: "Max processes", systemd: "LimitNPROC", unit: "processes"),
        UlimitKind(name: "nofile", rlimit: RLIMIT_NOFILE.rawValue, label: "Max open files", systemd: "LimitNOFILE", unit: "files"),
        UlimitKind(name: "memlock", rlimit: __RLIMIT_MEMLOCK.rawValue, label: "Max locked memory", systemd: "LimitMEMLOCK", unit: "bytes"),
        UlimitKind(name: "as", rlimit: RLIMIT_AS.rawValue, label: "Max address space", systemd: "LimitAS", unit: "bytes"),
        UlimitKind(name: "locks", rlimit: __RLIMIT_LOCKS.rawValue, label: "Max file locks", systemd: "LimitLOCKS", unit: "locks"),
        UlimitKind(name: "sigpending", rlimit: __RLIMIT_SIGPENDING.rawValue, label: "Max pending signals", systemd: "LimitSIGPENDING", unit: "signals"),
        UlimitKind(name: "msgqueue", rlimit: __RLIMIT_MSGQUEUE.rawValue, label: "Max msgqueue size", systemd: "LimitMSGQUEUE", unit: "bytes"),
        UlimitKind(name: "nice", rlimit: __RLIMIT_NICE.rawValue, label: "Max nice priority", systemd: "LimitNICE", unit: "priority"),
        UlimitKind(name: "rtprio", rlimit: __RLIMIT_RTPRIO.rawValue, label: "Max realtime priority", systemd: "LimitRTPRIO", unit: "priority"),
    ]

    /// The kind called `name` (any case; `RLIMIT_NOFILE` and `LimitNOFILE` too), or nil.
    public static func lookUp(_ name: String) -> UlimitKind? {
        var key = name.lowercased()
        if key.hasPrefix("rlimit_") { key.removeFirst(7) }
        return all.first { $0.name == key || $0.systemd.lowercased() == key }
    }

    /// The kind called `name`; an error with the nearest name and the list otherwise.
    static func named(_ name: String, in builtin: String) throws -> UlimitKind {
        if let kind = lookUp(name) { return kind }
        let names = all.map(\.name)
        throw MendError("\(builtin): unknown resource \(Value.quote(name))" + Suggest.hint(for: name.lowercased(), in: names)
            + "; resources: " + names.joined(separator: ", "))
    }
}

/// One limit, soft or hard: a number or `unlimited` (RLIM_INFINITY).
public enum LimitValue: Equatable, Sendable, Comparable {
    case finite(UInt64)
    case unlimited

    /// RLIM_INFINITY, the kernel's "no limit".
    static let infinity = Host.unlimited

    init(rlim: UInt64) {
        self = rlim == LimitValue.infinity ? .unlimited : .finite(rlim)
    }

    /// The number the kernel takes: ``infinity`` for unlimited.
    var rlim: UInt64 {
        switch self {
        case .finite(let n): return n
        case .unlimited: return LimitValue.infinity
        }
    }

    /// An int, or the string "unlimited".
    var json: JSON {
        switch self {
        case .finite(let n): return .int(Int(clamping: n))
        case .unlimited: return .string("unlimited")
        }
    }

    init?(_ json: JSON?) {
        switch json {
        case .int(let n)? where n >= 0: self = .finite(UInt64(n))
        case .string("unlimited")?: self = .unlimited
        default: return nil
        }
    }

    /// As runbooks see it: an int or "unlimited".
    var value: Value {
        switch self {
        case .finite(let n): return .int(Int(clamping: n))
        case .unlimited: return .string("unlimited")
        }
    }

    /// How /proc/PID/limits and limits.conf write it: `1024`, `unlimited`.
    var text: String {
        switch self {
        case .finite(let n): return String(n)
        case .unlimited: return "unlimited"
        }
    }

    /// A limit a runbook gives: a non-negative int, a size (bytes), "unlimited" (or "infinity") or a
    /// numeric string. `what` names the argument in errors.
    static func parse(_ value: Value, _ what: String) throws -> LimitValue {
        switch value {
        case .int(let n) where n >= 0: return .finite(UInt64(n))
        case .size(let n) where n >= 0: return .finite(UInt64(n))
        case .string(let s):
            let word = s.trimmingCharacters().lowercased()
            if word == "unlimited" || word == "infinity" { return .unlimited }
            if let n = UInt64(word.filter { $0 != "_" }), n < UInt64(LimitValue.infinity) { return .finite(n) }
        default: break
        }
        throw MendError("\(what) must be a non-negative int, a size or \"unlimited\", got \(value.literal)")
    }

    public static func < (a: LimitValue, b: LimitValue) -> Bool {
        switch (a, b) {
        case (.finite(let x), .finite(let y)): return x < y
        case (.finite, .unlimited): return true
        case (.unlimited, _): return false
        }
    }
}

/// A soft and a hard limit.
public struct LimitPair: Equatable, Sendable {
    public var soft: LimitValue
    public var hard: LimitValue

    /// `{soft, hard}` for runbooks.
    var value: Value {
        let map = MapRef()
        map["soft"] = soft.value
        map["hard"] = hard.value
        return .map(map)
    }
}
