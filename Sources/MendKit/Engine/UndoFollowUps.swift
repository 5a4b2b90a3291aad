/// The kinds of state an undo pass undid (written back, or found already restored), so each kind's ``Resource/finishUndo(on:)`` runs once
/// when the pass ends (in the order the kinds were first written).
struct UndoFollowUps {
    private var resources: [any Resource] = []
    private var kinds: Set<String> = []

    /// Notes that a change of `resource`'s kind was undone.
    mutating func undid(_ resource: any Resource) {
        if kinds.insert(resource.kind).inserted { resources.append(resource) }
    }

    /// Runs the follow-ups; returns the kinds whose follow-up failed, with the error.
    func finish(on host: Host) -> [(kind: String, error: any Error)] {
        var failures: [(kind: String, error: any Error)] = []
        for resource in resources {
            do { try resource.finishUndo(on: host) } catch { failures.append((resource.kind, error)) }
        }
        return failures
    }
}
