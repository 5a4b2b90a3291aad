import Glibc
import Testing
@testable import MendKit

@Suite struct SystemProcessRunnerTests {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
    private func cString(_ chars: [CChar]) -> String {
        text(chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) })
    }

    @Test func capturesStdout() throws {
        let result = try Host.local.run(["echo", "hello", "world"])
        #expect(text(result.stdout) == "hello world\n")
        #expect(result.stderr.isEmpty)
        #expect(result.status == 0)
        #expect(!result.timedOut && !result.stopped)
    }

    @Test func childGetsACleanSignalMask() throws {
        // Blocked here (this thread only); the child must still die of it.
        var term = sigset_t(), old = sigset_t()
        sigemptyset(&term)
        sigaddset(&term, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &term, &old)
        defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
        #expect(try Host.local.run(["sh", "-c", "kill -TERM $$; exit 0"]).status == 128 + SIGTERM)
    }

    @Test func childGetsDefaultSigpipeEvenIfWeIgnoreIt() throws {
        // A shell cannot un-ignore a signal ignored on entry, so this shows what it inherited.
        let old = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, old) }
        #expect(try Host.local.run(["sh", "-c", "kill -PIPE $$; exit 0"]).status == 128 + SIGPIPE)
    }

    @Test func capturesStderrSeparately() throws {
        let result = try Host.local.run(["sh", "-c", "echo out; echo oops >&2"])
        #expect(text(result.stdout) == "out\n")
        #expect(text(result.stderr) == "oops\n")
    }

    @Test func reportsExitCode() throws {
        #expect(try Host.local.run(["sh", "-c", "exit 3"]).status == 3)
    }

    @Test func reportsKillingSignalAs128Plus() throws {
        let result = try Host.local.run(["sh", "-c", "kill -9 $$"])
        #expect(result.status == 128 + 9)
        #expect(!result.timedOut && !result.stopped)
    }

    @Test func roundTripsAMebibyteThroughCat() throws {
        let input = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }
        let result = try Host.local.run(["cat"], stdin: input)
        #expect(result.status == 0)
        #expect(result.stdout.count == input.count)
        #expect(result.stdout == input)
    }

    @Test func survivesAChildThatIgnoresItsInput() throws {
        // Writing to a pipe nobody reads must not kill us with SIGPIPE.
        let result = try Host.local.run(["true"], stdin: [UInt8](repeating: 7, count: 1 << 20))
        #expect(result.status == 0)
    }

    @Test func noStdinMeansDevNull() throws {
        let result = try Host.local.run(["cat"])
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
    }

    @Test func timeoutKillsTheCommand() throws {
        let result = try Host.local.run(["sh", "-c", "sleep 30; echo x"], timeout: 200_000_000)
        #expect(result.timedOut)
        #expect(!result.stopped)
        #expect(result.status == 128 + 9)
        #expect(result.stdout.isEmpty)
    }

    @Test func timeoutKillsTheWholeProcessGroup() throws {
        let result = try Host.local.run(["sh", "-c", "sleep 30 & echo $!; wait"], timeout: 300_000_000)
        #expect(result.timedOut)
        let line = text(result.stdout).split(separator: "\n").first.map(String.init) ?? ""
        let sleeper = try #require(Int32(line))
        // SIGKILL lands at once, but give the reaper (whoever inherits the orphan) a moment.
        var gone = false
        for _ in 0..<200 where !gone {
            gone = isGoneOrZombie(sleeper)
            if !gone { usleep(10_000) }
        }
        #expect(gone, "the grandchild sleep \(sleeper) outlived the kill")
    }

    @Test func shouldStopKills() throws {
        var polls = 0
        let result = try Host.local.run(["sh", "-c", "sleep 30"], shouldStop: {
            polls += 1
            return polls >= 3
        })
        #expect(result.stopped)
        #expect(!result.timedOut)
        #expect(result.status == 128 + 9)
        #expect(polls == 3)
    }

    @Test func missingCommandThrows() {
        do {
            _ = try Host.local.run(["no-such-command-mend-test"])
            Issue.record("expected ProcessError")
        } catch {
            #expect(error.command == "no-such-command-mend-test")
            #expect(error.message == "no such command")
            #expect(error.description == "no-such-command-mend-test: no such command")
        }
    }

    @Test func nonExecutableThrowsPermissionDenied() throws {
        var template = Array("/tmp/mend-runner-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        try #require(fd >= 0)
        close(fd)  // mkstemp makes it mode 0600: not executable
        let path = cString(template)
        defer { unlink(path) }
        do {
            _ = try Host.local.run([path])
            Issue.record("expected ProcessError")
        } catch {
            #expect(error.message == "permission denied")
        }
    }

    @Test func passesExactlyTheGivenEnvironment() throws {
        let result = try Host.local.run(["env"], environment: ["A=1", "B=two words"])
        #expect(text(result.stdout) == "A=1\nB=two words\n")
    }

    @Test func inheritsTheEnvironmentByDefault() throws {
        let path = try #require(getenv("PATH")).withMemoryRebound(to: UInt8.self, capacity: 1) { String(cString: $0) }
        let result = try Host.local.run(["sh", "-c", "printf %s \"$PATH\""])
        #expect(text(result.stdout) == path)
    }

    @Test func honoursWorkingDirectory() throws {
        var template = Array("/tmp/mend-runner-XXXXXX".utf8CString)
        try #require(mkdtemp(&template) != nil)
        let dir = cString(template)
        defer { rmdir(dir) }
        let real = try #require(realpath(dir, nil))
        defer { free(real) }
        let result = try Host.local.run(["pwd", "-P"], workingDirectory: dir)
        #expect(text(result.stdout) == String(cString: real) + "\n")
    }

    @Test func missingWorkingDirectoryThrows() {
        #expect(throws: ProcessError.self) {
            try Host.local.run(["pwd"], workingDirectory: "/no/such/dir/for/mend")
        }
    }

    @Test func outputOverTheLimitIsDrainedButNotKept() throws {
        let result = try Host.local.run(["sh", "-c", "head -c 200000 /dev/zero; head -c 5000 /dev/zero >&2"],
                                           outputLimit: 1000)
        // Status 0: the writer was never blocked or cut off, only the kept bytes were capped.
        #expect(result.status == 0)
        #expect(result.stdout.count == 1000)
        #expect(result.stderr.count == 1000)
        #expect(result.stdout.allSatisfy { $0 == 0 })
    }

    /// True when `pid` no longer exists or is a zombie (dead, awaiting its new parent's wait).
    private func isGoneOrZombie(_ pid: Int32) -> Bool {
        let fd = open("/proc/\(pid)/stat", O_RDONLY)
        if fd < 0 { return true }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return true }
        // The state follows the parenthesised command name: "pid (comm) S ...".
        let stat = text(Array(buffer[..<n]))
        guard let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].dropFirst().first == "Z"
    }
}
