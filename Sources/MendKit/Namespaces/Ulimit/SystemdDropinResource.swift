import Glibc

/// A systemd drop-in file (kind `systemd.dropin`, target its path): a file as ``FileResource``
/// reads and writes it, followed by `systemctl daemon-reload` so systemd sees the new content —
/// on undo too, which is why the reload is part of the write and not a change of its own.
///
/// The reload runs only where it means something: on the live host (not under `--root`, whose
/// systemd is not this one) while systemd runs (/run/systemd/system exists, as `sd_booted` tests).
public struct SystemdDropinResource: Resource {
    public var kind: String { "systemd.dropin" }
    private let file = FileResource()

    public init() {}

    public func read(_ target: String, on host: Host) throws -> JSON {
        try file.read(target, on: host)
    }

    public func write(_ target: String, _ state: JSON, on host: Host) throws {
        try file.write(target, state, on: host)
        if SystemdDropinResource.reloads(on: host) { try SystemdDropinResource.daemonReload(on: host) }
    }

    public func reportValue(_ state: JSON) -> JSON { file.reportValue(state) }
    public func same(_ a: JSON, _ b: JSON) -> Bool { file.same(a, b) }
    public var showsDiff: Bool { true }

    /// True when a write is followed by `systemctl daemon-reload`.
    public static func reloads(on host: Host) -> Bool {
        host.isLive && systemdRuns(on: host)
    }

    /// systemd is the running init: /run/systemd/system is a directory.
    static func systemdRuns(on host: Host) -> Bool {
        guard let path = try? host.resolve("/run/systemd/system"), let info = try? host.info(path) else { return false }
        return info.isDirectory
    }

    /// What a change of a drop-in says about the reload, for the plan and the report.
    static func reloadNote(on host: Host) -> String {
        if !host.isLive { return "daemon-reload left to the host (--root)" }
        return systemdRuns(on: host) ? "then systemctl daemon-reload" : "systemd is not running: no daemon-reload"
    }

    /// Runs `systemctl daemon-reload`; an error when it fails.
    static func daemonReload(on host: Host) throws {
        guard host.effectiveUserID == 0 else {
            throw HostError("cannot run systemctl daemon-reload: reloading systemd's unit files needs root", code: EPERM)
        }
        let result: ProcessResult
        do {
            result = try host.run(host.command(.systemctl, ["daemon-reload"]), timeout: 120_000_000_000)
        } catch {
            throw HostError("systemctl daemon-reload: \(error.message)")
        }
        guard result.status == 0, !result.timedOut else {
            let detail = String(decoding: result.stderr, as: UTF8.self).trimmingCharacters()
            throw HostError("systemctl daemon-reload failed (status \(result.status))" + (detail.isEmpty ? "" : ": \(detail)"))
        }
    }
}
