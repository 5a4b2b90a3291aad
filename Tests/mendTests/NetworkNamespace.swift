import Glibc

/// A private network namespace: its `net.*` sysctls are the kernel's own and really writable, and
/// the host's stay untouched. Root gets one with `unshare -n`; another user may get one with
/// `unshare -rn` (a user namespace mapping it to root) where the kernel allows that.
enum NetworkNamespace {
    /// The command that starts a shell script in a fresh network namespace, or why there is none.
    static let command: Result<String, TestFailure> = {
        let candidates = geteuid() == 0 ? ["unshare -n", "unshare -rn"] : ["unshare -rn"]
        for candidate in candidates where (try? system("\(candidate) true >/dev/null 2>&1")) == 0 {
            return .success(candidate)
        }
        return .failure(TestFailure(description: """
            these tests need a private network namespace: run them as root (unshare -n), or as a user allowed \
            unprivileged user namespaces (unshare -rn, kernel.unprivileged_userns_clone=1); util-linux's \
            unshare must be installed. Tried: \(candidates.joined(separator: ", "))
            """))
    }()

    /// Runs `script` with /bin/sh inside a new network namespace; its stdout and stderr are returned.
    /// Fails (never skips) when no namespace can be made.
    static func run(_ script: String, in dir: TemporaryDirectory) throws -> (status: Int32, stdout: String, stderr: String) {
        let unshare = try command.get()
        let file = dir.path + "/netns.sh", out = dir.path + "/netns.out", err = dir.path + "/netns.err"
        try writeFile(file, "set -u\nMEND=\(shellQuote(MendBinary.path))\n" + script)
        let status = try system("\(unshare) sh \(shellQuote(file)) >\(shellQuote(out)) 2>\(shellQuote(err)) </dev/null")
        return (status, try readFile(out), try readFile(err))
    }
}

/// The value after `name=` on a line of `output` (the scripts echo `name=value` markers).
func marker(_ name: String, in output: String) -> String? {
    output.split(separator: "\n").first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
}
