import Glibc

/// TCP reachability and name resolution, for checks of a service from this host (`net.connect`,
/// `net.resolve`). Nothing is sent: a connection is opened and closed.
extension Host {
    /// A TCP connection that was made: to which address, and how long connect(2) took.
    public struct StreamConnection: Sendable {
        /// The numeric address that answered.
        public let address: String
        /// Nanoseconds from connect(2) to the end of the handshake.
        public let nanoseconds: Int
    }

    /// Opens a TCP connection to `name` and `port` and closes it again. Name resolution and every
    /// connection attempt end by `deadline` (monotonic nanoseconds); the addresses are tried in the
    /// resolver's order. `shouldStop` is polled every 50 ms while waiting; when it returns true the
    /// attempt ends with EINTR.
    public func connectStream(to name: String, port: Int, by deadline: Int,
                              shouldStop: () -> Bool = { false }) throws(HostError) -> StreamConnection {
        let addresses = try lookUp(name, port: port, socketType: Int32(SOCK_STREAM.rawValue), by: deadline)
        var lastError = HostError("cannot connect to \(name) port \(port)")
        for address in addresses {
            let fd = socket(address.family, address.socketType | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue),
                            address.protocolNumber)
            guard fd >= 0 else { lastError = HostError.last("cannot open a socket for \(name)"); continue }
            defer { close(fd) }
            let start = monotonicNanoseconds()
            let connected = address.withSocketAddress { connect(fd, $0, $1) }
            let what = "cannot connect to \(address.text) port \(port)"
            if connected != 0 {
                guard errno == EINPROGRESS else { lastError = HostError.last(what); continue }
                if let error = waitForConnection(fd, by: deadline, what, shouldStop) {
                    lastError = error
                    if error.code == ETIMEDOUT || error.code == EINTR { throw error }
                    continue
                }
            }
            return StreamConnection(address: address.text, nanoseconds: monotonicNanoseconds() - start)
        }
        throw lastError
    }

    /// nil when the non-blocking connect on `fd` completed; otherwise why not.
    private func waitForConnection(_ fd: Int32, by deadline: Int, _ what: String, _ shouldStop: () -> Bool) -> HostError? {
        while true {
            if shouldStop() { return HostError("\(what): interrupted", code: EINTR) }
            let left = deadline - monotonicNanoseconds()
            guard left > 0 else { return HostError("\(what): no answer in time", code: ETIMEDOUT) }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&poller, 1, Int32(min((left + 999_999) / 1_000_000, 50)))
            if ready < 0 {
                if errno == EINTR { continue }
                return HostError.last(what)
            }
            guard ready > 0 else { continue }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return HostError.last(what) }
            return error == 0 ? nil : HostError("\(what): \(HostError.reason(error))", code: error)
        }
    }

    /// The addresses `name` resolves to, as text, each once, in the resolver's order; [] when the
    /// name does not exist. A resolver that fails or has not answered by `deadline` (monotonic
    /// nanoseconds) is an error.
    public func addresses(of name: String, by deadline: Int) throws(HostError) -> [String] {
        let found: [ResolvedAddress]
        do {
            found = try lookUp(name, port: nil, socketType: Int32(SOCK_STREAM.rawValue), by: deadline)
        } catch where error.code == ENOENT {
            return []
        }
        var seen = Set<String>()
        return found.map(\.text).filter { seen.insert($0).inserted }
    }
}
