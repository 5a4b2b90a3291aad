import Glibc
import Testing

/// Issue 11, defect 5: `matches` used Swift's backtracking `Regex`, which took 38 s on 20
/// characters and ignored timeouts and signals. The binary now answers at once, and a match that
/// is long only because the text is huge stops with the step's timeout or a signal.
@Suite struct RegexEndToEndTests {
    @Test func aCatastrophicPatternAnswersAtOnce() throws {
        let r = try MendBinary.run(["eval", #"matches("a" * 30 + "!", '^(a+)+$')"#])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout == "false\n")
    }

    /// Five million scalars, each with a thousand live threads: minutes of honest work, cut at 1 s.
    static let longMatch = #"matches("a" * 5000000, 'a{0,1000}b')"#

    @Test func aStepTimeoutStopsALongMatch() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("regex-timeout.mend", """
            step "write" { file.write("/etc/a.conf", "A2\\n") }
            step "scan" timeout 1s {
              print(\(Self.longMatch))
            }

            """)
        let before = try TreeSnapshot.of(fixture.root)
        let r = try fixture.start(["run", file, "--format", "json"] + fixture.rootAndState).wait(limit: 60)
        #expect(r.status == 1, "stderr: \(r.stderr)")
        let report = try parseReport(r)
        #expect(report["status"]?.string == "rolled_back")
        #expect(steps(report).last?["error"]?["message"]?.string == "the step ran longer than its timeout of 1s")
        #expect(try TreeSnapshot.of(fixture.root) == before)
    }

    @Test func sigtermStopsALongMatch() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("regex-sigterm.mend", """
            step "scan" {
              file.write("/etc/a.conf", "A2\\n")
              while true { print(\(Self.longMatch)) }
            }

            """)
        let run = try fixture.start(["run", file, "--format", "json"] + fixture.rootAndState)
        #expect(pollUntil { (try? fixture.text("etc/a.conf")) == "A2\n" }, "the step never wrote")
        usleep(300_000)  // well inside the first match
        run.signal(SIGTERM)
        let r = try run.wait(limit: 60)
        #expect(r.status == 1, "stderr: \(r.stderr)")
        let report = try parseReport(r)
        #expect(report["status"]?.string == "rolled_back")
        #expect(steps(report).last?["error"]?["message"]?.string == "interrupted by SIGTERM")
        #expect(try fixture.text("etc/a.conf") == "A1\n", "rolled back")
    }
}
