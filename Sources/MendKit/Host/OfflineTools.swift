/// Tools that act on a running system and have an offline form for a root that is not running:
/// a namespace asks the host how to call one, and gets the live command on the live host and the
/// offline form under `--root`.
extension Host {
    /// A tool with an offline form.
    public enum Tool: Sendable, CaseIterable {
        /// `systemctl`; offline `systemctl --root=ROOT`, which edits unit files, enablement links
        /// and masks of the root without a running manager (nothing starts or stops).
        case systemctl
        /// `firewall-cmd`; offline `firewall-offline-cmd --system-config ROOT/etc/firewalld`, which
        /// edits the root's permanent firewalld configuration without the daemon or D-Bus.
        case firewallCmd
    }

    /// The argv that runs `tool` with `arguments` against this host.
    public func command(_ tool: Tool, _ arguments: [String]) -> [String] {
        switch (tool, isLive) {
        case (.systemctl, true): return ["systemctl"] + arguments
        case (.systemctl, false): return ["systemctl", "--root=\(root)"] + arguments
        case (.firewallCmd, true): return ["firewall-cmd"] + arguments
        case (.firewallCmd, false): return ["firewall-offline-cmd", "--system-config", root + "/etc/firewalld"] + arguments
        }
    }
}
