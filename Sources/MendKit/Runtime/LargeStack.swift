import Glibc

/// Runs a closure on a thread with a large stack and waits for it.
enum LargeStack {
    /// 1 GiB of address space; only the pages actually used are committed.
    static let size = 1 << 30

    /// Unchecked, and true: the thread writes `result` before it ends, and the caller reads it only
    /// after pthread_join, which orders the two.
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
