#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Host {
    /// The host's name, OS and kernel for reports: from the root's /etc/hostname and
    /// /etc/os-release under `--root`, from the running system otherwise.
    public func summary() -> HostSummary {
        var system = utsname()
        uname(&system)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        var name = field(system.nodename)
        if !isLive, let bytes = try? read(resolve("/etc/hostname")) {
            name = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? name
        }
        let release = osRelease()
        let os = release["PRETTY_NAME"] ?? [release["ID"], release["VERSION_ID"]].compactMap { $0 }.joined(separator: " ")
        return HostSummary(name: name, os: os.isEmpty ? "unknown" : os, kernel: field(system.release))
    }

    /// The fields of /etc/os-release (or /usr/lib/os-release), quotes removed.
    public func osRelease() -> [String: String] {
        let bytes = (try? read(resolve("/etc/os-release"))) ?? (try? read(resolve("/usr/lib/os-release")))
        var fields: [String: String] = [:]
        for line in String(decoding: (bytes ?? nil) ?? [], as: UTF8.self).split(separator: "\n") {
            guard let eq = line.firstIndex(of: "="), !line.hasPrefix("#") else { continue }
            var value = line[line.index(after: eq)...]
            if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q {
                value = value.dropFirst().dropLast()
            }
            fields[String(line[..<eq])] = String(value)
        }
        return fields
    }
}
