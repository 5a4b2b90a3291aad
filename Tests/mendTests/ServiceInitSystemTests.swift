import Glibc
import Testing

/// The seed's template unit, with a small script in place of the node: the mode file
/// /run/app-mode-INSTANCE picks run (default), fail (exit 1) or ok (exit 0).
private let appScript = """
    #!/bin/sh
    mode=$(cat /run/app-mode-$1 2>/dev/null || echo run)
    echo "app $1 starting, mode=$mode, pid=$$"
    case $mode in fail) exit 1;; ok) exit 0;; esac
    while :; do sleep 1; done
    """

private func appRunbook(script: String, failAtEnd: Bool) -> String {
    """
    runbook "the seed's node instances"
    let unit = '''
    [Unit]
    Description=node %i
    StartLimitIntervalSec=60
    StartLimitBurst=3

    [Service]
    ExecStart=\(script) %i
    Restart=on-failure
    RestartSec=1
    Environment="NODE_ID=%i"

    [Install]
    WantedBy=multi-user.target
    '''
    step "unit" {
      service.install_unit("app@.service", unit)
    }
    step "instances" {
      for n in ["node1", "node2"] {
        service.enable("app@${n}", now: true)
        let s = service.wait("app@${n}", "running", timeout: 10s)
        assert s.active and s.enabled == "enabled"
        print("${n}.pid=${s.main_pid}")
      }
    }
    step "then" {
      assert \(!failAtEnd), "a later step fails"
    }
    """
}

extension SystemdMachine {
    /// A booted machine with the app script in its shared directory, executable; its path.
    static func withAppScript() throws -> (SystemdMachine, String) {
        let machine = try SystemdMachine()
        let script = try machine.put("app.sh", appScript)
        guard chmod(script, 0o755) == 0 else { throw TestFailure(description: "cannot make \(script) executable") }
        return (machine, script)
    }
}

/// What systemd says of the app units, from outside mend.
private let systemdState = """
    echo "file=$(test -e /etc/systemd/system/app@.service && echo yes || echo no)"
    echo "links=$(ls /etc/systemd/system/multi-user.target.wants 2>/dev/null | tr '\\n' ' ')"
    for n in node1 node2; do
      echo "$n.enabled=$(systemctl is-enabled app@$n 2>/dev/null || true)"
      echo "$n.active=$(systemctl is-active app@$n 2>/dev/null || true)"
      echo "$n.pid=$(systemctl show -p MainPID app@$n | cut -d= -f2)"
    done
    echo "reload=$(systemctl show -p NeedDaemonReload app@node1 | cut -d= -f2)"
    """

@Suite("service: real systemd as PID 1 of private namespaces", .serialized)
struct ServiceSystemdTests {
    @Test("install, enable and start two instances; kill -9 restarts; rollback leaves systemd as it was")
    func instancesAndRollback() throws {
        let (machine, script) = try SystemdMachine.withAppScript()
        defer { machine.shutdown() }
        let runbook = try machine.put("app.mend", appRunbook(script: script, failAtEnd: false))
        let failing = try machine.put("app-fails.mend", appRunbook(script: script, failAtEnd: true))

        // Plan first: the unit does not exist yet; nothing may change.
        let before = try machine.run(systemdState)
        let plan = try machine.run(#""$MEND" plan \#(shellQuote(runbook)) --format json"#)
        #expect(plan.status == 0, "\(plan.stderr)")
        let planned = try parseReport(MendBinary.Result(status: plan.status, stdout: plan.stdout, stderr: plan.stderr))
        let changes = steps(planned).flatMap { $0["changes"]?.array ?? [] }
        let shown = changes.map { "\($0["kind"]?.string ?? "") \($0["target"]?.string ?? ""): \($0["before"]?.text ?? "") → \($0["after"]?.text ?? "")" }
        #expect(shown.contains("service.enablement app@node1.service: \"disabled\" → \"enabled\""), "\(shown)")
        #expect(shown.contains("service app@node1.service: \"inactive\" → \"active\""), "\(shown)")
        #expect(changes.map { $0["kind"]?.string ?? "" }.prefix(2) == ["service.unit", "service.daemon_reload"])
        #expect(changes.first?["after"]?.string?.contains("Restart=on-failure") == true)
        #expect(try machine.run(systemdState).stdout == before.stdout, "the plan changed systemd")

        // A later failure undoes everything: file gone, reloaded, not enabled, not running, no links.
        let failed = try machine.run(#""$MEND" run \#(shellQuote(failing)) --state-dir /tmp/state"#)
        #expect(failed.status == 1, "\(failed.stdout)\n\(failed.stderr)")
        let after = try machine.run(systemdState).stdout
        #expect(marker("file", in: after) == "no")
        #expect(marker("links", in: after) == "")
        #expect(marker("node1.enabled", in: after) == "" || marker("node1.enabled", in: after) == "not-found", "\(after)")
        #expect(marker("node1.active", in: after) == "inactive")
        #expect(marker("node2.active", in: after) == "inactive")
        #expect(marker("reload", in: after) == "no", "systemd reloaded after the unit file went")

        // The run that succeeds: both instances run with live main processes.
        let run = try machine.run(#""$MEND" run \#(shellQuote(runbook)) --state-dir /tmp/state --format json"#)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let runId = try parseReport(MendBinary.Result(status: run.status, stdout: run.stdout, stderr: run.stderr))["run_id"]?.string ?? "?"
        for n in ["node1", "node2"] {
            #expect(marker("\(n).pid", in: run.stderr).flatMap { Int($0) } != nil, "a live main pid: \(run.stderr)")
        }
        let running = try machine.run(systemdState).stdout
        #expect(marker("node1.active", in: running) == "active" && marker("node2.active", in: running) == "active", "\(running)")
        #expect(marker("links", in: running) == "app@node1.service app@node2.service ", "\(running)")

        // kill -9 of node1's main process: systemd restarts it, and status counts it.
        let kill = try machine.put("kill.mend", """
            step "kill node1" {
              let old = service.status("app@node1").main_pid
              run("kill", "-9", "${old}")
              let s = service.wait("app@node1", "running", timeout: 10s)
              print("restarts=${s.restarts}")
              print("changed=${s.main_pid != old}")
            } rollback { }
            """)
        let restarted = try machine.run(#""$MEND" run \#(shellQuote(kill)) --state-dir /tmp/state"#)
        #expect(restarted.status == 0, "\(restarted.stdout)\n\(restarted.stderr)")
        #expect(marker("restarts", in: restarted.stdout + restarted.stderr) == "1", "\(restarted.stderr)")
        #expect(marker("changed", in: restarted.stdout + restarted.stderr) == "true")

        // mend rollback of the successful run: systemd is as it was before any of it.
        let undone = try machine.run(#""$MEND" rollback \#(runId) --state-dir /tmp/state"#)
        #expect(undone.status == 0, "\(undone.stdout)\n\(undone.stderr)")
        #expect(try machine.run(systemdState).stdout == before.stdout)
    }

    @Test("the shipped restart-policy runbook checks the seed's restart table and leaves nothing behind")
    func restartPolicy() throws {
        let machine = try SystemdMachine()
        defer { machine.shutdown() }
        let runbook = LanguageDoc.repositoryRoot + "/runbooks/go-node/restart-policy.mend"
        let copy = try machine.put("restart-policy.mend", try readFile(runbook))
        let listing = "ls /etc/systemd/system /usr/local/bin; systemctl list-units --all --plain --no-legend 'mend-restart-probe*'"
        let before = try machine.run(listing).stdout
        // The plan neither waits for nor checks what only the run's processes show.
        let plan = try machine.run(#""$MEND" plan \#(shellQuote(copy)) --param restart_sec=1s"#)
        #expect(plan.status == 0, "\(plan.stdout)\n\(plan.stderr)")
        #expect(plan.stdout.contains("service mend-restart-probe@fail.service: \"inactive\" → \"active\""), "\(plan.stdout)")
        // Each wait's state carries on: the failed instance's reset is planned, and the instance
        // that exits is not stopped again.
        #expect(plan.stdout.contains("service mend-restart-probe@fail.service: \"failed\" → \"reset-failed\""), "\(plan.stdout)")
        #expect(!plan.stdout.contains("service mend-restart-probe@ok.service: \"active\" → \"inactive\""), "\(plan.stdout)")
        #expect(try machine.run(listing).stdout == before)
        let run = try machine.run(#""$MEND" run \#(shellQuote(copy)) --param restart_sec=1s --state-dir /tmp/state"#)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        for step in ["exit 0 → no restart", "exit 1 → restart", "SIGKILL → restart", "more than 3 starts in 1m0s → failed"] {
            #expect(run.stdout.contains("● ") && run.stdout.contains(step), "\(step): \(run.stdout)")
        }
        #expect(try machine.run(listing).stdout == before)
    }

    @Test("errors: an unknown unit suggests the right one; not root is exit 77 naming the unit; a failed start shows the journal")
    func errors() throws {
        let (machine, script) = try SystemdMachine.withAppScript()
        defer { machine.shutdown() }
        _ = try machine.run(#""$MEND" run \#(shellQuote(try machine.put("app.mend", appRunbook(script: script, failAtEnd: false)))) --state-dir /tmp/s"#)

        let typoFile = try machine.put("typo.mend", #"step "s" { service.restart("ap@node1") }"#)
        let typo = try machine.run(#""$MEND" plan \#(shellQuote(typoFile))"#)
        #expect(typo.status == 1)
        #expect(typo.stderr.contains("no unit 'ap@node1.service' (did you mean app@node1.service?)"), "\(typo.stderr)")

        let stopFile = try machine.put("stop.mend", #"step "s" { service.stop("app@node2") }"#)
        let nobody = try machine.run(#"cd /tmp && setpriv --reuid=65534 --regid=65534 --clear-groups "$MEND" run \#(shellQuote(stopFile)) --state-dir /tmp/nobody"#)
        #expect(nobody.status == 77, "\(nobody.stdout)\n\(nobody.stderr)")
        #expect(nobody.stderr.contains("cannot stop app@node2.service: managing services needs root"), "\(nobody.stderr)")
        let reloadAsNobody = try machine.put("reload-nobody.mend", #"step "s" { service.daemon_reload() }"#)
        let nobodyReload = try machine.run(#"cd /tmp && setpriv --reuid=65534 --regid=65534 --clear-groups "$MEND" run \#(shellQuote(reloadAsNobody)) --state-dir /tmp/nobody2"#)
        #expect(nobodyReload.status == 77, "\(nobodyReload.stdout)\n\(nobodyReload.stderr)")
        #expect(nobodyReload.stderr.contains("daemon-reload: reloading systemd's unit files needs root"), "\(nobodyReload.stderr)")

        let brokenFile = try machine.put("broken.mend", #"""
            step "broken" {
              service.install_unit("broken", "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo about to fail; exit 3'\n")
              service.start("broken")
            }
            """#)
        let broken = try machine.run(#"""
            "$MEND" run \#(shellQuote(brokenFile)) --state-dir /tmp/s; echo "status=$?"
            echo "file=$(test -e /etc/systemd/system/broken.service && echo yes || echo no)"
            """#)
        #expect(marker("status", in: broken.stdout) == "1")
        // A reload as the first change of a run, and its undo; an enabled-runtime unit enabled for good.
        let reloadFile = try machine.put("reload.mend", """
            step "reload" { assert service.daemon_reload() }
            step "runtime" {
              run("systemctl", "enable", "--runtime", "app@node3")
              assert service.status("app@node3").enabled == "enabled-runtime"
              assert service.enable("app@node3")
              assert service.status("app@node3").enabled == "enabled"
            } rollback { run("systemctl", "disable", "--runtime", "app@node3") }
            step "fail" { fail("undo") }
            """)
        let reload = try machine.run(#""$MEND" run \#(shellQuote(reloadFile)) --state-dir /tmp/r; echo "status=$?"; echo "enabled=$(systemctl is-enabled app@node3)""#)
        #expect(marker("status", in: reload.stdout) == "1", "\(reload.stdout)\n\(reload.stderr)")
        #expect(reload.stderr.contains("undo") && !reload.stderr.contains("changed while"), "\(reload.stderr)")
        #expect(marker("enabled", in: reload.stdout) == "disabled", "\(reload.stdout)")

        #expect(broken.stderr.contains("Result=exit-code, main process exited, status 3"), "\(broken.stderr)")
        #expect(broken.stderr.contains("about to fail"), "the journal's lines: \(broken.stderr)")
        #expect(marker("file", in: broken.stdout) == "no")
    }

    /// A restart and a reset-failed are actions: read back they are the state they left, so
    /// `mend rollback` undoes them (and a started unit that then failed by itself) without --force.
    @Test("mend rollback undoes a restart, a reset-failed and a start that then failed")
    func rollbackOfActions() throws {
        let (machine, script) = try SystemdMachine.withAppScript()
        defer { machine.shutdown() }
        let setup = try machine.run(#""$MEND" run \#(shellQuote(try machine.put("app.mend", appRunbook(script: script, failAtEnd: false)))) --state-dir /tmp/s; echo "status=$?""#)
        #expect(marker("status", in: setup.stdout) == "0", "\(setup.stdout)\n\(setup.stderr)")
        let restart = try machine.put("restart.mend", #"""
            step "restart a stopped instance" {
              service.stop("app@node2")
            }
            """#)
        let actions = try machine.put("actions.mend", #"""
            step "actions" {
              service.restart("app@node2")
              service.start("app@bad")
              assert service.wait("app@bad", "failed", timeout: 20s).state == "failed"
              service.reset_failed("app@bad")
              service.start("app@bad")
            }
            """#)
        let result = try machine.run(#"""
            echo fail > /run/app-mode-bad
            "$MEND" run \#(shellQuote(restart)) --state-dir /tmp/s >/dev/null 2>&1
            "$MEND" run \#(shellQuote(actions)) --state-dir /tmp/s; echo "run=$?"
            "$MEND" rollback last --state-dir /tmp/s; echo "rollback=$?"
            echo "node2=$(systemctl is-active app@node2)"
            echo "bad=$(systemctl is-active app@bad)"
            """#)
        let out = result.stdout + result.stderr
        #expect(marker("run", in: out) == "0", "\(out)")
        #expect(marker("rollback", in: out) == "0", "\(out)")
        #expect(!out.contains("changed since"), "\(out)")
        #expect(marker("node2", in: out) == "inactive", "\(out)")
        #expect(marker("bad", in: out) == "inactive", "\(out)")
    }

    /// The run stops a service, gives it a new unit file and starts it; a later step fails. The
    /// undo puts the old file back and starts the service before the pass's closing reload: systemd
    /// re-reads the file first, so the service runs on the old definition again.
    @Test("a rollback starts a service on the unit file it puts back")
    func rollbackStartsOnTheRestoredUnitFile() throws {
        let machine = try SystemdMachine()
        defer { machine.shutdown() }
        let setup = try machine.run(#"""
            printf '[Service]\nEnvironment=VERSION=old\nExecStart=/bin/sh -c "while :; do sleep 1; done"\n' > /etc/systemd/system/versioned.service
            systemctl daemon-reload && systemctl start versioned && echo started=yes
            """#)
        #expect(marker("started", in: setup.stdout) == "yes", "\(setup.stdout)\n\(setup.stderr)")
        let file = try machine.put("upgrade.mend", #"""
            step "upgrade" {
              service.stop("versioned")
              service.install_unit("versioned", "[Service]\nEnvironment=VERSION=new\nExecStart=/bin/sh -c \"while :; do sleep 1; done\"\n")
              service.start("versioned")
              assert service.wait("versioned", "running", timeout: 10s).active
            }
            step "then" { fail("a later step fails") }
            """#)
        let run = try machine.run(#"""
            "$MEND" run \#(shellQuote(file)) --state-dir /tmp/s; echo "status=$?"
            pid=$(systemctl show -p MainPID versioned | cut -d= -f2)
            echo "active=$(systemctl is-active versioned)"
            echo "version=$(tr '\0' '\n' < /proc/$pid/environ | sed -n 's/^VERSION=//p')"
            echo "reload=$(systemctl show -p NeedDaemonReload versioned | cut -d= -f2)"
            """#)
        #expect(marker("status", in: run.stdout) == "1", "\(run.stdout)\n\(run.stderr)")
        #expect(marker("active", in: run.stdout) == "active")
        #expect(marker("version", in: run.stdout) == "old", "\(run.stdout)\n\(run.stderr)")
        #expect(marker("reload", in: run.stdout) == "no")
    }

    @Test("the kernel baseline's new unit limits restart the running node instances")
    func baselineRestartsForNewLimits() throws {
        let (machine, script) = try SystemdMachine.withAppScript()
        defer { machine.shutdown() }
        let setup = try machine.run(#"""
            mkdir -p /etc/systemd/system && printf '[Service]\nExecStart=%s %%i\n' \#(shellQuote(script)) > /etc/systemd/system/node@.service
            systemctl daemon-reload && systemctl start node@a
            echo "pid=$(systemctl show -p MainPID node@a | cut -d= -f2)"
            """#)
        let old = marker("pid", in: setup.stdout)
        let copy = try ShippedRunbooks.copy(into: machine.share) + "/go-node/kernel-baseline.mend"
        let run = try machine.run(#"""
            "$MEND" run \#(shellQuote(copy)) --step "Open files and processes for the node's systemd unit" --param nofile=4096 --param min_disk=0B --param min_cpus=1 --param min_memory=1MiB --state-dir /tmp/s
            pid=$(systemctl show -p MainPID node@a | cut -d= -f2)
            echo "pid=$pid"
            grep "Max open files" /proc/$pid/limits | awk '{print "nofile=" $4}'
            """#)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("service node@a.service: \"active\" → \"restart\""), "\(run.stdout)")
        #expect(marker("pid", in: run.stdout) != old)
        // 4096: below the hard limit this test machine gives the namespace's systemd.
        #expect(marker("nofile", in: run.stdout) == "4096", "\(run.stdout)")
    }
}

@Suite("service: real OpenRC and SysV init in chroots", .serialized)
struct ServiceInitScriptTests {
    static let openrcScript = """
        #!/sbin/openrc-run
        description="tiny sleep loop"
        pidfile="/run/${RC_SVCNAME}.pid"
        command="/bin/sh"
        command_args="-c 'while :; do sleep 1; done'"
        command_background=yes
        """
    static let sysvScript = """
        #!/bin/sh
        ### BEGIN INIT INFO
        # Provides:          sleeper
        # Required-Start:    $remote_fs
        # Required-Stop:     $remote_fs
        # Default-Start:     2 3 4 5
        # Default-Stop:      0 1 6
        # Short-Description: tiny sleep loop
        ### END INIT INFO
        . /lib/lsb/init-functions
        PIDFILE=/run/sleeper.pid
        case "$1" in
          start)  start-stop-daemon --start --quiet --background --make-pidfile --pidfile $PIDFILE --exec /bin/sh -- -c 'while :; do sleep 1; done' ;;
          stop)   start-stop-daemon --stop --quiet --pidfile $PIDFILE --retry TERM/5/KILL/2 --remove-pidfile ;;
          status) status_of_proc -p $PIDFILE /bin/sh sleeper && exit 0 || exit $? ;;
          restart) $0 stop; $0 start ;;
          *) echo "Usage: $0 {start|stop|status|restart}"; exit 2 ;;
        esac
        """

    static func runbook(_ script: String) -> String {
        """
        param fail = false
        let script = '''
        \(script)
        '''
        step "sleeper" {
          service.install_unit("sleeper", script)
          service.enable("sleeper", now: true)
          let s = service.wait("sleeper", "running", timeout: 10s)
          print("state=${s.state}")
          print("enabled=${s.enabled}")
          print("pid=${s.main_pid}")
        }
        step "stop and start" {
          service.stop("sleeper")
          assert service.status("sleeper").state == "inactive"
          service.disable("sleeper")
          assert service.status("sleeper").enabled == "disabled"
          service.enable("sleeper", now: true)
          assert service.wait("sleeper", "running", timeout: 10s).active
        }
        step "then" { assert not fail, "a later step fails" }
        """
    }

    /// Prints whether the script, its links and its process are there.
    static let state = """
        echo "script=$(test -e /etc/init.d/sleeper && echo yes || echo no)"
        echo "links=$(ls /etc/runlevels/*/sleeper /etc/rc?.d/*sleeper 2>/dev/null | wc -l)"
        echo "procs=$(grep -l 'while :; do slee[p] 1' /proc/[0-9]*/cmdline 2>/dev/null | wc -l)"
        """

    @Test("start, stop, enable, disable and status round trip; a failure and mend rollback restore state and links",
          arguments: [InitJail.Flavor.openrc, .sysv])
    func roundTrip(_ flavor: InitJail.Flavor) throws {
        let share = try TemporaryDirectory()
        let file = share.path + "/sleeper.mend"
        try writeFile(file, Self.runbook(flavor == .openrc ? Self.openrcScript : Self.sysvScript))
        let result = try InitJail.run(flavor, """
            echo "manager=$("$MEND" eval 'service.manager()')"
            \(Self.state.replacingOccurrences(of: "echo \"", with: "echo \"before."))
            "$MEND" run \(shellQuote(file)) --param fail=true --state-dir /tmp/s > /tmp/failed.out 2>&1; echo "failed.status=$?"
            \(Self.state.replacingOccurrences(of: "echo \"", with: "echo \"failed."))
            "$MEND" run \(shellQuote(file)) --state-dir /tmp/s; echo "run.status=$?"
            # start-stop-daemon writes the pid file before the daemon's exec: give /proc time to show it.
            i=0; while [ $i -lt 50 ] && ! grep -q 'while :; do slee[p] 1' /proc/[0-9]*/cmdline 2>/dev/null; do i=$((i+1)); sleep 0.2; done
            \(Self.state.replacingOccurrences(of: "echo \"", with: "echo \"run."))
            "$MEND" rollback last --state-dir /tmp/s; echo "rollback.status=$?"
            \(Self.state.replacingOccurrences(of: "echo \"", with: "echo \"undone."))
            """, share: share)
        let out = result.stdout + result.stderr
        #expect(marker("manager", in: out) == "\"\(flavor.rawValue)\"", "\(out)")
        #expect(marker("failed.status", in: out) == "1", "\(out)")
        #expect(marker("run.status", in: out) == "0", "\(out)")
        #expect(marker("rollback.status", in: out) == "0", "\(out)")
        #expect(marker("state", in: out) == "active")
        #expect(marker("enabled", in: out) == "enabled")
        #expect(marker("pid", in: out).flatMap { Int($0) } != nil, "a main pid: \(out)")
        for phase in ["failed", "undone"] {
            #expect(marker("\(phase).script", in: out) == "no", "\(phase): \(out)")
            #expect(marker("\(phase).links", in: out) == "0", "\(phase): \(out)")
            #expect(marker("\(phase).procs", in: out) == "0", "\(phase): \(out)")
        }
        #expect(marker("run.script", in: out) == "yes")
        #expect(marker("run.links", in: out) != "0")
        #expect(marker("run.procs", in: out) == "1", "\(out)")
    }

    /// The kernel baseline's OpenRC step writes `rc_ulimit="-n N -u M"` (BaselineRunbookTests checks
    /// the line on the Alpine fixture). OpenRC hands it to one `ulimit` of /bin/sh: Alpine's busybox
    /// ash takes several limits at once (Debian's dash would not), so the jail's /bin/sh is busybox.
    @Test("OpenRC with Alpine's shell applies the baseline's rc_ulimit to the service it starts")
    func rcUlimitHoldsForTheStartedService() throws {
        let share = try TemporaryDirectory()
        let file = share.path + "/limits.mend"
        try writeFile(file, """
            let script = '''
            \(Self.openrcScript)
            '''
            step "limits" {
              service.install_unit("sleeper", script)
              file.line("/etc/conf.d/sleeper", 'rc_ulimit="-n 4096 -u 2000"', match: '^\\s*rc_ulimit=')
              service.start("sleeper")
              print("pid=${service.wait("sleeper", "running", timeout: 10s).main_pid}")
            }
            """)
        let result = try InitJail.run(.openrc, """
            ln -sf /bin/busybox /bin/sh
            "$MEND" run \(shellQuote(file)) --state-dir /tmp/s; echo "run.status=$?"
            pid=$(grep -l 'while :; do slee[p] 1' /proc/[0-9]*/cmdline | head -1 | cut -d/ -f3)
            echo "nofile=$(awk '/^Max open files/ {print $4 "/" $5}' /proc/$pid/limits)"
            echo "nproc=$(awk '/^Max processes/ {print $3 "/" $4}' /proc/$pid/limits)"
            """, share: share)
        let out = result.stdout + result.stderr
        #expect(marker("run.status", in: out) == "0", "\(out)")
        // Below the hard limits this test machine gives its root (raising them needs CAP_SYS_RESOURCE).
        #expect(marker("nofile", in: out) == "4096/4096", "\(out)")
        #expect(marker("nproc", in: out) == "2000/2000", "\(out)")
    }

    /// OpenRC still calls a service started when its daemon died (Debian's start-stop-daemon
    /// records no crash): mend reads it as failed, starts it again (zap first) and undoes that.
    @Test("OpenRC: a service whose daemon died reads as failed, starts again, and the start is undone")
    func openrcCrashedDaemon() throws {
        let share = try TemporaryDirectory()
        let crasher = """
            #!/sbin/openrc-run
            pidfile="/run/${RC_SVCNAME}.pid"
            command="/bin/sh"
            command_args="-c 'if [ -e /run/crashed-once ]; then while :; do sleep 1; done; else : > /run/crashed-once; sleep 1; exit 1; fi'"
            command_background=yes
            """
        let first = share.path + "/first.mend", second = share.path + "/second.mend", quick = share.path + "/quick.mend"
        // A daemon that dies at once, and a step that fails right after starting it (within the grace).
        try writeFile(quick, """
            let script = '''
            #!/sbin/openrc-run
            pidfile="/run/quick.pid"
            command="/bin/sh"
            command_args="-c 'exit 1'"
            command_background=yes
            '''
            step "s" {
              service.install_unit("quick", script)
              service.start("quick")
              fail("at once")
            }
            """)
        try writeFile(first, "let script = '''\n\(crasher)\n'''\nstep \"s\" {\n  service.install_unit(\"crasher\", script)\n  service.start(\"crasher\")\n}\n")
        try writeFile(second, """
            step "again" {
              assert service.start("crasher")
              assert service.wait("crasher", "running", timeout: 10s).active
            }
            step "then" { fail("a later step fails") }
            """)
        let result = try InitJail.run(.openrc, """
            "$MEND" run \(shellQuote(first)) --state-dir /tmp/s >/dev/null 2>&1; echo "first=$?"
            # Started a minute ago, as far as mend's grace for late pid files goes; the daemon dies after 1 s.
            touch -h -d '1 minute ago' /run/openrc/started/crasher
            sleep 1.5
            echo "crashed=$("$MEND" eval 'service.status("crasher").state')"
            "$MEND" run \(shellQuote(second)) --state-dir /tmp/s; echo "second=$?"
            echo "procs=$(grep -l 'while :; do slee[p] 1' /proc/[0-9]*/cmdline 2>/dev/null | wc -l)"
            "$MEND" run \(shellQuote(quick)) --state-dir /tmp/q; echo "quick=$?"
            echo "quick.state=$("$MEND" eval 'service.status("quick").state')"
            """, share: share)
        let out = result.stdout + result.stderr
        #expect(marker("first", in: out) == "0", "\(out)")
        #expect(marker("quick", in: out) == "1", "\(out)")
        #expect(marker("quick.state", in: out) == "\"inactive\"", "a start whose daemon died at once is undone: \(out)")
        #expect(marker("crashed", in: out) == "\"failed\"", "\(out)")
        #expect(marker("second", in: out) == "1", "\(out)")
        #expect(!out.contains("could not undo"), "\(out)")
        #expect(marker("procs", in: out) == "0", "\(out)")
    }

    /// A daemon that forks and writes its own pid file a moment later leaves OpenRC's record
    /// naming a leftover pid for that moment: mend reads that as starting, not crashed, so the
    /// wait sees the daemon come up, and the rollback stops it.
    @Test("OpenRC: a daemon that writes its pid file late is waited for, and its start is undone")
    func openrcLatePidFile() throws {
        let share = try TemporaryDirectory()
        let daemon = share.path + "/late-daemon"
        try writeFile(daemon, """
            #!/bin/sh
            ( sleep 0.5; exec /bin/sh -c 'echo $$ > /run/late.pid; while :; do sleep 1; done' ) >/dev/null 2>&1 &
            exit 0
            """)
        guard chmod(daemon, 0o755) == 0 else { throw TestFailure(description: "cannot make \(daemon) executable") }
        let file = share.path + "/late.mend"
        try writeFile(file, """
            step "start" {
              service.start("late")
              print("waited=${service.wait("late", "running", timeout: 10s).state}")
            }
            step "then" { fail("a later step fails") }
            """)
        let result = try InitJail.run(.openrc, """
            # An init script installed long ago, as a package's is.
            printf '#!/sbin/openrc-run\\npidfile="/run/late.pid"\\ncommand="/bin/sh"\\ncommand_args="%s"\\n' \(shellQuote(daemon)) > /etc/init.d/late
            chmod 755 /etc/init.d/late
            touch -d '2020-01-01' /etc/init.d/late
            echo 99999 > /run/late.pid
            "$MEND" run \(shellQuote(file)) --state-dir /tmp/s; echo "run=$?"
            echo "procs=$(grep -l 'while :; do slee[p] 1' /proc/[0-9]*/cmdline 2>/dev/null | wc -l)"
            """, share: share)
        let out = result.stdout + result.stderr
        #expect(marker("waited", in: out) == "active", "\(out)")
        #expect(marker("run", in: out) == "1", "\(out)")
        #expect(!out.contains("could not undo"), "\(out)")
        #expect(marker("procs", in: out) == "0", "\(out)")
    }

    /// The daemon a SysV start launched dies; the rollback runs the script's stop, which removes
    /// the dead daemon's pid file, so the service reads inactive again, not dead.
    @Test("SysV: undoing a start whose daemon then died leaves the service inactive")
    func sysvUndoOfDeadStart() throws {
        let share = try TemporaryDirectory()
        let script = Self.sysvScript.replacingOccurrences(of: "-c 'while :; do sleep 1; done'", with: "-c 'sleep 0.3; exit 1'")
        let file = share.path + "/dies.mend"
        try writeFile(file, """
            let script = '''
            \(script)
            '''
            step "start" {
              service.install_unit("sleeper", script)
              service.start("sleeper")
              sleep(1s)
              print("then=${service.status("sleeper").state}")
            }
            step "later" { fail("a later step fails") }
            """)
        let result = try InitJail.run(.sysv, """
            "$MEND" run \(shellQuote(file)) --state-dir /tmp/s; echo "run=$?"
            echo "pidfile=$(test -e /run/sleeper.pid && echo yes || echo no)"
            """, share: share)
        let out = result.stdout + result.stderr
        #expect(marker("then", in: out) == "failed", "\(out)")
        #expect(marker("run", in: out) == "1", "\(out)")
        #expect(!out.contains("could not undo"), "\(out)")
        #expect(marker("pidfile", in: out) == "no", "\(out)")
    }
}

@Suite("service: the manager's tool missing")
struct ServiceToolMissingTests {
    /// Under --root systemctl still reads the image's enablement (`systemctl --root`).
    @Test("a missing systemctl names the package to install", arguments: [FixtureHost.ubuntu, .centos])
    func missingTool(_ host: FixtureHost) throws {
        let dir = try TemporaryDirectory()
        let root = try host.copy(into: dir.path)
        try writeFile(dir.path + "/e.mend", #"step "e" { service.disable("\#(host == .centos ? "sshd" : "ssh")") }"#)
        let r = try MendBinary.run(["run", dir.path + "/e.mend", "--root", root, "--state-dir", dir.path + "/state"],
                                   environment: ["PATH": "/nonexistent"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("systemctl: not found (install the systemd package)"), "\(r.stderr)")
    }
}
