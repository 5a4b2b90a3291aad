import Glibc
import Testing

/// Two network namespaces joined by a veth pair, for firewall tests that send real packets: the
/// script runs as root in a private network and mount namespace (the "server", 10.77.0.1) with
/// /etc copy-on-write (an overlay whose upper layer is on a tmpfs /run) so the firewall tools'
/// files can be written; a second namespace (the "client", 10.77.0.2) is a `sleep` whose network
/// the script enters with nsenter. Listeners answer on the ports named; `firewalld_start` runs
/// firewalld on a D-Bus of the namespace's own. Everything is torn down
/// by PID, also on failure, and the host's own rules and /etc stay untouched.
enum FirewallNetwork {
    /// Shell functions the test script can use: `reach PORT` prints open or closed (a TCP connect
    /// from the client, 1 s timeout); `waitlisten PORT` waits until a listener answers on the
    /// server's loopback, which no firewall's default policy drops.
    static let prelude = """
        set -u
        mount -t tmpfs tmpfs /run
        mkdir -p /run/etc-up /run/etc-work
        mount -t overlay overlay -o lowerdir=/etc,upperdir=/run/etc-up,workdir=/run/etc-work /etc
        ip link set lo up
        unshare --net sleep 600 & CLIENT=$!
        PIDS="$CLIENT"
        cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; wait 2>/dev/null; umount /var/log 2>/dev/null; umount /etc; umount /run; }
        trap cleanup EXIT
        i=0; while [ "$(readlink /proc/$CLIENT/ns/net)" = "$(readlink /proc/self/ns/net)" ] && [ $i -lt 100 ]; do i=$((i+1)); sleep 0.02; done
        ip link add veth0 type veth peer name veth1 netns "$CLIENT"
        ip addr add 10.77.0.1/24 dev veth0 && ip link set veth0 up
        nsenter -t "$CLIENT" -n sh -c 'ip link set lo up; ip addr add 10.77.0.2/24 dev veth1; ip link set veth1 up'
        listen() {
          python3 -c 'import socket,sys
        s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(16)
        while True: c,_=s.accept(); c.close()' "$1" & PIDS="$PIDS $!"
        }
        reach() {
          if nsenter -t "$CLIENT" -n timeout 1 bash -c "exec 3<>/dev/tcp/10.77.0.1/$1" 2>/dev/null; then echo open; else echo closed; fi
        }
        waitlisten() { i=0; while ! timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null && [ $i -lt 200 ]; do i=$((i+1)); sleep 0.05; done; }
        # firewalld on a system bus of the namespace's own, whose configuration activates nothing
        # (the stock one would start polkitd here); its log on a tmpfs /var/log.
        firewalld_start() {
          mount -t tmpfs tmpfs /var/log
          mkdir -p /run/dbus
          cat > /run/dbus-system.conf <<'EOF'
        <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
         "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
        <busconfig>
          <type>system</type>
          <listen>unix:path=/run/dbus/system_bus_socket</listen>
          <auth>EXTERNAL</auth>
          <policy context="default">
            <allow user="*"/>
            <deny own="*"/>
            <deny send_type="method_call"/>
            <allow send_type="signal"/>
            <allow send_requested_reply="true" send_type="method_return"/>
            <allow send_requested_reply="true" send_type="error"/>
            <allow receive_type="method_call"/><allow receive_type="method_return"/>
            <allow receive_type="error"/><allow receive_type="signal"/>
            <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
            <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
            <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
          </policy>
          <includedir>/usr/share/dbus-1/system.d</includedir>
        </busconfig>
        EOF
          DBUS=$(dbus-daemon --config-file=/run/dbus-system.conf --fork --print-pid)
          firewalld --nofork --nopid --log-target file --log-file /var/log/firewalld > /run/firewalld.out 2>&1 & FIREWALLD=$!
          # firewalld first, the bus last: cleanup kills in this order.
          PIDS="$FIREWALLD $PIDS $DBUS"
          i=0; while [ "$(firewall-cmd --state 2>/dev/null)" != running ] && [ $i -lt 300 ]; do i=$((i+1)); sleep 0.1; done
        }

        """

    /// Runs `script` after the prelude as root in fresh namespaces; fails (never skips) when they
    /// cannot be made.
    static func run(_ script: String, in dir: TemporaryDirectory) throws -> (status: Int32, stdout: String, stderr: String) {
        guard geteuid() == 0 else {
            throw TestFailure(description: "the firewall tests need root: they make network namespaces and drive nft and iptables in them")
        }
        for tool in ["nft", "iptables", "ip6tables", "ufw", "firewalld", "firewall-cmd", "dbus-daemon", "python3", "nsenter", "unshare", "ip"]
        where (try? system("command -v \(tool) >/dev/null 2>&1")) != 0 {
            throw TestFailure(description: "the firewall tests need \(tool) (scripts/test installs nftables, iptables, ufw, firewalld, dbus-daemon, iproute2, util-linux)")
        }
        let file = dir.path + "/fw.sh", out = dir.path + "/fw.out", err = dir.path + "/fw.err"
        try writeFile(file, "MEND=\(shellQuote(MendBinary.path))\n" + prelude + script)
        let status = try system("unshare --net --mount --propagation private bash \(shellQuote(file)) >\(shellQuote(out)) 2>\(shellQuote(err)) </dev/null")
        return (status, try readFile(out), try readFile(err))
    }

    /// The host's rulesets, to compare before and after a test.
    static func hostRules() throws -> String {
        let dir = try TemporaryDirectory()
        _ = try system("{ nft list ruleset; iptables-save 2>/dev/null | grep -v '^#'; ip6tables-save 2>/dev/null | grep -v '^#'; } > \(shellQuote(dir.path + "/rules")) 2>&1")
        return try readFile(dir.path + "/rules")
    }
}
