import Testing
@_spi(Fuzzing) @testable import MendKit

/// Tests/FuzzCorpus/, found from this file (Tests/MendKitTests/FuzzRegressionTests.swift).
private let corpusPath: String = {
    var path = #filePath
    for _ in 0..<2 {
        guard let slash = path.lastIndex(of: "/") else { break }
        path = String(path[..<slash])
    }
    return path + "/FuzzCorpus"
}()

/// The files of a corpus folder, sorted (`.gitkeep` and other dot files left out).
private func corpus(_ folder: String) -> [String] {
    (Host.local.entries(corpusPath + "/" + folder)?.map(\.name) ?? []).filter { !$0.hasPrefix(".") }.sorted()
}

private func bytes(_ folder: String, _ name: String) throws -> [UInt8] {
    try #require(try Host.local.read(corpusPath + "/" + folder + "/" + name), "cannot read \(folder)/\(name)")
}

/// Replays what `scripts/fuzz` keeps through the same targets libFuzzer drives (``FuzzTarget``):
/// every input the fuzzer found (Tests/FuzzCorpus/regressions/) and the whole seed corpus must go
/// through the lexer, parser, compiler and the sandboxed run without a crash, and a run ends
/// within its instruction budget. Each regression file goes through every target, whichever one
/// found it.
@Suite("fuzz corpus")
struct FuzzRegressionTests {
    @Test func theSeedCorpusIsThere() {
        #expect(corpus("seed").count >= 200, "run scripts/gen-fuzz-seed")
    }

    @Test("each regression input passes every target", arguments: corpus("regressions"))
    func regression(name: String) throws {
        let input = try bytes("regressions", name)
        for target in FuzzTarget.allCases { target(input) }
    }

    @Test("each seed passes every target", arguments: corpus("seed"))
    func seed(name: String) throws {
        let input = try bytes("seed", name)
        for target in FuzzTarget.allCases { target(input) }
    }

    /// The seed holds the docs' examples: most of them compile, and some run to the end.
    @Test func theSeedReachesTheVM() throws {
        var outcomes: [FuzzTarget.Outcome: Int] = [:]
        for name in corpus("seed") { outcomes[FuzzTarget.run(try bytes("seed", name)), default: 0] += 1 }
        #expect(outcomes[.accepted, default: 0] >= 20, "\(outcomes)")
    }
}

/// The sandbox of the `run` target: nothing a program does reaches the host or stalls the fuzzer.
@Suite("fuzz sandbox")
struct FuzzSandboxTests {
    private func run(_ source: String) -> FuzzTarget.Outcome { FuzzTarget.run(Array(source.utf8)) }

    @Test(arguments: ["while true {}", "for i in range(1000000000) {}",
                      "while true { try { while true {} } catch e {} }",
                      "let xs = [1]\nwhile true { xs = sort(xs, key: fn(x) => x) }"])
    func endlessLoopsRunOutOfBudget(source: String) {
        #expect(run(source) == .outOfBudget)
    }

    @Test func deepRecursionIsAnError() {
        #expect(run("fn f(n) { return f(n + 1) }\nf(0)") == .rejected)
    }

    @Test func sleepReturnsAtOnce() {
        #expect(run("sleep(1h)\nsleep(1h)") == .accepted)
        #expect(run("sleep(-1s)") == .rejected)
    }

    /// A list at the language's cap is 2.4 GB: past libFuzzer's memory limit.
    @Test func rangeIsSmaller() {
        #expect(run("len(range(1000000))") == .accepted)
        #expect(run("range(99999999)") == .rejected)
        #expect(run("len(range(0, 99999999, 200))") == .accepted)
        #expect(run("for i in range(99999999) {}") == .outOfBudget)
    }

    @Test func noNamespaceAndNoFileImport() {
        #expect(run("sysctl.get(\"net.core.somaxconn\")") == .rejected)
        #expect(run("file.write(\"/tmp/x\", \"y\")") == .rejected)
        #expect(run("import \"/etc/passwd\" as p") == .rejected)
        #expect(run("import \"std/list\" as l\nl.sum([1, 2])") == .accepted)
    }
}
