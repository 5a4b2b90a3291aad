import CMendSupport
import Glibc

/// A command for a host to run: no shell, `argv[0]` looked up in `PATH` unless it contains a '/'.
public struct ProcessRequest: Sendable {
    public var argv: [String]
    /// `nil` inherits this process's environment; otherwise exactly these "K=V" entries.
    public var environment: [String]?
    /// Where the command runs; `nil` is this process's current directory.
    public var workingDirectory: String?
    /// Bytes written to the command's standard input, which is then closed; `nil` gives it /dev/null.
    public var stdin: [UInt8]?
    /// Nanoseconds before the command is killed; `nil` waits for ever.
    public var timeout: Int?
    /// Bytes kept per stream; the rest is read and dropped so the command never blocks.
    public var outputLimit: Int

    public init(_ argv: [String], environment: [String]? = nil, workingDirectory: String? = nil, stdin: [UInt8]? = nil,
                timeout: Int? = nil, outputLimit: Int = 16 << 20) {
        self.argv = argv
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.stdin = stdin
        self.timeout = timeout
        self.outputLimit = outputLimit
    }
}

/// What starts a host's commands. ``SystemProcessRunner`` spawns real processes; a test or an
/// embedder can answer commands itself (an offline image with canned tool output, a recording
/// fake), and every namespace that runs a tool goes through it.
public protocol ProcessRunner: Sendable {
    /// Runs the command to its end and returns what it left behind. `shouldStop` is polled at
    /// least every 50 ms; returning true kills the command. Throws when it cannot start.
    func run(_ request: ProcessRequest, shouldStop: () -> Bool) throws(ProcessError) -> ProcessResult
}

/// What a finished command left behind.
public struct ProcessResult: Sendable {
    /// The exit code, or 128 + the signal number when a signal ended it
    /// (-1 in the odd case that someone else reaped the child, e.g. SIGCHLD is ignored).
    public let status: Int32
    /// What the command wrote to standard output (at most `outputLimit` bytes).
    public let stdout: [UInt8]
    /// What the command wrote to standard error (at most `outputLimit` bytes).
    public let stderr: [UInt8]
    /// Killed because the timeout passed.
    public let timedOut: Bool
    /// Killed because `shouldStop` returned true.
    public let stopped: Bool

    public init(status: Int32, stdout: [UInt8] = [], stderr: [UInt8] = [], timedOut: Bool = false, stopped: Bool = false) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.timedOut = timedOut
        self.stopped = stopped
    }
}

/// Why a command could not start.
public struct ProcessError: Error, Sendable, CustomStringConvertible {
    /// The command's `argv[0]`.
    public let command: String
    /// What went wrong, e.g. "no such command", "permission denied" or the system's error text.
    public let message: String
    /// `command: message`.
    public var description: String { "\(command): \(message)" }

    public init(command: String, message: String) {
        self.command = command
        self.message = message
    }
}

extension Host {
    /// Runs `argv` on this host through its ``processes`` and waits for it (see ``ProcessRequest``
    /// for the parameters). On timeout or stop the command's whole process group is killed, and
    /// the result says so.
    /// - Throws: ``ProcessError`` when the command cannot be started, or when an argument, an
    ///   environment entry or the working directory holds a NUL byte (then no runner sees it).
    public func run(_ argv: [String], environment: [String]? = nil, workingDirectory: String? = nil,
                    stdin: [UInt8]? = nil, timeout: Int? = nil, outputLimit: Int = 16 << 20,
                    shouldStop: () -> Bool = { false }) throws(ProcessError) -> ProcessResult {
        let request = ProcessRequest(argv, environment: environment, workingDirectory: workingDirectory, stdin: stdin,
                                     timeout: timeout, outputLimit: outputLimit)
        try request.refuseNUL()
        return try processes.run(request, shouldStop: shouldStop)
    }
}

extension Host {
    /// Starts `argv` (an absolute path) in a session of its own, detached from this process: no
    /// terminal, standard streams on /dev/null, default signal handling. It outlives this process,
    /// its terminal and its SSH connection; nothing waits for it here. Returns its pid.
    public func spawnDetached(_ argv: [String]) throws(ProcessError) -> Int {
        let request = ProcessRequest(argv)
        try request.refuseNUL()
        guard let command = argv.first else { throw ProcessError(command: "", message: "empty command") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in 0...2 { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        SystemProcessRunner.resetSignals(&attributes, flags: mend_spawn_setsid_flag())
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, command, &actions, &attributes, cArgs, environ)
        guard code == 0 else { throw ProcessError(command: command, message: String(cString: strerror(code))) }
        return Int(pid)
    }
}
