import Testing
@testable import MendKit

/// The worked example of docs/architecture.md does what the page says: one table registered, and
/// the namespace is documented, checked, completed, planned, journalled and undone.
@Suite struct WorkedExampleTests {
    private func registry() -> Registry {
        let registry = Registry.standard()
        registry.register(MotdNamespace.table)
        return registry
    }

    private func run(_ source: String, in root: ScratchDirectory, plan: Bool = false) throws -> RunReport {
        try EngineHarness(root: root, registry: registry()).run(source, plan: plan)
    }

    @Test func aPlanShowsTheChangeAndTouchesNothing() throws {
        try FixtureRoot.with("ubuntu-22.04") { root in
            let before = FixtureRoot.snapshot(root.path)
            let report = try run("""
                step "motd" {
                  motd.set("Managed by mend\\n")
                  assert motd.get() == "Managed by mend\\n"
                }
                """, in: root, plan: true)
            #expect(report.exitCode == 0, "\(failure(report) ?? "")")
            let change = try #require(report.steps.first?.changes.first)
            #expect(change.kind == "motd" && change.target == "/etc/motd")
            #expect(change.before == .null && change.after == .string("Managed by mend\n"))
            #expect(FixtureRoot.snapshot(root.path) == before)
        }
    }

    @Test func aRunChangesTheFileAndAFailureUndoesIt() throws {
        try FixtureRoot.with("ubuntu-22.04") { root in
            let applied = try run(#"step "motd" { motd.set("Welcome\n") }"#, in: root)
            #expect(applied.exitCode == 0 && root.exists("/etc/motd"))
            let failed = try run("""
                step "motd" { motd.set("Changed\\n") }
                step "breaks" { fail("boom") }
                """, in: root)
            #expect(failed.exitCode == 1)
            #expect(root.read("/etc/motd") == "Welcome\n")
        }
    }

    @Test func itIsDocumentedCheckedAndCompleted() throws {
        let registry = registry()
        #expect(BuiltinReference.entry("motd.set", in: registry)?.hasPrefix("motd.set(text)    (changes the host: only inside a step)") == true)
        #expect(registry.resources["motd"] != nil)
        let interpreter = Interpreter(registry: registry)
        #expect(throws: Diagnostics.self) { _ = try interpreter.compile(SourceFile(name: "t.mend", text: #"motd.set("x")"#)) }
        let completer = Completer(registry: registry, host: MendKit.Host(root: "/nonexistent-mend-root"))
        #expect(completer.complete(#"motd.set("W"#, scope: .init()).candidates == ["Welcome"])
    }
}
