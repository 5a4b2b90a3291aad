import Foundation
import Glibc
import Testing
@testable import MendKit

/// `file.elf` against the fixtures' static node binary, this machine's own dynamic binaries (checked
/// against objdump, which the Swift toolchain brings), and bytes that are not what it reads.
@Suite struct ElfFileTests {
    static let fixtureNode = FixtureRoot.hostsPath + "/ubuntu-22.04/usr/local/bin/node"

    @Test func aStaticBinaryNeedsNothing() throws {
        let elf = try ElfFile(Array(try Data(contentsOf: URL(fileURLWithPath: Self.fixtureNode))))
        #expect(elf.interpreter == nil && elf.needed.isEmpty && elf.versions.isEmpty && !elf.isDynamic)
    }

    @Test func aDynamicBinaryAgreesWithObjdump() throws {
        let binary = "/bin/ls"
        let elf = try ElfFile(Array(try Data(contentsOf: URL(fileURLWithPath: binary))))
        let objdump = try shell("objdump -p \(binary)")
        let needed = objdump.split(separator: "\n").filter { $0.contains("NEEDED") }.compactMap { $0.split(separator: " ").last.map(String.init) }
        #expect(elf.needed == needed, "\(objdump)")
        #expect(elf.interpreter == "/lib64/ld-linux-x86-64.so.2")
        // objdump's "Version References": "  required from libc.so.6:" then one line per version.
        var references: [String: [String]] = [:], library = ""
        for line in objdump.split(separator: "\n") {
            if line.hasPrefix("  required from ") { library = String(line.dropFirst(16).dropLast()) }
            else if line.hasPrefix("    0x"), let name = line.split(separator: " ").last { references[library, default: []].append(String(name)) }
        }
        #expect(!references.isEmpty, "\(objdump)")
        #expect(Dictionary(uniqueKeysWithValues: elf.versions.map { ($0.library, $0.names) }) == references)
    }

    @Test func otherBytesAreRefused() {
        #expect(throws: ElfFile.Refusal(reason: "not an ELF file")) { try ElfFile(Array("#!/bin/sh\nexit 0\n".utf8)) }
        var thirtyTwo = [UInt8](repeating: 0, count: 64)
        thirtyTwo[0...5] = [0x7f, 0x45, 0x4c, 0x46, 1, 1]
        #expect(throws: ElfFile.Refusal(reason: "not a 64-bit little-endian ELF file")) { try ElfFile(thirtyTwo) }
        // Headers that point past the end of the file: a refusal, never a crash.
        var cut = [UInt8](repeating: 0, count: 64)
        cut[0...5] = [0x7f, 0x45, 0x4c, 0x46, 2, 1]
        cut[32] = 0xff; cut[33] = 0xff; cut[56] = 1; cut[54] = 56
        #expect(throws: ElfFile.Refusal(reason: "truncated or corrupt ELF headers")) { try ElfFile(cut) }
    }

    @Test func theBuiltinReadsUnderTheRootAndNamesWhatItCannotRead() throws {
        try withScratch { root in
            try root.write("/usr/local/bin/node", bytes: Array(try Data(contentsOf: URL(fileURLWithPath: Self.fixtureNode))))
            try root.write("/etc/motd", "hello\n")
            var (report, output) = try run(#"print(file.elf("/usr/local/bin/node"))"#, in: root)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(output.out == "{static: true, interpreter: nil, needed: [], versions: {}}\n")
            (report, _) = try run(#"print(file.elf("/etc/motd"))"#, in: root)
            #expect(report.error?.message == "file.elf: /etc/motd: not an ELF file")
            (report, _) = try run(#"print(file.elf("/opt/none"))"#, in: root)
            #expect(report.error?.message == "file.elf: /opt/none does not exist")
        }
    }

    private func shell(_ command: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
