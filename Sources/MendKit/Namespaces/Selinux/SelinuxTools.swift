import Glibc

/// How the `selinux` changes reach SELinux: `semanage` for the policy's local customisations,
/// `restorecon -n` for what a relabel would do, `selinuxenabled` for whether there is a policy to
/// change. Each runs only on the live host: semanage has no option for another root (its `-S`
/// names a policy store of this machine under /etc/selinux, not a directory), and restorecon
/// would label a root's files by this machine's policy.
enum SelinuxTools {
    /// The state of a customisation under `--root`, where semanage cannot be asked.
    static let unknownUnderRoot = JSON.object([("unknown", .string("semanage has no --root: the policy of this machine is not the root's"))])

    /// The note a change planned under `--root` carries.
    static let rootNote = "planned only: under --root SELinux changes are refused (semanage and restorecon act on this machine's policy)"

    /// Checks that `builtin` may change SELinux here: under `--root` only a plan may (it plans over
    /// unknown state); on the live host SELinux must be enabled (`selinuxenabled`).
    static func ready(_ builtin: String, _ effects: any Effects) throws {
        let host = effects.host
        guard host.isLive else {
            if effects.isPlanning { return }
            throw MendError("\(builtin): refused under --root \(host.root): semanage and restorecon change the policy and labels "
                            + "of the machine mend runs on (semanage -S names a store of this machine, not a root); run mend on that host")
        }
        let result: ProcessResult
        do {
            result = try Tools.run(["selinuxenabled"], package: utilsPackage(on: host), on: host)
        } catch let error as HostError where error.code == ENOENT && (try? FactsReader(host: host).selinuxMode()) == "disabled" {
            // No tool and no /sys/fs/selinux: a host without SELinux, not one missing a package.
            throw MendError("\(builtin): SELinux is not enabled on this host (no /sys/fs/selinux, and no selinuxenabled); "
                            + "there is no policy to change", kind: .host)
        }
        guard result.status == 0 else {
            throw MendError("\(builtin): SELinux is disabled on this host (selinuxenabled exits \(result.status)); "
                            + "there is no policy to change", kind: .host)
        }
    }

    /// Runs `semanage ARGS`; its output, or an error with what it said.
    @discardableResult
    static func semanage(_ arguments: [String], on host: Host) throws -> String {
        try checked(["semanage"] + arguments, package: semanagePackage(on: host), on: host)
    }

    /// Adds a local customisation with `-a`, or modifies it with `-m` when `modify` or when the
    /// policy itself defines one for the same object (semanage then says "already defined").
    static func semanageSet(_ object: String, type: String, _ rest: [String], modify: Bool, on host: Host) throws {
        let package = semanagePackage(on: host)
        if !modify {
            let result = try Tools.run(["semanage", object, "-a", "-t", type] + rest, package: package, on: host)
            if result.status == 0 { return }
            guard text(result.stderr).contains("already defined") else { throw failure(["semanage", object, "-a"], result) }
        }
        try checked(["semanage", object, "-m", "-t", type] + rest, package: package, on: host)
    }

    /// Runs `restorecon ARGS`; its output (standard output and error: versions differ in which).
    static func restorecon(_ arguments: [String], on host: Host) throws -> String {
        let argv = ["restorecon"] + arguments
        let result = try Tools.run(argv, package: "policycoreutils", on: host)
        guard result.status == 0 else { throw failure(argv, result) }
        return text(result.stdout) + text(result.stderr)
    }

    /// The package that has semanage: policycoreutils-python on CentOS/RHEL 6 and 7,
    /// policycoreutils-python-utils on later releases and Debian.
    static func semanagePackage(on host: Host) -> String {
        let reader = FactsReader(host: host)
        let family = try? reader.osFamily()
        let major = (try? reader.osVersion())?.split(separator: ".").first.flatMap { Int($0) }
        if family == "rhel", let major, major <= 7 { return "policycoreutils-python" }
        return "policycoreutils-python-utils"
    }

    /// The package that has selinuxenabled.
    static func utilsPackage(on host: Host) -> String {
        (try? FactsReader(host: host).osFamily()) == "debian" ? "selinux-utils" : "libselinux-utils"
    }

    @discardableResult
    private static func checked(_ argv: [String], package: String, on host: Host) throws -> String {
        let result = try Tools.run(argv, package: package, on: host)
        guard result.status == 0 else { throw failure(argv, result) }
        return text(result.stdout)
    }

    private static func failure(_ argv: [String], _ result: ProcessResult) -> HostError {
        let said = text(result.stderr).trimmingCharacters()
        return HostError("\(argv.joined(separator: " ")) failed (status \(result.status))" + (said.isEmpty ? "" : ": " + said))
    }

    private static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}

/// The outputs of SELinux tools that mend reads.
enum SelinuxListing {
    /// The local file-context rules of `semanage fcontext -l -C` that apply to all files, as
    /// regex → type. Its lines are `REGEX  all files  system_u:object_r:TYPE:s0` under a heading;
    /// rules for one kind of file (`regular file`, `directory`) and the equivalence section
    /// (`/web = /var/www`) are not what `selinux.fcontext` sets and are left out.
    static func fcontextTypes(_ listing: String) -> [String: String] {
        var types: [String: String] = [:]
        for line in listing.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count == 4, words[0].hasPrefix("/"), words[1] == "all", words[2] == "files" else { continue }
            let fields = words[3].split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 3 else { continue }
            types[String(words[0])] = String(fields[2])
        }
        return types
    }

    /// The local port types of `semanage port -l -C` for single ports, as "proto/port" → type. Its
    /// lines are `TYPE  PROTO  8545, 30303, 9000-9010`; a range is not a definition of one port
    /// (semanage cannot delete one port of it) and is left out.
    static func portTypes(_ listing: String) -> [String: String] {
        var types: [String: String] = [:]
        for line in listing.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
            guard words.count >= 3, SelinuxNames.protocols.contains(String(words[1])), SelinuxNames.isType(String(words[0])) else { continue }
            for port in words.dropFirst(2) where Int(port) != nil {
                types["\(words[1])/\(port)"] = String(words[0])
            }
        }
        return types
    }

    /// What `restorecon -n -v` would relabel, as path → new context, from either form:
    /// `restorecon reset PATH context OLD->NEW` (policycoreutils 2.5, CentOS 7) or
    /// `Would relabel PATH from OLD to NEW` (later releases).
    static func relabels(_ output: String) -> [(path: String, context: String)] {
        var result: [(String, String)] = []
        for line in output.split(separator: "\n") {
            if line.hasPrefix("restorecon reset /"), let at = line.ranges(of: " context ").last,
               let arrow = line[at.upperBound...].firstRange(of: "->") {
                result.append((String(line[line.index(line.startIndex, offsetBy: 17)..<at.lowerBound]),
                               String(line[arrow.upperBound...]).trimmingCharacters()))
            } else if line.hasPrefix("Would relabel /"), let to = line.ranges(of: " to ").last,
                      let from = line[..<to.lowerBound].ranges(of: " from ").last {
                result.append((String(line[line.index(line.startIndex, offsetBy: 14)..<from.lowerBound]),
                               String(line[to.upperBound...]).trimmingCharacters()))
            }
        }
        return result
    }
}

/// The words the `selinux` changes pass to semanage and restorecon, checked before anything runs.
enum SelinuxNames {
    static let protocols: Set<String> = ["tcp", "udp", "dccp", "sctp"]

    /// An SELinux type name: `bin_t`, `http_port_t` (a letter, then letters, digits, `_`).
    static func isType(_ text: String) -> Bool {
        func letter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
        guard let first = text.unicodeScalars.first, letter(first) else { return false }
        return text.unicodeScalars.allSatisfy { letter($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
