/// The kernel's socket tables, /proc/net/{tcp,tcp6,udp,udp6}, and the processes holding their
/// sockets (/proc/PID/fd links `socket:[INODE]`). Parsing is pure, so it is tested on text.
enum SocketTable {
    /// One socket of a table.
    struct Socket: Equatable {
        /// The local address as text: `0.0.0.0`, `::1`, `::ffff:127.0.0.1`.
        var address: String
        var port: Int
        /// The kernel's state number: 0x0A LISTEN for TCP, 0x07 CLOSE for an unconnected UDP socket.
        var state: Int
        var inode: Int

        /// Bound to a loopback address, so unreachable from other hosts.
        var isLoopback: Bool {
            address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
        }
    }

    /// The kernel's state of a listening TCP socket.
    static let tcpListen = 0x0A
    /// The state of a UDP socket that is bound and not connected.
    static let udpBound = 0x07

    /// The sockets of one table's text: the header line is skipped, malformed lines too.
    static func parse(_ text: String) -> [Socket] {
        var sockets: [Socket] = []
        for line in text.split(separator: "\n").dropFirst() {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 10 else { continue }
            let local = fields[1].split(separator: ":")
            guard local.count == 2, let port = Int(local[1], radix: 16), let state = Int(fields[3], radix: 16),
                  let inode = Int(fields[9]), let address = address(hex: local[0]) else { continue }
            sockets.append(Socket(address: address, port: port, state: state, inode: inode))
        }
        return sockets
    }

    /// An address as the kernel prints it: 8 hex digits (IPv4) or 32 (IPv6), each 32-bit word
    /// printed as the number its bytes, in network order, make in the machine's own order.
    static func address(hex: Substring) -> String? {
        guard hex.count == 8 || hex.count == 32 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let end = hex.index(index, offsetBy: 8)
            guard let word = UInt32(hex[index..<end], radix: 16) else { return nil }
            withUnsafeBytes(of: word) { bytes.append(contentsOf: $0) }
            index = end
        }
        return bytes.count == 4 ? bytes.map(String.init).joined(separator: ".") : ipv6(bytes)
    }

    /// RFC 5952 text of 16 bytes: the longest run of two or more zero groups as `::`, an
    /// IPv4-mapped address as `::ffff:a.b.c.d`.
    static func ipv6(_ bytes: [UInt8]) -> String {
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
            return "::ffff:" + bytes[12...].map(String.init).joined(separator: ".")
        }
        let groups = (0..<8).map { Int(bytes[2 * $0]) << 8 | Int(bytes[2 * $0 + 1]) }
        var best = (start: -1, length: 0), run = (start: -1, length: 0)
        for (i, group) in groups.enumerated() {
            if group == 0 {
                run = run.start < 0 ? (i, 1) : (run.start, run.length + 1)
                if run.length > best.length { best = run }
            } else {
                run = (-1, 0)
            }
        }
        let text = groups.map { String($0, radix: 16) }
        guard best.length >= 2 else { return text.joined(separator: ":") }
        return text[..<best.start].joined(separator: ":") + "::" + text[(best.start + best.length)...].joined(separator: ":")
    }

    /// The tables of a protocol, IPv4 first.
    static func files(_ proto: String) -> [String] {
        ["/proc/net/\(proto)", "/proc/net/\(proto)6"]
    }

    /// The sockets of `proto` ("tcp" or "udp") that accept connections or datagrams: listening
    /// TCP sockets, bound unconnected UDP ones. A missing table (no IPv6) is none.
    static func open(_ proto: String, on host: Host) throws -> [Socket] {
        let state = proto == "tcp" ? tcpListen : udpBound
        var sockets: [Socket] = []
        for file in files(proto) {
            guard let bytes = try host.read(host.resolve(file)) else { continue }
            sockets += parse(String(decoding: bytes, as: UTF8.self)).filter { $0.state == state }
        }
        return sockets
    }

    /// The process holding each of `inodes`, by inode: its pid and command name. Processes whose
    /// fd directory cannot be read (another user's, without root) are passed over, so their
    /// sockets have none.
    static func owners(of inodes: Set<Int>, on host: Host) -> [Int: (pid: Int, name: String?)] {
        var owners: [Int: (pid: Int, name: String?)] = [:]
        guard !inodes.isEmpty, let proc = try? host.resolve("/proc") else { return owners }
        for pid in (host.entries(proc) ?? []).compactMap({ Int($0.name) }).sorted() {
            guard let fds = try? host.resolve("/proc/\(pid)/fd"), let entries = host.entries(fds) else { continue }
            for entry in entries {
                guard let target = try? host.linkTarget(fds + "/" + entry.name), target.hasPrefix("socket:["),
                      let inode = Int(target.dropFirst(8).dropLast()), inodes.contains(inode), owners[inode] == nil else { continue }
                owners[inode] = (pid, ProcFiles.comm(pid, on: host))
            }
            if owners.count == inodes.count { break }
        }
        return owners
    }
}
