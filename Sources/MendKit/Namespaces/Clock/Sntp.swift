/// A one-shot SNTP client (RFC 4330, RFC 5905): 48-byte mode 3 requests, mode 4 replies accepted
/// only when their originate timestamp echoes the request's transmit timestamp, the sample with
/// the smallest round-trip delay winning. Offsets are signed nanoseconds, positive when the local
/// clock is behind the server (the server's time minus ours), as chrony reports "slow".
enum Sntp {
    /// One measurement.
    struct Sample: Equatable, Sendable {
        var offset: Int
        var delay: Int
        var stratum: Int
    }

    /// Seconds between the NTP era (1900) and the Unix epoch.
    static let eraOffset = 2_208_988_800.0

    /// A client request: LI 0, version 4, mode 3, and `transmit` (Unix seconds) as the transmit
    /// timestamp, which the server echoes as the originate timestamp of its reply.
    static func request(transmit: Double) -> [UInt8] {
        var packet = [UInt8](repeating: 0, count: 48)
        packet[0] = (0 << 6) | (4 << 3) | 3
        packet.replaceSubrange(40..<48, with: timestamp(transmit))
        return packet
    }

    /// 64-bit NTP timestamp: seconds since 1900 and a binary fraction.
    static func timestamp(_ unix: Double) -> [UInt8] {
        let ntp = unix + eraOffset
        let seconds = UInt32(truncatingIfNeeded: UInt64(ntp.rounded(.down)))
        let fraction = UInt32(truncatingIfNeeded: UInt64(((ntp - ntp.rounded(.down)) * 4_294_967_296).rounded(.down)))
        return [seconds >> 24, seconds >> 16, seconds >> 8, seconds, fraction >> 24, fraction >> 16, fraction >> 8, fraction].map { UInt8(truncatingIfNeeded: $0) }
    }

    /// An NTP timestamp as Unix seconds; timestamps before 1968 are read in the era after 2036.
    static func unixTime(_ bytes: ArraySlice<UInt8>) -> Double {
        let b = Array(bytes)
        let seconds = UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
        let fraction = UInt32(b[4]) << 24 | UInt32(b[5]) << 16 | UInt32(b[6]) << 8 | UInt32(b[7])
        let era: Double = seconds & 0x8000_0000 == 0 ? 4_294_967_296 : 0
        return Double(seconds) + era + Double(fraction) / 4_294_967_296 - eraOffset
    }

    /// What a datagram says about a request: a sample, nil when it is not the reply to this
    /// request (wrong size, mode or originate — ignored), or an error when the server refuses
    /// (Kiss-o'-Death) or says it is not synchronised.
    static func sample(_ reply: [UInt8], request: [UInt8], sent t1: Double, received t4: Double, server: String) throws -> Sample? {
        guard reply.count >= 48, reply[0] & 7 == 4, reply[24..<32].elementsEqual(request[40..<48]) else { return nil }
        let leap = reply[0] >> 6, stratum = Int(reply[1])
        if stratum == 0 {
            let code = String(decoding: reply[12..<16].filter { $0 >= 0x20 && $0 < 0x7f }, as: UTF8.self)
            throw MendError("\(server) sent a Kiss-o'-Death \(code.isEmpty ? "(no code)" : code)\(kissMeaning[code].map { " (\($0))" } ?? "")", kind: .host)
        }
        guard leap != 3, stratum <= 15 else {
            throw MendError("\(server) is not synchronised itself (\(leap == 3 ? "leap indicator 3" : "stratum \(stratum)"))", kind: .host)
        }
        // RFC 4330 section 5: a reply without receive or transmit time is no time at all.
        guard reply[32..<40].contains(where: { $0 != 0 }), reply[40..<48].contains(where: { $0 != 0 }) else { return nil }
        let t2 = unixTime(reply[32..<40]), t3 = unixTime(reply[40..<48])
        let offset = ((t2 - t1) + (t3 - t4)) / 2, delay = (t4 - t1) - (t3 - t2)
        // A server that spent longer than the round trip on the request is not telling the time.
        guard delay >= 0 else { return nil }
        return Sample(offset: Int((offset * 1e9).rounded()), delay: Int((delay * 1e9).rounded()), stratum: stratum)
    }

    /// The kiss codes of RFC 5905 (section 7.4) an operator meets.
    static let kissMeaning = [
        "RATE": "rate exceeded: query less often", "DENY": "access denied", "RSTR": "access restricted",
        "INIT": "the server has not synchronised yet", "STEP": "the server's clock is being stepped",
    ]

    /// Queries `server` up to `samples` times within `timeout` nanoseconds in all (each request
    /// waits for its share of what is left, so one lost datagram costs one sample) and returns
    /// the sample with the smallest delay. A refusal (Kiss-o'-Death) after a good sample ends the
    /// queries and keeps what came; with no sample at all the call fails.
    static func query(_ server: String, port: Int, timeout: Int, samples: Int, on host: Host) throws -> Sample {
        let deadline = host.monotonicNanoseconds() + timeout
        let socket = try host.datagramSocket(to: server, port: port, resolvedBy: deadline)
        var best: Sample?
        var ignored = 0
        for index in 0..<samples {
            let now = host.monotonicNanoseconds()
            guard now < deadline else { break }
            let wait = now + (deadline - now) / (samples - index)
            let t1 = host.wallClock()
            let request = self.request(transmit: t1)
            try socket.send(request)
            var got: Sample?
            do {
                while got == nil, let reply = try socket.receive(before: wait) {
                    got = try sample(reply, request: request, sent: t1, received: host.wallClock(), server: "\(server) (\(socket.address))")
                    if got == nil { ignored += 1 }
                }
            } catch is MendError where best != nil {
                break
            }
            if let got, best.map({ got.delay < $0.delay }) ?? true { best = got }
        }
        guard let best else {
            throw MendError("no SNTP answer from \(server) (\(socket.address)) within \(Value.formatDuration(timeout))"
                            + (ignored > 0 ? " (\(ignored) \(ignored == 1 ? "reply was" : "replies were") not the answer to mend's requests and ignored)" : ""), kind: .host)
        }
        return best
    }
}
