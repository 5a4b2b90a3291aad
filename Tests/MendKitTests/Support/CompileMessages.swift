@testable import MendKit

/// The messages of the diagnostics compiling `text` with `registry` gives; empty when it compiles.
func compileMessages(_ text: String, registry: Registry) -> [String] {
    do {
        _ = try Interpreter(registry: registry).compile(SourceFile(name: "t.mend", text: text))
        return []
    } catch {
        return error.items.map(\.message)
    }
}
