import Testing

/// runbooks/go-node/canary.mend (and the consistency audit it runs) against real things in a
/// private network namespace: `openssl s_server` on loopback with a certificate the test makes, a
/// quiet process, and a process that leaks file handles. Verdicts, exit codes and the JUnit report.
@Suite("the consistency audit and the canary gate")
struct ConsistencyRunbookTests {
    /// Starts the TLS server and the two processes; `$SHARE` holds the certificate, `$QUIET` and
    /// `$LEAKY` the pids, and everything started is killed by pid when the script ends.
    static let setup = #"""
        ip link set lo up
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
          -keyout "$SHARE/key.pem" -out "$SHARE/cert.pem" >/dev/null 2>&1 || { echo "openssl=failed"; exit 1; }
        openssl s_server -quiet -accept 127.0.0.1:8443 -cert "$SHARE/cert.pem" -key "$SHARE/key.pem" -www </dev/null >/dev/null 2>&1 &
        SERVER=$!
        sleep 1000 </dev/null >/dev/null 2>&1 &
        QUIET=$!
        python3 -c 'import time
        files = []
        while True:
            files.append(open("/dev/null"))
            time.sleep(0.05)' </dev/null >/dev/null 2>&1 &
        LEAKY=$!
        trap 'kill $SERVER $QUIET $LEAKY 2>/dev/null' EXIT
        for _ in $(seq 100); do ss -ltn | grep -q 127.0.0.1:8443 && break; sleep 0.05; done
        """#

    static func params(_ share: String) -> String {
        "--param dns_name=localhost --param tls_host=127.0.0.1 --param tls_port=8443 --param tls_samples=5 "
            + "--param tls_p95=3s --param tls_ca=\(shellQuote(share + "/cert.pem")) --param data_dir=\(shellQuote(share)) "
            + "--param window=3s --param every=1s --param nofile=1 --param nproc=1 --param ports=8443"
    }

    @Test("a quiet node is promoted, a leaking one rolled back; the JUnit report says which check failed")
    func verdicts() throws {
        let dir = try TemporaryDirectory()
        let runbooks = try ShippedRunbooks.copy(into: dir.path) + "/go-node"
        let canary = shellQuote(runbooks + "/canary.mend")
        let result = try NetworkNamespace.run("""
            SHARE=\(shellQuote(dir.path))
            \(Self.setup)
            "$MEND" run \(canary) \(Self.params(dir.path)) --param pid=$QUIET --format junit > "$SHARE/quiet.xml" 2> "$SHARE/quiet.err"; echo "quiet=$?"
            "$MEND" run \(canary) \(Self.params(dir.path)) --param pid=$LEAKY --format junit > "$SHARE/leaky.xml" 2> "$SHARE/leaky.err"; echo "leaky=$?"
            "$MEND" run \(canary) \(Self.params(dir.path)) --param pid=$QUIET --param tls_p95=0s > "$SHARE/slow.out" 2>&1; echo "slow=$?"
            "$MEND" run \(shellQuote(runbooks + "/consistency.mend")) \(Self.params(dir.path)) --param pid=$QUIET > "$SHARE/audit.out" 2>&1; echo "audit=$?"
            """, in: dir)
        func file(_ name: String) -> String { (try? readFile(dir.path + "/" + name)) ?? "(no \(name))" }
        #expect(marker("quiet", in: result.stdout) == "0", "\(result.stdout)\(result.stderr)\n\(file("quiet.err"))\n\(file("quiet.xml"))")
        #expect(file("quiet.err").contains("verdict: promote"), "\(file("quiet.err"))")
        let quiet = file("quiet.xml")
        #expect(quiet.contains("<testsuite ") && quiet.contains("failures=\"0\""), "\(quiet)")
        #expect(quiet.contains("TLS handshake P95 to 127.0.0.1:8443") && quiet.contains("DNS resolves localhost"), "\(quiet)")

        #expect(marker("leaky", in: result.stdout) == "1", "\(file("leaky.err"))\n\(file("leaky.xml"))")
        #expect(file("leaky.err").contains("verdict: roll back"), "\(file("leaky.err"))")
        let leaky = file("leaky.xml")
        #expect(leaky.contains("a handle leak") && !leaky.contains("failures=\"0\""), "\(leaky)")

        #expect(marker("slow", in: result.stdout) == "1", "\(file("slow.out"))")
        #expect(file("slow.out").contains("over the bound of 0s") && file("slow.out").contains("verdict: roll back"), "\(file("slow.out"))")
        #expect(marker("audit", in: result.stdout) == "0", "\(file("audit.out"))")
    }

    @Test("a check whose reads fail is a failed check, and the audit goes on to the verdict")
    func errorsAreFailedChecks() throws {
        let dir = try TemporaryDirectory()
        let runbooks = try ShippedRunbooks.copy(into: dir.path) + "/go-node"
        // Nothing listens on port 9, and this namespace reaches no resolver: both reads fail.
        let result = try NetworkNamespace.run("""
            SHARE=\(shellQuote(dir.path))
            \(Self.setup)
            "$MEND" run \(shellQuote(runbooks + "/canary.mend")) \(Self.params(dir.path)) --param pid=$QUIET --param tls_port=9 \\
              --param dns_name=no-such-host.invalid --format junit > "$SHARE/errors.xml" 2> "$SHARE/errors.err"; echo "errors=$?"
            """, in: dir)
        let xml = (try? readFile(dir.path + "/errors.xml")) ?? "", err = (try? readFile(dir.path + "/errors.err")) ?? ""
        #expect(marker("errors", in: result.stdout) == "1", "\(result.stdout)\(result.stderr)\n\(err)")
        #expect(err.contains("verdict: roll back"), "\(err)")
        #expect(xml.contains("resolving no-such-host.invalid: ") && xml.contains("TLS to 127.0.0.1:9: "), "\(xml)")
        for step in ["4. file locks exclude a second holder", "5. node's handles, maps and accept queue", "6. verdict"] {
            #expect(xml.contains(step), "the audit went on to \(step): \(xml)")
        }
    }

    @Test("a node whose limits are unlimited passes the limits check")
    func unlimitedLimitsHold() throws {
        let dir = try TemporaryDirectory()
        let root = try FixtureHost.ubuntu.copy(into: dir.path)
        let limits = root + "/proc/4242/limits"
        let lines = try readFile(limits).split(separator: "\n", omittingEmptySubsequences: false).map { line in
            // The kernel's columns: the name in 26, the soft and hard limits in 21 each, then the units.
            line.hasPrefix("Max processes ") ? "Max processes             unlimited            unlimited            processes " : String(line)
        }
        try writeFile(limits, lines.joined(separator: "\n"))
        #expect(try readFile(limits).contains("unlimited            unlimited            processes"))
        let plan = try MendBinary.run(["plan", ShippedRunbookTests.directory + "/go-node/consistency.mend", "--root", root,
                                       "--param", "window=1s", "--param", "every=1s"])
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
    }
}
