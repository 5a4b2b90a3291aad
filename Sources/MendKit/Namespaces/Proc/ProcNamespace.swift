// EACCES only: an fd directory that cannot be read says no more than that it cannot.
import Glibc

/// The `proc` namespace: running processes as /proc shows them — found by name, described
/// (state, threads, open files, mappings, memory, limits), counted, and sampled over time for
/// growth checks. Read only; under `--root` the root's /proc is read.
public enum ProcNamespace {
    typealias Param = Builtin.Param

    /// The `proc` builtins, registered by ``Registry/standard()``.
    public static let table = NamespaceTable("proc", doc: """
        Processes from /proc: find, info, fds, maps, and sample/growth for rates over time.
        """, [
        .function("find", [Param("name")], doc: """
            The pids (ascending) of the processes called name.
            A process matches when its command name (/proc/PID/comm, which the kernel cuts at 15
            bytes) equals name, or when the last path component of its argv[0] does. [] when none does.
            """, example: """
            proc.find("node")  # [4242] on the fixture hosts
            """, body: find),
        .function("info", [Param("pid")], doc: """
            What /proc/PID tells of a process, as a map.
            pid, name (comm), cmdline (a list of strings), state ("S", "R", "D", "Z", …), threads,
            fds (entries of /proc/PID/fd; nil when another user's process cannot be read), maps
            (lines of /proc/PID/maps; nil likewise), rss (a size; nil for kernel threads) and limits
            (as ulimit.of gives them: resource → {soft, hard}, "unlimited" where there is none).
            A pid that does not exist is an error naming it.
            """, example: """
            let node = proc.info(4242)
            print(node.name, node.state, node.threads, node.fds, node.limits.nofile.soft)
            """, body: info),
        .function("fds", [Param("pid")], doc: """
            The number of open file descriptors of a process (entries of /proc/PID/fd).
            An error when the process does not exist or its fd directory cannot be read (exit 77 for
            another user's process without root).
            """, example: """
            assert proc.fds(4242) < 1000
            """, body: fds),
        .function("maps", [Param("pid")], doc: """
            The number of memory mappings of a process (lines of /proc/PID/maps).
            vm.max_map_count bounds it; a count that keeps growing is a leak of mappings. An error
            when the process does not exist or cannot be read.
            """, example: """
            assert proc.maps(4242) < 65530 / 2  # half of the default vm.max_map_count
            """, body: maps),
        .function("sample", [Param("fn"), .label("every"), .label("for")], doc: """
            Calls fn every interval for a while and returns the samples: a list of {at, value}.
            fn takes no arguments; at is the duration since the first sample (taken at once, at 0),
            value what fn returned. every: 1s, for: 10s (at least every); samples are taken on a
            fixed schedule, so a slow fn does not stretch it. The wait stops when the run is
            interrupted (a signal, the step's timeout). Feed the list to proc.growth for a rate.
            """, example: """
            let counts = proc.sample(fn() => proc.fds(4242), every: 10ms, for: 30ms)
            print(len(counts), counts[0].at, counts[0].value)
            """, body: sample),
        .function("growth", [Param("samples")], doc: """
            The growth of sampled values in percent per minute: (last − first) / first · 100 per
            minute between them.
            samples: a list of {at, value} as proc.sample returns, at least two, values ints, floats
            or sizes. Negative when the value fell. An error when the first value is 0 (no percentage
            of nothing) or no time passed between the first and the last sample.
            """, example: """
            let counts = proc.sample(fn() => proc.fds(4242), every: 10ms, for: 20ms)
            assert proc.growth(counts) < 0.3  # %/min: open handles are not leaking
            """, body: growth),
    ])

    static func find(_ args: inout Arguments) throws -> Value {
        let name = try args.name(0)
        guard !name.isEmpty, !name.contains("/") else {
            throw MendError("proc.find: 'name' must be a command name without \"/\", got \(Value.quote(name))")
        }
        let host = args.context.effects.host
        let pids = try ProcFiles.pids(on: host).filter { pid in
            if ProcFiles.comm(pid, on: host) == name { return true }
            guard let cmdline = try? ProcFiles.read(pid, "cmdline", on: host),
                  let first = ProcFiles.arguments(cmdline).first else { return false }
            return first.split(separator: "/").last.map(String.init) == name
        }
        return .list(ListRef(pids.map(Value.int)))
    }

    static func info(_ args: inout Arguments) throws -> Value {
        let pid = try self.pid(args)
        let host = args.context.effects.host
        _ = try ProcFiles.existing(pid, on: host, for: "proc.info")
        let status = try ProcFiles.read(pid, "status", on: host) ?? ""
        let map = MapRef()
        map["pid"] = .int(pid)
        map["name"] = ProcFiles.comm(pid, on: host).map(Value.string) ?? ProcFiles.status("Name", in: status).map(Value.string) ?? .null
        let cmdline = (try? ProcFiles.read(pid, "cmdline", on: host)).flatMap { $0 } ?? ""
        map["cmdline"] = .list(ListRef(ProcFiles.arguments(cmdline).map(Value.string)))
        map["state"] = ProcFiles.status("State", in: status).flatMap { $0.first }.map { .string(String($0)) } ?? .null
        map["threads"] = ProcFiles.status("Threads", in: status).flatMap { Int($0) }.map(Value.int) ?? .null
        map["fds"] = try ProcFiles.fdCount(pid, on: host, for: "proc.info").map(Value.int) ?? .null
        map["maps"] = (try? ProcFiles.read(pid, "maps", on: host)).flatMap { $0 }.map { .int(ProcFiles.lineCount($0)) } ?? .null
        map["rss"] = ProcFiles.kibibytes(ProcFiles.status("VmRSS", in: status)).map(Value.size) ?? .null
        let limits = MapRef()
        if let text = try? ProcFiles.read(pid, "limits", on: host) {
            for (kind, pair) in LimitFiles.parseProcLimits(text) { limits[kind.name] = pair.value }
        }
        map["limits"] = .map(limits)
        return .map(map)
    }

    static func fds(_ args: inout Arguments) throws -> Value {
        let pid = try self.pid(args)
        guard let count = try ProcFiles.fdCount(pid, on: args.context.effects.host, for: "proc.fds") else {
            throw HostError("proc.fds: cannot read /proc/\(pid)/fd: \(HostError.reason(EACCES))", code: EACCES)
        }
        return .int(count)
    }

    static func maps(_ args: inout Arguments) throws -> Value {
        let pid = try self.pid(args)
        let host = args.context.effects.host
        _ = try ProcFiles.existing(pid, on: host, for: "proc.maps")
        do {
            guard let text = try ProcFiles.read(pid, "maps", on: host) else {
                throw MendError("proc.maps: no process \(pid) (/proc/\(pid)/maps does not exist)", kind: .host)
            }
            return .int(ProcFiles.lineCount(text))
        } catch let error as HostError {
            throw HostError("proc.maps: \(error.message)", code: error.code)
        }
    }

    static func sample(_ args: inout Arguments) throws -> Value {
        let fn = try args.function(0)
        let every = try args.optionalDuration(1, nilIsAbsent: true) ?? 1_000_000_000
        let span = try args.optionalDuration(2, nilIsAbsent: true) ?? 10_000_000_000
        guard every > 0 else { throw MendError("proc.sample: every must be positive, got \(Value.formatDuration(every))") }
        guard span >= every else {
            throw MendError("proc.sample: for (\(Value.formatDuration(span))) must be at least every (\(Value.formatDuration(every)))")
        }
        let host = args.context.effects.host
        let start = host.monotonicNanoseconds()
        var samples: [Value] = []
        for k in 0...(span / every) {
            try CoreLibrary.pause(nanoseconds: start + k * every - host.monotonicNanoseconds(), on: host)
            let at = host.monotonicNanoseconds() - start
            let value = try args.context.call(fn, [])
            let entry = MapRef()
            entry["at"] = .duration(at)
            entry["value"] = value
            samples.append(.map(entry))
        }
        return .list(ListRef(samples))
    }

    static func growth(_ args: inout Arguments) throws -> Value {
        let samples = try args.list(0).items
        guard samples.count >= 2 else {
            throw MendError("proc.growth: needs at least two samples, got \(samples.count)")
        }
        let (firstAt, first) = try point(samples[0], 0)
        let (lastAt, last) = try point(samples[samples.count - 1], samples.count - 1)
        guard first != 0 else {
            throw MendError("proc.growth: the first value is 0, so there is no percentage of it to grow by")
        }
        let minutes = Double(lastAt - firstAt) / 60e9
        guard minutes > 0 else { throw MendError("proc.growth: no time passed between the first and the last sample") }
        return .float((last - first) / first * 100 / minutes)
    }

    /// The time and number of one sample `{at, value}`.
    private static func point(_ sample: Value, _ index: Int) throws -> (Int, Double) {
        guard case .map(let map) = sample, case .duration(let at)? = map["at"] else {
            throw MendError("proc.growth: sample \(index) must be a map {at: duration, value: number}, got \(sample.typeName)")
        }
        switch map["value"] {
        case .int(let n)?: return (at, Double(n))
        case .float(let f)?: return (at, f)
        case .size(let n)?: return (at, Double(n))
        default: throw MendError("proc.growth: the value of sample \(index) must be an int, a float or a size, got \(map["value"]?.typeName ?? "nothing")")
        }
    }

    /// The pid argument: a positive int.
    private static func pid(_ args: Arguments) throws -> Int {
        let value = try args.value(0)
        guard case .int(let pid) = value, pid > 0 else {
            throw args.typeError(0, expected: "a process id (a positive int)", got: value)
        }
        return pid
    }
}
