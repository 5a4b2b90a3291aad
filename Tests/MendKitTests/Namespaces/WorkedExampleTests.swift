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
        #expect(compileMessages(#"motd.set("x")"#, registry: registry) == ["'motd.set' changes the host: call it inside a step (or a rollback block)"])
        #expect(compileMessages(#"step "s" { motd.set() }"#, registry: registry) == ["missing argument 'text' in the call to motd.set(text)"])
        let completer = Completer(registry: registry, host: MendKit.Host(root: "/nonexistent-mend-root"))
        #expect(completer.complete(#"motd.set("W"#, scope: .init()).candidates == ["Welcome"])
    }

    /// docs/architecture.md shows this very code: the page's block is the file's, to the byte.
    @Test func thePageShowsTheCodeThatIsTested() throws {
        let page = try String(contentsOfFile: SourceTree.repositoryRoot + "/docs/architecture.md", encoding: .utf8)
        let file = try String(contentsOfFile: SourceTree.repositoryRoot + "/Tests/MendKitTests/Support/MotdNamespace.swift",
                              encoding: .utf8)
        let start = "/// `motd`: the message of the day"
        let shown = try #require(page.range(of: "```swift\n" + start)).lowerBound
        let block = page[shown...].dropFirst("```swift\n".count).prefix { _ in true }
        let end = try #require(block.range(of: "\n```\n")).lowerBound
        let code = try #require(file.range(of: start)).lowerBound
        #expect(String(block[..<end]) + "\n" == String(file[code...]))
    }
}
