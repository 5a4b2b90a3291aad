import Foundation
import Glibc
import Testing
@testable import MendKit

/// An owner other than this process's when the tests run as root (so keeping it proves
/// something); this process's own otherwise, since only root may give files away.
private let foreignOwner: (uid: UInt32, gid: UInt32) = geteuid() == 0 ? (1234, 5678) : (geteuid(), getegid())

@Suite struct FileResourceTests {
    private let resource = FileResource()

    @Test func textRoundTripKeepsModeAndOwner() throws {
        try withScratch { dir in
            let host = MendKit.Host(root: dir.path)
            try FileManager.default.createDirectory(atPath: dir.at("/etc"), withIntermediateDirectories: true)
            let state = FileResource.State(exists: true, mode: 0o2750, uid: foreignOwner.uid, gid: foreignOwner.gid,
                                           content: Array("hello\nwörld\n".utf8))
            try resource.write("/etc/x.conf", state.json, on: host)
            let json = try resource.read("/etc/x.conf", on: host)
            #expect(json == state.json)
            #expect(json["text"] == .string("hello\nwörld\n") && json["base64"] == nil)
            let info = try #require(dir.info("/etc/x.conf"))
            #expect(info.st_mode & 0o7777 == 0o2750)
            #expect(info.st_uid == foreignOwner.uid && info.st_gid == foreignOwner.gid)
            // No temporary file is left beside it.
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.at("/etc")) == ["x.conf"])
        }
    }

    @Test func binaryContentIsBase64() throws {
        try withScratch { dir in
            let host = MendKit.Host(root: dir.path)
            let bytes: [UInt8] = [0x00, 0xFF, 0xFE, 0x80, 0x0A]
            let state = FileResource.State(exists: true, mode: 0o600, uid: geteuid(), gid: getegid(), content: bytes)
            try resource.write("/blob", state.json, on: host)
            #expect(dir.bytes("/blob") == bytes)
            let json = try resource.read("/blob", on: host)
            #expect(json["base64"] == .string("AP/+gAo=") && json["text"] == nil)
            #expect(FileResource.State(json)?.content == bytes)
            #expect(resource.reportValue(json) == .object([("sha256", .string(SHA256.hex(bytes))), ("bytes", .int(5))]))
        }
    }

    @Test func anEmptyFileIsNotAMissingOne() throws {
        try withScratch { dir in
            let host = MendKit.Host(root: dir.path)
            let empty = FileResource.State(exists: true, mode: 0o644, uid: geteuid(), gid: getegid())
            try resource.write("/empty", empty.json, on: host)
            #expect(dir.bytes("/empty") == [])
            let json = try resource.read("/empty", on: host)
            #expect(json == empty.json && json["text"] == .string(""))
            #expect(resource.reportValue(json) == .string(""))
            #expect(!resource.same(json, FileResource.State(exists: false).json))
            #expect(resource.reportValue(FileResource.State(exists: false).json) == .null)
        }
    }

    @Test func largeContentIsReportedByDigest() throws {
        let big = Array(repeating: UInt8(ascii: "a"), count: FileResource.reportLimit + 1)
        let json = FileResource.State(exists: true, content: big).json
        #expect(resource.reportValue(json) == .object([("sha256", .string(SHA256.hex(big))), ("bytes", .int(big.count))]))
        let limit = Array(repeating: UInt8(ascii: "a"), count: FileResource.reportLimit)
        #expect(resource.reportValue(FileResource.State(exists: true, content: limit).json) == .string(String(repeating: "a", count: limit.count)))
    }

    @Test func missingDirectoriesAreMadeAndRemovedAgain() throws {
        try withScratch { dir in
            let host = MendKit.Host(root: dir.path)
            let before = try resource.read("/a/b/c.txt", on: host)
            #expect(before == .object([("exists", .bool(false)), ("missing_dirs", .array([.string("/a"), .string("/a/b")]))]))
            let after = FileResource.State(exists: true, uid: geteuid(), gid: getegid(), content: Array("x".utf8)).json
            try resource.write("/a/b/c.txt", after, on: host)
            #expect(dir.read("/a/b/c.txt") == "x")
            #expect(resource.same(try resource.read("/a/b/c.txt", on: host), after))
            try resource.write("/a/b/c.txt", before, on: host)
            #expect(!dir.exists("/a"))
            #expect(dir.exists("/"))

            // A write killed after making the directories, before the file: not yet the before-state,
            // and writing the before-state removes them.
            try FileManager.default.createDirectory(atPath: dir.at("/a/b"), withIntermediateDirectories: true)
            let killed = try resource.read("/a/b/c.txt", on: host)
            #expect(!resource.same(killed, before) && !resource.same(before, killed))
            #expect(resource.same(killed, FileResource.State(exists: false).json))
            try resource.write("/a/b/c.txt", before, on: host)
            #expect(!dir.exists("/a"))
            #expect(resource.same(try resource.read("/a/b/c.txt", on: host), before))

            // A directory that gained other files meanwhile stays.
            try resource.write("/a/b/c.txt", after, on: host)
            try dir.write("/a/other", "keep")
            try resource.write("/a/b/c.txt", before, on: host)
            #expect(!dir.exists("/a/b") && dir.read("/a/other") == "keep")
        }
    }

    @Test func aDirectoryIsNotAFile() throws {
        try withScratch { dir in
            try FileManager.default.createDirectory(atPath: dir.at("/etc"), withIntermediateDirectories: true)
            #expect(throws: HostError.self) { _ = try resource.read("/etc", on: MendKit.Host(root: dir.path)) }
            #expect(FileResource.State(.object([("exists", .bool(true))])) == nil, "a damaged state")
        }
    }

    // MARK: paths under the root

    @Test func pathsCannotLeaveTheRoot() throws {
        try withScratch { dir in
            let host = MendKit.Host(root: dir.path)
            #expect(try host.resolve("/../../etc/passwd") == dir.path + "/etc/passwd")
            #expect(try host.resolve("/a/./b/../c") == dir.path + "/a/c")
            #expect(try host.resolve("/") == dir.path)
            #expect(throws: HostError.self) { _ = try host.resolve("etc/passwd") }
            // A relative link climbing out and an absolute one both stay inside.
            try dir.link("/etc/up", to: "../../../../../../../etc/hostname")
            try dir.link("/etc/abs", to: "/etc/hostname")
            #expect(try host.resolve("/etc/up") == dir.path + "/etc/hostname")
            #expect(try host.resolve("/etc/abs") == dir.path + "/etc/hostname")
            try dir.link("/loop", to: "/loop")
            #expect(throws: HostError.self) { _ = try host.resolve("/loop/x") }

            try dir.write("/etc/hostname", "fixture\n")
            let (report, output) = try run("""
                print(file.read("/../../../etc/hostname"))
                print(file.read("/etc/up"))
                print(file.exists("/../../../etc/passwd"))
                """, in: dir)
            #expect(report.exitCode == 0)
            #expect(output.out == "fixture\n\nfixture\n\nfalse\n")
        }
    }

    @Test func writesThroughALinkKeepTheLink() throws {
        try withScratch { dir in
            try dir.write("/srv/app.conf", "old\n", mode: 0o640)
            try dir.link("/etc/app.conf", to: "../srv/app.conf")
            // An absolute target resolves under the root; the same path on the live system must stay untouched.
            let escape = "/tmp/mend-unit-escape-\(UInt32.random(in: 0...UInt32.max)).conf"
            try FileManager.default.createDirectory(atPath: dir.at("/tmp"), withIntermediateDirectories: true)
            try dir.link("/etc/abs.conf", to: escape)
            defer { unlink(escape) }
            let (report, _) = try run("""
                step "write" {
                  file.write("/etc/app.conf", "new\\n")
                  file.write("/etc/abs.conf", "inside\\n")
                }
                """, in: dir)
            #expect(report.status == .changed)
            #expect(dir.info("/etc/app.conf").map { $0.st_mode & S_IFMT } == S_IFLNK)
            #expect(dir.info("/etc/abs.conf").map { $0.st_mode & S_IFMT } == S_IFLNK)
            #expect(dir.read("/srv/app.conf") == "new\n")
            #expect(dir.info("/srv/app.conf").map { $0.st_mode & 0o7777 } == 0o640)
            #expect(dir.read(escape) == "inside\n")
            #expect(access(escape, F_OK) != 0, "nothing written outside the root")

            // Undo writes through the link too.
            let (failed, _) = try run("""
                step "write" {
                  file.write("/etc/app.conf", "newer\\n")
                  fail("stop")
                }
                """, in: dir)
            #expect(failed.status == .rolledBack)
            #expect(dir.read("/srv/app.conf") == "new\n")
            #expect(dir.info("/etc/app.conf").map { $0.st_mode & S_IFMT } == S_IFLNK)
        }
    }
}

@Suite struct FileNamespaceTests {
    // MARK: file.write

    @Test func aNewFileGets0644AndThisProcesssOwner() throws {
        try withScratch { dir in
            let (report, output) = try run("""
                step "write" { print(file.write("/etc/new.conf", "x\\n")) }
                step "again" { print(file.write("/etc/new.conf", "x\\n")) }
                """, in: dir)
            #expect(output.out == "true\nfalse\n")
            #expect(report.steps.map(\.status) == [.changed, .ok])
            let info = try #require(dir.info("/etc/new.conf"))
            #expect(info.st_mode & 0o7777 == 0o644)
            #expect(info.st_uid == geteuid() && info.st_gid == getegid())
        }
    }

    @Test func anExistingFileKeepsItsModeAndOwner() throws {
        try withScratch { dir in
            try dir.write("/etc/secret.conf", "old\n", mode: 0o600)
            chown(dir.at("/etc/secret.conf"), foreignOwner.uid, foreignOwner.gid)
            let (report, _) = try run(#"step "write" { file.write("/etc/secret.conf", "new\n") }"#, in: dir)
            #expect(report.steps.first?.changes.first?.note == "content changed")
            let info = try #require(dir.info("/etc/secret.conf"))
            #expect(dir.read("/etc/secret.conf") == "new\n")
            #expect(info.st_mode & 0o7777 == 0o600)
            #expect(info.st_uid == foreignOwner.uid && info.st_gid == foreignOwner.gid)
        }
    }

    @Test func modeAsIntOrOctalString() throws {
        try withScratch { dir in
            try dir.write("/same", "x\n", mode: 0o644)
            let (report, _) = try run("""
                step "int" { file.write("/a", "x\\n", mode: 0o640) }
                step "string" { file.write("/b", "x\\n", mode: "0640") }
                step "mode only" { file.write("/same", "x\\n", mode: "600") }
                """, in: dir)
            #expect(report.status == .changed)
            #expect(dir.info("/a").map { $0.st_mode & 0o7777 } == 0o640)
            #expect(dir.info("/b").map { $0.st_mode & 0o7777 } == 0o640)
            #expect(dir.info("/same").map { $0.st_mode & 0o7777 } == 0o600)
            #expect(report.step("mode only")?.changes.first?.note == "mode 0644 → 0600")
            #expect(report.step("int")?.changes.first?.note == "created (mode 0640)")
        }
    }

    @Test(arguments: [
        ("0o10000", "file.write: mode must be between 0 and 0o7777, got 4096"),
        ("-1", "file.write: mode must be between 0 and 0o7777, got -1"),
        ("\"0999\"", "file.write: mode must be between 0 and 0o7777, got \"0999\""),
        ("\"rw-r--r--\"", "file.write: mode must be between 0 and 0o7777, got \"rw-r--r--\""),
        ("true", "file.write: 'mode' must be an int such as 0o644 or a string such as \"0644\", got bool"),
    ])
    func badModesAreErrors(mode: String, message: String) throws {
        try withScratch { dir in
            let (report, _) = try run(#"step "bad" { file.write("/a", "x\n", mode: \#(mode)) }"#, in: dir)
            #expect(report.status == .failed && report.exitCode == 1)
            #expect(failure(report) == message)
            #expect(!dir.exists("/a"))
        }
    }

    @Test func ownerNamesComeFromTheRootsTables() throws {
        try withScratch { dir in
            let (uid, gid) = foreignOwner
            try dir.write("/etc/passwd", "deploy:x:\(uid):\(gid)::/home/deploy:/bin/sh\n")
            try dir.write("/etc/group", "ops:x:\(gid):\nempty::\n")
            let (report, _) = try run("""
                step "both" { file.write("/srv/both", "x\\n", owner: "deploy:ops") }
                step "user" { file.write("/srv/user", "x\\n", owner: "deploy") }
                step "group" { file.write("/srv/group", "x\\n", owner: ":ops") }
                step "numeric" { file.write("/srv/numeric", "x\\n", owner: "\(uid):\(gid)") }
                """, in: dir)
            #expect(report.status == .changed, "\(failure(report) ?? "")")
            for name in ["both", "numeric"] {
                let info = try #require(dir.info("/srv/\(name)"))
                #expect(info.st_uid == uid && info.st_gid == gid, "\(name)")
            }
            // A name alone sets the user; ":group" the group; the other stays as it was (new: this process's).
            let user = try #require(dir.info("/srv/user"))
            #expect(user.st_uid == uid && user.st_gid == getegid())
            let group = try #require(dir.info("/srv/group"))
            #expect(group.st_uid == geteuid() && group.st_gid == gid)
        }
    }

    @Test(arguments: [
        ("root", "no user named 'root' in /etc/passwd"),
        ("deploy:wheel", "no group named 'wheel' in /etc/group"),
        ("ghost:ops", "no user named 'ghost' in /etc/passwd"),
    ])
    func unknownOwnersAreErrors(owner: String, message: String) throws {
        try withScratch { dir in
            // The live system has a root user; the fixture's table does not, so that must fail.
            try dir.write("/etc/passwd", "deploy:x:\(foreignOwner.uid):\(foreignOwner.gid)::/:/bin/sh\n")
            try dir.write("/etc/group", "ops:x:\(foreignOwner.gid):\n")
            let (report, _) = try run(#"step "owner" { file.write("/a", "x\n", owner: "\#(owner)") }"#, in: dir)
            #expect(failure(report) == message)
            #expect(!dir.exists("/a"))
        }
    }

    @Test func anEmptyOwnerIsATypeError() throws {
        try withScratch { dir in
            let (report, _) = try run(#"step "owner" { file.write("/a", "x\n", owner: "") }"#, in: dir)
            #expect(failure(report) == "file.write: 'owner' must be a string such as \"root\" or \"node:node\", got string")
        }
    }

    @Test func undoOfAWriteRestoresContentModeAndOwner() throws {
        try withScratch { dir in
            try dir.write("/etc/app.conf", "old\n", mode: 0o600)
            chown(dir.at("/etc/app.conf"), foreignOwner.uid, foreignOwner.gid)
            let (report, _) = try run("""
                step "write" {
                  file.write("/etc/app.conf", "new\\n", mode: 0o644, owner: "\(geteuid()):\(getegid())")
                  file.write("/etc/created/deep.conf", "x\\n")
                  fail("stop")
                }
                """, in: dir)
            #expect(report.status == .rolledBack)
            let info = try #require(dir.info("/etc/app.conf"))
            #expect(dir.read("/etc/app.conf") == "old\n")
            #expect(info.st_mode & 0o7777 == 0o600)
            #expect(info.st_uid == foreignOwner.uid && info.st_gid == foreignOwner.gid)
            #expect(!dir.exists("/etc/created"))
        }
    }

    // MARK: file.line

    @Test(arguments: [
        // (before, line, match, after, returned)
        ("a\nb\n", "c", nil, "a\nb\nc\n", true),
        ("a\nb", "c", nil, "a\nb\nc\n", true),
        ("a\nb\n", "b", nil, "a\nb\n", false),
        ("a\nb", "b", nil, "a\nb", false),
        ("", "first", nil, "first\n", true),
        ("x=1\ny=2\nx=3\n", "x=9", "^x=", "x=1\ny=2\nx=9\n", true),
        ("x=1\ny=2\n", "z=1", "^z=", "x=1\ny=2\nz=1\n", true),
        ("x=1\ny=2", "y=2", "^y=", "x=1\ny=2", false),
        ("#vm.swappiness=60\n", "vm.swappiness=10", "^#?vm\\.swappiness", "vm.swappiness=10\n", true),
    ] as [(String, String, String?, String, Bool)])
    func lineCases(before: String, line: String, match: String?, after: String, returned: Bool) throws {
        try withScratch { dir in
            try dir.write("/etc/f", before)
            let matchArgument = match.map { ", match: \(Value.string($0).literal)" } ?? ""
            let (report, output) = try run("""
                step "line" { print(file.line("/etc/f", \(Value.string(line).literal)\(matchArgument))) }
                """, in: dir)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            #expect(output.out == "\(returned)\n")
            #expect(dir.read("/etc/f") == after)
            #expect(report.steps.first?.status == (returned ? .changed : .ok))
        }
    }

    @Test func lineIsIdempotent() throws {
        try withScratch { dir in
            try dir.write("/etc/f", "a\n")
            let source = #"step "line" { print(file.line("/etc/f", "vm.swappiness=10", match: "^vm\\.swappiness")) }"#
            let (first, out1) = try run(source, in: dir)
            let (second, out2) = try run(source, in: dir)
            #expect(out1.out == "true\n" && out2.out == "false\n")
            #expect(first.steps.first?.status == .changed && second.steps.first?.status == .ok)
            #expect(dir.read("/etc/f") == "a\nvm.swappiness=10\n")
        }
    }

    @Test func lineCreatesAMissingFile() throws {
        try withScratch { dir in
            let (report, output) = try run(#"step "line" { print(file.line("/etc/sysctl.d/90-mend.conf", "vm.swappiness=10")) }"#, in: dir)
            #expect(output.out == "true\n")
            #expect(report.steps.first?.changes.first?.note == "created (mode 0644)")
            #expect(dir.read("/etc/sysctl.d/90-mend.conf") == "vm.swappiness=10\n")
            #expect(dir.info("/etc/sysctl.d/90-mend.conf").map { $0.st_mode & 0o7777 } == 0o644)
        }
    }

    @Test func lineErrors() throws {
        try withScratch { dir in
            try dir.write("/etc/f", "a\n")
            try dir.write("/bin.dat", bytes: [0xFF, 0xFE])
            let (badRegex, _) = try run(#"step "l" { file.line("/etc/f", "x", match: "([") }"#, in: dir)
            #expect(failure(badRegex)?.hasPrefix(#"file.line: invalid regex "([""#) == true)
            let (twoLines, _) = try run(#"step "l" { file.line("/etc/f", "a\nb") }"#, in: dir)
            #expect(failure(twoLines) == #"file.line: 'line' must be one line, without \n"#)
            let (binary, _) = try run(#"step "l" { file.line("/bin.dat", "x") }"#, in: dir)
            #expect(failure(binary) == "file.line: /bin.dat is not UTF-8 text")
            #expect(dir.read("/etc/f") == "a\n")
        }
    }

    // MARK: file.remove and file.read

    @Test func removeReportsWhetherThereWasAFile() throws {
        try withScratch { dir in
            try dir.write("/etc/old.conf", "old\n", mode: 0o600)
            let (report, output) = try run("""
                step "missing" { print(file.remove("/etc/missing.conf")) }
                step "present" { print(file.remove("/etc/old.conf")) }
                """, in: dir)
            #expect(output.out == "false\ntrue\n")
            #expect(report.steps.map(\.status) == [.ok, .changed])
            #expect(!dir.exists("/etc/old.conf"))
            let change = try #require(report.step("present")?.changes.first)
            #expect(change.note == "removed" && change.after == .null && change.before == .string("old\n"))

            // Undo puts it back as it was.
            try dir.write("/etc/old.conf", "old\n", mode: 0o600)
            let (failed, _) = try run("""
                step "remove" {
                  file.remove("/etc/old.conf")
                  fail("stop")
                }
                """, in: dir)
            #expect(failed.status == .rolledBack)
            #expect(dir.read("/etc/old.conf") == "old\n")
            #expect(dir.info("/etc/old.conf").map { $0.st_mode & 0o7777 } == 0o600)
        }
    }

    @Test func readErrors() throws {
        try withScratch { dir in
            try dir.write("/bin.dat", bytes: [0x68, 0x69, 0xFF])
            try dir.write("/ok", "fine\n")
            let (missing, _) = try run(#"print(file.read("/nope"))"#, in: dir)
            #expect(failure(missing) == "file.read: /nope does not exist")
            let (binary, _) = try run(#"print(file.read("/bin.dat"))"#, in: dir)
            #expect(failure(binary) == "file.read: /bin.dat is not UTF-8 text")
            let (fine, output) = try run(#"print(file.read("/ok") + str(file.exists("/ok")) + str(file.exists("/nope")))"#, in: dir)
            #expect(fine.exitCode == 0 && output.out == "fine\ntruefalse\n")
        }
    }

    /// A C string ends at its first NUL byte: `/etc/passwd\0.new` would reach the system as
    /// `/etc/passwd`. Every file builtin refuses such a path, naming its argument; content may
    /// hold NUL bytes and newlines.
    @Test(arguments: [
        #"file.read("/etc/passwd\u{0}.new")"#, #"file.exists("/etc/passwd\u{0}.new")"#,
        #"file.write("/etc/passwd\u{0}.new", "x")"#, #"file.line("/etc/passwd\u{0}.new", "x")"#,
        #"file.remove("/etc/passwd\u{0}.new")"#,
    ])
    func aPathWithANULByteIsAnErrorNamingTheArgument(call: String) throws {
        try withScratch { dir in
            try dir.write("/etc/passwd", "root:x:0:0::/:/bin/sh\n")
            let (report, _) = try run("step \"s\" { print(\(call)) }", in: dir)
            let builtin = String(call.prefix { $0 != "(" })
            #expect(failure(report) == #"\#(builtin): 'path' contains a NUL byte (\0 at offset 11)"#)
            #expect(report.exitCode == 1)
            #expect(dir.read("/etc/passwd") == "root:x:0:0::/:/bin/sh\n")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.at("/etc")) == ["passwd"])
        }
    }

    @Test func contentMayHoldNULBytesAndNewlines() throws {
        try withScratch { dir in
            let (report, _) = try run(#"step "s" { file.write("/etc/blob", "a\u{0}b\nc") }"#, in: dir)
            #expect(report.status == .changed, "\(failure(report) ?? "")")
            #expect(dir.bytes("/etc/blob") == [0x61, 0x00, 0x62, 0x0A, 0x63])
        }
    }

    @Test func hostChangesOutsideAStepAreErrors() throws {
        try withScratch { dir in
            // Through a function value, so the compiler cannot see it; the runtime refuses.
            let (report, _) = try run("""
                fn apply(f) { f() }
                apply(fn() => file.write("/a", "x\\n"))
                """, in: dir)
            #expect(failure(report)?.contains("changes the host: call it inside a step") == true)
            #expect(!dir.exists("/a"))
        }
    }
}
