/// The `net` namespace: what the host listens on (/proc/net sockets and the processes holding
/// them), whether a port is exposed beyond loopback, TCP reachability, name resolution, a TLS
/// handshake and the kernel's network counters. Read only; the /proc/net files are read under
/// `--root`, while connect, resolve and tls act from the machine mend runs on.
public enum NetNamespace {
    typealias Param = Builtin.Param

    /// The `net` builtins, registered by ``Registry/standard()``.
    public static let table = NamespaceTable("net", doc: """
        Network facts: listening sockets, exposure, TCP connect, name resolution, TLS handshakes, kernel counters.
        """, [
        .function("listening", [.optional("port"), .label("proto")], doc: """
            The sockets that accept connections (tcp) or datagrams (udp), as a list of maps.
            Each is {address, port, pid, process}: address as text ("0.0.0.0", "127.0.0.1", "::",
            "::1", "::ffff:127.0.0.1"), pid and process (its command name) of the process holding the
            socket, found through the /proc/PID/fd links, nil when no readable process holds it (other
            users' processes need root). port: only that port (nil: all). proto: "tcp" (listening
            sockets of /proc/net/tcp and tcp6, default) or "udp" (bound, unconnected sockets of
            /proc/net/udp and udp6). Ordered by port, IPv4 first.
            """, example: """
            for s in net.listening() {
              print(s.address, s.port, s.process)
            }
            """, body: listening),
        .function("exposed", [Param("port"), .label("proto")], doc: """
            True when something listens on port on a wildcard or a non-loopback address.
            A socket bound to 0.0.0.0, ::, or any address outside 127.0.0.0/8 and ::1 is reachable
            from other hosts unless a firewall stops it; one bound to loopback only is not. False
            when nothing listens on the port. proto: "tcp" (default) or "udp".
            """, example: """
            assert not net.exposed(8545)  # the RPC port answers on loopback only
            """, body: exposed),
        .function("connect", [Param("host"), Param("port"), .label("timeout")], doc: """
            Opens a TCP connection and closes it: {ok, latency, error}.
            ok is true when the connection was made; latency is how long the handshake took (nil when
            it failed), error why it failed (nil when ok): refused, unreachable, a name that does not
            resolve, or no answer within timeout (default 2s, name resolution included). Addresses
            are tried in the resolver's order. Nothing is sent.
            """, example: """
            let rpc = net.connect("127.0.0.1", 8545, timeout: 500ms)
            if not rpc.ok { print("RPC down:", rpc.error) }
            """, body: connect),
        .function("resolve", [Param("name"), .label("timeout")], doc: """
            The addresses a name resolves to (getaddrinfo, as every program on the host resolves it).
            A list of address strings, each once, in the resolver's order; [] when the name does not
            exist. A resolver that fails or does not answer within timeout (default 5s) is an error.
            """, example: """
            if net.resolve("localhost") == [] { print("localhost does not resolve") }
            """, body: resolve),
        .function("tls", [Param("host"), Param("port"), .label("timeout"), .label("server_name"), .label("ca")], doc: """
            A TLS handshake with a server: {handshake, protocol, cipher, not_after, verified, verify_error}.
            handshake is the handshake's duration as curl measures it (time_appconnect −
            time_connect: neither process start nor the TCP connect counts); protocol ("TLSv1.3"),
            cipher, the certificate's not_after (ISO 8601, UTC) and the verification come from
            openssl s_client, so the server is reached twice. verified: the chain verifies against the
            system's CAs (or the file ca:) and the certificate names server_name (default host);
            verify_error says why not. A failed verification is a result, not an error; a server
            that cannot be reached or does not finish a handshake within timeout (default 5s) is an
            error. curl sends a GET after the handshake: a server that does not speak HTTP holds the
            call until the timeout (the result is still complete). Needs openssl and curl.
            """, example: """
            fn tls_ok(host) {
              let t = net.tls(host, 443, timeout: 2s)
              return t.verified and t.protocol == "TLSv1.3" and t.handshake < 200ms
            }
            """, body: tls),
        .function("counter", [Param("name")], doc: """
            A counter of the kernel's network stack, from /proc/net/netstat and /proc/net/snmp.
            name: a counter's name when one group has it ("ListenOverflows"), or qualified by its
            group ("TcpExt.ListenDrops", "Tcp.ActiveOpens"; nstat's "TcpExtListenOverflows" too).
            ListenOverflows and ListenDrops grow when accept queues overflow: a backlog or
            net.core.somaxconn too low for the load. An unknown name is an error with the nearest one.
            """, example: """
            print(net.counter("ListenOverflows"), net.counter("Tcp.ActiveOpens"))
            """, body: counter),
    ])

    static func listening(_ args: inout Arguments) throws -> Value {
        let port = try args.optionalInt(0, nilIsAbsent: true)
        if let port { try checkPort(port, "net.listening") }
        let list = try sockets(proto(args, 1), port: port, args).map { socket, owner -> Value in
            let map = MapRef()
            map["address"] = .string(socket.address)
            map["port"] = .int(socket.port)
            map["pid"] = owner.map { .int($0.pid) } ?? .null
            map["process"] = owner?.name.map(Value.string) ?? .null
            return .map(map)
        }
        return .list(ListRef(list))
    }

    static func exposed(_ args: inout Arguments) throws -> Value {
        let port = try args.int(0)
        try checkPort(port, "net.exposed")
        let open = try args.naming { try SocketTable.open(proto(args, 1), on: args.context.effects.host) }
        return .bool(open.contains { $0.port == port && !$0.isLoopback })
    }

    static func connect(_ args: inout Arguments) throws -> Value {
        let name = try hostName(args)
        let port = try args.int(1)
        try checkPort(port, "net.connect")
        let timeout = try self.timeout(args, 2, default: 2_000_000_000)
        let host = args.context.effects.host
        let map = MapRef()
        do {
            let connection = try host.connectStream(to: name, port: port, by: host.monotonicNanoseconds() + timeout,
                                                    shouldStop: { Interrupted.isPending })
            map["ok"] = .bool(true)
            map["latency"] = .duration(connection.nanoseconds)
            map["error"] = .null
        } catch {
            try Interrupted.check()
            map["ok"] = .bool(false)
            map["latency"] = .null
            map["error"] = .string(error.message)
        }
        return .map(map)
    }

    static func resolve(_ args: inout Arguments) throws -> Value {
        let name = try hostName(args)
        let timeout = try self.timeout(args, 1, default: 5_000_000_000)
        let host = args.context.effects.host
        let addresses = try args.naming { try host.addresses(of: name, by: host.monotonicNanoseconds() + timeout) }
        return .list(ListRef(addresses.map(Value.string)))
    }

    static func tls(_ args: inout Arguments) throws -> Value {
        let name = try hostName(args)
        let port = try args.int(1)
        try checkPort(port, "net.tls")
        let timeout = try self.timeout(args, 2, default: 5_000_000_000)
        let serverName = try args.optionalName(3, .noControlCharacters, nilIsAbsent: true) ?? name
        let ca = try args.optionalName(4, .noControlCharacters, nilIsAbsent: true)
        for (what, text) in [("server_name", serverName), ("ca", ca ?? "x")] where text.isEmpty || text.hasPrefix("-") {
            throw MendError("net.tls: '\(what)' must not be empty or start with \"-\", got \(Value.quote(text))")
        }
        let result: Tls.Result
        do {
            result = try args.naming {
                try Tls.probe(host: name, port: port, serverName: serverName, ca: ca, timeout: timeout, on: args.context.effects.host)
            }
        } catch let error as MendError {
            throw MendError("net.tls: \(error.message)", kind: error.kind)
        }
        let map = MapRef()
        map["handshake"] = .duration(result.handshakeNanoseconds)
        map["protocol"] = .string(result.proto)
        map["cipher"] = .string(result.cipher)
        map["not_after"] = .string(result.notAfter)
        map["verified"] = .bool(result.verified)
        map["verify_error"] = result.verifyError.map(Value.string) ?? .null
        return .map(map)
    }

    static func counter(_ args: inout Arguments) throws -> Value {
        let name = try args.name(0, .noControlCharacters)
        let counters = try args.naming { try NetCounters.read(on: args.context.effects.host) }
        return .int(try NetCounters.find(name, in: counters, for: "net.counter").value)
    }

    // MARK: Arguments and helpers

    /// The open sockets of `proto` (on `port`, when given) with their owners, by port, IPv4 first.
    private static func sockets(_ proto: String, port: Int?, _ args: Arguments) throws -> [(SocketTable.Socket, (pid: Int, name: String?)?)] {
        let host = args.context.effects.host
        let open = try args.naming { try SocketTable.open(proto, on: host) }.enumerated()
            .filter { port == nil || $0.element.port == port }
            .sorted { ($0.element.port, $0.offset) < ($1.element.port, $1.offset) }
            .map(\.element)
        let owners = SocketTable.owners(of: Set(open.map(\.inode).filter { $0 != 0 }), on: host)
        return open.map { ($0, owners[$0.inode]) }
    }

    private static func proto(_ args: Arguments, _ index: Int) throws -> String {
        let proto = try args.optionalString(index, nilIsAbsent: true) ?? "tcp"
        guard proto == "tcp" || proto == "udp" else {
            throw MendError("\(args.builtin.qualifiedName): proto must be \"tcp\" or \"udp\", got \(Value.quote(proto))")
        }
        return proto
    }

    private static func checkPort(_ port: Int, _ builtin: String) throws {
        guard (1...65535).contains(port) else { throw MendError("\(builtin): port must be 1–65535, got \(port)") }
    }

    private static func timeout(_ args: Arguments, _ index: Int, default value: Int) throws -> Int {
        let timeout = try args.optionalDuration(index, nilIsAbsent: true) ?? value
        guard timeout > 0 else {
            throw MendError("\(args.builtin.qualifiedName): timeout must be positive, got \(Value.formatDuration(timeout))")
        }
        return timeout
    }

    /// A host name or address: not empty, no control characters, not taken for a tool's option.
    private static func hostName(_ args: Arguments) throws -> String {
        let name = try args.name(0, .noControlCharacters)
        // A name or an address, nothing a URL (curl) or a tool's option parser would read otherwise:
        // "user@host", "host/path", "host?x", "-option".
        guard !name.isEmpty, !name.hasPrefix("-"), name.allSatisfy({ $0.isLetter || $0.isNumber || ".-:_%".contains($0) }) else {
            throw MendError("\(args.builtin.qualifiedName): 'host' must be a host name or an address, got \(Value.quote(name))")
        }
        return name
    }
}
