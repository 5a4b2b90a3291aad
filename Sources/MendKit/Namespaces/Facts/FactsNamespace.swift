/// The host facts: `os.*`, `kernel.*`, `cpu.count`, `mem.*`, `disk.free(path)`, `host.name`,
/// `user.*`, `selinux.mode` and the bare `init` and `container` (docs/builtins/facts.md). They only
/// read, so they work anywhere (top level, `require`, `check`, a plan); under `--root` they read
/// the root's files. A fact that cannot be read is an error naming the fact and the file.
public enum FactsNamespace {
    /// One property fact: its name as runbooks write it, its reference text, and how to read it.
    struct Fact: Sendable {
        /// `os`, `mem`, …; nil for the bare facts `init` and `container`.
        let namespace: String?
        let member: String
        let doc: String
        let example: String
        let read: @Sendable (FactsReader) throws(FactError) -> FactValue

        init(_ name: String, read: @escaping @Sendable (FactsReader) throws(FactError) -> FactValue, doc: String,
             example: String) {
            let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
            namespace = parts.count == 2 ? parts[0] : nil
            member = parts.last ?? name
            self.doc = doc
            self.example = example
            self.read = read
        }

        /// The fact as a property of its namespace's table.
        var declaration: Declaration {
            .property(member, doc: doc, example: example) { [read] args in
                do throws(FactError) {
                    return try read(FactsReader(host: args.context.effects.host)).value
                } catch {
                    throw MendError(error.description, kind: .host)
                }
            }
        }
    }

    /// The property facts, in the order `mend facts` shows them.
    static let facts: [Fact] = [
        Fact("os.id", read: { r throws(FactError) in .string(try r.osID()) }, doc: """
            The distribution's id: "ubuntu", "centos", "alpine", "debian", "rhel", ….
            ID= of /etc/os-release (else /usr/lib/os-release), lowercase by that file's rules; "linux" when the
            file has no ID. Under --root, the root's file.
            """, example: #"os.id in ["ubuntu", "debian"]  # true on Ubuntu and Debian"#),
        Fact("os.version", read: { r throws(FactError) in .string(try r.osVersion()) }, doc: """
            The distribution's version as written: "22.04", "7", "3.19.1" (a string).
            VERSION_ID= of os-release; "" for a rolling release without one (Arch, Debian unstable). Compare
            with version(os.version) >= version("22.04").
            """, example: #"os.version  # "22.04" on Ubuntu 22.04"#),
        Fact("os.family", read: { r throws(FactError) in .string(try r.osFamily()) }, doc: """
            The distribution family: debian, rhel, alpine, suse, arch or unknown.
            From ID= and then each word of ID_LIKE= in os-release: ubuntu, debian, raspbian, linuxmint … → debian;
            rhel, centos, fedora, rocky, almalinux, ol, amzn … → rhel; alpine → alpine; sles, opensuse-* → suse;
            arch, manjaro, endeavouros → arch; anything else → unknown.
            """, example: #"os.family in ["debian", "rhel", "alpine", "suse", "arch", "unknown"]  # true"#),
        Fact("os.pretty", read: { r throws(FactError) in .string(try r.osPretty()) }, doc: """
            The distribution's display name: "Ubuntu 22.04.4 LTS".
            PRETTY_NAME= of os-release; "Linux" when it has none.
            """, example: #"os.pretty  # "Ubuntu 22.04.4 LTS""#),
        Fact("kernel.release", read: { r throws(FactError) in .string(try r.kernelRelease()) }, doc: """
            The kernel release: "5.15.0-105-generic".
            /proc/sys/kernel/osrelease (under --root, the root's); on the live host without it, the
            running kernel's (uname -r). Under --root without that file it is an error.
            """, example: #"kernel.release  # "5.15.0-105-generic""#),
        Fact("kernel.arch", read: { r throws(FactError) in .string(try r.kernelArch()) }, doc: """
            The machine architecture: "x86_64", "aarch64", ….
            /proc/sys/kernel/arch (Linux 6.1 and later); otherwise the running kernel's (uname -m) — the
            machine mend runs on, also under --root, since older kernels have no file that says it.
            """, example: #"kernel.arch in ["x86_64", "aarch64", "armv7l", "riscv64", "s390x", "ppc64le"]"#),
        Fact("cpu.count", read: { r throws(FactError) in .int(try r.cpuCount()) }, doc: """
            The number of CPUs (an int).
            On the live host, the CPUs this process may run on (Cpus_allowed_list of /proc/self/status, as nproc
            counts them), else the online CPUs (sysconf). Under --root, the processor entries of /proc/cpuinfo,
            else the ranges in /sys/devices/system/cpu/online. CPU quotas of a container do not show.
            """, example: #"cpu.count >= 1  # true"#),
        Fact("mem.total", read: { r throws(FactError) in .size(try r.memTotal()) }, doc: """
            The memory the kernel manages (a size).
            MemTotal of /proc/meminfo (under --root, the root's). In a container it is the host's memory:
            cgroup limits do not show there.
            """, example: #"mem.total >= 16GiB  # the seed's baseline"#),
        Fact("mem.available", read: { r throws(FactError) in .size(try r.memAvailable()) }, doc: """
            The memory available for new work without swapping (a size).
            MemAvailable of /proc/meminfo, the kernel's estimate (page cache that can be dropped included); a
            kernel without that line (before 3.14) makes it an error.
            """, example: #"mem.available <= mem.total  # true"#),
        Fact("host.name", read: { r throws(FactError) in .string(try r.hostName()) }, doc: """
            The host name: "node-1".
            /proc/sys/kernel/hostname (the kernel's), else the first line of /etc/hostname (under --root, the
            root's files); on the live host without either, the kernel's node name (uname -n).
            """, example: #"host.name != ""  # true"#),
        Fact("host.root", read: { r throws(FactError) in .string(r.host.root) }, doc: """
            The directory mend acts on: "/" for the live host, the --root directory for an image.
            Steps that only mean something on a running system (SELinux policy changes, a clock
            measurement, processes) can be guarded with host.root == "/".
            """, example: #"host.root  # "/" unless mend runs with --root"#),
        Fact("user.uid", read: { r throws(FactError) in .int(r.userUID()) }, doc: """
            The effective uid mend runs as (an int).
            The process's own, also under --root.
            """, example: #"user.uid == 0  # true when running as root"#),
        Fact("user.name", read: { r throws(FactError) in .string(try r.userName()) }, doc: """
            The name of the effective uid: "root".
            Looked up in the root's /etc/passwd; on the live host, the system's user database (NSS, for
            directory users) when /etc/passwd has no entry. No entry is an error naming the uid.
            """, example: #"user.name  # "root" when running as root"#),
        Fact("user.is_root", read: { r throws(FactError) in .bool(r.userIsRoot()) }, doc: """
            True when mend runs with effective uid 0.
            The effective uid is 0. Use it in a require: require user.is_root, "run as root".
            """, example: #"user.is_root == (user.uid == 0)  # true"#),
        Fact("init", read: { r throws(FactError) in .string(try r.initSystem()) }, doc: """
            The init system: systemd, openrc, sysv or none.
            /run/systemd/system is a directory → systemd (systemd's own test). Otherwise PID 1's name in
            /proc/1/comm: systemd → systemd; openrc-init → openrc; init → openrc when /sbin/openrc or /run/openrc
            exists, else sysv; anything else (a container's process) → none. Without /proc/1/comm (an image
            under --root), what is installed: /lib/systemd/systemd or /usr/lib/systemd/systemd → systemd,
            /sbin/openrc → openrc, /sbin/init → sysv, else none.
            """, example: #"init in ["systemd", "openrc", "sysv", "none"]  # true"#),
        Fact("container", read: { r throws(FactError) in .string(try r.container()) }, doc: """
            The container mend runs in: none, docker, podman, kubernetes or wsl.
            First that applies: /run/secrets/kubernetes.io or /var/run/secrets/kubernetes.io exists, or (live
            host) $KUBERNETES_SERVICE_HOST is set → kubernetes; /run/.containerenv → podman; /.dockerenv →
            docker; /run/systemd/container → the manager it names (docker, podman, wsl, or another such as
            lxc); /proc/1/cgroup mentions kubepods, libpod or docker → that; "microsoft" in
            /proc/sys/kernel/osrelease or /proc/sys/fs/binfmt_misc/WSLInterop → wsl (WSL1 and WSL2 alike:
            kernel.release contains "WSL2" on WSL2). Otherwise none.
            """, example: #"container != "none"  # true inside a container"#),
        Fact("selinux.mode", read: { r throws(FactError) in .string(try r.selinuxMode()) }, doc: """
            The SELinux mode: enforcing, permissive or disabled.
            /sys/fs/selinux/enforce (1 → enforcing, 0 → permissive) when SELinux is active. Without it: on the
            live host, disabled; under --root, SELINUX= of /etc/selinux/config (what the next boot applies),
            disabled when there is no such file.
            """, example: #"selinux.mode in ["enforcing", "permissive", "disabled"]  # true"#),
    ]

    /// The namespaces of the facts with their line for `mend doc`, and the bare facts (nil).
    private static let namespaces: [(name: String?, doc: String)] = [
        ("os", "The operating system, from /etc/os-release: id, version, family, pretty."),
        ("kernel", "The running kernel: release, arch."),
        ("cpu", "CPUs: count."),
        ("mem", "Memory from /proc/meminfo: total, available (sizes)."),
        ("disk", "Disk space: free(path), as df shows it."),
        ("host", "The host: name, root."),
        ("user", "The user mend runs as: uid, name, is_root."),
        (nil, ""),
    ]

    /// One table per namespace (`os`, `kernel`, …, and the bare `init` and `container`): its facts
    /// as properties, and `disk.free`. Registered by ``Registry/standard()``. `selinux.mode` is a
    /// property of the `selinux` namespace's own table (``SelinuxNamespace``), with its functions.
    public static let tables: [NamespaceTable] = namespaces.map { namespace in
        let properties = facts.filter { $0.namespace == namespace.name }.map(\.declaration)
        let functions = namespace.name == "disk" ? [diskFree] : []
        return NamespaceTable(namespace.name, doc: namespace.doc, properties + functions)
    }

    static let diskFree = Declaration.function("free", [Builtin.Param("path", completes: .absolutePath)], doc: """
            The space left for writing on the file system that holds path (a size).
            The free blocks an unprivileged user may write (f_bavail × f_frsize of the file system holding
            the path, resolved under the root): the "Avail" of df — the blocks reserved for root are not
            counted. A path that does not exist is an error naming it.
            """, example: #"disk.free("/") > 0B  # true unless the disk is full"#, body: free)

    static func free(_ args: inout Arguments) throws -> Value {
        let path = try args.name(0)
        do throws(FactError) {
            return .size(try FactsReader(host: args.context.effects.host).diskFree(path))
        } catch {
            throw MendError(error.description, kind: .host)
        }
    }
}
