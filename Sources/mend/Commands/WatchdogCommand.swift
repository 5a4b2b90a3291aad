import ArgumentParser
import Glibc
import MendKit

/// `mend watchdog RUN-ID`: the process a `confirm` step arms before its first change (see
/// ``ConfirmWatchdog``). Not for operators to run: `mend run` starts it in a session of its own.
struct WatchdogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watchdog",
        abstract: "Roll back a run whose confirm step was not confirmed in time (started by mend run).",
        shouldDisplay: false
    )

    @Argument(help: ArgumentHelp("The run to watch.", valueName: "RUN-ID"))
    var runId: String

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("The run's state directory.", valueName: "DIR"))
    var stateDirectoryPath: String

    func run() throws {
        // No terminal, and nothing that ends mend's session may end this.
        signal(SIGHUP, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let directory = StateDirectory(path: stateDirectoryPath)
        let logPath = stateDirectoryPath + "/watchdog.log"
        func log(_ text: String) {
            let fd = open(logPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return }
            defer { close(fd) }
            let line = Array("[\(Host.local.utcTimestamp())] \(text)\n".utf8)
            _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }
        switch ConfirmWatchdog.watch(runId: runId, directory: directory, registry: .standard(), log: log) {
        case .disarmed: return
        case .rolledBack: log("run \(runId): rolled back")
        case .rollbackIncomplete(let why):
            log("run \(runId): rollback incomplete: \(why)")
            throw ExitCode(ExitStatus.rollbackIncomplete)
        }
    }

    /// The argv that starts the watchdog: this executable's path (`/proc/self/exe`) and the subcommand.
    static var command: [String]? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return [String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self), "watchdog"]
    }
}
