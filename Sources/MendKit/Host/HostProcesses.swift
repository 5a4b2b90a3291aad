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
