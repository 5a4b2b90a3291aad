/// chronyd as `chronyc -n -c` reports it: CSV lines whose field order is chrony's client.c
/// (the same since chrony 2.4, so CentOS 7's 3.4, Ubuntu's 4.2 and Alpine's 4.5 alike).
enum Chrony {
    /// The argv of `chronyc -n -c [-h HOST -p PORT] COMMAND`.
    static func argv(_ command: String, address: String?) throws -> [String] {
        var argv = ["chronyc", "-n", "-c"]
        if let address {
            let (name, port) = try split(address)
            argv += ["-h", name] + (port.map { ["-p", String($0)] } ?? [])
        }
        return argv + [command]
    }

    /// `chronyc -n -c [-h HOST -p PORT] COMMAND`; `address` is `HOST:PORT`, `HOST` or a socket path.
    static func chronyc(_ command: String, address: String?, on host: Host, for builtin: String) throws -> String {
        do {
            return try chronyc(command, address: address, on: host)
        } catch let error as MendError {
            throw MendError("\(builtin): \(error.message)", kind: error.kind)
        }
    }

    private static func chronyc(_ command: String, address: String?, on host: Host) throws -> String {
        let result = try Tools.run(argv(command, address: address), package: "chrony", on: host, timeout: 10_000_000_000)
        let said = (String(decoding: result.stderr, as: UTF8.self) + String(decoding: result.stdout, as: UTF8.self)).trimmingCharacters()
        guard result.status == 0, !said.hasPrefix("506"), !said.contains("Cannot talk to daemon") else {
            throw MendError("chrony is not running or does not answer\(address.map { " on \($0)" } ?? "") (chronyc \(command): \(said.isEmpty ? "exit status \(result.status)" : said))", kind: .host)
        }
        return String(decoding: result.stdout, as: UTF8.self)
    }

    /// `127.0.0.1:323` → ("127.0.0.1", 323); `[::1]:323` → ("::1", 323); a bare host, or the path
    /// of chronyd's Unix command socket, has no port.
    static func split(_ address: String) throws -> (String, Int?) {
        if address.hasPrefix("/") { return (address, nil) }
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            let name = String(address[address.index(after: address.startIndex)..<close])
            let rest = address[address.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else { throw badAddress(address) }
            return (name, rest.isEmpty ? nil : try port(String(rest.dropFirst()), address))
        }
        let parts = address.split(separator: ":", omittingEmptySubsequences: false)
        guard !address.isEmpty, !address.contains(where: { $0 == " " || $0.isNewline }) else { throw badAddress(address) }
        if parts.count == 2 { return (String(parts[0]), try port(String(parts[1]), address)) }
        return (address, nil)
    }

    private static func port(_ text: String, _ address: String) throws -> Int {
        guard let port = Int(text), (1...65535).contains(port) else { throw badAddress(address) }
        return port
    }

    private static func badAddress(_ address: String) -> MendError {
        MendError("chrony: an address is HOST or HOST:PORT (\"127.0.0.1:323\", \"[::1]:323\"), got \(Value.quote(address))")
    }

    /// The fields of `chronyc -c tracking`.
    struct Tracking: Equatable {
        var referenceID: String
        var reference: String
        var stratum: Int
        var referenceTime: Double
        /// System time: negative when the clock is fast of NTP time, as mend's offsets.
        var offset: Double
        var lastOffset: Double
        var rmsOffset: Double
        /// Negative: the clock runs slow.
        var frequencyPPM: Double
        var residualFrequencyPPM: Double
        var skewPPM: Double
        var rootDelay: Double
        var rootDispersion: Double
        var updateInterval: Double
        var leap: String

        init?(csv: String) {
            guard let line = csv.split(separator: "\n").first else { return nil }
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 14, let stratum = Int(f[2]), let numbers = Optional(f[3...12].compactMap(Double.init)), numbers.count == 10 else { return nil }
            referenceID = f[0]
            reference = f[1]
            self.stratum = stratum
            referenceTime = numbers[0]
            offset = numbers[1]
            lastOffset = numbers[2]
            rmsOffset = numbers[3]
            frequencyPPM = numbers[4]
            residualFrequencyPPM = numbers[5]
            skewPPM = numbers[6]
            rootDelay = numbers[7]
            rootDispersion = numbers[8]
            updateInterval = numbers[9]
            leap = ["Normal": "normal", "Insert second": "insert", "Delete second": "delete", "Not synchronised": "unsynchronised"][f[13]] ?? f[13].lowercased()
        }
    }

    /// One line of `chronyc -c sources`.
    struct Source: Equatable {
        var mode: String
        var state: String
        var name: String
        var stratum: Int
        var poll: Int
        /// The reach register (octal in chronyc's output).
        var reach: Int
        /// Seconds since the last sample; nil before the first (chronyc's 4294967295).
        var lastRx: Int?
        var offset: Double
        var error: Double

        static let modes = ["^": "server", "=": "peer", "#": "refclock"]
        static let states = ["*": "selected", "+": "combined", "-": "not_combined", "x": "falseticker", "~": "too_variable", "?": "unusable"]

        init?(csvLine line: Substring) {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 10, let mode = Self.modes[f[0]], let state = Self.states[f[1]], let stratum = Int(f[3]), let poll = Int(f[4]),
                  let reach = Int(f[5], radix: 8), let lastRx = Int(f[6]), let offset = Double(f[7]), let error = Double(f[9]) else { return nil }
            self.lastRx = lastRx == 4_294_967_295 ? nil : lastRx
            self.mode = mode
            self.state = state
            name = f[2]
            self.stratum = stratum
            self.poll = poll
            self.reach = reach
            self.offset = offset
            self.error = error
        }

        /// Every line; one mend cannot read is an error rather than a source left out.
        static func parse(_ csv: String) throws -> [Source] {
            try csv.split(separator: "\n").map { line in
                guard let source = Source(csvLine: line) else {
                    throw MendError("clock.sources: chronyc printed a line mend cannot read: \(Value.quote(String(line)))", kind: .host)
                }
                return source
            }
        }
    }
}
