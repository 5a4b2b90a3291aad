import Glibc
import Testing
@testable import MendKit

@Suite struct HostTests {
    @Test func aHostIsLiveOrAnOfflineRoot() {
        #expect(MendKit.Host().isLive)
        #expect(!MendKit.Host(root: "/srv/image/").isLive)
        #expect(MendKit.Host(root: "/srv/image/").root == "/srv/image")
    }

    /// Tools with an offline form are driven through it under a root, and as they are on the live host.
    @Test func toolsTakeTheirOfflineFormUnderARoot() {
        let live = MendKit.Host(), image = MendKit.Host(root: "/srv/image")
        #expect(live.command(.systemctl, ["is-enabled", "node"]) == ["systemctl", "is-enabled", "node"])
        #expect(image.command(.systemctl, ["enable", "node"]) == ["systemctl", "--root=/srv/image", "enable", "node"])
        #expect(live.command(.firewallCmd, ["--list-ports"]) == ["firewall-cmd", "--list-ports"])
        #expect(image.command(.firewallCmd, ["--add-port=30303/tcp"])
                == ["firewall-offline-cmd", "--system-config", "/srv/image/etc/firewalld", "--add-port=30303/tcp"])
    }

    /// A host's commands go to its runner, with every part of the request.
    @Test func commandsGoToTheHostsRunner() throws {
        let runner = AnsweringRunner { request throws(ProcessError) in
            ProcessResult(status: 3, stdout: Array("out".utf8), stderr: Array("err".utf8))
        }
        let host = MendKit.Host(root: "/srv/image", processes: runner)
        let result = try host.run(["tool", "arg"], environment: ["A=1"], workingDirectory: "/tmp", stdin: [1, 2],
                                  timeout: 5_000_000_000, outputLimit: 10)
        #expect(result.status == 3 && result.stdout == Array("out".utf8) && result.stderr == Array("err".utf8))
        let request = try #require(runner.requests.first)
        #expect(request.argv == ["tool", "arg"] && request.environment == ["A=1"] && request.workingDirectory == "/tmp")
        #expect(request.stdin == [1, 2] && request.timeout == 5_000_000_000 && request.outputLimit == 10)
    }

    /// The calls namespaces make through the host answer for this process.
    @Test func systemCallsAnswerForThisProcess() throws {
        let host = MendKit.Host(root: "/nonexistent-mend-root")
        #expect(host.processID > 1)
        #expect(!host.kernelIdentity().release.isEmpty && !host.kernelIdentity().machine.isEmpty)
        #expect((host.onlineProcessorCount() ?? 0) >= 1)
        #expect(try host.availableBytes(onFileSystemOf: "/") > 0)
        #expect(throws: HostError.self) { _ = try host.availableBytes(onFileSystemOf: "/no/such/path/for/mend") }
        let limit = try host.resourceLimit(7)   // RLIMIT_NOFILE
        #expect(limit.soft <= limit.hard)
        let before = host.monotonicNanoseconds()
        host.sleep(nanoseconds: 2_000_000)
        #expect(host.monotonicNanoseconds() - before >= 2_000_000)
        #expect(host.wallClock() > 1.7e9 && host.utcTimestamp().hasSuffix("Z"))
        #expect(host.environmentValue("PATH") != nil && host.environmentValue("MEND_SURELY_UNSET_VARIABLE") == nil)
    }

    /// A C string ends at its first NUL byte, so a path holding one would reach the system cut short
    /// (`/etc/passwd\0.new` is `/etc/passwd`): every call that hands a path to the system refuses it.
    @Test func aPathWithANULByteIsRefusedByEveryFileCall() throws {
        try withScratch { dir in
            try dir.write("/etc/passwd", "root:x:0:0::/:/bin/sh\n")
            let host = MendKit.Host(root: dir.path)
            let cut = dir.at("/etc/passwd\0.new")
            let calls: [(String, () throws -> Void)] = [
                ("resolve", { _ = try host.resolve("/etc/passwd\0.new") }),
                ("info", { _ = try host.info(cut) }),
                ("read", { _ = try host.read(cut) }),
                ("writeAtomically", { try host.writeAtomically(cut, [0x78], mode: 0o644, uid: geteuid(), gid: getegid()) }),
                ("writeInPlace", { try host.writeInPlace(cut, [0x78]) }),
                ("remove", { try host.remove(cut) }),
                ("makeDirectory", { try host.makeDirectory(dir.at("/etc\0/sub")) }),
                ("removeDirectory", { try host.removeDirectory(dir.at("/etc\0")) }),
                ("availableBytes", { _ = try host.availableBytes(onFileSystemOf: cut) }),
            ]
            for (name, call) in calls {
                let error = #expect(throws: HostError.self, "\(name)") { try call() }
                #expect(error?.message == #"the path "/etc/passwd\0.new" contains a NUL byte (at byte 11), where the system would cut it short"#
                        || error?.message.hasPrefix("the path \"/etc\\0") == true, "\(name): \(String(describing: error))")
            }
            #expect(dir.read("/etc/passwd") == "root:x:0:0::/:/bin/sh\n", "the file the cut path names is untouched")
            #expect(host.entries(dir.at("/etc\0")) == nil)
            #expect(host.canonicalLocalPath(dir.at("/etc/passwd\0.new")) == nil)
            #expect(throws: HostError.self) { _ = try MendKit.Host(root: dir.path + "\0x").resolve("/etc/passwd") }
        }
    }

    /// A variable name with a NUL byte or `=` names no variable: getenv would read another one.
    @Test func anEnvironmentNameWithANULByteOrEqualsIsUnset() {
        let host = MendKit.Host()
        #expect(host.environmentValue("PATH") != nil)
        #expect(host.environmentValue("PATH\0ignored") == nil)
        #expect(host.environmentValue("PATH=") == nil)
    }

    /// Arguments, environment entries and the working directory of a command are C strings too:
    /// a request with a NUL byte in one never reaches a runner, and the system runner refuses it
    /// when called directly.
    @Test func aCommandWithANULByteIsRefusedBeforeItStarts() throws {
        let runner = AnsweringRunner { _ throws(ProcessError) in ProcessResult(status: 0) }
        let host = MendKit.Host(processes: runner)
        let requests: [(ProcessRequest, String)] = [
            (ProcessRequest(["echo", "a\0b"]), #"argument 2 "a\0b" contains a NUL byte (at byte 1), where the command would see it end"#),
            (ProcessRequest(["ec\0ho"]), #"argument 1 "ec\0ho" contains a NUL byte (at byte 2), where the command would see it end"#),
            (ProcessRequest(["env"], environment: ["A=1\0B=2"]),
             #"the environment entry "A=1\0B=2" contains a NUL byte (at byte 3), where the command would see it end"#),
            (ProcessRequest(["pwd"], workingDirectory: "/tmp\0/x"),
             #"the working directory "/tmp\0/x" contains a NUL byte (at byte 4), where the command would see it end"#),
        ]
        for (request, message) in requests {
            let error = #expect(throws: ProcessError.self) {
                try host.run(request.argv, environment: request.environment, workingDirectory: request.workingDirectory)
            }
            #expect(error?.message == message)
            #expect(throws: ProcessError.self) { try SystemProcessRunner().run(request, shouldStop: { false }) }
        }
        #expect(runner.requests.isEmpty, "the runner never saw them")
    }
}
