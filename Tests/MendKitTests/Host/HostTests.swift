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
}
