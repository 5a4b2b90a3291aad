import Testing
@testable import MendKit

/// A namespace an embedder adds: one table, registered, and nothing else edited.
private enum Toy {
    static let table = NamespaceTable("toy", doc: "A toy namespace an embedder adds.", [
        .function("greet", [Builtin.Param("name", completes: .words(["alice", "bob", "carol"])), .label("loud")], doc: """
            Greets someone by name.
            loud: true shouts it.
            """, example: #"toy.greet("alice")  # "hello alice""#, body: greet),
        .property("answer", doc: "The answer, for properties.", example: "toy.answer  # 42", body: answer),
    ])

    static func greet(_ args: inout Arguments) throws -> Value {
        let text = "hello " + (try args.string(0))
        return .string(try args.optionalBool(1) == true ? text.uppercased() : text)
    }

    static func answer(_ args: inout Arguments) throws -> Value { .int(42) }
}

@Suite struct NamespaceTableTests {
    private func registry() -> Registry {
        let registry = Registry.standard()
        registry.register(Toy.table)
        return registry
    }

    @Test func itIsDocumentedLikeMendsOwn() throws {
        let registry = registry()
        let entry = try #require(BuiltinReference.entry("toy.greet", in: registry))
        #expect(entry == """
            toy.greet(name, loud:?)

            Greets someone by name.
            loud: true shouts it.

            Example:
              toy.greet("alice")  # "hello alice"
            """)
        #expect(BuiltinReference.entry("toy", in: registry)?.hasPrefix("toy: A toy namespace an embedder adds.") == true)
        #expect(BuiltinReference.index(registry).contains("toy: A toy namespace an embedder adds."))
        #expect(BuiltinReference.allNames(registry).contains("toy.answer"))
    }

    @Test func itsCallsAreCheckedBeforeAnythingRuns() {
        let registry = registry()
        #expect(compileMessages("toy.greet()", registry: registry) == ["missing argument 'name' in the call to toy.greet(name, loud)"])
        #expect(compileMessages("toy.greet(\"a\", \"b\")", registry: registry) == ["toy.greet(name, loud) takes 1 argument, got 2 (to give 'loud', label it: loud: \"b\")"])
        #expect(compileMessages("toy.greet(\"a\", loudly: true)", registry: registry)
                == ["toy.greet(name, loud) has no parameter 'loudly' (did you mean 'loud'?)"])
        #expect(compileMessages("toy.answer()", registry: registry) == ["'toy.answer' is a value, not a function: write toy.answer without '()'"])
    }

    @Test func itRunsItsExamples() throws {
        let interpreter = Interpreter(registry: registry())
        #expect(try interpreter.evaluate(#"toy.greet("alice")"#).literal == #""hello alice""#)
        #expect(try interpreter.evaluate(#"toy.greet("bob", loud: true)"#).literal == #""HELLO BOB""#)
        #expect(try interpreter.evaluate("toy.answer").literal == "42")
    }

    @Test func itsArgumentsCompleteAtTab() {
        let completer = Completer(registry: registry(), host: MendKit.Host(root: "/nonexistent-mend-root"),
                                  metaCommands: [(":help", .builtinName)])
        #expect(completer.complete("toy.", scope: .init()) == Completion(start: 4, candidates: ["answer", "greet"]))
        #expect(completer.complete("toy.greet(\"a", scope: .init()) == Completion(start: 11, candidates: ["alice"]))
        #expect(completer.complete("toy.greet(name: \"", scope: .init()).candidates == ["alice", "bob", "carol"])
        #expect(completer.complete("toy.greet(\"alice\", loud: \"", scope: .init()).candidates.isEmpty)
        #expect(completer.complete(":help toy.g", scope: .init()).candidates == ["greet"])
    }
}

/// The registry is set up, then read: the first compile freezes it, and a later registration is
/// an embedder's bug that stops the process rather than changing a table code already refers to.
@Suite struct RegistryFreezeTests {
    @Test func theFirstCompileFreezesTheRegistry() throws {
        let registry = Registry.standard()
        #expect(!registry.isFrozen)
        registry.register(Toy.table)
        _ = try Interpreter(registry: registry).compile(SourceFile(name: "t.mend", text: "1"))
        #expect(registry.isFrozen)
    }

    @Test func registeringAfterTheFreezeStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            let registry = Registry()
            registry.freeze()
            registry.register(Builtin(name: "late", doc: "Too late.") { _ in .null })
        }
    }
}
