/// The kernel's network counters, /proc/net/netstat (TcpExt, IpExt, …) and /proc/net/snmp (Ip,
/// Tcp, Udp, …): pairs of lines, the names of a group then its values, as nstat reads them.
enum NetCounters {
    /// One counter: its group (`TcpExt`), name (`ListenOverflows`) and value.
    struct Counter: Equatable {
        var group: String
        var name: String
        var value: Int

        /// `TcpExt.ListenOverflows`.
        var qualified: String { group + "." + name }
    }

    static let files = ["/proc/net/netstat", "/proc/net/snmp"]

    /// The counters of one file's text. A group whose two lines do not pair up is skipped.
    static func parse(_ text: String) -> [Counter] {
        var counters: [Counter] = []
        var names: (group: Substring, fields: [Substring])?
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let group = line[..<colon]
            let fields = line[line.index(after: colon)...].split(separator: " ")
            if let header = names, header.group == group {
                let values = fields.map { Int($0) }
                if values.count == header.fields.count, !values.contains(nil) {
                    counters += zip(header.fields, values).map { Counter(group: String(group), name: String($0), value: $1 ?? 0) }
                }
                names = nil
            } else {
                names = (group, fields)
            }
        }
        return counters
    }

    /// The counter called `name`: `ListenOverflows` when one group has it, `TcpExt.ListenOverflows`,
    /// or nstat's `TcpExtListenOverflows`. An unknown or ambiguous name is an error.
    static func find(_ name: String, in counters: [Counter], for builtin: String) throws -> Counter {
        if let counter = counters.first(where: { $0.qualified == name || $0.group + $0.name == name }) { return counter }
        let matches = counters.filter { $0.name == name }
        if matches.count == 1 { return matches[0] }
        if matches.count > 1 {
            throw MendError("\(builtin): \(Value.quote(name)) is a counter of several groups; name one of "
                + matches.map(\.qualified).joined(separator: ", "))
        }
        let candidates = counters.map(\.name) + counters.map(\.qualified)
        throw MendError("\(builtin): no counter \(Value.quote(name)) in \(files.joined(separator: " or "))"
            + Suggest.hint(for: name, in: candidates))
    }

    /// Every counter of the host's two files; a missing file has none.
    static func read(on host: Host) throws -> [Counter] {
        var counters: [Counter] = []
        for file in files {
            guard let bytes = try host.read(host.resolve(file)) else { continue }
            counters += parse(String(decoding: bytes, as: UTF8.self))
        }
        return counters
    }
}
