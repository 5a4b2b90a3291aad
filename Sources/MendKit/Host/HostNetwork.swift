import Dispatch
import Glibc
import Synchronization

extension Host {
    /// A connected UDP socket, for a one-shot exchange of datagrams (an SNTP query). Closed when
    /// released.
    public final class DatagramSocket {
        private let fd: Int32
        /// The address the name resolved to, as text.
        public let address: String

        fileprivate init(fd: Int32, address: String) {
            self.fd = fd
            self.address = address
        }

        deinit { close(fd) }

        /// Sends one datagram.
        public func send(_ bytes: [UInt8]) throws(HostError) {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            guard sent == bytes.count else { throw HostError.last("cannot send to \(address)") }
        }

        /// The next datagram, or nil when none came before `deadline` (monotonic nanoseconds).
        /// An ICMP refusal from the peer (nothing listens there) is an error.
        public func receive(before deadline: Int) throws(HostError) -> [UInt8]? {
            while true {
                let left = deadline - Host.local.monotonicNanoseconds()
                guard left > 0 else { return nil }
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&poller, 1, Int32(min((left + 999_999) / 1_000_000, Int(Int32.max))))
                if ready < 0 {
                    if errno == EINTR { continue }
                    throw HostError.last("cannot wait for \(address)")
                }
                guard ready > 0 else { continue }
                var buffer = [UInt8](repeating: 0, count: 1024)
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    if errno == ECONNREFUSED { throw HostError("nothing answers on \(address) (connection refused)", code: ECONNREFUSED) }
                    throw HostError.last("no answer from \(address)")
                }
                return Array(buffer.prefix(count))
            }
        }
    }

    /// A UDP socket connected to `name` (a host name or an address, IPv4 or IPv6) and `port`.
    /// A name that does not resolve is an error that says so, and so is a resolver that has not
    /// answered by `deadline` (monotonic nanoseconds; see ``lookUp(_:port:socketType:by:)``).
    public func datagramSocket(to name: String, port: Int, resolvedBy deadline: Int) throws(HostError) -> DatagramSocket {
        let addresses = try lookUp(name, port: port, socketType: Int32(SOCK_DGRAM.rawValue), by: deadline)
        var lastError = HostError("cannot reach \(name)")
        for address in addresses {
            let fd = socket(address.family, address.socketType | Int32(SOCK_CLOEXEC.rawValue), address.protocolNumber)
            guard fd >= 0 else { lastError = HostError.last("cannot open a socket for \(name)"); continue }
            let connected = address.withSocketAddress { connect(fd, $0, $1) }
            guard connected == 0 else {
                lastError = HostError.last("cannot reach \(name)")
                close(fd)
                continue
            }
            return DatagramSocket(fd: fd, address: "\(address.text) port \(port)")
        }
        throw lastError
    }

    /// One answer of the resolver: what socket(2) and connect(2) take, and the address as text.
    struct ResolvedAddress {
        let family: Int32
        let socketType: Int32
        let protocolNumber: Int32
        /// The sockaddr's bytes.
        let bytes: [UInt8]
        /// The numeric address: `192.0.2.1`, `2001:db8::1`.
        let text: String

        func withSocketAddress<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
            bytes.withUnsafeBytes { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count)) }
        }
    }

    /// The addresses `name` resolves to for `port` and `socketType`, in the resolver's order.
    /// getaddrinfo cannot be interrupted, so it runs on a thread of its own, which is left to
    /// finish and free its answer alone when the resolver has not answered by `deadline`
    /// (monotonic nanoseconds): then the error's code is ETIMEDOUT. A name that does not exist
    /// (EAI_NONAME, EAI_NODATA) is ENOENT; any other failure of the resolver is EIO.
    func lookUp(_ name: String, port: Int?, socketType: Int32, by deadline: Int) throws(HostError) -> [ResolvedAddress] {
        try refuseNUL(inPath: name)
        let lookup = Lookup()
        let done = DispatchSemaphore(value: 0)
        let service = port.map(String.init)
        DispatchQueue.global().async {
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            hints.ai_socktype = socketType
            var list: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(name, service, &hints, &list)
            if !lookup.deliver(status, list) { freeaddrinfo(list) }
            done.signal()
        }
        let left = max(deadline - monotonicNanoseconds(), 0)
        guard done.wait(timeout: .now() + .nanoseconds(left)) == .success, let (status, list) = lookup.take() else {
            throw HostError("cannot resolve \(name): the resolver did not answer in time", code: ETIMEDOUT)
        }
        // EAI_NODATA (-5, the name exists without addresses) is a GNU extension Swift does not import.
        guard status == 0, let first = list else {
            let missing = status == EAI_NONAME || status == -5
            throw HostError("cannot resolve \(name): \(String(cString: gai_strerror(status)))", code: missing ? ENOENT : EIO)
        }
        defer { freeaddrinfo(list) }
        var addresses: [ResolvedAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            guard let socketAddress = info.pointee.ai_addr else { continue }
            var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            getnameinfo(socketAddress, info.pointee.ai_addrlen, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST)
            let bytes = Array(UnsafeRawBufferPointer(start: socketAddress, count: Int(info.pointee.ai_addrlen)))
            addresses.append(ResolvedAddress(family: info.pointee.ai_family, socketType: info.pointee.ai_socktype,
                                             protocolNumber: info.pointee.ai_protocol, bytes: bytes,
                                             text: String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))
        }
        return addresses
    }
}

/// The answer of a lookup, handed from its thread to the caller unless the caller gave up. The
/// list travels as its address: a pointer is not Sendable, and only one side ever frees it.
private final class Lookup: Sendable {
    private struct State {
        var answer: (status: Int32, list: Int)?
        var abandoned = false
    }
    private let state = Mutex(State())

    /// Keeps the answer for the caller; false when the caller has gone (the list is the thread's to free).
    func deliver(_ status: Int32, _ list: UnsafeMutablePointer<addrinfo>?) -> Bool {
        let address = Int(bitPattern: list)
        return state.withLock { state in
            guard !state.abandoned else { return false }
            state.answer = (status, address)
            return true
        }
    }

    /// The answer, or nil when none came yet, in which case the lookup is abandoned.
    func take() -> (Int32, UnsafeMutablePointer<addrinfo>?)? {
        let answer = state.withLock { state -> (status: Int32, list: Int)? in
            if state.answer == nil { state.abandoned = true }
            return state.answer
        }
        return answer.map { ($0.status, UnsafeMutablePointer<addrinfo>(bitPattern: $0.list)) }
    }
}
