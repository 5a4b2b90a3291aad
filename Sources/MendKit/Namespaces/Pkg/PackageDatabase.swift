/// The package databases mend reads itself, so reads work the same under `--root`: dpkg's status
/// file and apk's installed database are read as files; rpm's database (Berkeley DB or SQLite) is
/// asked through `rpm -q --root`.
enum PackageDatabase {
    /// dpkg's status file, as dpkg itself keeps it.
    static let dpkgStatus = "/var/lib/dpkg/status"
    /// apk's database of installed packages.
    static let apkInstalled = "/lib/apk/db/installed"

    /// The version dpkg records for `name` in a status file, when its state is `installed`
    /// (`Status: install ok installed`, or `hold ok installed`): the `Version` field as dpkg shows
    /// it, epoch included (`1:2.3-4`). `name` may carry an architecture (`libc6:amd64`); without
    /// one, the first installed architecture answers. Packages removed with their configuration
    /// files left (`deinstall ok config-files`), half-installed or unpacked ones are not installed.
    static func dpkgVersion(of name: String, in status: String) -> String? {
        let (package, architecture) = split(name)
        for stanza in stanzas(status) {
            guard stanza["Package"] == package,
                  architecture == nil || stanza["Architecture"] == architecture,
                  stanza["Status"]?.split(separator: " ").last == "installed",
                  let version = stanza["Version"] else { continue }
            return String(version)
        }
        return nil
    }

    /// The version apk records for `name` in its installed database (`P:` and `V:` lines of one
    /// record): `1.36.1-r15`.
    static func apkVersion(of name: String, in database: String) -> String? {
        var package: Substring?, version: Substring?
        for line in database.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty {
                if package.map(String.init) == name, let version { return String(version) }
                package = nil
                version = nil
            } else if line.hasPrefix("P:") {
                package = line.dropFirst(2)
            } else if line.hasPrefix("V:") {
                version = line.dropFirst(2)
            }
        }
        return package.map(String.init) == name ? version.map(String.init) : nil
    }

    /// The query format `rpm -q` is given: one `EPOCH:VERSION-RELEASE` line per installed instance.
    static let rpmFormat = "%{EPOCH}:%{VERSION}-%{RELEASE}\\n"

    /// The version in `rpm -q --qf` output made with ``rpmFormat``: `(none):4.2.46-35.el7_9` is
    /// `4.2.46-35.el7_9`, an epoch is kept as rpm and yum write it (`32:9.11.4-26.P2.el7`). A package
    /// installed in several versions at once (kernels) answers with the newest. Nil for no line.
    static func rpmVersion(_ output: String) -> String? {
        let versions = output.split(separator: "\n").map { line -> String in
            let text = String(line).trimmingCharacters()
            return text.hasPrefix("(none):") ? String(text.dropFirst(7)) : text
        }.filter { !$0.isEmpty }
        return versions.max { compare($0, $1) < 0 }
    }

    /// True when rpm's answer says the package is not installed (`package NAME is not installed`).
    static func rpmSaysNotInstalled(_ output: String) -> Bool {
        output.contains("is not installed")
    }

    /// `Key: value` stanzas separated by blank lines; continuation lines (starting with white space)
    /// are skipped, since no field read here continues.
    static func stanzas(_ text: String) -> [[Substring: Substring]] {
        var result: [[Substring: Substring]] = []
        var current: [Substring: Substring] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) {
                if !current.isEmpty { result.append(current) }
                current = [:]
            } else if let first = line.first, first != " ", first != "\t", let colon = line.firstIndex(of: ":") {
                let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
                current[line[..<colon]] = Substring(String(value).trimmingCharacters())
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// `libc6:amd64` → (`libc6`, `amd64`); a name without an architecture → (name, nil).
    private static func split(_ name: String) -> (Substring, Substring?) {
        guard let colon = name.firstIndex(of: ":") else { return (Substring(name), nil) }
        return (name[..<colon], name[name.index(after: colon)...])
    }

    // MARK: Versions

    /// A distribution's version string as a runbook's `version` value, for comparisons such as
    /// `pkg.version("golang-go") >= version("1.21")`. The epoch (`2:`) and the package's own release
    /// (Debian's revision `-1ubuntu1`, rpm's `-35.el7_9`, apk's `-r15`: everything after the last
    /// `-`) are dropped; what remains is the upstream version. A pre-release marker keeps its place
    /// before the release: Debian's `~rc1` and apk's `_rc1`, `_alpha`, `_beta`, `_pre` become a
    /// suffix (`1.21~rc1` < `1.21`). Other trailing text (`+dfsg`, `p1`, `.el7`, `_p2`, `_git…`)
    /// marks a build after the release and is dropped, so `9.0p1` compares equal to `9.0`.
    /// The value prints as the upstream numbers and the pre-release: `1.21.1`, `1.21-rc1`.
    /// Nil when the upstream version does not begin with a number.
    static func comparable(_ text: String) -> Version? {
        var upstream = Substring(text)
        if let colon = upstream.firstIndex(of: ":"), upstream[..<colon].allSatisfy(\.isNumber) {
            upstream = upstream[upstream.index(after: colon)...]
        }
        if let dash = upstream.lastIndex(of: "-") { upstream = upstream[..<dash] }
        var components: [String] = []
        var rest = upstream
        while let first = rest.first, first.isASCII, first.isNumber {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            let significant = digits.drop { $0 == "0" }
            components.append(significant.isEmpty ? "0" : String(significant))
            rest = rest.dropFirst(digits.count)
            guard rest.first == ".", let next = rest.dropFirst().first, next.isASCII, next.isNumber else { break }
            rest = rest.dropFirst()
        }
        guard !components.isEmpty else { return nil }
        var suffix = ""
        if rest.hasPrefix("~") {
            suffix = String(rest.dropFirst())
        } else if ["_alpha", "_beta", "_pre", "_rc"].contains(where: { rest.hasPrefix($0) }) {
            suffix = String(rest.dropFirst())
        }
        let shown = components.joined(separator: ".") + (suffix.isEmpty ? "" : "-" + suffix)
        return Version(components: components, suffix: suffix, text: shown)
    }

    /// dpkg's ordering of two whole version strings (`EPOCH:UPSTREAM-REVISION`): -1, 0 or 1. Used
    /// where two recorded versions of one package are compared (the newest of several rpm
    /// instances, whether yum must downgrade); rpm's own ordering agrees on the versions
    /// distributions ship, `~` sorting first.
    static func compare(_ a: String, _ b: String) -> Int {
        let (ea, ua, ra) = parts(a), (eb, ub, rb) = parts(b)
        if ea != eb { return ea < eb ? -1 : 1 }
        let upstream = compareFragment(ua, ub)
        return upstream != 0 ? upstream : compareFragment(ra, rb)
    }

    private static func parts(_ text: String) -> (Int, Substring, Substring) {
        var rest = Substring(text)
        var epoch = 0
        if let colon = rest.firstIndex(of: ":"), let number = Int(rest[..<colon]) {
            epoch = number
            rest = rest[rest.index(after: colon)...]
        }
        guard let dash = rest.lastIndex(of: "-") else { return (epoch, rest, "") }
        return (epoch, rest[..<dash], rest[rest.index(after: dash)...])
    }

    /// dpkg's verrevcmp: runs of non-digits compare character by character (`~` before anything,
    /// even the end; letters before other characters), runs of digits numerically.
    private static func compareFragment(_ a: Substring, _ b: Substring) -> Int {
        func isDigit(_ c: Character) -> Bool { c.isASCII && c.isNumber }
        func order(_ c: Character?) -> Int {
            guard let c else { return 0 }
            if c == "~" { return -1 }
            if c.isASCII, c.isLetter { return Int(c.asciiValue!) }
            return Int(c.asciiValue ?? 0x7F) + 256
        }
        var x = a, y = b
        while !x.isEmpty || !y.isEmpty {
            while (x.first.map { !isDigit($0) } ?? false) || (y.first.map { !isDigit($0) } ?? false) {
                let cx = x.first.flatMap { isDigit($0) ? nil : $0 }, cy = y.first.flatMap { isDigit($0) ? nil : $0 }
                let ox = order(cx), oy = order(cy)
                if ox != oy { return ox < oy ? -1 : 1 }
                if cx != nil { x = x.dropFirst() }
                if cy != nil { y = y.dropFirst() }
            }
            let dx = x.prefix(while: isDigit), dy = y.prefix(while: isDigit)
            x = x.dropFirst(dx.count)
            y = y.dropFirst(dy.count)
            let nx = dx.drop { $0 == "0" }, ny = dy.drop { $0 == "0" }
            if nx.count != ny.count { return nx.count < ny.count ? -1 : 1 }
            if nx != ny { return nx < ny ? -1 : 1 }
        }
        return 0
    }
}
