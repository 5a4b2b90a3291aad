/// A resource limit of the mend process itself (kind `ulimit`, target the resource name, e.g.
/// `nofile`), read and set through ``Host``. Commands that `run` starts inherit it.
///
/// The state is `{"soft": 1024, "hard": 524288, "pid": 4242}` (`"unlimited"` for RLIM_INFINITY). A
/// limit belongs to a process and ends with it, so the state names the process: states of two
/// different processes count as the same, which makes `mend rollback` of a finished run find a
/// ulimit change already undone instead of changing its own limits.
public struct UlimitResource: Resource {
    public var kind: String { "ulimit" }

    public init() {}

    /// The limits of this process.
    public func current(_ kind: UlimitKind, on host: Host) throws -> LimitPair {
        let limit: (soft: UInt64, hard: UInt64)
        do throws(HostError) {
            limit = try host.resourceLimit(kind.rlimit)
        } catch {
            throw HostError("cannot read ulimit \(kind.name): \(error.message)", code: error.code)
        }
        return LimitPair(soft: LimitValue(rlim: limit.soft), hard: LimitValue(rlim: limit.hard))
    }

    /// A state of this process.
    public static func state(_ pair: LimitPair, on host: Host) -> JSON {
        .object([("soft", pair.soft.json), ("hard", pair.hard.json), ("pid", .int(host.processID))])
    }

    /// The limits a state records, or nil when it is damaged.
    public static func pair(_ state: JSON) -> LimitPair? {
        guard let soft = LimitValue(state["soft"]), let hard = LimitValue(state["hard"]) else { return nil }
        return LimitPair(soft: soft, hard: hard)
    }

    public func read(_ target: String, on host: Host) throws -> JSON {
        guard let kind = UlimitKind.lookUp(target) else { throw HostError("ulimit: unknown resource \(target)") }
        return UlimitResource.state(try current(kind, on: host), on: host)
    }

    public func write(_ target: String, _ state: JSON, on host: Host) throws {
        guard let kind = UlimitKind.lookUp(target), let pair = UlimitResource.pair(state) else {
            throw HostError("ulimit \(target): the recorded state is damaged")
        }
        do throws(HostError) {
            try host.setResourceLimit(kind.rlimit, soft: pair.soft.rlim, hard: pair.hard.rlim)
        } catch {
            let why = !error.isNotPermitted ? "" : kind.name == "nofile" ? " (raising a hard limit needs root, and nofile stays within fs.nr_open)"
                : " (raising a hard limit needs root)"
            throw HostError("cannot set ulimit \(kind.name) to soft \(pair.soft.text), hard \(pair.hard.text): "
                + error.message + why, code: error.code)
        }
    }

    public func reportValue(_ state: JSON) -> JSON {
        guard let pair = UlimitResource.pair(state) else { return state }
        return .object([("soft", pair.soft.json), ("hard", pair.hard.json)])
    }

    public func same(_ a: JSON, _ b: JSON) -> Bool {
        if let p = a["pid"]?.int, let q = b["pid"]?.int, p != q { return true }
        return UlimitResource.pair(a) == UlimitResource.pair(b)
    }
}
