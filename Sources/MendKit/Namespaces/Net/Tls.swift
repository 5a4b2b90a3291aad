/// A TLS handshake with a server, driven by well-kept tools rather than a TLS stack of mend's own:
/// `openssl s_client` tells the protocol, cipher, certificate and verification, `openssl x509`
/// the certificate's end date, and curl the handshake's duration (`time_appconnect −
/// time_connect`: measured inside curl, so neither process start nor the TCP connect counts).
enum Tls {
    struct Result: Equatable {
        var handshakeNanoseconds: Int
        var proto: String
        var cipher: String
        /// ISO 8601 in UTC: `2027-01-05T03:56:01Z`.
        var notAfter: String
        var verified: Bool
        var verifyError: String?
    }

    /// What `openssl s_client` printed: protocol, cipher, the verification and the server's
    /// certificate (PEM).
    struct Session: Equatable {
        var proto: String
        var cipher: String
        var verifyCode: Int
        var verifyText: String
        var certificate: String
    }

    /// The session `openssl s_client` reports, from 1.0.2 to 3.x: `Protocol  : TLSv1.2` in the
    /// SSL-Session block or `New, TLSv1.3, Cipher is X`, `Verify return code: 18 (self-signed
    /// certificate)`, and the PEM of the server certificate. nil when no handshake completed.
    static func parseSession(_ text: String) -> Session? {
        var proto: String?, cipher: String?, verify: (Int, String)?
        for raw in text.split(separator: "\n") {
            let line = String(raw).trimmingCharacters()
            if line.hasPrefix("New, "), let range = line.firstRange(of: ", Cipher is ") {
                let version = line[line.index(line.startIndex, offsetBy: 5)..<range.lowerBound]
                if version.hasPrefix("TLSv1."), !version.contains("/") { proto = String(version) }
                cipher = String(line[range.upperBound...])
            } else if line.hasPrefix("Protocol"), let value = field(line) {
                proto = value
            } else if line.hasPrefix("Cipher"), let value = field(line), cipher == nil || cipher == "0000" {
                cipher = value
            } else if line.hasPrefix("Verify return code: ") {
                let rest = line.dropFirst("Verify return code: ".count)
                let number = rest.prefix { $0.isNumber }
                let reason = rest.drop { $0 != "(" }.dropFirst().dropLast()
                verify = (Int(number) ?? -1, String(reason))
            }
        }
        guard let proto, let cipher, cipher != "(NONE)", cipher != "0000", let verify,
              let begin = text.firstRange(of: "-----BEGIN CERTIFICATE-----"),
              let end = text[begin.upperBound...].firstRange(of: "-----END CERTIFICATE-----") else { return nil }
        return Session(proto: proto, cipher: cipher, verifyCode: verify.0, verifyText: verify.1,
                       certificate: String(text[begin.lowerBound..<end.upperBound]) + "\n")
    }

    /// The value of a `Name : value` line.
    private static func field(_ line: String) -> String? {
        guard let colon = line.firstIndex(of: ":") else { return nil }
        let value = String(line[line.index(after: colon)...]).trimmingCharacters()
        return value.isEmpty ? nil : value
    }

    /// `notAfter=Jan  5 03:56:01 2027 GMT` (openssl x509 -enddate) as `2027-01-05T03:56:01Z`.
    static func isoDate(_ enddate: String) -> String? {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let text = enddate.trimmingCharacters()
        let words = (text.hasPrefix("notAfter=") ? String(text.dropFirst(9)) : text).split(separator: " ")
        guard words.count == 5, words[4] == "GMT", let month = months.firstIndex(of: String(words[0])),
              let day = Int(words[1]), let year = Int(words[3]), words[2].count == 8 else { return nil }
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month + 1))-\(two(day))T\(words[2])Z"
    }

    /// `time_connect time_appconnect` as curl's -w writes them (seconds) → the handshake in
    /// nanoseconds; nil when no handshake completed.
    static func handshake(_ curlOutput: String) -> Int? {
        let times = curlOutput.split(separator: " ").compactMap { Double(String($0).trimmingCharacters()) }
        guard times.count == 2, times[1] > 0, times[1] >= times[0] else { return nil }
        return Int(((times[1] - times[0]) * 1e9).rounded())
    }

    /// True for an IPv4 or IPv6 address literal, which TLS sends no server name for and which
    /// certificates name as an IP address.
    static func isAddress(_ name: String) -> Bool {
        name.contains(":") || (name.split(separator: ".").count == 4 && name.allSatisfy { $0.isNumber || $0 == "." })
    }

    /// Connects to `host`:`port` twice — s_client for the session, curl for the handshake time —
    /// within `timeout` (nanoseconds) in all.
    static func probe(host name: String, port: Int, serverName: String, ca: String?, timeout: Int, on host: Host) throws -> Result {
        let deadline = host.monotonicNanoseconds() + timeout
        let target = name.contains(":") ? "[\(name)]:\(port)" : "\(name):\(port)"
        var argv = ["openssl", "s_client", "-connect", target]
        argv += isAddress(serverName) ? ["-verify_ip", serverName] : ["-servername", serverName, "-verify_hostname", serverName]
        if let ca { argv += ["-CAfile", ca] }
        let client = try Tools.run(argv, package: "openssl", on: host, timeout: timeout)
        let said = String(decoding: client.stdout, as: UTF8.self)
        if client.timedOut { throw MendError("no TLS handshake with \(target) within \(Value.formatDuration(timeout))", kind: .host) }
        guard let session = parseSession(said) else {
            let stderr = String(decoding: client.stderr, as: UTF8.self)
            let reason = stderr.split(separator: "\n").last { !$0.isEmpty }
            // s_client reports a failed connect as "connect:errno=N" (OpenSSL 1.x) or with the system's text.
            let refused = stderr.contains("errno=111") || stderr.contains("Connection refused")
            throw MendError("no TLS handshake with \(target)" + (refused ? ": connection refused (nothing listens there)"
                                : reason.map { ": \($0)" } ?? " (openssl s_client exit status \(client.status))"), kind: .host)
        }
        let certificate = try Tools.run(["openssl", "x509", "-noout", "-enddate"], package: "openssl", on: host,
                                        stdin: Array(session.certificate.utf8), timeout: 10_000_000_000)
        guard let notAfter = isoDate(String(decoding: certificate.stdout, as: UTF8.self)) else {
            throw MendError("cannot read the end date of \(target)'s certificate (openssl x509 -enddate)", kind: .host)
        }
        let left = deadline - host.monotonicNanoseconds()
        guard left > 0 else { throw MendError("no TLS handshake with \(target) within \(Value.formatDuration(timeout))", kind: .host) }
        // -k: a certificate s_client could not verify must not stop the timing; curl then sends a
        // GET, whose answer (or its absence) does not matter.
        let url = "https://\(name.contains(":") ? "[\(name)]" : name):\(port)/"
        // -q: no ~/.curlrc; no proxy: the handshake timed is the server's, not a proxy's CONNECT.
        var curl = ["curl", "-q", "-s", "-k", "--noproxy", "*", "-o", "/dev/null", "--max-time", String(Double(left) / 1e9), "-w", "%{time_connect} %{time_appconnect}"]
        if serverName != name, !isAddress(serverName) {
            curl += ["--connect-to", "\(serverName):\(port):\(name.contains(":") ? "[\(name)]" : name):\(port)",
                     "https://\(serverName):\(port)/"]
        } else {
            curl.append(url)
        }
        let timing = try Tools.run(curl, package: "curl", on: host, timeout: left + 1_000_000_000)
        guard let handshake = handshake(String(decoding: timing.stdout, as: UTF8.self)) else {
            throw MendError("no TLS handshake with \(target) for its timing (curl exit status \(timing.status))", kind: .host)
        }
        return Result(handshakeNanoseconds: handshake, proto: session.proto, cipher: session.cipher, notAfter: notAfter,
                      verified: session.verifyCode == 0, verifyError: session.verifyCode == 0 ? nil : session.verifyText)
    }
}
