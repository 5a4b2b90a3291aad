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
        throw ChangeRefused("\(change.resource.kind) \(change.target): changes need `mend run` (with its journal and rollback) or the REPL")
    }

    public func assume(_ resource: any Resource, _ target: String, _ state: JSON) {}

    public func runCommand(_ text: String, readonly: Bool, _ body: () throws -> ProcessResult) throws -> ProcessResult? {
        guard readonly else {
            throw ChangeRefused("\(text): a command that may change the host needs `mend run` (or readonly: true)")
        }
        return try body()
    }
}

/// A change (or a command that may make one) that these effects do not allow. The interpreter
/// reports it as a runtime error of the builtin that asked.
public struct ChangeRefused: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
