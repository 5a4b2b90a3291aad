import Glibc
import Testing

/// A `confirm` step is guarded by a watchdog process of its own: mend killed with SIGKILL while it
/// waits still gets its change rolled back at the deadline; confirmed in time, the change stays and
/// the watchdog is gone.
@Suite("confirm watchdog", .serialized)
struct ConfirmWatchdogTests {
    /// Runs a shell script with `MEND` set, returns its output.
    private func shell(_ script: String, in dir: TemporaryDirectory) throws -> String {
        let file = dir.path + "/t.sh", out = dir.path + "/t.out"
        try writeFile(file, "set -u\nMEND=\(shellQuote(MendBinary.path))\ncd \(shellQuote(dir.path))\n" + script)
        _ = try system("sh \(shellQuote(file)) > \(shellQuote(out)) 2>&1 </dev/null")
        return try readFile(out)
    }

    private static let waitForPending = """
        i=0; while [ ! -e st/confirm.pending ] && [ $i -lt 100 ]; do i=$((i+1)); sleep 0.05; done
        """

    @Test("mend SIGKILLed while it waits: the watchdog rolls the run back at the deadline")
    func killedWhileWaiting() throws {
        let dir = try TemporaryDirectory()
        try writeFile(dir.path + "/c.mend", "step \"risky\" confirm 2s {\n  file.write(\"\(dir.path)/f.txt\", \"changed\\n\")\n}\n")
        let out = try shell("""
            "$MEND" run c.mend --state-dir st > run.out 2>&1 & P=$!
            \(Self.waitForPending)
            echo "armed=$("$MEND" runs --state-dir st | grep -c 'confirm watchdog armed')"
            W=$(sed 's/.*"watchdog_pid":\\([0-9]*\\).*/\\1/' st/watchdog)
            kill -9 $P; wait $P 2>/dev/null
            echo "killed.file=$(cat f.txt)"
            i=0; while [ -e f.txt ] && [ $i -lt 100 ]; do i=$((i+1)); sleep 0.05; done
            echo "after.file=$(test -e f.txt && echo yes || echo no)"
            echo "waited=$i"
            echo "status=$("$MEND" runs --state-dir st --format json | grep -c '"status".*rolled back')"
            i=0; while kill -0 $W 2>/dev/null && [ "$(ps -o stat= -p $W)" != Z ] && [ $i -lt 40 ]; do i=$((i+1)); sleep 0.05; done
            echo "watchdog.alive=$(kill -0 $W 2>/dev/null && [ "$(ps -o stat= -p $W)" != Z ] && echo yes || echo no)"
            echo "record=$(test -e st/watchdog && echo yes || echo no)"
            echo "log=$(grep -c 'rolled back' st/watchdog.log)"
            """, in: dir)
        #expect(marker("armed", in: out) == "1", "\(out)")
        #expect(marker("killed.file", in: out) == "changed", "\(out)")
        #expect(marker("after.file", in: out) == "no", "\(out)")
        // The deadline is 2 s (and 1 s of margin) after the wait began: within 5 s of the kill.
        #expect((marker("waited", in: out).flatMap { Int($0) } ?? 100) < 100, "\(out)")
        #expect(marker("status", in: out) == "1", "\(out)")
        #expect(marker("watchdog.alive", in: out) == "no", "\(out)")
        #expect(marker("record", in: out) == "no", "\(out)")
        #expect(marker("log", in: out) == "1", "\(out)")
    }

    @Test("confirmed in time: the change stays and the watchdog is gone")
    func confirmedInTime() throws {
        let dir = try TemporaryDirectory()
        try writeFile(dir.path + "/c.mend", "step \"risky\" confirm 5s {\n  file.write(\"\(dir.path)/f.txt\", \"changed\\n\")\n}\n")
        let out = try shell("""
            "$MEND" run c.mend --state-dir st > run.out 2>&1 & P=$!
            \(Self.waitForPending)
            W=$(sed 's/.*"watchdog_pid":\\([0-9]*\\).*/\\1/' st/watchdog)
            "$MEND" confirm --state-dir st >/dev/null; wait $P; echo "run=$?"
            i=0; while kill -0 $W 2>/dev/null && [ "$(ps -o stat= -p $W)" != Z ] && [ $i -lt 40 ]; do i=$((i+1)); sleep 0.05; done
            echo "watchdog.alive=$(kill -0 $W 2>/dev/null && [ "$(ps -o stat= -p $W)" != Z ] && echo yes || echo no)"
            echo "record=$(test -e st/watchdog && echo yes || echo no)"
            sleep 6
            echo "file=$(cat f.txt)"
            """, in: dir)
        #expect(marker("run", in: out) == "0", "\(out)")
        #expect(marker("watchdog.alive", in: out) == "no", "\(out)")
        #expect(marker("record", in: out) == "no", "\(out)")
        #expect(marker("file", in: out) == "changed", "the change outlives the window: \(out)")
    }
}
