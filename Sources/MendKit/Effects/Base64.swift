/// Base64 (RFC 4648) for binary file contents in journals.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var k = 0
        while k < bytes.count {
            let b0 = Int(bytes[k]), b1 = k + 1 < bytes.count ? Int(bytes[k + 1]) : 0, b2 = k + 2 < bytes.count ? Int(bytes[k + 2]) : 0
            out.append(alphabet[b0 >> 2])
            out.append(alphabet[((b0 & 3) << 4) | (b1 >> 4)])
            out.append(k + 1 < bytes.count ? alphabet[((b1 & 15) << 2) | (b2 >> 6)] : UInt8(ascii: "="))
            out.append(k + 2 < bytes.count ? alphabet[b2 & 63] : UInt8(ascii: "="))
            k += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Nil when the text is not base64.
    static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        for c in text.utf8 where c != UInt8(ascii: "=") {
            guard let v = alphabet.firstIndex(of: c) else { return nil }
            values.append(UInt8(v))
        }
        var out: [UInt8] = []
        var k = 0
        while k + 1 < values.count {
            out.append(values[k] << 2 | values[k + 1] >> 4)
            if k + 2 < values.count { out.append(values[k + 1] << 4 | values[k + 2] >> 2) }
            if k + 3 < values.count { out.append(values[k + 2] << 6 | values[k + 3]) }
            k += 4
        }
        return out
    }
}
