import Testing

/// runbooks/go-node/baseline.mend on this machine's systemd booted in private namespaces over an
/// overlay (InitSystems.swift): the node's template unit enabled by the real systemctl, the
/// accept queue set in the machine's own network namespace, real ufw there, chrony's configuration
/// with a real chronyd (-x: it never touches the clock) restarted as a systemd service.
/// Host-wide knobs stay the host's: in a mount namespace of the test's script, vm.swappiness and
/// transparent huge pages are scratch files bound over their /proc and /sys entries, and only the
/// machine's network sysctls are writable.
@Suite("the node baseline on a booted systemd", .serialized)
struct BaselineOnSystemdTests {
    /// Params for a machine of this size and no internet: the floor's figures, the SSD (a VM's
    /// disk is rotational) and the NTP measurement (ClockTests measures against local servers).
    static let params = "--param min_cpus=1 --param min_memory=1MiB --param min_disk=0B --param check_ssd=false --param check_offset=false --param install_chrony=false"

    @Test("converges, a second run changes nothing, an injected failure and a rollback restore sysctls, unit, firewall and chrony exactly")
    func convergesAndRollsBack() throws {
        let machine = try SystemdMachine()
        defer { machine.shutdown() }
        let runbooks = try ShippedRunbooks.copy(into: machine.share) + "/go-node"
        try writeFile(runbooks + "/failing.mend", try readFile(runbooks + "/baseline.mend")
            + "\nstep \"injected failure\" { fail(\"injected after the last step\") }\n")
        // The fixtures' node binary (a small static ELF), through the shared directory: the repository
        // may lie under /tmp, which the machine covers.
        let node = machine.share + "/node"
        guard try system("cp \(shellQuote(FixtureHost.ubuntu.source + "/usr/local/bin/node")) \(shellQuote(node))") == 0 else {
            throw TestFailure(description: "cannot copy the fixture's node binary")
        }
        let result = try machine.run(#"""
            S=\#(shellQuote(machine.share))
            # What the host has before the node's runbook: the node's binary, its user, Go from the
            # tarball, chrony's stock configuration (chrony itself is not installed here), ufw enabled.
            install -m 0755 \#(shellQuote(node)) /usr/local/bin/node
            mkdir -p /usr/local/go /etc/chrony && printf 'go1.22.1\ntime 2024-03-01T00:00:00Z\n' > /usr/local/go/VERSION
            getent passwd node >/dev/null || useradd -u 1001 -M -s /usr/sbin/nologin node
            printf 'pool 2.debian.pool.ntp.org iburst\ndriftfile /var/lib/chrony/chrony.drift\nmakestep 1 3\n' > /etc/chrony/chrony.conf
            # chronyd as the chrony package runs it, but with -x: it never touches the clock (and this
            # machine has no CAP_SYS_TIME anyway). Its files are the machine's: /run is its own tmpfs.
            CHRONYD=$(command -v chronyd) || { echo "chronyd=missing"; exit 1; }
            printf '[Service]\nExecStart=%s -x -n -u root -f /etc/chrony/chrony.conf\n' "$CHRONYD" > /etc/systemd/system/chrony.service
            systemctl daemon-reload && systemctl start chrony.service || { echo "chronyd=failed"; exit 1; }
            ufw --force enable >/dev/null
            cat > "$S/inner.sh" <<'EOF'
            S=$1 R=$2
            mount --bind /proc/sys/net /proc/sys/net && mount -o remount,bind,rw /proc/sys/net || exit 90
            echo 60 > "$S/swappiness" && mount --bind "$S/swappiness" /proc/sys/vm/swappiness || exit 91
            echo 'always madvise [never]' > "$S/thp" && mount --bind "$S/thp" /sys/kernel/mm/transparent_hugepage/enabled || exit 92
            state() {
              echo "somaxconn=$(cat /proc/sys/net/core/somaxconn) swappiness=$(cat /proc/sys/vm/swappiness)"
              ls -la /etc/systemd/system /etc/systemd/system/multi-user.target.wants 2>&1 | awk '{print $1, $NF}'
              cat /etc/systemd/system/node@.service /etc/systemd/system/node@.service.d/* 2>&1
              ufw status verbose; md5sum /etc/ufw/user.rules /etc/ufw/user6.rules
              md5sum /etc/chrony/chrony.conf; ls /etc/sysctl.d /etc/security/limits.d
              cat /etc/sysctl.d/90-mend.conf /etc/security/limits.d/90-mend.conf 2>&1
            }
            P=$(cat "$S/params")
            state > "$S/before"
            "$MEND" plan "$R/baseline.mend" $P --detailed-exitcode > "$S/plan.out" 2>&1; echo "plan=$?"
            state > "$S/after-plan"; cmp -s "$S/before" "$S/after-plan" && echo "plan.untouched=yes"
            chronyd_pid() { systemctl show -p MainPID --value chrony.service; }
            C0=$(chronyd_pid)
            "$MEND" run "$R/failing.mend" $P --state-dir /run/s > "$S/failing.out" 2>&1; echo "failing=$?"
            C1=$(chronyd_pid); [ "$C1" != "$C0" ] && [ "$C1" != 0 ] && echo "failing.chronyd=restarted"
            state > "$S/after-failing"; cmp -s "$S/before" "$S/after-failing" && echo "failing.restored=yes"
            "$MEND" run "$R/baseline.mend" $P --state-dir /run/s --detailed-exitcode > "$S/run.out" 2>&1; echo "run=$?"
            echo "somaxconn=$(cat /proc/sys/net/core/somaxconn) swappiness=$(cat /proc/sys/vm/swappiness)"
            echo "enabled=$(systemctl is-enabled node@1.service 2>&1)"
            echo "restart=$(systemctl show -p Restart --value node@1.service) burst=$(systemctl show -p StartLimitBurst --value node@1.service) nofile=$(systemctl show -p LimitNOFILE --value node@1.service)"
            echo "ufw.allows=$(ufw status | grep -c -E '^(30303|30304)/tcp +ALLOW')"
            echo "ufw.rpc=$(ufw status | grep -c -E '^8545/tcp +DENY')"
            grep -q '^server pool.ntp.org iburst minpoll 4 maxpoll 6' /etc/chrony/chrony.conf && echo "chrony=tuned"
            C2=$(chronyd_pid); [ "$C2" != "$C1" ] && [ "$C2" != 0 ] && echo "run.chronyd=restarted"
            "$MEND" run "$R/baseline.mend" $P --state-dir /run/s --detailed-exitcode > "$S/again.out" 2>&1; echo "again=$?"
            "$MEND" rollback last --state-dir /run/s > "$S/rollback.out" 2>&1; echo "rollback=$?"
            state > "$S/after-rollback"; cmp -s "$S/before" "$S/after-rollback" && echo "rollback.restored=yes"
            EOF
            echo \#(shellQuote(Self.params)) > "$S/params"
            export MEND
            unshare -m --propagation private /bin/sh "$S/inner.sh" "$S" \#(shellQuote(runbooks))
            """#)
        let out = result.stdout
        let share = machine.share
        func file(_ name: String) -> String { (try? readFile(share + "/" + name)) ?? "(no \(name))" }
        #expect(marker("chronyd", in: out) == nil, "chronyd as a service of the machine: \(out)\(result.stderr)")
        #expect(marker("plan", in: out) == "2", "plan: \(file("plan.out"))")
        #expect(marker("plan.untouched", in: out) == "yes", "\(file("before"))\n--- after the plan\n\(file("after-plan"))")
        #expect(marker("failing", in: out) == "1", "failing: \(file("failing.out"))")
        #expect(marker("failing.restored", in: out) == "yes", "\(file("before"))\n--- after the failed run\n\(file("after-failing"))\n\(file("failing.out"))")
        #expect(marker("run", in: out) == "2", "run: \(file("run.out"))\n\(result.stderr)")
        #expect(out.contains("somaxconn=65535 swappiness=1"), "\(out)")
        #expect(marker("enabled", in: out) == "enabled", "\(out)")
        #expect(out.contains("restart=on-failure burst=3 nofile=65536"), "\(out)")
        #expect(marker("ufw.allows", in: out) == "2" && marker("ufw.rpc", in: out) == "1", "\(out)")
        #expect(marker("chrony", in: out) == "tuned", "\(out)")
        #expect(marker("failing.chronyd", in: out) == "restarted" && marker("run.chronyd", in: out) == "restarted",
                "chronyd restarted for its new file (and again when the failed run restored the old one): \(out)")
        #expect(marker("again", in: out) == "0", "second run: \(file("again.out"))")
        #expect(marker("rollback", in: out) == "0", "rollback: \(file("rollback.out"))")
        #expect(marker("rollback.restored", in: out) == "yes", "\(file("before"))\n--- after the rollback\n\(file("after-rollback"))")
    }
}
