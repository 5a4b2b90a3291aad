/// A kind of host state that builtins change: how to read it and how to set it.
///
/// Modules never change the host themselves (the effect rule): a host-changing builtin reads
/// the current state, builds a ``Change`` from it and hands it to ``Effects/perform(_:)``. The
/// engine applies it (journal first) or plans it; undo writes the recorded before-state back,
/// which is why `write` must make the host match a state exactly, whatever it was.
public protocol Resource: Sendable {
    /// The change kind in reports and journals: `file`, `sysctl`.
    var kind: String { get }
    /// The current state of `target` on the host, as JSON that ``write(_:_:on:)`` accepts.
    func read(_ target: String, on host: Host) throws -> JSON
    /// Makes the host's state of `target` what `state` describes.
    func write(_ target: String, _ state: JSON, on host: Host) throws
    /// The value reports show for a state (the `before` and `after` of a change).
    func reportValue(_ state: JSON) -> JSON
    /// True when two states are the same for the host (undo skips a state already restored).
    func same(_ a: JSON, _ b: JSON) -> Bool
    /// True when a state's report value is text best shown as a unified diff (file contents).
    var showsDiff: Bool { get }
    /// In a plan, the state to plan from when reading `target` failed for want of privileges: as
    /// much as can be known, marked `"unknown": reason`; nil when nothing can be planned over it.
    func unknownState(_ target: String, reason: String, on host: Host) -> JSON?
}

extension Resource {
    public func unknownState(_ target: String, reason: String, on host: Host) -> JSON? { nil }
    public func reportValue(_ state: JSON) -> JSON { state }
    public func same(_ a: JSON, _ b: JSON) -> Bool { a == b }
    public var showsDiff: Bool { false }
}

/// One change of host state, as a builtin proposes it.
public struct Change {
    public let resource: any Resource
    public let target: String
    public let before: JSON
    public let after: JSON
    /// A short remark for reports: "created", "mode 0644 → 0600".
    public let note: String?

    public init(_ resource: any Resource, target: String, before: JSON, after: JSON, note: String? = nil) {
        self.resource = resource
        self.target = target
        self.before = before
        self.after = after
        self.note = note
    }
}

/// How builtins reach the host. Reads of changeable state go through ``state(of:_:)`` so that in a
/// plan they see the planned state; changes go through ``perform(_:)``.
public protocol Effects: AnyObject {
    var host: Host { get }
    /// True in a plan (`mend plan`, `--dry-run`, the REPL's `:dry on`).
    var isPlanning: Bool { get }
    /// The state of `target` as this run sees it: planned if a planned change set it, else the host's.
    func state(of resource: any Resource, _ target: String) throws -> JSON
    /// Applies the change (journalled first) or plans it. A change whose before and after are the
    /// same does nothing.
    func perform(_ change: Change) throws
    /// Runs a command whose effects mend cannot record (`run`, `sh`). Readonly commands always run;
    /// others are journalled as not undoable, and in a plan they do not run (the result is nil).
    func runCommand(_ text: String, readonly: Bool, _ body: () throws -> ProcessResult) throws -> ProcessResult?
}

/// The effects of an interpreter without an engine (`mend eval`, `mend check`): reads see the
/// host, changes are refused.
public final class ReadOnlyEffects: Effects {
    public let host: Host
    public var isPlanning: Bool { false }

    public init(host: Host = Host()) {
        self.host = host
    }

    public func state(of resource: any Resource, _ target: String) throws -> JSON {
        try resource.read(target, on: host)
    }

    public func perform(_ change: Change) throws {
        throw MendError("\(change.resource.kind) \(change.target): changes need `mend run` (with its journal and rollback) or the REPL")
    }

    public func runCommand(_ text: String, readonly: Bool, _ body: () throws -> ProcessResult) throws -> ProcessResult? {
        guard readonly else {
            throw MendError("\(text): a command that may change the host needs `mend run` (or readonly: true)")
        }
        return try body()
    }
}
