import Glibc
import CMendSupport

/// Starts real processes with posix_spawn: the live machine's commands, captured synchronously
/// (swift-subprocess is async-only; the interpreter is not).
public struct SystemProcessRunner: ProcessRunner {
    public init() {}

    public func run(_ request: ProcessRequest, shouldStop: () -> Bool) throws(ProcessError) -> ProcessResult {
        // Also here: an embedder may call this runner without a Host.
        try request.refuseNUL()
        return try SystemProcessRunner.spawn(request.argv, environment: request.environment,
                                      workingDirectory: request.workingDirectory, stdin: request.stdin,
                                      timeout: request.timeout, outputLimit: request.outputLimit, shouldStop: shouldStop)
    }

    /// Gives a child a clean signal mask and default dispositions, so it behaves normally whatever
    /// this process blocks or ignores; `flags` are set with those.
    static func resetSignals(_ attributes: inout posix_spawnattr_t, flags: Int16) {
        var noSignals = sigset_t(), defaults = sigset_t()
        sigemptyset(&noSignals)
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, flags | Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    }

    /// Runs `argv` without a shell and waits for it; on timeout or stop the command's whole process
    /// group gets SIGKILL, and the result says so.
    private static func spawn(_ argv: [String], environment: [String]?, workingDirectory: String?,
                              stdin: [UInt8]?, timeout: Int?, outputLimit: Int,
                              shouldStop: () -> Bool) throws(ProcessError) -> ProcessResult {
        guard let command = argv.first else { throw ProcessError(command: "", message: "empty command") }
        func failure(_ code: Int32) -> ProcessError {
            switch code {
            case ENOENT: ProcessError(command: command, message: "no such command")
            case EACCES: ProcessError(command: command, message: "permission denied")
            default: ProcessError(command: command, message: String(cString: strerror(code)))
            }
        }

        // Every descriptor we open is closed on every path: the `defer` closes whatever is still >= 0.
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1], inPipe: [Int32] = [-1, -1]
        defer { for fd in outPipe + errPipe + inPipe where fd >= 0 { close(fd) } }
        if let code = makePipe(&outPipe) ?? makePipe(&errPipe)
            ?? (stdin == nil ? nil : makePipe(&inPipe)) { throw failure(code) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears FD_CLOEXEC on the child's copies, so only fds 0-2 survive the exec.
        if stdin != nil {
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        if let dir = workingDirectory {
            // A missing directory would make posix_spawn fail with ENOENT, which reads as "no such command".
            var info = stat()
            guard stat(dir, &info) == 0 else {
                throw ProcessError(command: command, message: "cannot use working directory \(dir): "
                    + String(cString: strerror(errno)))
            }
            let code = mend_spawn_add_chdir(&actions, dir)
            guard code == 0 else { throw failure(code) }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group, so a kill reaches grandchildren too (`sh -c "sleep 100"`); a clean
        // signal mask and default dispositions, so the child behaves normally whatever we block or ignore.
        posix_spawnattr_setpgroup(&attributes, 0)
        resetSignals(&attributes, flags: Int16(POSIX_SPAWN_SETPGROUP))

        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { $0.map { strdup($0) } + [nil] }
        defer { for p in cArgs + (cEnv ?? []) { free(p) } }
        var pid: pid_t = 0
        let code = cEnv.map { posix_spawnp(&pid, command, &actions, &attributes, cArgs, $0) }
            ?? posix_spawnp(&pid, command, &actions, &attributes, cArgs, environ)
        guard code == 0 else { throw failure(code) }

        // Drop the child's ends so that EOF on our ends means the child (and its children) are done.
        for fd in [outPipe[1], errPipe[1], inPipe[0]] where fd >= 0 { close(fd) }
        outPipe[1] = -1; errPipe[1] = -1; inPipe[0] = -1

        var collector = Collector(stdout: outPipe[0], stderr: errPipe[0], stdin: inPipe[1],
                                  input: stdin ?? [], limit: max(outputLimit, 0))
        outPipe[0] = -1; errPipe[0] = -1; inPipe[1] = -1  // the collector owns and closes them now
        defer { collector.closeAll() }
        if collector.fds[2] >= 0 {
            // Non-blocking, so a child that stops reading never blocks us while its output piles up.
            _ = fcntl(collector.fds[2], F_SETFL, fcntl(collector.fds[2], F_GETFL) | O_NONBLOCK)
        }
        // A write to a pipe whose reader is gone raises SIGPIPE in this thread, which would kill us:
        // block it while we run and swallow any we raised (see Collector.write).
        var sigpipe = sigset_t(), oldMask = sigset_t()
        sigemptyset(&sigpipe)
        sigaddset(&sigpipe, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &sigpipe, &oldMask)
        defer { pthread_sigmask(SIG_SETMASK, &oldMask, nil) }

        let deadline = timeout.map { now() + min($0, Int.max / 2) }  // min: no overflow on huge timeouts
        var waitStatus: Int32?, timedOut = false, stopped = false
        var nap = 1_000_000  // after the pipes close the child exits soon; don't oversleep that
        while true {
            if waitStatus == nil { waitStatus = reap(pid, block: false) }
            let reading = collector.fds[0] >= 0 || collector.fds[1] >= 0
            // Once killed, stop waiting for pipes that a runaway grandchild may hold open.
            if waitStatus != nil && (!reading || timedOut || stopped) { break }
            if !timedOut && !stopped {
                if let deadline, now() >= deadline { timedOut = true } else if shouldStop() { stopped = true }
                if timedOut || stopped { kill(-pid, SIGKILL); continue }
            }
            var wait = 50_000_000
            if let deadline, !timedOut { wait = max(0, min(wait, deadline - now())) }
            if !reading { wait = min(wait, nap); nap *= 2 }
            if let error = collector.pump(timeout: wait) {
                // Give up on the child rather than leave it running unwatched or as a zombie.
                kill(-pid, SIGKILL)
                if waitStatus == nil { _ = reap(pid, block: true) }
                throw failure(error)
            }
        }
        return ProcessResult(status: decode(waitStatus ?? -1), stdout: collector.out[0], stderr: collector.out[1],
                             timedOut: timedOut, stopped: stopped)
    }

    /// Makes a pipe with both ends close-on-exec from the start (so commands spawned concurrently from
    /// other threads never inherit them) and above 2 (if our own 0-2 were closed, an end could land on
    /// a fd the child's dup2s overwrite). Returns errno on failure; the caller closes `ends`.
    private static func makePipe(_ ends: inout [Int32]) -> Int32? {
        guard mend_pipe_cloexec(&ends) == 0 else { return errno }
        for i in 0..<2 where ends[i] < 3 {
            let moved = fcntl(ends[i], F_DUPFD_CLOEXEC, 3)
            guard moved >= 0 else { return errno }
            close(ends[i])
            ends[i] = moved
        }
        return nil
    }

    /// Monotonic time in nanoseconds.
    private static func now() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts.tv_sec * 1_000_000_000 + ts.tv_nsec
    }

    /// The raw wait status once the child has ended, or nil while it runs. ECHILD (someone else reaped
    /// it, e.g. SIGCHLD is ignored) counts as ended with an unknown status, so we never wait for ever.
    private static func reap(_ pid: pid_t, block: Bool) -> Int32? {
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, block ? 0 : WNOHANG)
            if r == pid { return status }
            if r == 0 { return nil }
            if errno != EINTR { return -1 }
        }
    }

    /// The exit code, or 128 + signal; the Glibc WIFEXITED/WTERMSIG macros don't import into Swift.
    /// -1 means the status is unknown.
    private static func decode(_ raw: Int32) -> Int32 {
        if raw == -1 { return -1 }
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }
}

/// Moves bytes between us and the child's pipes: fds[0] stdout, fds[1] stderr, fds[2] stdin (-1 when closed).
private struct Collector {
    var fds: [Int32]
    var out: [[UInt8]] = [[], []]
    let input: [UInt8]
    var written = 0
    let limit: Int

    init(stdout: Int32, stderr: Int32, stdin: Int32, input: [UInt8], limit: Int) {
        fds = [stdout, stderr, stdin]
        self.input = input
        self.limit = limit
        if input.isEmpty { close(at: 2) }  // nothing to send: give the child EOF at once
    }

    mutating func close(at i: Int) {
        if fds[i] >= 0 { Glibc.close(fds[i]) }
        fds[i] = -1
    }

    mutating func closeAll() { for i in fds.indices { close(at: i) } }

    /// Waits up to `timeout` ns for the pipes, then reads and writes what is ready.
    /// Returns an errno when poll itself fails.
    mutating func pump(timeout: Int) -> Int32? {
        var polled = fds.enumerated().map { i, fd in
            pollfd(fd: fd, events: Int16(i == 2 ? POLLOUT : POLLIN), revents: 0)
        }
        let ready = poll(&polled, nfds_t(polled.count), Int32((timeout + 999_999) / 1_000_000))
        if ready < 0 { return errno == EINTR ? nil : errno }
        for i in 0..<2 where polled[i].revents != 0 { read(at: i) }
        if polled[2].revents != 0 { write() }
        return nil
    }

    private mutating func read(at i: Int) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fds[i], $0.baseAddress, $0.count) }
        if n > 0 {
            out[i].append(contentsOf: buffer[..<min(n, max(0, limit - out[i].count))])
        } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
            close(at: i)  // EOF or a broken pipe: nothing more will come
        }
    }

    private mutating func write() {
        let n = input.withUnsafeBytes { bytes in
            bytes.baseAddress.map { Glibc.write(fds[2], $0 + written, bytes.count - written) } ?? 0
        }
        if n >= 0 {
            written += n
            if written == input.count { close(at: 2) }
        } else if errno == EPIPE {
            // The child stopped reading. Consume the SIGPIPE we raised (blocked, so pending) and stop.
            var sigpipe = sigset_t(), zero = timespec()
            sigemptyset(&sigpipe)
            sigaddset(&sigpipe, SIGPIPE)
            _ = sigtimedwait(&sigpipe, nil, &zero)
            close(at: 2)
        } else if errno != EINTR && errno != EAGAIN {
            close(at: 2)
        }
    }
}
