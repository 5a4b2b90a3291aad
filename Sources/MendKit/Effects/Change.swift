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
