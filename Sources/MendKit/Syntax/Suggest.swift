/// "Did you mean …?" for misspelled names.
public enum Suggest {
    /// The candidate closest to `name` by edit distance, if close enough to be a plausible typo.
    public static func closest(to name: String, in candidates: some Sequence<String>) -> String? {
        let target = Array(name.lowercased())
        let limit = max(1, min(3, target.count / 3 + 1))
        var best: String?
        var bestDistance = Int.max
        for candidate in candidates where candidate != name {
            let other = Array(candidate.lowercased())
            let d = distance(target, other)
            // A suggestion must keep something of the name: 'y' is no typo of 'f'.
            if d >= max(target.count, other.count) { continue }
            if d <= limit, d < bestDistance || (d == bestDistance && candidate < (best ?? candidate)) {
                best = candidate
                bestDistance = d
            }
        }
        return best
    }

    /// ` (did you mean 'x'?)` or an empty string.
    public static func hint(for name: String, in candidates: some Sequence<String>) -> String {
        closest(to: name, in: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// The hint for label-only parameters `labels`, given an extra positional `argument` (its
    /// source text or literal, shortened when long).
    public static func labelHint(labels: [String], forExtra argument: String) -> String {
        switch labels.count {
        case 0: return ""
        case 1:
            let shown = argument.count > 40 ? argument.prefix(40) + "…" : Substring(argument)
            return " (to give '\(labels[0])', label it: \(labels[0]): \(shown))"
        default: return " (the rest are given by label: \(labels.map { "\($0): …" }.joined(separator: ", ")))"
        }
    }

    /// Levenshtein distance.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
