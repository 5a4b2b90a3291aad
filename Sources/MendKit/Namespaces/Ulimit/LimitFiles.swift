/// The text formats `ulimit` reads and edits: /proc/PID/limits, limits.conf lines and systemd
/// drop-ins. Pure functions over text, so the edits are tested without a host.
enum LimitFiles {
    /// The rows of /proc/PID/limits that name a known resource, in the file's order.
    static func parseProcLimits(_ text: String) -> [(UlimitKind, LimitPair)] {
        var rows: [(UlimitKind, LimitPair)] = []
        for line in text.split(separator: "\n") {
            // Labels contain spaces ("Max open files"), so match them by prefix, then read the columns.
            guard let kind = UlimitKind.all.first(where: { line.hasPrefix($0.label + " ") }) else { continue }
            let columns = line.dropFirst(kind.label.count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard columns.count >= 2, let soft = limit(columns[0]), let hard = limit(columns[1]) else { continue }
            rows.append((kind, LimitPair(soft: soft, hard: hard)))
        }
        return rows
    }

    private static func limit(_ word: Substring) -> LimitValue? {
        if word == "unlimited" { return .unlimited }
        return UInt64(word).map(LimitValue.finite)
    }

    /// The first line of a managed limits file mend creates.
    static let limitsHeader = "# Managed by mend (ulimit.persist): its lines are replaced in place."

    /// A limits.conf text with `DOMAIN TYPE ITEM VALUE` set for each (type, value): an existing line
    /// for the same domain, type and item is replaced where it stands (its comment kept), later
    /// duplicates are dropped, a missing line is appended. A `-` line (soft and hard at once) for
    /// the same domain and item is first split into its soft and hard lines. Other lines, malformed
    /// ones included, stay as they are.
    static func editLimits(_ text: String, domain: String, item: String, settings: [(type: String, value: String)]) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        if text.isEmpty { lines = [limitsHeader] }
        var k = 0
        while k < lines.count {
            let (fields, comment) = limitsFields(lines[k])
            if fields.count == 4, fields[0] == domain, fields[1] == "-", fields[2] == item {
                lines[k] = "\(domain) soft \(item) \(fields[3])" + comment
                lines.insert("\(domain) hard \(item) \(fields[3])", at: k + 1)
                k += 1
            }
            k += 1
        }
        for (type, value) in settings {
            let line = "\(domain) \(type) \(item) \(value)"
            let matches = lines.indices.filter {
                let fields = limitsFields(lines[$0]).fields
                return fields.count == 4 && fields[0] == domain && fields[1] == type && fields[2] == item
            }
            guard let first = matches.first else {
                lines.append(line)
                continue
            }
            lines[first] = line + limitsFields(lines[first]).comment
            for index in matches.dropFirst().reversed() { lines.remove(at: index) }
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// The words of a limits.conf line before any `#`, and that comment (with the space before it).
    private static func limitsFields(_ line: String) -> (fields: [Substring], comment: String) {
        let hash = line.firstIndex(of: "#") ?? line.endIndex
        let body = line[..<hash]
        let fields = body.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard hash < line.endIndex, !fields.isEmpty else { return (fields, "") }
        return (fields, " " + line[hash...])
    }

    /// A systemd drop-in text with `KEY=VALUE` in its [Service] section: the first assignment of
    /// the key there is replaced, later ones dropped; without one it goes after the section's last
    /// setting, and without a [Service] section one is appended. Other lines stay as they are.
    static func editDropIn(_ text: String, key: String, value: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let line = "\(key)=\(value)"
        var section = ""
        var assignments: [Int] = []
        var endOfService: Int?
        for (index, raw) in lines.enumerated() {
            let trimmed = raw.trimmingCharacters()
            if trimmed.hasPrefix("["), trimmed.hasSuffix("]") {
                section = String(trimmed.dropFirst().dropLast())
                if section == "Service" { endOfService = index }
                continue
            }
            guard section == "Service", !trimmed.isEmpty, !trimmed.hasPrefix("#"), !trimmed.hasPrefix(";") else { continue }
            endOfService = index
            if let eq = trimmed.firstIndex(of: "="), trimmed[..<eq].trimmingCharacters() == key { assignments.append(index) }
        }
        if let first = assignments.first {
            lines[first] = line
            for index in assignments.dropFirst().reversed() { lines.remove(at: index) }
        } else if let end = endOfService {
            lines.insert(line, at: end + 1)
        } else {
            if let last = lines.last, !last.trimmingCharacters().isEmpty { lines.append("") }
            lines += ["[Service]", line]
        }
        return lines.map { $0 + "\n" }.joined()
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String { String(self).trimmingCharacters() }
}
