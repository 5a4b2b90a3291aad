import Glibc

/// The few operating-system calls the core runtime needs (output, time, a large stack).

func systemWrite(_ fd: Int32, _ pointer: UnsafePointer<UInt8>?, _ count: Int) -> Int {
    while true {
        let n = write(fd, pointer, count)
        if n < 0, errno == EINTR { continue }
        return n
    }
}

extension Interpreter {
    /// `2026-11-25T10:32:29Z` for log lines.
    static func timestamp() -> String {
        var t = time(nil)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}

/// Runs a closure on a thread with a large stack and waits for it.
enum LargeStack {
    /// 1 GiB of address space; only the pages actually used are committed.
    static let size = 1 << 30

    private final class Job: @unchecked Sendable {
        let body: () throws -> Any
        var result: Result<Any, any Error> = .success(())
        init(_ body: @escaping () throws -> Any) { self.body = body }
    }

    static func run<T>(_ body: () throws -> T) throws -> T {
        try withoutActuallyEscaping(body) { escapable in
            let job = Job { try escapable() }
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            defer { pthread_attr_destroy(&attributes) }
            pthread_attr_setstacksize(&attributes, size)
            let context = Unmanaged.passRetained(job).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, &attributes, { raw in
                guard let raw else { return nil }
                let job = Unmanaged<Job>.fromOpaque(raw).takeRetainedValue()
                job.result = Result { try job.body() }
                return nil
            }, context)
            if status != 0 {
                // No thread could be made: run here, with the stack we have.
                Unmanaged<Job>.fromOpaque(context).release()
                return try escapable()
            }
            pthread_join(thread, nil)
            guard let value = try job.result.get() as? T else { throw MendError("internal error: large-stack result") }
            return value
        }
    }
}

/// The canonical absolute path of an existing file (symlinks resolved), or nil.
func canonicalPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// An environment variable, or nil.
func environmentValue(_ name: String) -> String? {
    guard let raw = getenv(name) else { return nil }
    return String(cString: raw)
}

/// Reads a whole file; nil if it cannot be read.
func readFileBytes(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0, errno == EINTR { continue }
        if n < 0 { return nil }
        if n == 0 { return result }
        result.append(contentsOf: buffer[0..<n])
    }
}
