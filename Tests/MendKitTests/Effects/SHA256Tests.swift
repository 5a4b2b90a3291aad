import Glibc
import Testing

@testable import MendKit

@Suite struct SHA256Tests {
    @Test func knownVectors() {
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc".utf8) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            SHA256.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every length 0…300 crosses the one- and two-block padding cases; sha256sum is the reference.
    @Test func randomLengthsMatchSha256sum() throws {
        var seed: UInt64 = 0x1234_5678
        for count in 0...300 {
            let bytes = (0..<count).map { _ in
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: seed >> 56)
            }
            let path = ReferenceTool.temporaryFile(bytes)
            defer { unlink(path) }
            let output = try #require(ReferenceTool.output(["sha256sum", path]))
            #expect(SHA256.hex(bytes) == String(decoding: output.prefix(64), as: UTF8.self), "length \(count)")
        }
    }
}
