import Glibc
import MendKit
import Testing

/// Issue 11, defect 7: a `secret param`'s text never shows — not in what `mend run` and `mend plan`
/// print or report in any format, not in `mend rollback` or `mend runs` after any kind of ending,
/// not in the REPL — while the journal keeps the real values undo needs.
///
/// One runbook uses the secret everywhere it can show: its title, a step name, a file's path and
/// content (a diff), a command's argv, `print`, `log`, a caught error, a check, an assert, a
/// `require`, an error that fails a step and one that fails a rollback block. The param `ending`
/// picks how the run ends. The matrix, each combination checked on stdout and stderr:
///
/// - run, then `mend rollback last` and `mend runs`: 3 secrets × 6 endings × 4 formats × 3 = 216
/// - plan: 3 secrets × 4 endings × 4 formats = 48
/// - REPL, then `mend rollback last` and `mend runs`: 3 secrets × 5 endings × 3 = 45
///
/// 309 combinations in all (``theMatrixChecks309Combinations``).
@Suite("secret masking in every output path")
struct SecretMaskingTests {
    struct Secret: Sendable, CustomTestStringConvertible {
        let label: String
        let value: String
        /// Parts of the value that every showing of it keeps — whole, split over lines, escaped
        /// for a literal, JSON or XML, quoted for a shell — and that no other text contains.
        let pieces: [String]
        var testDescription: String { label }
    }

    static let secrets = [
        Secret(label: "a secret of two lines", value: "Sx9qLineOne\nZk7wLineTwo", pieces: ["Sx9qLineOne", "Zk7wLineTwo"]),
        Secret(label: "a secret with quotes and a backslash", value: #"Qu0teA"Qu0teB'Qu0teC\Qu0teD"#,
               pieces: ["Qu0teA", "Qu0teB", "Qu0teC", "Qu0teD"]),
        Secret(label: "a plain secret", value: "Pl4inT0kenZ", pieces: ["Pl4inT0kenZ"]),
    ]

    /// How a run ends (the runbook's `ending` param).
    enum Ending: String, CaseIterable, Sendable {
        /// Exit 0: every step changed the host.
        case success
        /// Step 2 raises an error; the rollback block of step 1 fails too (exit 3).
        case error
        /// A check fails in step 1 and an assert in step 2; rolled back (exit 1).
        case assert
        /// A `require` fails; nothing runs (exit 4).
        case require
        /// Step 2 raises an error under `--no-rollback`; before `mend rollback last`, the file step 1
        /// created is replaced by a directory, so undoing it fails with an error naming its path.
        case noRollback
        /// Killed (SIGKILL) while step 1 sleeps, after its changes.
        case killed

        var exitStatus: Int32 {
            switch self {
            case .success: 0
            case .error: 3
            case .assert, .noRollback: 1
            case .require: 4
            case .killed: 128 + SIGKILL
            }
        }
    }

    static let formats = ["text", "json", "junit", "markdown"]
    /// A plan neither rolls back nor is killed: the other endings.
    static let planEndings: [Ending] = [.success, .error, .assert, .require]
    /// A REPL session is not killed here.
    static let replEndings: [Ending] = [.success, .error, .assert, .require, .noRollback]

    @Test func theMatrixChecks309Combinations() {
        let runs = Self.secrets.count * Ending.allCases.count * Self.formats.count * 3
        let plans = Self.secrets.count * Self.planEndings.count * Self.formats.count
        let repl = Self.secrets.count * Self.replEndings.count * 3
        #expect(runs + plans + repl == 309)
        #expect(runs + plans + repl >= 200)
    }

    /// The runbook, with the secret literally in its title too (a title cannot interpolate a param).
    static func runbook(titled secret: Secret) -> String {
        """
        runbook "masking of \(literal(secret.value))"
        secret param token = ""
        param ending = "success"
        require ending != "require", "refused for ${token}"

        log("starting with ${token}")

        step "configure ${token}" {
          file.write("/etc/app/${token}.conf", "first line\\n${token}\\nlast line\\n", mode: 0o600)
          file.write("/etc/app.conf", "port = 1\\nkey = ${token}\\nend = 1\\n")
          run("true", token)
          print("printing ${token}")
          log("logging ${token}")
          try { fail("caught ${token}") } catch e { log(e.message) }
          check ending != "assert", "check about ${token}"
          if ending == "killed" {
            file.write("/etc/ready", "1\\n")
            sleep(60s)
          }
        } rollback {
          log("compensating for ${token}")
          if ending == "error" { fail("the rollback block failed for ${token}") }
        }

        step "verify ${token}" {
          if ending == "assert" { assert file.read("/etc/app/${token}.conf") == token, "assert about ${token}" }
          if ending == "error" or ending == "noRollback" { fail("failing with ${token}") }
        }

        """
    }

    /// `text` as a mend string literal's content.
    static func literal(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "$", with: "\\$").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Counts the combinations checked and records a failure for each piece of the secret shown.
    final class Checker {
        let secret: Secret
        private(set) var count = 0
        init(_ secret: Secret) { self.secret = secret }

        func check(_ label: String, _ result: MendBinary.Result, status: Int32? = nil,
                   sourceLocation: SourceLocation = #_sourceLocation) {
            count += 1
            let all = result.stdout + result.stderr
            for piece in secret.pieces {
                #expect(!all.contains(piece), "\(secret.label), \(label): shows \(piece):\n\(all)", sourceLocation: sourceLocation)
            }
            if let status {
                #expect(result.status == status, "\(secret.label), \(label): exit \(result.status)\n\(all)",
                        sourceLocation: sourceLocation)
            }
        }
    }

    @Test("run, then mend rollback last and mend runs: 3 secrets × 6 endings × 4 formats × 3 = 216 combinations",
          arguments: secrets, Ending.allCases)
    func runRollbackAndRuns(secret: Secret, ending: Ending) throws {
        let checker = Checker(secret)
        for format in Self.formats {
            let fixture = try EngineFixture()
            let file = try fixture.runbook("book.mend", Self.runbook(titled: secret))
            let environment = ["MEND_PARAM_TOKEN": secret.value]
            var arguments = ["run", file, "--format", format, "--param", "ending=\(ending.rawValue)"] + fixture.rootAndState
            if ending == .noRollback { arguments.append("--no-rollback") }
            let label = "run --format \(format), ending \(ending)"
            let run: MendBinary.Result
            if ending == .killed {
                let process = try fixture.start(arguments, environment: environment)
                // The fourth change (/etc/ready) marked applied: step 1 is done and sleeping.
                let ready = pollUntil { fixture.journal().contains(#"{"type":"applied","seq":4}"#) }
                #expect(ready, "\(label): step 1 never got to its sleep")
                process.signal(SIGKILL)
                run = try process.wait()
            } else {
                run = try fixture.mend(arguments, environment: environment)
            }
            checker.check(label, run, status: ending.exitStatus)
            if ending != .killed, ending != .require {
                #expect(run.stdout.contains("••••"), "\(label): the secret is masked, not dropped: \(run.stdout)")
            }
            if ending != .require {
                #expect(fixture.journal().contains(secret.pieces[0]), "\(label): the journal keeps the real value")
            }
            if ending == .noRollback {
                let created = fixture.root + "/etc/app/" + secret.value + ".conf"
                #expect(unlink(created) == 0 && mkdir(created, 0o755) == 0, "\(label): cannot replace the file")
            }
            let rollback = try fixture.mend(["rollback", "last"] + fixture.state)
            // A command left standing (its rollback block did not run, or failed) makes it incomplete.
            let rollbackStatus: Int32 = switch ending {
            case .require: 64
            case .assert: 0
            case .success, .error, .noRollback, .killed: 3
            }
            checker.check("\(label), then mend rollback last", rollback, status: rollbackStatus)
            if ending == .noRollback || ending == .killed {
                #expect(rollback.stdout.contains("/etc/app/••••.conf"), "\(label): \(rollback.stdout)")
                #expect(rollback.stdout.contains("run true ••••") || rollback.stdout.contains("run true '••••'"),
                        "\(label): \(rollback.stdout)")
            }
            if ending != .require {
                #expect(rollback.stdout.contains("rollback block of step 1. configure ••••"), "\(label): \(rollback.stdout)")
            }
            checker.check("\(label), then mend runs", try fixture.mend(["runs"] + fixture.state), status: 0)
        }
        #expect(checker.count == Self.formats.count * 3)
    }

    @Test("plan: 3 secrets × 4 endings × 4 formats = 48 combinations", arguments: secrets, planEndings)
    func plan(secret: Secret, ending: Ending) throws {
        let checker = Checker(secret)
        for format in Self.formats {
            let fixture = try EngineFixture()
            try fixture.makeFile("etc/app.conf", "port = 1\nkey = old\nend = 1\n", mode: 0o644)
            let file = try fixture.runbook("book.mend", Self.runbook(titled: secret))
            let plan = try fixture.mend(["plan", file, "--format", format, "--param", "ending=\(ending.rawValue)", "--root", fixture.root],
                                        environment: ["MEND_PARAM_TOKEN": secret.value])
            let label = "plan --format \(format), ending \(ending)"
            checker.check(label, plan, status: ending == .success ? 0 : ending == .require ? 4 : 1)
            if format == "text", ending != .require {
                // Masked before the diff is made: a secret of several lines is one mask on one line.
                #expect(plan.stdout.contains("      -key = old\n      +key = ••••\n"), "\(label): \(plan.stdout)")
                #expect(plan.stdout.contains("      +first line\n      +••••\n      +last line\n"), "\(label): \(plan.stdout)")
            }
        }
        #expect(checker.count == Self.formats.count)
    }

    @Test("REPL, then mend rollback last and mend runs: 3 secrets × 5 endings × 3 = 45 combinations",
          arguments: secrets, replEndings)
    func repl(secret: Secret, ending: Ending) throws {
        let checker = Checker(secret)
        let fixture = try EngineFixture()
        let file = try fixture.runbook("book.mend", Self.runbook(titled: secret))
        let script = """
            :load \(file) ending=\(ending.rawValue)
            :steps
            token
            "value of ${token}"
            [{name: token, n: 1}, {name: "other", n: 22}]
            :step 1
            :changes
            file.read("/etc/app/${token}.conf")
            fail("typed error with ${token}")
            :step 2
            :dry on
            file.write("/etc/app.conf", "key = ${token}\\n")
            :step 1
            :changes
            :dry off
            :undo
            :changes
            """
        let r = try MendBinary.run(["repl"] + fixture.rootAndState + (ending == .noRollback ? ["--no-rollback"] : []),
                                   stdin: script,
                                   environment: ["MEND_PARAM_TOKEN": secret.value, "MEND_HISTORY": fixture.path + "/history"])
        let label = "repl, ending \(ending)"
        checker.check(label, r, status: 1)
        if ending != .require {
            #expect(r.stdout.contains("\"••••\""), "\(label): the value is masked, not dropped: \(r.stdout)")
            #expect(fixture.journal().contains(secret.pieces[0]), "\(label): the journal keeps the real value")
        }
        let rollback = try fixture.mend(["rollback", "last"] + fixture.state)
        // Step 1's command stays (a REPL step's failure undoes that step only): incomplete.
        checker.check("\(label), then mend rollback last", rollback, status: ending == .require ? 64 : 3)
        checker.check("\(label), then mend runs", try fixture.mend(["runs"] + fixture.state), status: 0)
        #expect(checker.count == 3)
    }

    @Test(arguments: secrets)
    func evalMasksTheSecretParamsOfItsSnippet(secret: Secret) throws {
        let environment = ["MEND_PARAM_TOKEN": secret.value]
        let declare = "secret param token = \"\"\n"
        let shown = try MendBinary.run(["eval", declare + """
            print("printing ${token}")
            log("logging ${token}")
            check token == "", "check about ${token}"
            [{name: token, n: 1}, {name: "other", n: 22}]
            """], environment: environment)
        let failed = try MendBinary.run(["eval", declare + #"fail("failing with ${token}")"#], environment: environment)
        for (r, shows) in [(shown, ["printing ••••", "logging ••••", "check about ••••", "••••    1"]), (failed, ["failing with ••••"])] {
            let all = r.stdout + r.stderr
            #expect(r.status == 1, "\(all)")
            for piece in secret.pieces { #expect(!all.contains(piece), "\(secret.label): shows \(piece):\n\(all)") }
            for text in shows { #expect(all.contains(text), "\(all)") }
        }
    }

    @Test func aSecretNotOfItsParamsTypeIsNotEchoedInTheUsageError() throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("pin.mend", "secret param pin = 0\nstep \"s\" { }\n")
        let paramFile = fixture.path + "/params"
        try writeFile(paramFile, "pin = Pl4inT0kenZ\n")
        let sources: [([String], [String: String])] = [([], ["MEND_PARAM_PIN": "Pl4inT0kenZ"]), (["--param-file", paramFile], [:])]
        for (arguments, environment) in sources {
            for command in ["run", "plan"] {
                let r = try fixture.mend([command, file] + arguments + fixture.rootAndState, environment: environment)
                #expect(r.status == 64)
                #expect(r.stderr.contains("expected an int (the value of a secret param is not shown)"), "\(r.stderr)")
                #expect(!(r.stdout + r.stderr).contains("Pl4inT0kenZ"), "\(r.stderr)")
            }
        }
    }
}
