/// The `pkg` namespace: the root's package manager (apt, dnf, yum or apk), installed packages and
/// their versions, and installs and removals that `mend rollback` undoes. Reads go to the root's
/// own database, so they work under `--root`; changes run the manager through its root option
/// there (``PackageManager``). Changes are ``Change``s of a ``PackageResource``.
public enum PkgNamespace {
    typealias Param = Builtin.Param
    static let resource = PackageResource()
    /// What `pkg.installed` returns in a plan for a package an earlier step installs without
    /// naming a version: which version the repositories would give is known only when it runs.
    static let plannedVersion = "(planned)"

    /// The `pkg` builtins, registered by ``Registry/standard()``.
    public static let table = NamespaceTable(
        "pkg", doc: "Packages: the manager, installed versions, install and remove (undoable).", resources: [resource], [
        .function("manager", [], doc: """
            The root's package manager: "apt", "dnf", "yum", "apk" or "none".
            Chosen from the root's files: the os-release family's manager when its executable is there
            (/usr/bin/apt-get; /usr/bin/dnf before /usr/bin/yum; /sbin/apk), else whichever of them is.
            Works under --root.
            """, example: #"print(pkg.manager())  # apt"#, body: manager),
        .function("installed", [Param("name")], doc: """
            The installed version of a package as its manager writes it ("5.1-6ubuntu1.1", "1:2.3-4",
            "1.36.1-r15"), or nil when it is not installed.
            apt: the root's /var/lib/dpkg/status (state "installed"; "libc6:amd64" picks an architecture);
            apk: the root's /lib/apk/db/installed; dnf and yum: rpm -q --root ROOT. In a plan, a
            package a step installs reads as the version asked for, or "(planned)" when none was.
            """, example: """
            if pkg.installed("chrony") == nil { print("chrony is missing") }
            """, body: installed),
        .function("version", [Param("name")], doc: """
            The installed upstream version of a package as a version value, or nil when it is not installed.
            The epoch and the distribution's release are dropped ("2:1.21.1-1ubuntu1" → 1.21.1, "4.2.46-35.el7_9"
            → 4.2.46, "1.36.1-r15" → 1.36.1); "~rc1" and apk's "_rc1" stay as a pre-release, before the
            release; build marks such as "+dfsg" or "p1" are dropped. Nil too in a plan for a package
            installed there at no named version.
            """, example: """
            let v = pkg.version("bash")
            if v != nil and v < version("5") { print("bash is older than 5") }
            """, body: version),
        .function("install", [Param("name"), .optional("version")], changesHost: true, doc: """
            Installs a package (at a version, when given); returns true when it had to change.
            A package already installed is no change when no version is asked for or it is the one installed.
            apt: apt-get install -y NAME[=VERSION]; dnf, yum: -y install NAME[-VERSION] (downgrade for an older
            one); apk: apk add --no-cache NAME[=VERSION]. Versions as the manager writes them (pkg.installed).
            Undo removes a package that was not installed, or reinstalls the version that was, which fails
            (and the rollback says so) when the repositories no longer have it. Needs root: exit 77.
            """, example: """
            step "chrony installed" {
              pkg.install("chrony")
            }
            """, body: install),
        .function("remove", [Param("name")], changesHost: true, doc: """
            Removes a package; returns true when it was installed.
            apt-get remove -y (configuration files stay), dnf or yum -y remove, apk del. Undo installs the
            removed version again, which needs it in the repositories. Needs root: exit 77.
            """, example: """
            step "no telnet" {
              pkg.remove("telnet")
            }
            """, body: remove),
    ])

    static func manager(_ args: inout Arguments) throws -> Value {
        try args.naming { .string(try PackageManager.detect(on: args.context.effects.host).rawValue) }
    }

    static func installed(_ args: inout Arguments) throws -> Value {
        let name = try packageName(args)
        return try args.naming {
            let state = try args.context.effects.state(of: resource, name)
            guard state["installed"]?.bool == true else { return .null }
            return .string(state["version"]?.string ?? plannedVersion)
        }
    }

    static func version(_ args: inout Arguments) throws -> Value {
        let name = try packageName(args)
        return try args.naming {
            let state = try args.context.effects.state(of: resource, name)
            guard state["installed"]?.bool == true, let text = state["version"]?.string else { return .null }
            guard let parsed = PackageDatabase.comparable(text) else {
                throw MendError("pkg.version: \(name)'s version \(Value.quote(text)) does not begin with a number")
            }
            return .version(parsed)
        }
    }

    static func install(_ args: inout Arguments) throws -> Value {
        let name = try packageName(args, changing: true)
        let wanted = try args.optionalString(1, nilIsAbsent: true)
        if let wanted {
            try refuse(wanted, "'version'", args)
            // apk reads NAME=~V as "any version like V": a pattern, not a version.
            if wanted.contains("~"), (try? PackageManager.detect(on: args.context.effects.host)) == .apk {
                throw MendError("pkg.install: 'version' \(Value.quote(wanted)) contains \"~\", which apk reads as a fuzzy match (apk versions have none)")
            }
        }
        return try change(name, to: PackageResource.planned(version: wanted), args) { before in
            let what = before["installed"]?.bool == true ? "from \(before["version"]?.string ?? plannedVersion)" : "installed"
            return what + alsoChanged(name, version: wanted, args)
        }
    }

    /// In a plan on apt, what else the install would change (apt-get -s, which reads only):
    /// "; apt-get -s: with libfoo; upgrades libc6; removes chrony" — or nothing when apt has nothing
    /// more to do or cannot tell (no lists yet). mend's undo covers the package alone.
    private static func alsoChanged(_ name: String, version: String?, _ args: Arguments) -> String {
        let effects = args.context.effects, host = effects.host
        guard effects.isPlanning, let manager = try? PackageManager.detect(on: host),
              let argv = manager.simulation(name, version: version, on: host),
              let result = try? PackageManager.tool(argv, package: "apt", on: host), result.status == 0 else { return "" }
        let simulated = PackageManager.simulated(String(decoding: result.stdout, as: UTF8.self))
        let parts = [("with", simulated.installs), ("upgrades", simulated.upgrades), ("removes", simulated.removals)]
            .map { ($0.0, $0.1.filter { $0 != name }) }.filter { !$0.1.isEmpty }
            .map { "\($0.0) " + $0.1.joined(separator: ", ") }
        return parts.isEmpty ? "" : "; apt-get -s: " + parts.joined(separator: "; ")
    }

    static func remove(_ args: inout Arguments) throws -> Value {
        let name = try packageName(args, changing: true)
        return try change(name, to: PackageResource.state(version: nil), args) { _ in "removed" }
    }

    /// Changes the package to `after` unless it is there already: true when it changed.
    private static func change(_ name: String, to after: JSON, _ args: Arguments, note: (JSON) -> String) throws -> Value {
        try args.naming {
            let effects = args.context.effects
            let before = try effects.state(of: resource, name)
            guard !resource.same(before, after) else { return .bool(false) }
            try effects.perform(Change(resource, target: name, before: before, after: after, note: note(before)))
            return .bool(true)
        }
    }

    /// The package name argument, refused when a manager could read it as something else. A name
    /// to install or remove may not end with "-": apt-get reads "curl-" as an order to remove curl
    /// when no package has that name (none has: dpkg's names end with a letter, digit or "+").
    private static func packageName(_ args: Arguments, changing: Bool = false) throws -> String {
        let name = try args.string(0)
        try refuse(name, "'name'", args)
        if changing, name.hasSuffix("-") {
            throw MendError("\(args.builtin.qualifiedName): 'name' \(Value.quote(name)) ends with \"-\", which apt-get reads as an order to remove the package")
        }
        return name
    }

    /// Refuses an empty text, NUL and control characters, white space (a second argument to a
    /// shell or a second package) and a leading "-" (an option to the manager).
    private static func refuse(_ text: String, _ what: String, _ args: Arguments) throws {
        try args.checked(text, what, .noControlCharacters)
        if text.isEmpty { throw MendError("\(args.builtin.qualifiedName): \(what) is empty") }
        if let space = text.unicodeScalars.first(where: { $0.properties.isWhitespace }) {
            throw MendError("\(args.builtin.qualifiedName): \(what) contains white space (\(Value.quote(String(space)))) in \(Value.quote(text))")
        }
        if text.hasPrefix("-") {
            throw MendError("\(args.builtin.qualifiedName): \(what) \(Value.quote(text)) starts with \"-\", which the package manager would read as an option")
        }
        let isName = what == "'name'"
        if let odd = text.unicodeScalars.first(where: { !(isName ? nameCharacters : versionCharacters).contains($0) }) {
            throw MendError("\(args.builtin.qualifiedName): \(what) \(Value.quote(text)) contains \(Value.quote(String(odd))), which "
                + (isName ? "no package name has (a manager reads it as a pattern, a version or a release)" : "no package version has"))
        }
    }

    /// What package names are made of in dpkg, rpm and apk (with ":" for dpkg's architecture
    /// qualifier): no glob, version (`=`), release (`/`) or relation (`<>`) syntax.
    private static let nameCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-_:".unicodeScalars)
    /// What versions are made of: dpkg's epochs and `~`, rpm's releases, apk's `_rc1` and `-r2`.
    private static let versionCharacters = nameCharacters.union("~^".unicodeScalars)

}
