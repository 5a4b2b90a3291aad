/// The host facts (LANGUAGE.md §5): `os.*`, `kernel.*`, `cpu.count`, `mem.*`, `disk.free(path)`,
/// `host.name`, `user.*`, `selinux.mode` and the bare `init` and `container`. They only read, so
/// they work anywhere (top level, `require`, `check`, a plan); under `--root` they read the root's
/// files. A fact that cannot be read is an error naming the fact and the file.
public enum FactsNamespace {
    public static func register(into registry: Registry) {
        registry.describeNamespace("os", "The operating system, from /etc/os-release: id, version, family, pretty.")
        registry.describeNamespace("kernel", "The running kernel: release, arch.")
        registry.describeNamespace("cpu", "CPUs: count.")
        registry.describeNamespace("mem", "Memory from /proc/meminfo: total, available (sizes).")
        registry.describeNamespace("disk", "Disk space: free(path), as df shows it.")
        registry.describeNamespace("host", "The host: name.")
        registry.describeNamespace("user", "The user mend runs as: uid, name, is_root.")
        registry.describeNamespace("selinux", "SELinux: mode (enforcing, permissive or disabled).")
        for (name, read) in Facts.properties {
            let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
            let (doc, example) = docs[name] ?? ("", "")
            registry.register(Builtin(namespace: parts.count == 2 ? parts[0] : nil, name: parts.last ?? name,
                                      kind: .property, doc: doc, example: example) { args in
                do throws(FactError) {
                    return try read(FactsReader(host: args.context.effects.host)).value
                } catch {
                    throw MendError(error.description, kind: .host)
                }
            })
        }
        registry.register(Builtin(namespace: "disk", name: "free", params: [Builtin.Param("path")], doc: """
            The space left for writing on the file system that holds path (a size).
            The free blocks an unprivileged user may write (f_bavail × f_frsize of the file system holding the
            path, resolved under the root): the "Avail" of df — the blocks reserved for root are not counted. A path that does not exist is an error naming it.
            """, example: #"disk.free("/") > 0B  # true unless the disk is full"#) { args in
            let path = try args.string(0)
            do throws(FactError) {
                return .size(try FactsReader(host: args.context.effects.host).diskFree(path))
            } catch {
                throw MendError(error.description, kind: .host)
            }
        })
    }

    /// The reference text and example of each property fact; the doc names every source.
    static let docs: [String: (String, String)] = [
        "os.id": ("""
            The distribution's id: "ubuntu", "centos", "alpine", "debian", "rhel", ….
            ID= of /etc/os-release (else /usr/lib/os-release), lowercase by that file's rules; "linux" when the
            file has no ID. Under --root, the root's file.
            """, #"os.id in ["ubuntu", "debian"]  # true on Ubuntu and Debian"#),
        "os.version": ("""
            The distribution's version as written: "22.04", "7", "3.19.1" (a string).
            VERSION_ID= of os-release; "" for a rolling release without one (Arch, Debian unstable). Compare
            with version(os.version) >= version("22.04").
            """, #"os.version  # "22.04" on Ubuntu 22.04"#),
        "os.family": ("""
            The distribution family: debian, rhel, alpine, suse, arch or unknown.
            From ID= and then each word of ID_LIKE= in os-release: ubuntu, debian, raspbian, linuxmint … → debian;
            rhel, centos, fedora, rocky, almalinux, ol, amzn … → rhel; alpine → alpine; sles, opensuse-* → suse;
            arch, manjaro, endeavouros → arch; anything else → unknown.
            """, #"os.family in ["debian", "rhel", "alpine", "suse", "arch", "unknown"]  # true"#),
        "os.pretty": ("""
            The distribution's display name: "Ubuntu 22.04.4 LTS".
            PRETTY_NAME= of os-release; "Linux" when it has none.
            """, #"os.pretty  # "Ubuntu 22.04.4 LTS""#),
        "kernel.release": ("""
            The kernel release: "5.15.0-105-generic".
            /proc/sys/kernel/osrelease (under --root, the root's); on the live host without it, the running kernel's (uname -r). Under
            --root without that file it is an error.
            """, #"kernel.release  # "5.15.0-105-generic""#),
        "kernel.arch": ("""
            The machine architecture: "x86_64", "aarch64", ….
            /proc/sys/kernel/arch (Linux 6.1 and later); otherwise the running kernel's (uname -m) — the machine mend runs on,
            also under --root, since older kernels have no file that says it.
            """, #"kernel.arch in ["x86_64", "aarch64", "armv7l", "riscv64", "s390x", "ppc64le"]"#),
        "cpu.count": ("""
            The number of CPUs (an int).
            On the live host, the CPUs this process may run on (Cpus_allowed_list of /proc/self/status, as nproc
            counts them), else the online CPUs (sysconf). Under --root, the processor entries of /proc/cpuinfo,
            else the ranges in /sys/devices/system/cpu/online. CPU quotas of a container do not show.
            """, #"cpu.count >= 1  # true"#),
        "mem.total": ("""
            The memory the kernel manages (a size).
            MemTotal of /proc/meminfo (under --root, the root's). In a container it is the host's memory:
            cgroup limits do not show there.
            """, #"mem.total >= 16GiB  # the seed's baseline"#),
        "mem.available": ("""
            The memory available for new work without swapping (a size).
            MemAvailable of /proc/meminfo, the kernel's estimate (page cache that can be dropped included); a
            kernel without that line (before 3.14) makes it an error.
            """, #"mem.available <= mem.total  # true"#),
        "host.name": ("""
            The host name: "node-1".
            /proc/sys/kernel/hostname (the kernel's), else the first line of /etc/hostname (under --root, the
            root's files); on the live host without either, the kernel's node name (uname -n).
            """, #"host.name != ""  # true"#),
        "user.uid": ("""
            The effective uid mend runs as (an int).
            The process's own, also under --root.
            """, #"user.uid == 0  # true when running as root"#),
        "user.name": ("""
            The name of the effective uid: "root".
            Looked up in the root's /etc/passwd; on the live host, the system's user database (NSS, for
            directory users) when /etc/passwd has no entry. No entry is an error naming the uid.
            """, #"user.name  # "root" when running as root"#),
        "user.is_root": ("""
            True when mend runs with effective uid 0.
            The effective uid is 0. Use it in a require: require user.is_root, "run as root".
            """, #"user.is_root == (user.uid == 0)  # true"#),
        "init": ("""
            The init system: systemd, openrc, sysv or none.
            /run/systemd/system is a directory → systemd (systemd's own test). Otherwise PID 1's name in
            /proc/1/comm: systemd → systemd; openrc-init → openrc; init → openrc when /sbin/openrc or /run/openrc
            exists, else sysv; anything else (a container's process) → none. Without /proc/1/comm (an image
            under --root), what is installed: /lib/systemd/systemd or /usr/lib/systemd/systemd → systemd,
            /sbin/openrc → openrc, /sbin/init → sysv, else none.
            """, #"init in ["systemd", "openrc", "sysv", "none"]  # true"#),
        "container": ("""
            The container mend runs in: none, docker, podman, kubernetes or wsl.
            First that applies: /run/secrets/kubernetes.io or /var/run/secrets/kubernetes.io exists, or (live
            host) $KUBERNETES_SERVICE_HOST is set → kubernetes; /run/.containerenv → podman; /.dockerenv →
            docker; /run/systemd/container → the manager it names (docker, podman, wsl, or another such as
            lxc); /proc/1/cgroup mentions kubepods, libpod or docker → that; "microsoft" in
            /proc/sys/kernel/osrelease or /proc/sys/fs/binfmt_misc/WSLInterop → wsl (WSL1 and WSL2 alike:
            kernel.release contains "WSL2" on WSL2). Otherwise none.
            """, #"container != "none"  # true inside a container"#),
        "selinux.mode": ("""
            The SELinux mode: enforcing, permissive or disabled.
            /sys/fs/selinux/enforce (1 → enforcing, 0 → permissive) when SELinux is active. Without it: on the
            live host, disabled; under --root, SELINUX= of /etc/selinux/config (what the next boot applies),
            disabled when there is no such file.
            """, #"selinux.mode in ["enforcing", "permissive", "disabled"]  # true"#),
    ]
}
