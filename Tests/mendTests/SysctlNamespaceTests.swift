import Glibc
import Testing

@Suite("sysctl in a private network namespace")
struct SysctlNamespaceTests {
    @Test func aLiveChangeIsKeptAfterSuccessAndUndoneAfterALaterFailure() throws {
        let dir = try TemporaryDirectory()
        try writeFile(dir.path + "/ok.mend", """
            step "listen backlog" { sysctl.set("net.core.somaxconn", 1234) }
            step "verify" { assert sysctl.get("net.core.somaxconn") == 1234 }
            """)
        try writeFile(dir.path + "/fail.mend", """
            step "listen backlog" { sysctl.set("net.core.somaxconn", 2345) }
            step "verify" { assert sysctl.get("net.core.somaxconn") == 2345 }
            step "then something breaks" { fail("a later step fails") }
            """)
        let d = shellQuote(dir.path)
        let r = try NetworkNamespace.run("""
            "$MEND" run \(d)/ok.mend --state-dir \(d)/state >\(d)/ok.out 2>\(d)/ok.err; echo "ok_status=$?"
            echo "after_ok=$(cat /proc/sys/net/core/somaxconn)"
            "$MEND" run \(d)/fail.mend --state-dir \(d)/state >\(d)/fail.out 2>\(d)/fail.err; echo "fail_status=$?"
            echo "after_fail=$(cat /proc/sys/net/core/somaxconn)"
            """, in: dir)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(marker("ok_status", in: r.stdout) == "0", "\((try? readFile(dir.path + "/ok.err")) ?? "")")
        #expect(marker("after_ok", in: r.stdout) == "1234", "the change is kept after a successful run")
        #expect(marker("fail_status", in: r.stdout) == "1")
        #expect(marker("after_fail", in: r.stdout) == "1234", "the failed run's change is undone")
        let failed = try readFile(dir.path + "/fail.out")
        #expect(failed.contains("sysctl net.core.somaxconn: 1234 → 2345"), "\(failed)")
        #expect(failed.contains("rolling back"), "\(failed)")
    }

    @Test func aPlanLeavesTheLiveValueUntouched() throws {
        let dir = try TemporaryDirectory()
        try writeFile(dir.path + "/plan.mend", """
            step "listen backlog" { sysctl.set("net.core.somaxconn", 54321) }
            step "verify" { assert sysctl.get("net.core.somaxconn") == 54321 }
            """)
        let r = try NetworkNamespace.run("""
            echo "before=$(cat /proc/sys/net/core/somaxconn)"
            "$MEND" plan \(shellQuote(dir.path + "/plan.mend")) --detailed-exitcode >\(shellQuote(dir.path + "/plan.out")); echo "plan_status=$?"
            echo "after=$(cat /proc/sys/net/core/somaxconn)"
            """, in: dir)
        let before = try #require(marker("before", in: r.stdout), "stderr: \(r.stderr)")
        #expect(before != "54321")
        #expect(marker("plan_status", in: r.stdout) == "2", "a plan with changes pending exits 2 with --detailed-exitcode")
        #expect(marker("after", in: r.stdout) == before)
        let plan = try readFile(dir.path + "/plan.out")
        #expect(plan.contains("sysctl net.core.somaxconn: \(before) → 54321"), "\(plan)")
    }

    @Test func evalPrintsTheLiveValue() throws {
        let dir = try TemporaryDirectory()
        let r = try NetworkNamespace.run("""
            echo 3210 > /proc/sys/net/core/somaxconn
            "$MEND" eval 'sysctl.get("net.core.somaxconn")'
            "$MEND" eval 'sysctl.get("net.core.somaxconn") + 1'
            """, in: dir)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout == "3210\n3211\n")
    }

    @Test func mendRollbackUndoesAJournalledChange() throws {
        let dir = try TemporaryDirectory()
        try writeFile(dir.path + "/keep.mend", """
            step "listen backlog" { sysctl.set("net.core.somaxconn", 777) }
            step "then something breaks" { fail("a later step fails") }
            """)
        let r = try NetworkNamespace.run("""
            echo "before=$(cat /proc/sys/net/core/somaxconn)"
            "$MEND" run \(shellQuote(dir.path + "/keep.mend")) --no-rollback --state-dir \(shellQuote(dir.path + "/state")) >/dev/null 2>&1
            echo "kept=$(cat /proc/sys/net/core/somaxconn)"
            "$MEND" rollback last --state-dir \(shellQuote(dir.path + "/state")) >/dev/null; echo "rollback_status=$?"
            echo "after=$(cat /proc/sys/net/core/somaxconn)"
            """, in: dir)
        let before = try #require(marker("before", in: r.stdout), "stderr: \(r.stderr)")
        #expect(marker("kept", in: r.stdout) == "777", "--no-rollback leaves the change")
        #expect(marker("rollback_status", in: r.stdout) == "0", "stderr: \(r.stderr)")
        #expect(marker("after", in: r.stdout) == before)
    }

    @Test func aValueTheKernelRejectsNamesKeyAndValue() throws {
        let dir = try TemporaryDirectory()
        try writeFile(dir.path + "/bad.mend", #"step "bad" { sysctl.set("net.core.somaxconn", "lots") }"#)
        let r = try NetworkNamespace.run("""
            echo "before=$(cat /proc/sys/net/core/somaxconn)"
            "$MEND" run \(shellQuote(dir.path + "/bad.mend")) --state-dir \(shellQuote(dir.path + "/state")); echo "status=$?"
            echo "after=$(cat /proc/sys/net/core/somaxconn)"
            """, in: dir)
        let before = try #require(marker("before", in: r.stdout), "stderr: \(r.stderr)")
        #expect(marker("status", in: r.stdout) == "1")
        #expect(r.stderr.contains(#"error: the kernel rejected net.core.somaxconn = "lots": Invalid argument"#), "\(r.stderr)")
        #expect(marker("after", in: r.stdout) == before)
    }

    /// As root, the run drops to nobody (setpriv) inside the namespace; as another user it runs as
    /// that user on the host, whose net.core.somaxconn it cannot write either.
    @Test func anUnwritableKeyExits77NamingIt() throws {
        let dir = try TemporaryDirectory()
        let runbook = dir.path + "/set.mend"
        try writeFile(runbook, #"step "listen backlog" { sysctl.set("net.core.somaxconn", 4321) }"#)
        let mend = "\(shellQuote(MendBinary.path)) run \(shellQuote(runbook))"
        let status: Int32
        let stderr: String
        if geteuid() == 0 {
            // nobody needs to reach the runbook and a state directory of its own.
            try #require(chmod(dir.path, 0o755) == 0 && chmod(runbook, 0o644) == 0)
            try #require(mkdir(dir.path + "/nobody", 0o700) == 0 && chown(dir.path + "/nobody", 65534, 65534) == 0)
            try #require(try system("command -v setpriv >/dev/null") == 0, "setpriv (util-linux) is needed to drop privileges")
            let r = try NetworkNamespace.run("""
                echo "before=$(cat /proc/sys/net/core/somaxconn)"
                setpriv --reuid=65534 --regid=65534 --clear-groups \(mend) --state-dir \(shellQuote(dir.path + "/nobody/state")); echo "status=$?"
                echo "after=$(cat /proc/sys/net/core/somaxconn)"
                """, in: dir)
            status = Int32(marker("status", in: r.stdout) ?? "") ?? -1
            stderr = r.stderr
            #expect(marker("after", in: r.stdout) == marker("before", in: r.stdout))
        } else {
            let r = try MendBinary.run(["run", runbook, "--state-dir", dir.path + "/state"])
            status = r.status
            stderr = r.stderr
        }
        #expect(status == 77, "\(stderr)")
        #expect(stderr.contains("cannot write net.core.somaxconn: Permission denied"), "\(stderr)")
    }
}
