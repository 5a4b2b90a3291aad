import Foundation
import Glibc
import Testing
@testable import MendKit

@Suite struct JSONAndBase64Tests {
    @Test func jsonRoundTrips() {
        let values: [JSON] = [
            .null, .bool(true), .int(-42), .int(Int.max), .double(1.5), .string(""),
            .string("quote \" backslash \\ newline \n tab \t cr \r nul \u{0} bell \u{7} é 😀 \u{2028}"),
            .array([]), .object([]),
            .object([("b", .int(1)), ("a", .array([.null, .object([("nested", .string("ü"))])]))]),
        ]
        for value in values {
            #expect(JSON.parse(value.text) == value, "\(value.text)")
            #expect(JSON.parse(value.prettyText) == value, "\(value.prettyText)")
            #expect(!value.text.contains("\n"), "one line: \(value.text)")
        }
    }

    @Test func jsonKeepsKeyOrder() {
        let json = JSON.object([("z", .int(1)), ("a", .int(2))])
        #expect(json.text == #"{"z":1,"a":2}"#)
        #expect(json != .object([("a", .int(2)), ("z", .int(1))]))
        #expect(json.prettyText == "{\n  \"z\": 1,\n  \"a\": 2\n}")
    }

    @Test func jsonUnicodeEscapes() {
        #expect(JSON.parse(#""\u00e9\u0041\n""#) == .string("éA\n"))
        #expect(JSON.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(JSON.parse(#""\uD83D\uDE00x""#) == .string("😀x"))
        #expect(JSON.parse(#""\/\b\f""#) == .string("/\u{8}\u{C}"))
        // A lone or reversed surrogate is not a character.
        #expect(JSON.parse(#""\ud83d""#) == nil)
        #expect(JSON.parse(#""\ud83dx""#) == nil)
        #expect(JSON.parse(#""\ude00""#) == nil)
        #expect(JSON.parse(#""\ude00\ud83d""#) == nil)
        #expect(JSON.parse(#""\u12""#) == nil)
        // Control characters are written as escapes.
        #expect(JSON.string("\u{1}\u{1F}").text == #""\u0001\u001f""#)
    }

    @Test func invalidJSONIsNil() {
        for text in ["", "{", "[1,]", "[1 2]", "{\"a\" 1}", "{\"a\":1,}", "tru", "nul", "1 2", "\"open", "[]]", "{1:2}"] {
            #expect(JSON.parse(text) == nil, "\(text)")
        }
        #expect(JSON.parse(String(repeating: "[", count: 600) + String(repeating: "]", count: 600)) == nil, "too deep")
        #expect(JSON.parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)) != nil)
    }

    @Test func jsonNumbers() {
        #expect(JSON.parse("-0") == .int(0))
        #expect(JSON.parse("1e3") == .double(1000))
        #expect(JSON.parse("2.5E-1") == .double(0.25))
        #expect(JSON.parse(" 7 ") == .int(7))
        #expect(JSON.double(.infinity).text == "null")
    }

    @Test func base64KnownAnswers() {
        // RFC 4648 §10.
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=",
                       "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
    }

    @Test func base64RoundTripsEveryByte() {
        let all = (0...255).map(UInt8.init)
        for n in 0...4 {
            let bytes = Array(all.dropFirst(n))
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        #expect(Base64.encode([0xFB, 0xFF]) == "+/8=")
        #expect(Base64.decode("Zm9v!") == nil)
        #expect(Base64.decode("Zm 9v") == nil)
    }
}
