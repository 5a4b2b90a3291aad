import Glibc
import MendKit
import Testing

/// A fixture host for the report tests: a temporary directory holding the runbook, `root/` (the
/// host's files, for `--root`) and `state/` (for `--state-dir`, created by mend itself).
struct ReportHost {
    let dir: TemporaryDirectory
    var root: String { dir.path + "/root" }
    var state: String { dir.path + "/state" }
    var book: String { dir.path + "/book.mend" }

    /// `files` maps absolute paths on the host (under `root/`) to their text.
    init(_ source: String, files: [String: String] = [:]) throws {
        dir = try TemporaryDirectory()
        guard try system("mkdir -p \(shellQuote(dir.path + "/root/etc"))") == 0 else {
            throw TestFailure(description: "cannot create the fixture root")
        }
        try writeFile(book, source)
        for (path, text) in files { try writeFile(root + path, text) }
    }

    /// `mend COMMAND book.mend --root root/ --format FORMAT EXTRA…`; `run` also gets `--state-dir state/`.
    func mend(_ command: String = "run", format: String = "json", _ extra: [String] = [],
              environment: [String: String] = [:]) throws -> MendBinary.Result {
        var args = [command, book, "--root", root, "--format", format]
        if command == "run" { args += ["--state-dir", state] }
        return try MendBinary.run(args + extra, environment: environment)
    }

    /// The text of a host file, or nil when it does not exist.
    func file(_ path: String) -> String? {
        access(root + path, F_OK) == 0 ? try? readFile(root + path) : nil
    }
}

/// Shell commands whose output the tests read.
enum ReportShell {
    /// Runs `command` with stdout and stderr captured together (stdin is empty).
    static func run(_ command: String) throws -> (status: Int32, output: String) {
        let dir = try TemporaryDirectory()
        let out = dir.path + "/out"
        let status = try system("(\(command)) >\(shellQuote(out)) 2>&1 </dev/null")
        return (status, try readFile(out))
    }

    /// `sha256sum` of a file: the independent check of the digests reports show.
    static func sha256(_ path: String) throws -> String {
        let r = try run("sha256sum \(shellQuote(path))")
        guard r.status == 0, r.output.count >= 64 else { throw TestFailure(description: "sha256sum failed: \(r.output)") }
        return String(r.output.prefix(64))
    }

    /// Runs a Python program on `input` (written to a file, passed as argv[1]) with further arguments.
    static func python(_ program: String, input: String, _ arguments: [String] = []) throws -> (status: Int32, output: String) {
        let dir = try TemporaryDirectory()
        try writeFile(dir.path + "/input", input)
        return try run((["python3", "-c", program, dir.path + "/input"] + arguments).map(shellQuote).joined(separator: " "))
    }
}

/// docs/report.schema.json, applied by Python's jsonschema (scripts/test installs it).
enum ReportSchema {
    static let path = LanguageDoc.repositoryRoot + "/docs/report.schema.json"

    /// Exit 0: valid; 2: no jsonschema module; 3: invalid, with the validator's message. `argv[3]`
    /// holds Python statements that may alter the report `r` first (to prove invalid ones fail).
    static let program = """
        import json, sys
        try:
            import jsonschema
        except ImportError as e:
            print("python3 lacks the jsonschema module (scripts/test installs it): %s" % e)
            sys.exit(2)
        r = json.load(open(sys.argv[1], encoding="utf-8"))
        schema = json.load(open(sys.argv[2], encoding="utf-8"))
        exec(sys.argv[3])
        try:
            jsonschema.validate(r, schema)
        except jsonschema.ValidationError as e:
            print("%s (at /%s)" % (e.message, "/".join(map(str, e.absolute_path))))
            sys.exit(3)
        """

    static func validate(_ report: String, mutation: String = "") throws -> (status: Int32, message: String) {
        let r = try ReportShell.python(program, input: report, [path, mutation])
        return (r.status, r.output)
    }

    /// Expects `result` to hold a JSON report the schema accepts, and returns it parsed.
    static func checked(_ result: MendBinary.Result, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
        let validation = try validate(result.stdout)
        #expect(validation.status == 0, "schema: \(validation.message)\nstderr: \(result.stderr)", sourceLocation: sourceLocation)
        return try #require(JSON.parse(result.stdout), "not JSON: \(result.stdout)", sourceLocation: sourceLocation)
    }
}

fileprivate extension JSON {
    /// The element at `position` of an array, nil past its end or for other values.
    subscript(position: Int) -> JSON? {
        guard let items = array, position >= 0, position < items.count else { return nil }
        return items[position]
    }
}

@Suite("JSON report (docs/report.schema.json)")
struct JSONReportTests {
    @Test func aPlanShowsFileChangesAndReportFormValuesWithoutTouchingTheHost() throws {
        let host = try ReportHost("""
            runbook "plan demo"
            param wait = 2s
            param grace = 1s
            param mem = 16GiB
            param ver = version("1.21.10")
            param ratio = 0.5
            step "motd" { file.write("/etc/motd", "hello\\n") }
            step "new config" { file.write("/etc/app/app.conf", "port = 8080\\n", mode: 0o600) }

            """, files: ["/etc/motd": "old\n"])
        let r = try host.mend("plan", ["--param", "grace=2100ms"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let report = try ReportSchema.checked(r)
        #expect(report["mode"] == .string("dry-run"))
        #expect(report["status"] == .string("would_change"))
        #expect(report["runbook"] == .string("plan demo"))
        #expect(report["file"] == .string(host.book))
        #expect(report["run_id"] == .null, "a plan keeps no journal")
        #expect(report["exit_code"] == .int(0))
        let params = try #require(report["params"])
        #expect(params["wait"] == .string("2s"))
        #expect(params["grace"] == .string("2.1s"), "durations in literal syntax")
        #expect(params["mem"] == .int(17_179_869_184), "sizes as integer bytes")
        #expect(params["ver"] == .string("1.21.10"), "versions as strings")
        #expect(params["ratio"] == .double(0.5))

        let motd = try #require(report["steps"]?[0]?["changes"]?[0])
        #expect(report["steps"]?[0]?["status"] == .string("would_change"))
        #expect(motd["kind"] == .string("file") && motd["target"] == .string("/etc/motd"))
        #expect(motd["before"] == .string("old\n") && motd["after"] == .string("hello\n"))
        #expect(motd["applied"] == .bool(false) && motd["undone"] == .bool(false))
        let created = try #require(report["steps"]?[1]?["changes"]?[0])
        #expect(created["target"] == .string("/etc/app/app.conf"))
        #expect(created["before"] == .null, "the file did not exist")
        #expect(created["after"] == .string("port = 8080\n"))
        #expect(created["note"] == .string("created (mode 0600)"))

        #expect(host.file("/etc/motd") == "old\n", "a plan changes nothing")
        #expect(host.file("/etc/app") == nil)
    }

    @Test func aSuccessfulRunReportsWhatItApplied() throws {
        let host = try ReportHost("""
            runbook "apply demo"
            step "motd" { file.write("/etc/motd", "hello\\n") }
            step "cleanup" { file.remove("/etc/old.conf") }
            step "already fine" { file.write("/etc/keep", "same\\n") }

            """, files: ["/etc/motd": "old\n", "/etc/old.conf": "x = 1\n", "/etc/keep": "same\n"])
        let r = try host.mend("run", ["--detailed-exitcode"])
        #expect(r.status == 2, "stderr: \(r.stderr)")
        let report = try ReportSchema.checked(r)
        #expect(report["mode"] == .string("apply"))
        #expect(report["status"] == .string("changed"))
        #expect(report["exit_code"] == .int(2))
        #expect(report["steps"]?.array?.map { $0["status"] } == [.string("changed"), .string("changed"), .string("ok")])
        let runId = try #require(report["run_id"]?.string)
        #expect(access(host.state + "/runs/\(runId).journal", F_OK) == 0, "run_id names the journal")
        let removed = try #require(report["steps"]?[1]?["changes"]?[0])
        #expect(removed["before"] == .string("x = 1\n") && removed["after"] == .null)
        #expect(removed["applied"] == .bool(true) && removed["undone"] == .bool(false))
        #expect(report["steps"]?[2]?["changes"] == .array([]))
        #expect(host.file("/etc/motd") == "hello\n")
        #expect(host.file("/etc/old.conf") == nil)
    }

    @Test func aFailedRunSaysWhatFailedWhereAndWhatWasUndone() throws {
        let host = try ReportHost("""
            runbook "rollback demo"
            step "motd" { file.write("/etc/motd", "changed\\n") }
            step "config" { file.write("/etc/app.conf", "new\\n") }
            step "verify" {
              assert 1 + 1 == 3, "arithmetic broke"
            }
            step "never" { file.write("/etc/never", "x\\n") }

            """, files: ["/etc/motd": "old\n"])
        let r = try host.mend()
        #expect(r.status == 1, "stderr: \(r.stderr)")
        let report = try ReportSchema.checked(r)
        #expect(report["status"] == .string("rolled_back"))
        #expect(report["exit_code"] == .int(1))
        let steps = try #require(report["steps"]?.array)
        #expect(steps.map { $0["status"] } == [.string("rolled_back"), .string("rolled_back"), .string("failed")],
                "the run stops at the failed step")
        for step in steps.prefix(2) {
            #expect(step["changes"]?[0]?["applied"] == .bool(true) && step["changes"]?[0]?["undone"] == .bool(true))
        }
        let error = try #require(steps.last?["error"])
        #expect(error["message"]?.string?.hasPrefix("arithmetic broke") == true)
        #expect(error["location"] == .string(host.book + ":5:3"))
        #expect(report["rollback_errors"] == .array([]))
        #expect(host.file("/etc/motd") == "old\n")
        #expect(host.file("/etc/app.conf") == nil)
    }

    @Test func aFailedRequireRunsNothing() throws {
        let host = try ReportHost("""
            param n = 1
            require n > 1, "n must exceed 1"
            require n > 5, "n must exceed 5"
            step "motd" { file.write("/etc/motd", "x\\n") }

            """, files: ["/etc/motd": "old\n"])
        let r = try host.mend()
        #expect(r.status == 4, "stderr: \(r.stderr)")
        let report = try ReportSchema.checked(r)
        #expect(report["status"] == .string("precondition_failed"))
        #expect(report["exit_code"] == .int(4))
        #expect(report["steps"] == .array([]))
        #expect(report["error"]?["message"] == .string("n must exceed 1; n must exceed 5 (\(host.book):3:1)"))
        #expect(report["error"]?["location"] == .string(host.book + ":2:1"))
        #expect(host.file("/etc/motd") == "old\n")
    }

    @Test func failedChecksFailTheRunWithoutRollingBack() throws {
        let host = try ReportHost("""
            runbook "audit"
            param min = 4096
            check min > 0, "min is positive"
            step "limits" {
              check min >= 65536, "min too low"
              check true, "fine"
            }
            step "motd" { file.write("/etc/motd", "audited\\n") }

            """, files: ["/etc/motd": "old\n"])
        let r = try host.mend()
        #expect(r.status == 1, "stderr: \(r.stderr)")
        let report = try ReportSchema.checked(r)
        #expect(report["status"] == .string("failed"))
        #expect(report["exit_code"] == .int(1))
        let limits = try #require(report["steps"]?[0])
        #expect(limits["status"] == .string("ok"), "a failed check does not fail its step")
        #expect(limits["checks"]?[0]?["ok"] == .bool(false))
        #expect(limits["checks"]?[0]?["message"] == .string("min too low — left 4096, right 65536"))
        #expect(limits["checks"]?[0]?["location"] == .string(host.book + ":5:3"))
        #expect(limits["checks"]?[1]?["ok"] == .bool(true))
        #expect(report["checks"] == .array([.object([
            ("ok", .bool(true)), ("message", .string("min is positive")), ("location", .string(host.book + ":3:1")),
        ])]), "top-level checks are listed apart")
        #expect(report["steps"]?[1]?["status"] == .string("changed"))
        #expect(host.file("/etc/motd") == "audited\n", "checks trigger no rollback")
    }

    @Test func skippedStepsSayWhy() throws {
        let host = try ReportHost("""
            step "first" { log("first ran") }
            step "second" when false { file.write("/etc/motd", "second\\n") }
            step "third" { log("third ran") }
            step "fourth" {
              log("fourth ran")
              file.write("/etc/motd", "fourth\\n")
            }

            """, files: ["/etc/motd": "old\n"])
        let r = try host.mend("run", ["--from", "3", "--step", "f*"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let report = try ReportSchema.checked(r)
        let steps = try #require(report["steps"]?.array)
        #expect(steps.map { $0["status"] } == [.string("skipped"), .string("skipped"), .string("skipped"), .string("changed")])
        #expect(steps.map { $0["skipped_reason"] }
                == [.string("before --from 3"), .string("when false"), .string("not selected by --step"), .null])
        #expect(steps.prefix(3).allSatisfy { $0["log"] == .array([]) && $0["changes"] == .array([]) })
        #expect(steps.last?["log"] == .array([.string("fourth ran")]))
        #expect(host.file("/etc/motd") == "fourth\n")
    }

    @Test func secretsNeverAppearInAnyFormat() throws {
        let source = """
            runbook "secrets"
            secret param token = ""
            param user = "deploy"
            log("token is ${token}")
            step "write for ${user}" {
              log("writing ${token}")
              file.write("/etc/app.env", "TOKEN=${token}\\n")
            }

            """
        let environment = ["MEND_PARAM_TOKEN": "hunter2-secret"]
        let host = try ReportHost(source)
        let r = try host.mend("run", environment: environment)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let report = try ReportSchema.checked(r)
        #expect(!r.stdout.contains("hunter2"))
        #expect(report["params"] == .object([("token", .string("••••")), ("user", .string("deploy"))]))
        #expect(report["log"] == .array([.string("token is ••••")]))
        #expect(report["steps"]?[0]?["log"] == .array([.string("writing ••••")]))
        #expect(report["steps"]?[0]?["changes"]?[0]?["after"] == .string("TOKEN=••••\n"))
        #expect(host.file("/etc/app.env") == "TOKEN=hunter2-secret\n", "only the report is masked")

        for format in ["junit", "markdown", "json"] {
            let plan = try ReportHost(source)
            let p = try plan.mend("plan", format: format, environment: environment)
            #expect(p.status == 0, "\(format): \(p.stderr)")
            #expect(!p.stdout.contains("hunter2") && !p.stderr.contains("hunter2"), "\(format) shows the secret")
            // JUnit names changes without their content; the others show it, masked.
            if format != "junit" { #expect(p.stdout.contains("TOKEN=••••"), "\(format): \(p.stdout)") }
        }
    }

    @Test func largeAndBinaryFilesAreShownByDigest() throws {
        let big = (0..<2000).map { "line \($0) of a file larger than a report shows\n" }.joined()
        #expect(big.utf8.count > 64 << 10)
        let host = try ReportHost("""
            step "append" { file.write("/etc/big.conf", file.read("/etc/big.conf") + "end\\n") }
            step "limit" { file.write("/etc/limit.conf", file.read("/etc/limit.conf") + "x") }
            step "binary" { file.remove("/etc/blob") }

            """, files: ["/etc/big.conf": big, "/etc/limit.conf": String(repeating: "a", count: (64 << 10) - 1)])
        try writeBytes(host.root + "/etc/blob", [0xFF, 0xFE, 0x00, 0x80])
        let before = try ReportShell.sha256(host.root + "/etc/big.conf")
        let blob = try ReportShell.sha256(host.root + "/etc/blob")
        let r = try host.mend()
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let report = try ReportSchema.checked(r)
        let change = try #require(report["steps"]?[0]?["changes"]?[0])
        #expect(change["before"] == .object([("sha256", .string(before)), ("bytes", .int(big.utf8.count))]))
        let after = try ReportShell.sha256(host.root + "/etc/big.conf")
        #expect(after != before)
        #expect(change["after"] == .object([("sha256", .string(after)), ("bytes", .int(big.utf8.count + 4))]))
        // Exactly 64 KiB is still shown as text.
        #expect(report["steps"]?[1]?["changes"]?[0]?["after"] == .string(String(repeating: "a", count: (64 << 10) - 1) + "x"))
        let removed = try #require(report["steps"]?[2]?["changes"]?[0])
        #expect(removed["before"] == .object([("sha256", .string(blob)), ("bytes", .int(4))]), "not UTF-8")
        #expect(removed["after"] == .null)
    }

    @Test func anIncompleteRollbackListsWhatRemains() throws {
        let host = try ReportHost("""
            step "restart" { run("true") }
            step "verify" { assert false, "stop" }

            """)
        let r = try host.mend()
        #expect(r.status == 3, "stderr: \(r.stderr)")
        let report = try ReportSchema.checked(r)
        #expect(report["status"] == .string("rollback_incomplete"))
        #expect(report["exit_code"] == .int(3))
        let errors = try #require(report["rollback_errors"]?.array)
        #expect(errors.count == 1)
        #expect(errors.first?["target"] == .string("true"))
        #expect(errors.first?["message"]?.string?.contains("cannot be undone") == true)
    }
}

@Suite("the report schema rejects broken reports")
struct ReportSchemaTests {
    /// A plan whose first step has a change and a check, for the mutations to break.
    private static func planReport() throws -> String {
        let host = try ReportHost("""
            step "motd" {
              file.write("/etc/motd", "hello\\n")
              check true, "fine"
            }

            """, files: ["/etc/motd": "old\n"])
        let r = try host.mend("plan")
        guard r.status == 0 else { throw TestFailure(description: "plan failed: \(r.stderr)") }
        return r.stdout
    }

    @Test func theUnalteredReportIsValid() throws {
        let v = try ReportSchema.validate(try Self.planReport())
        #expect(v.status == 0, "\(v.message)")
    }

    @Test("a broken report fails", arguments: [
        ("del r['status']", "'status' is a required property"),
        ("del r['steps'][0]['skipped_reason']", "'skipped_reason' is a required property"),
        ("r['mode'] = 'plan'", "is not one of"),
        ("r['steps'][0]['status'] = 'done'", "is not one of"),
        ("r['steps'][0]['index'] = 0", "less than the minimum"),
        ("r['duration_ms'] = '4'", "is not of type 'integer'"),
        ("r['steps'][0]['checks'][0]['location'] = 'somewhere'", "does not match"),
        ("r['steps'][0]['changes'][0]['after'] = {'sha256': 'abc', 'bytes': 1}", "/steps/0/changes/0/after"),
        ("r['steps'][0]['skipped_reason'] = 'because'", "(at /steps/0/skipped_reason)"),
        ("r['exit_code'] = 1", "(at /exit_code)"),
        ("r['run_id'] = '20260101-000000-abcdef'", "(at /run_id)"),
        ("r['steps'][0]['changes'][0]['applied'] = True", "(at /steps/0/changes/0/applied)"),
    ])
    func brokenReportFails(mutation: String, message: String) throws {
        let v = try ReportSchema.validate(try Self.planReport(), mutation: mutation)
        #expect(v.status == 3, "accepted or crashed: \(v.message)")
        #expect(v.message.contains(message), "\(v.message)")
    }
}

@Suite("JUnit report")
struct JUnitReportTests {
    /// Parses JUnit XML with python3's xml.etree (so it must be well-formed) into JSON.
    static let program = """
        import json, sys, xml.etree.ElementTree as ET
        root = ET.parse(sys.argv[1]).getroot()
        def text(c, tag):
            e = c.find(tag)
            return None if e is None else e.get("message")
        print(json.dumps({"root": root.tag, "suites": [
            {"name": s.get("name"), "tests": s.get("tests"), "failures": s.get("failures"), "skipped": s.get("skipped"),
             "cases": [{"name": c.get("name"), "failure": text(c, "failure"), "skipped": text(c, "skipped")}
                       for c in s.findall("testcase")]}
            for s in root.findall("testsuite")]}))
        """

    @Test func oneTestcasePerStepAndPerCheck() throws {
        let host = try ReportHost("""
            runbook "ci <&> \\"checks\\""
            check true, "top-level fine"
            step "configure" { file.write("/etc/motd", "ci\\n") }
            step "optional" when false { log("no") }
            step "audit <a & b>" {
              check false, "audit failed"
            }
            step "verify" {
              assert false, "verify failed"
            }

            """)
        let r = try host.mend("run", format: "junit")
        #expect(r.status == 1, "stderr: \(r.stderr)")
        let parsed = try ReportShell.python(Self.program, input: r.stdout)
        #expect(parsed.status == 0, "not well-formed: \(parsed.output)\n\(r.stdout)")
        let xml = try #require(JSON.parse(parsed.output))
        #expect(xml["root"] == .string("testsuites"))
        let suite = try #require(xml["suites"]?[0])
        #expect(suite["name"] == .string("ci <&> \"checks\""))
        let cases = try #require(suite["cases"]?.array)
        #expect(cases.map { $0["name"] } == [
            .string("1. configure"), .string("2. optional"), .string("3. audit <a & b>"), .string("4. verify"),
            .string("check \(host.book):6:3"), .string("check \(host.book):2:1"),
        ])
        #expect(suite["tests"] == .string("6"))
        #expect(suite["failures"] == .string("2"))
        #expect(suite["skipped"] == .string("1"))
        #expect(cases.map { $0["failure"] } == [.null, .null, .null, .string("verify failed"), .string("audit failed"), .null])
        #expect(cases.map { $0["skipped"] } == [.null, .string("when false"), .null, .null, .null, .null])
    }
}

@Suite("Markdown report")
struct MarkdownReportTests {
    @Test func tableDiffsAndSummary() throws {
        let host = try ReportHost("""
            runbook "review"
            step "motd" { file.write("/etc/motd", "hello\\n") }
            step "readme" { file.write("/etc/README.md", "# Title\\n```sh\\nmend run x\\n```\\n") }
            step "later" when false { log("no") }

            """, files: ["/etc/motd": "old\n"])
        let r = try host.mend("plan", format: "markdown")
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let md = r.stdout
        let lines = md.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.contains("| # | Step | Status | Changes | Time |"))
        let rows = lines.filter { $0.hasPrefix("| ") && $0.dropFirst(2).first?.isNumber == true }
        #expect(rows.count == 3, "one row per step: \(rows)")
        #expect(rows.map { $0.split(separator: "|").map { $0.split(separator: " ").joined(separator: " ") }.prefix(4).joined(separator: "|") } == [
            "1|motd|would change|1", "2|readme|would change|1", "3|later|skipped (when false)|0",
        ])
        #expect(md.contains("""
            <details><summary>1. motd — file /etc/motd: content changed</summary>

            ```diff
            --- a/etc/motd
            +++ b/etc/motd
            @@ -1 +1 @@
            -old
            +hello
            ```

            </details>
            """))
        // The content holds ``` itself: the fence grows so the block still closes where it should.
        #expect(md.contains("""
            ````diff
            --- /dev/null
            +++ b/etc/README.md
            @@ -0,0 +1,4 @@
            +# Title
            +```sh
            +mend run x
            +```
            ````

            </details>
            """), "\(md)")
        let summary = try #require(lines.last(where: { !$0.isEmpty }))
        #expect(summary.hasPrefix("plan: would change — 2 would change, 1 skipped ("), "\(summary)")
        #expect(summary.hasSuffix(" ms)"))
    }
}

@Suite("report tools")
struct ReportToolTests {
    /// The schema tests need python3 with jsonschema; scripts/test provides it. Fail loudly without.
    @Test func python3WithJSONSchemaIsAvailable() throws {
        let r = try ReportShell.run("python3 -c 'import jsonschema, xml.etree.ElementTree'")
        #expect(r.status == 0, "the report tests need python3 with the jsonschema module (run scripts/test, or apt-get install python3-jsonschema): \(r.output)")
    }
}
