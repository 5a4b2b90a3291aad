/// The scalar categories regexes share: the ASCII classes (`\d \w \s`, POSIX `[:alpha:]`, the `\b`
/// word) and case folding for `(?i)`. ASCII like RE2: they are what runbooks match (config keys,
/// numbers, log words), and a byte test keeps the matcher fast.
enum RegexCase {
    static let digit: [ClosedRange<UInt32>] = [0x30...0x39]
    static let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
    /// `[\t\n\f\r ]`, as in RE2 (no vertical tab).
    static let space: [ClosedRange<UInt32>] = [0x09...0x0A, 0x0C...0x0D, 0x20...0x20]

    static let posix: [String: [ClosedRange<UInt32>]] = [
        "alnum": [0x30...0x39, 0x41...0x5A, 0x61...0x7A],
        "alpha": [0x41...0x5A, 0x61...0x7A],
        "ascii": [0x00...0x7F],
        "blank": [0x09...0x09, 0x20...0x20],
        "cntrl": [0x00...0x1F, 0x7F...0x7F],
        "digit": digit,
        "graph": [0x21...0x7E],
        "lower": [0x61...0x7A],
        "print": [0x20...0x7E],
        "punct": [0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E],
        "space": [0x09...0x0D, 0x20...0x20],
        "upper": [0x41...0x5A],
        "word": word,
        "xdigit": [0x30...0x39, 0x41...0x46, 0x61...0x66],
    ]

    static func isWord(_ c: UInt32) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || c == 0x5F
    }

    /// The scalars outside sorted, non-overlapping ranges.
    static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for r in ranges {
            if r.lowerBound > next { result.append(next...(r.lowerBound - 1)) }
            next = r.upperBound + 1
        }
        if next <= 0x10FFFF { result.append(next...0x10FFFF) }
        return result
    }

    /// The simple lower- and uppercase forms of a scalar (itself when it has none).
    static func cases(_ c: UInt32) -> (lower: UInt32, upper: UInt32) {
        if c < 0x80 {
            if c >= 0x41 && c <= 0x5A { return (c + 0x20, c) }
            if c >= 0x61 && c <= 0x7A { return (c, c - 0x20) }
            return (c, c)
        }
        guard let scalar = Unicode.Scalar(c) else { return (c, c) }
        return (single(scalar.properties.lowercaseMapping) ?? c, single(scalar.properties.uppercaseMapping) ?? c)
    }

    static func hasOtherCase(_ c: UInt32) -> Bool {
        let (lower, upper) = cases(c)
        return lower != c || upper != c
    }

    private static func single(_ mapping: String) -> UInt32? {
        let scalars = mapping.unicodeScalars
        return scalars.count == 1 ? scalars.first?.value : nil
    }
}
