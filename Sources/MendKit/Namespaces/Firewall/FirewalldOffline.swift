import Glibc
import Synchronization

extension FirewalldBackend {
    /// Under `--root` no firewalld runs for the root, so its permanent configuration is its files:
    /// `firewall-offline-cmd` (firewalld's own tool for a stopped firewalld) reads and changes a
    /// scratch copy of the root's /etc/firewalld as this run sees it (planned changes included),
    /// and what it wrote becomes file changes of the root — planned exactly, undone like any file.
    /// firewalld's shipped zones and services come from the root's /usr/lib/firewalld when it has
    /// one, else from this machine's.
    struct Offline {
        static let directory = "/etc/firewalld"
        private static let tool = "firewall-offline-cmd"

        let effects: any Effects
        let zone: String
        /// The service a `firewall.service` call defines, whose file may be planned but not on disk yet.
        var service: String? = nil

        /// The zone's permanent layer and the ports of each service it names and of `service`
        /// (nil: no such service).
        typealias Reading = (zone: FirewalldZone, services: [String: [String]?])

        /// Readings by zone, service and files: a plan asks the same configuration again and
        /// again (`is_allowed`, `rules`, each change's model), and each call of the tool takes
        /// a fifth of a second.
        private static let readings = Mutex<[String: Reading]>([:])

        func read() throws -> Reading {
            let originals = try files()
            let key = ([zone, service ?? ""] + originals.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }).joined(separator: "\u{0}")
            if let cached = Self.readings.withLock({ $0[key] }) { return cached }
            let reading: Reading = try withCopy(originals) { run, _ in
                let zone = FirewalldZone(listing: try run(["--zone=\(self.zone)", "--list-all"]))
                var services: [String: [String]?] = [:]
                for entry in zone.entries where entry.hasPrefix("service ") {
                    let name = String(entry.dropFirst(8))
                    services[name] = try Self.ports(of: name, run)
                }
                if let service, services[service] == nil { services[service] = try Self.ports(of: service, run) }
                return (zone, services)
            }
            Self.readings.withLock { readings in
                if readings.count >= 16 { readings.removeAll() }
                readings[key] = reading
            }
            return reading
        }

        /// Runs the option lists `options` returns, given the zone and a lookup of a service's
        /// ports, on the copy (consecutive lists of the same option as one call); checks the
        /// result with `--check-config`; performs the changed files as file changes. True when a
        /// file changed.
        func change(_ options: (FirewalldZone, (String) -> [String]?) throws -> [[String]]) throws -> Bool {
            let now = try read()
            let calls = try options(now.zone) { now.services[$0] ?? nil }
            guard !calls.isEmpty else { return false }
            let written: [(path: String, text: String?)] = try withCopy(try files()) { run, written in
                for call in Self.batched(calls) { _ = try run(call) }
                _ = try run(["--check-config"])
                return written()
            }
            var changed = false
            for file in written {
                guard let change = try FileNamespace.textChange(file.path, to: file.text, effects) else { continue }
                let note = [change.note, "not live under --root"].compactMap { $0 }.joined(separator: "; ")
                try effects.perform(Change(change.resource, target: change.target, before: change.before, after: change.after, note: note))
                changed = true
            }
            return changed
        }

        /// Joins consecutive calls that differ only in the value of one repeatable option
        /// (`--zone=public --add-port=30303/tcp --add-port=30304/tcp`); the tool refuses to mix
        /// different options in a call.
        static func batched(_ calls: [[String]]) -> [[String]] {
            var batches: [[String]] = []
            for call in calls {
                if call.count == 2, let last = batches.last, last.count >= 2, last[0] == call[0],
                   last[1].prefix(while: { $0 != "=" }) == call[1].prefix(while: { $0 != "=" }) {
                    batches[batches.count - 1].append(call[1])
                } else {
                    batches.append(call)
                }
            }
            return batches
        }

        /// `--info-service`'s ports; nil when the configuration has no such service.
        private static func ports(of service: String, _ run: ([String]) throws -> String) throws -> [String]? {
            do {
                return FirewalldBackend.ports(inInfo: try run(["--info-service=\(service)"]))
            } catch let error as HostError where error.message.contains("INVALID_SERVICE") {
                return nil
            }
        }

        /// Builds the copy of `originals` and runs `body` with a runner of `firewall-offline-cmd` on it and a
        /// reader of the copy's files that differ from the root's (nil text: removed).
        /// firewalld's backups (`*.old`) are not the root's business.
        private func withCopy<T>(_ originals: [String: String], _ body: (_ run: @escaping ([String]) throws -> String, _ written: () -> [(path: String, text: String?)]) throws -> T) throws -> T {
            let host = effects.host
            guard FirewallBackends.installed(["/usr/bin/\(Self.tool)", "/usr/sbin/\(Self.tool)"], on: Host.local) else {
                throw HostError("\(Self.tool) not found on this machine (install the firewalld package): under --root mend runs it on a copy of the root's files", code: ENOENT)
            }
            return try host.withScratchDirectory { scratch in
                let copy = scratch + Self.directory
                try Host.local.makeDirectory(scratch + "/etc", mode: 0o700)
                try Host.local.makeDirectory(copy, mode: 0o700)
                for (path, text) in originals.sorted(by: { $0.key < $1.key }) {
                    try Self.makeParents(of: scratch + path, below: copy)
                    try Host.local.writeScratchFile(scratch + path, Array(text.utf8))
                }
                var base = [Self.tool, "--system-config", copy]
                if let defaults = try? host.resolve("/usr/lib/firewalld"), Host.local.entries(defaults) != nil {
                    base += ["--default-config", defaults]
                }
                let run: ([String]) throws -> String = { options in
                    let result = try FirewallBackends.run(base + options, package: "firewalld", on: Host.local)
                    let output = String(decoding: result.stdout, as: UTF8.self)
                    guard result.status == 0 else {
                        let said = (String(decoding: result.stderr, as: UTF8.self) + output).trimmingCharacters()
                        throw FirewallBackends.failure("\(Self.tool) \(options.joined(separator: " ")) on a copy of \(host.root)\(Self.directory): \(said.isEmpty ? "exit status \(result.status)" : said)", said: said)
                    }
                    return output
                }
                return try body(run) {
                    var now: [String: String] = [:]
                    for (path, text) in Self.tree(Host.local, copy) { now[Self.directory + path.dropFirst(copy.count)] = text }
                    var written: [(path: String, text: String?)] = []
                    for (path, text) in now.sorted(by: { $0.key < $1.key }) where originals[path] != text { written.append((path, text)) }
                    for path in originals.keys.sorted() where now[path] == nil { written.append((path, nil)) }
                    return written
                }
            }
        }

        /// The root's firewalld files as this run sees them: every file under /etc/firewalld, and
        /// the zone's file, the service's and those of the services the zone names when planned
        /// but not on disk.
        private func files() throws -> [String: String] {
            let host = effects.host
            var paths = Set(Self.tree(host, Self.directory).keys)
            let zonePath = "\(Self.directory)/zones/\(zone).xml"
            let named = (try FileNamespace.text(zonePath, effects)).map(Self.services(inZone:)) ?? []
            paths.insert(zonePath)
            for name in named + (service.map { [$0] } ?? []) { paths.insert("\(Self.directory)/services/\(name).xml") }
            var files: [String: String] = [:]
            for path in paths.sorted() {
                if let text = try FileNamespace.text(path, effects) { files[path] = text }
            }
            let directory = try host.resolve(Self.directory)
            guard files["\(Self.directory)/firewalld.conf"] != nil || host.entries(directory) != nil else {
                throw HostError("firewalld is not set up under \(host.root): \(Self.directory) is missing", code: ENOENT)
            }
            return files
        }

        /// The names of `<service name="…"/>` in a zone file; names that could leave the
        /// services directory are passed over.
        static func services(inZone xml: String) -> [String] {
            xml.split(separator: Character("<")).compactMap { (element: Substring) -> String? in
                guard element.hasPrefix("service "), let start = element.firstRange(of: "name=\"") else { return nil }
                let name = element[start.upperBound...].prefix { $0 != "\"" }
                return name.isEmpty || name.contains("/") || name.first == "." ? nil : String(name)
            }
        }

        /// The files under `directory` of `host` by path and text, backups left out.
        private static func tree(_ host: Host, _ directory: String) -> [String: String] {
            guard let resolved = try? host.resolve(directory), let entries = host.entries(resolved) else { return [:] }
            var files: [String: String] = [:]
            for entry in entries where !entry.name.hasSuffix(".old") {
                let path = directory + "/" + entry.name
                if entry.isDirectory {
                    files.merge(tree(host, path)) { a, _ in a }
                } else if entry.mayBeFile, let bytes = try? host.read(host.resolve(path)), let text = String(validating: bytes, as: UTF8.self) {
                    files[path] = text
                }
            }
            return files
        }

        /// Makes the directories between `top` and the file at `path` (0700: the copy is private).
        private static func makeParents(of path: String, below top: String) throws {
            var parents: [String] = []
            var parent = path[..<(path.lastIndex(of: "/") ?? path.endIndex)]
            while parent.count > top.count {
                parents.append(String(parent))
                parent = parent[..<(parent.lastIndex(of: "/") ?? parent.startIndex)]
            }
            for directory in parents.reversed() where Host.local.entries(directory) == nil {
                try Host.local.makeDirectory(directory, mode: 0o700)
            }
        }
    }
}
