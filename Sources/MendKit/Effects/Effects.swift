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
    /// In a plan, records what a run would find at this point without a change of its own (a wait
    /// after a planned start assumes the state it waits for), so later reads plan from it. A run
    /// reads the host and ignores it.
    func assume(_ resource: any Resource, _ target: String, _ state: JSON)
    /// Runs a command whose effects mend cannot record (`run`, `sh`). Readonly commands always run;
    /// others are journalled as not undoable, and in a plan they do not run (the result is nil).
    func runCommand(_ text: String, readonly: Bool, _ body: () throws -> ProcessResult) throws -> ProcessResult?
}
