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
            let path = temporaryFile(bytes)
            defer { unlink(path) }
            let output = try #require(run(["sha256sum", path]))
            #expect(SHA256.hex(bytes) == String(decoding: output.prefix(64), as: UTF8.self), "length \(count)")
        }
    }
}

/// Writes `bytes` to a new temporary file and returns its path.
private func temporaryFile(_ bytes: [UInt8]) -> String {
    var template = Array("/tmp/mend-sha-XXXXXX".utf8CString)
    let fd = mkstemp(&template)
    var done = 0
    while fd >= 0, done < bytes.count {
        let n = bytes[done...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        done += n
    }
    close(fd)
    return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Runs `argv` (found on PATH) in the C locale and returns its standard output, or nil if it
/// could not start.
private func run(_ argv: [String]) -> [UInt8]? {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { return nil }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    posix_spawn_file_actions_addclose(&actions, fds[1])
    let args = argv.map { strdup($0) } + [nil], env = [strdup("LC_ALL=C"), nil]
    defer { (args + env).forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawnp(&pid, argv[0], &actions, nil, args, env) == 0
    close(fds[1])
    var out: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 1 << 16)
    while spawned {
        let n = read(fds[0], &buffer, buffer.count)
        if n <= 0 { break }
        out += buffer[..<n]
    }
    close(fds[0])
    var status: Int32 = 0
    if spawned { waitpid(pid, &status, 0) }
    return spawned ? out : nil
}
