/// A kind of host state that builtins change: how to read it and how to set it.
///
/// Namespaces never change the host themselves (the effect rule): a host-changing builtin reads
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
    /// True when `now`, read back before an undo, is what the change with after-state `after`
    /// left (so undo may put the before-state back): by default ``same(_:_:)``. An action (a
    /// restart) reads back as the state it left, not as the action.
    func isLeftByChange(_ now: JSON, after: JSON) -> Bool
    /// True when a state's report value is text best shown as a unified diff (file contents).
    var showsDiff: Bool { get }
    /// In a plan, the state to plan from when reading `target` failed for want of privileges: as
    /// much as can be known, marked `"unknown": reason`; nil when nothing can be planned over it.
    func unknownState(_ target: String, reason: String, on host: Host) -> JSON?
    /// Runs once after an undo pass undid changes of this kind (a failed run's rollback, `mend
    /// rollback`, the REPL's `:undo`), for what must follow a batch of restores: systemd re-reads
    /// the unit files it was given back only after the last of them is in place.
    func finishUndo(on host: Host) throws
    /// True when a change of this kind is undone by ``finishUndo(on:)`` alone (a daemon-reload is
    /// undone by the reload after the pass): `mend rollback` reports it undone, not found as before.
    var undoneByFinishUndo: Bool { get }
}

extension Resource {
    public func unknownState(_ target: String, reason: String, on host: Host) -> JSON? { nil }
    public func finishUndo(on host: Host) throws {}
    public var undoneByFinishUndo: Bool { false }
    public func reportValue(_ state: JSON) -> JSON { state }
    public func same(_ a: JSON, _ b: JSON) -> Bool { a == b }
    public func isLeftByChange(_ now: JSON, after: JSON) -> Bool { same(now, after) }
    public var showsDiff: Bool { false }
}
