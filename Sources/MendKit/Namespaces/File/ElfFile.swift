/// What a runbook asks of an executable's ELF headers — is it static, which loader and libraries
/// does it need, which symbol versions of them (`GLIBCXX_3.4.29`) — read from the file's bytes, so
/// the answer needs no binutils on the host (Alpine has none by default) and works under `--root`.
/// 64-bit little-endian files only (x86-64, arm64): what the node binaries are.
struct ElfFile {
    /// The program interpreter (PT_INTERP: "/lib64/ld-linux-x86-64.so.2"), nil for a static file.
    var interpreter: String?
    /// The shared libraries the dynamic section needs (DT_NEEDED), in its order.
    var needed: [String]
    /// The symbol versions needed from each library (.gnu.version_r): "libstdc++.so.6" → ["GLIBCXX_3.4.29", …].
    var versions: [(library: String, names: [String])]
    /// True for a file with a dynamic section (a dynamic executable or a shared library).
    var isDynamic: Bool

    /// Why bytes are not an ELF file this reader takes.
    struct Refusal: Error, Equatable {
        let reason: String
    }

    private static let loadInterpreter: UInt32 = 3, dynamicSegment: UInt32 = 2
    private static let dynamicSectionType: UInt32 = 6, versionNeeds: UInt32 = 0x6fff_fffe
    private static let neededTag: UInt64 = 1

    init(_ bytes: [UInt8]) throws(Refusal) {
        guard bytes.count >= 64, bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46 else {
            throw Refusal(reason: "not an ELF file")
        }
        guard bytes[4] == 2, bytes[5] == 1 else { throw Refusal(reason: "not a 64-bit little-endian ELF file") }
        let reader = Reader(bytes: bytes)
        let programHeaders = try reader.int(32, 8), programSize = try reader.int(54, 2), programCount = try reader.int(56, 2)
        let sectionHeaders = try reader.int(40, 8), sectionSize = try reader.int(58, 2), sectionCount = try reader.int(60, 2)

        interpreter = nil
        isDynamic = false
        for k in 0..<programCount {
            let header = programHeaders + k * programSize
            let type = UInt32(try reader.int(header, 4))
            if type == Self.dynamicSegment { isDynamic = true }
            if type == Self.loadInterpreter {
                interpreter = try reader.string(try reader.int(header + 8, 8), limit: try reader.int(header + 32, 8))
            }
        }

        // The dynamic section, its string table (the section its sh_link names) and the version needs.
        var dynamicSection: (offset: Int, size: Int, strings: Int)?
        var needs: (offset: Int, count: Int, strings: Int)?
        var sections: [(type: UInt32, offset: Int, size: Int, link: Int, info: Int)] = []
        for k in 0..<sectionCount {
            let header = sectionHeaders + k * sectionSize
            sections.append((UInt32(try reader.int(header + 4, 4)), try reader.int(header + 24, 8), try reader.int(header + 32, 8),
                             try reader.int(header + 40, 4), try reader.int(header + 44, 4)))
        }
        for section in sections {
            guard section.link < sections.count else { continue }
            let strings = sections[section.link].offset
            if section.type == Self.dynamicSectionType { dynamicSection = (section.offset, section.size, strings) }
            if section.type == Self.versionNeeds { needs = (section.offset, section.info, strings) }
        }

        needed = []
        if let dynamicSection {
            var entry = dynamicSection.offset
            while entry + 16 <= dynamicSection.offset + dynamicSection.size {
                let tag = UInt64(try reader.int(entry, 8))
                if tag == 0 { break }
                if tag == Self.neededTag {
                    needed.append(try reader.string(dynamicSection.strings + reader.int(entry + 8, 8)))
                }
                entry += 16
            }
        }

        versions = []
        if let needs {
            var need = needs.offset
            for _ in 0..<needs.count {
                let count = try reader.int(need + 2, 2)
                let library = try reader.string(needs.strings + reader.int(need + 4, 4))
                var names: [String] = []
                var aux = need + (try reader.int(need + 8, 4))
                for _ in 0..<count {
                    names.append(try reader.string(needs.strings + reader.int(aux + 8, 4)))
                    let next = try reader.int(aux + 12, 4)
                    if next == 0 { break }
                    aux += next
                }
                versions.append((library, names))
                let next = try reader.int(need + 12, 4)
                if next == 0 { break }
                need += next
            }
        }
    }

    /// Bounds-checked little-endian reads: a truncated or corrupt file is a refusal, never a crash.
    private struct Reader {
        let bytes: [UInt8]

        func int(_ offset: Int, _ width: Int) throws(Refusal) -> Int {
            guard offset >= 0, width <= 8, offset <= bytes.count - width else { throw Refusal(reason: "truncated or corrupt ELF headers") }
            var value: UInt64 = 0
            for k in (0..<width).reversed() { value = value << 8 | UInt64(bytes[offset + k]) }
            guard value <= UInt64(Int.max) else { throw Refusal(reason: "truncated or corrupt ELF headers") }
            return Int(value)
        }

        /// The NUL-terminated string at `offset` (at most `limit` bytes).
        func string(_ offset: Int, limit: Int = 4096) throws(Refusal) -> String {
            guard offset >= 0, offset < bytes.count else { throw Refusal(reason: "truncated or corrupt ELF headers") }
            let end = bytes[offset..<min(bytes.count, offset + limit)].firstIndex(of: 0) ?? min(bytes.count, offset + limit)
            return String(decoding: bytes[offset..<end], as: UTF8.self)
        }
    }
}
