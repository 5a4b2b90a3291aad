import Glibc
import Testing
@testable import MendKit

/// The standard modules compiled into the binary must be exactly `stdlib/*.mend`
/// (regenerate with `scripts/gen-stdlib`), and each must compile and load.
@Suite struct StdlibTests {
    static let root: String = {
        var path = #filePath
        for _ in 0..<4 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
        return path
    }()

    static func read(_ path: String) -> String? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test(arguments: Stdlib.sources.keys.sorted())
    func embeddedSourceMatchesTheFile(name: String) throws {
        let file = try #require(Self.read("\(Self.root)/stdlib/\(name.dropFirst(4)).mend"), "stdlib file for \(name)")
        // The generator's multi-line literal drops the file's final newline.
        #expect(Stdlib.sources[name] == String(file.dropLast()))
    }

    @Test func everyFileIsEmbedded() throws {
        let listing = try #require(opendir("\(Self.root)/stdlib"))
        defer { closedir(listing) }
        var names: [String] = []
        while let entry = readdir(listing) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".mend") { names.append("std/" + name.dropLast(5)) }
        }
        #expect(names.sorted() == Stdlib.sources.keys.sorted())
    }

    @Test(arguments: Stdlib.sources.keys.sorted())
    func loads(name: String) throws {
        let value = try Interpreter().evaluate("import \"\(name)\" as m\nlen(keys(m)) > 0")
        guard case .bool(true) = value else { Issue.record("\(name) exports nothing"); return }
    }
}
