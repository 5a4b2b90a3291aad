import Glibc
import MendKit
import Testing

/// A runnable example of a document: a ```mend block and the ```output block after it, if any.
struct DocExample: Sendable, CustomTestStringConvertible {
    /// The document, relative to the repository root.
    var document = "docs/language.md"
    /// The 1-based line of the first source line in the document.
    let line: Int
    let source: String
    /// What the program must print (empty when the block has no output block).
    let output: String
    /// The fixture host a builtin page's example plans over: ```` ```mend centos-7 ```` names one.
    var host = FixtureHost.ubuntu

    var testDescription: String { "\(document):\(line)" }
}

/// Reads the examples out of docs/language.md (and the builtin pages of docs/builtins/).
enum LanguageDoc {
    /// The repository root: this file is Tests/mendTests/DocExamplesTests.swift.
    static let repositoryRoot: String = {
        var path = #filePath
        for _ in 0..<3 {
            guard let slash = path.lastIndex(of: "/") else { break }
            path = String(path[..<slash])
        }
        return path
    }()

    static let path = repositoryRoot + "/docs/language.md"

    /// Every example, or nothing when the document cannot be read (a separate test reports that).
    static let examples: [DocExample] = (try? readFile(path)).map { (try? parse($0)) ?? [] } ?? []

    /// The pages of docs/builtins/, relative to the repository root.
    static let builtinPages: [String] = listDirectory(repositoryRoot + "/docs/builtins")
        .filter { $0.hasSuffix(".md") }.map { "docs/builtins/" + $0 }

    /// Every example of the builtin pages.
    static let builtinExamples: [DocExample] = builtinPages.flatMap { page in
        ((try? readFile(repositoryRoot + "/" + page)).map { (try? parse($0)) ?? [] } ?? []).map { example in
            var example = example
            example.document = page
            return example
        }
    }

    /// Splits Markdown into its ```mend blocks and their ```output blocks. Blocks with any other info
    /// string (`mend-fragment`, …) are skipped.
    static func parse(_ text: String) throws -> [DocExample] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var examples: [DocExample] = []
        var k = 0
        /// The lines from `start` up to the closing fence; `k` ends after the fence.
        func body(from start: Int) throws -> [String] {
            var end = start
            while end < lines.count, lines[end] != "```" { end += 1 }
            guard end < lines.count else {
                throw TestFailure(description: "docs/language.md:\(start): a code block is never closed")
            }
            k = end + 1
            return Array(lines[start..<end])
        }
        while k < lines.count {
            let fence = lines[k].split(separator: " ")
            guard fence.first == "```mend", fence.count <= 2 else {
                if lines[k].hasPrefix("```") {
                    // Another kind of block: skip it whole, so its content is never read as a fence.
                    _ = try body(from: k + 1)
                } else {
                    k += 1
                }
                continue
            }
            let first = k + 1
            guard let host = fence.count == 2 ? FixtureHost(rawValue: String(fence[1])) : .ubuntu else {
                throw TestFailure(description: "line \(first): no fixture host \(fence[1]) (\(FixtureHost.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            let source = try body(from: first)
            var next = k
            while next < lines.count, lines[next].allSatisfy({ $0 == " " || $0 == "\t" }) { next += 1 }
            var output: [String] = []
            if next < lines.count, lines[next] == "```output" {
                output = try body(from: next + 1)
            }
            examples.append(DocExample(line: first + 1, source: source.map { $0 + "\n" }.joined(),
                                       output: output.map { $0 + "\n" }.joined(), host: host))
        }
        return examples
    }
}

@Suite("docs/language.md examples")
struct DocExamplesTests {
    @Test func theDocumentHasExamples() throws {
        let text = try readFile(LanguageDoc.path)
        let examples = try LanguageDoc.parse(text)
        #expect(examples.count >= 20, "found only \(examples.count) ```mend blocks in \(LanguageDoc.path)")
    }

    @Test("each example runs and prints its output", arguments: LanguageDoc.examples)
    func example(_ example: DocExample) throws {
        let dir = try TemporaryDirectory()
        let file = dir.path + "/example.mend"
        try writeFile(file, example.source)
        // With a machine-readable report on stdout, what the program prints goes to stderr alone.
        let r = try MendBinary.run(["run", file, "--format", "json"], environment: ["MEND_STATE_DIR": dir.path + "/state"])
        #expect(r.status == 0, "exit \(r.status); stderr:\n\(r.stderr)\nsource:\n\(example.source)")
        #expect(withoutLogLines(r.stderr) == example.output, "stdout:\n\(r.stdout)")
        #expect(JSON.parse(r.stdout)?["status"]?.string == "ok")
    }
}

@Suite("docs/builtins examples")
struct BuiltinPageExamplesTests {
    @Test func everyPageHasExamples() throws {
        #expect(LanguageDoc.builtinPages.count >= 2)
        for page in LanguageDoc.builtinPages {
            #expect(LanguageDoc.builtinExamples.contains { $0.document == page }, "\(page) has no ```mend example")
        }
    }

    /// Builtin examples change the host, so they run as plans over a copy of a fixture host (the
    /// Ubuntu one unless the block names another): what they print is checked, and the root stays
    /// as it was.
    @Test("each example plans and prints its output", arguments: LanguageDoc.builtinExamples)
    func example(_ example: DocExample) throws {
        let dir = try TemporaryDirectory()
        let file = dir.path + "/example.mend"
        try writeFile(file, example.source)
        let root = try example.host.copy(into: dir.path)
        let before = try TreeSnapshot.of(root)
        let r = try MendBinary.run(["plan", file, "--root", root, "--format", "json"], environment: FixtureTools.environment(for: example.host))
        #expect(r.status == 0, "exit \(r.status); stderr:\n\(r.stderr)\nsource:\n\(example.source)")
        #expect(withoutLogLines(r.stderr) == example.output, "stdout:\n\(r.stdout)")
        #expect(try TreeSnapshot.of(root) == before, "the plan changed the root")
    }
}

/// Drops `log` lines (`[2026-11-25T10:32:29Z] …`): their timestamps differ from run to run.
private func withoutLogLines(_ text: String) -> String {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let kept = lines.filter { !($0.hasPrefix("[") && $0.dropFirst(20).hasPrefix("Z] ")) }
    return kept.joined(separator: "\n")
}

/// A builtin's `example`, as the registry documents it.
struct BuiltinExample: Sendable, CustomTestStringConvertible {
    let name: String
    let example: String
    let changesHost: Bool

    var testDescription: String { name }

    /// Every core function, namespace member and method of the standard registry.
    static let all: [BuiltinExample] = {
        let registry = Registry.standard()
        var builtins = Array(registry.functions.values)
        for members in registry.namespaces.values { builtins += members.values }
        for methods in registry.methods.values { builtins += methods.values }
        return builtins
            .map { BuiltinExample(name: $0.qualifiedName, example: $0.example, changesHost: $0.changesHost) }
            .sorted { $0.name < $1.name }
    }()
}

/// Keeps what examples print out of the test log.
private final class CapturedOutput: OutputSink {
    var standardOutputText = ""
    var standardErrorText = ""
    func standardOutput(_ text: String) { standardOutputText += text }
    func standardError(_ text: String) { standardErrorText += text }
}

@Suite("builtin examples")
struct BuiltinExamplesTests {
    @Test func theRegistryHasBuiltins() {
        #expect(BuiltinExample.all.count >= 30)
    }

    /// Each example runs without an error, over a copy of the Ubuntu fixture host (so the service
    /// examples find systemd and its units there). Examples of host-changing builtins, and examples
    /// with a step, run as plans: a unit test must not change the host.
    @Test("each builtin's example runs", arguments: BuiltinExample.all)
    func example(_ builtin: BuiltinExample) throws {
        try #require(!builtin.example.isEmpty, "\(builtin.name) has no example")
        let output = CapturedOutput()
        let interpreter = Interpreter(output: output)
        do {
            let dir = try TemporaryDirectory()
            let root = try FixtureHost.ubuntu.copy(into: dir.path)
            if builtin.changesHost || builtin.example.contains("step \"") {
                let unit = try interpreter.compile(SourceFile(name: "<example of \(builtin.name)>", text: builtin.example))
                var options = EngineOptions()
                options.isPlan = true
                let report = try Engine(interpreter: interpreter, host: Host(root: root), options: options).run(unit)
                let errors = ([report.error?.message] + report.steps.map(\.error?.message)).compactMap { $0 }
                #expect(report.exitCode == 0, "\(builtin.name): \(errors)")
                #expect(!report.steps.isEmpty, "\(builtin.name)'s example has no step")
            } else {
                interpreter.effects = ReadOnlyEffects(host: Host(root: root))
                _ = try interpreter.evaluate(builtin.example, name: "<example of \(builtin.name)>")
            }
        } catch let error as MendError {
            Issue.record("\(builtin.name): \(builtin.example)\n\(error.rendered())")
        } catch let diagnostics as Diagnostics {
            Issue.record("\(builtin.name): \(builtin.example)\n\(diagnostics.rendered())")
        } catch {
            Issue.record("\(builtin.name): \(builtin.example)\n\(error)")
        }
    }
}
