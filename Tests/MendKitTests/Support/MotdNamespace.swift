@testable import MendKit

// The worked example of docs/architecture.md ("Adding a namespace"), compiled and tested here so
// the page never shows code that does not build. Keep the two the same.

/// `motd`: the message of the day in /etc/motd, read and set undoably.
enum MotdNamespace {
    static let resource = MotdResource()

    static let table = NamespaceTable("motd", doc: "The message of the day: get, set.", resources: [resource], [
        .function("get", doc: """
            The message of the day: the text of /etc/motd, "" when there is none.
            In a plan it is the planned text.
            """, example: #"motd.get()"#, body: get),
        .function("set", [Builtin.Param("text", completes: .words(["Managed by mend", "Welcome"]))],
                  changesHost: true, doc: """
            Makes /etc/motd hold exactly this text; returns true when it had to change.
            Undo puts the old text back, or removes the file when there was none.
            """, example: """
            step "motd" {
              motd.set("Managed by mend\\n")
            }
            """, body: set),
    ])

    static func get(_ args: inout Arguments) throws -> Value {
        .string(try args.context.effects.state(of: resource, MotdResource.path).string ?? "")
    }

    static func set(_ args: inout Arguments) throws -> Value {
        let effects = args.context.effects
        let before = try effects.state(of: resource, MotdResource.path)
        let after = JSON.string(try args.string(0))
        guard !resource.same(before, after) else { return .bool(false) }
        try effects.perform(Change(resource, target: MotdResource.path, before: before, after: after))
        return .bool(true)
    }
}

/// /etc/motd as a state: its text, or null when there is no file.
struct MotdResource: Resource {
    static let path = "/etc/motd"
    var kind: String { "motd" }

    func read(_ target: String, on host: Host) throws -> JSON {
        guard let bytes = try host.read(host.resolve(target)) else { return .null }
        return .string(String(decoding: bytes, as: UTF8.self))
    }

    func write(_ target: String, _ state: JSON, on host: Host) throws {
        let resolved = try host.resolve(target)
        guard let text = state.string else { return try host.remove(resolved) }
        try host.writeAtomically(resolved, Array(text.utf8), mode: 0o644, uid: host.effectiveUserID, gid: host.effectiveGroupID)
    }
}
