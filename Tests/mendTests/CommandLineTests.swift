import MendKit
import Testing

@Suite("mend eval")
struct EvalCommandTests {
    @Test("the issue's acceptance expressions", arguments: [
        ("1 + 2 * 3", "7"),
        ("16GiB > 15GB", "true"),
        ("version(\"1.21.10\") >= version(\"1.21\")", "true"),
        ("100ms + 2s", "2.1s"),
        ("100ms + 2s == 2.1s", "true"),
    ])
    func acceptance(source: String, expected: String) throws {
        let r = try MendBinary.run(["eval", source])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout == expected + "\n")
    }

    @Test func unboundedRecursionIsARunbookError() throws {
        let r = try MendBinary.run(["eval", "fn f(n) { return f(n + 1) }\nf(0)"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("<eval>:1:18: error: recursion too deep"))
        #expect(r.stderr.contains("in f, called at <eval>:2:1"))
    }
}

@Suite("the binary alone")
struct StandaloneBinaryTests {
    @Test func standardModulesAreInsideTheBinary() throws {
        let dir = try TemporaryDirectory()
        #expect(try system("cp \(shellQuote(MendBinary.path)) \(shellQuote(dir.path + "/mend"))") == 0)
        let source = "import \"std/list\"\nimport \"std/text\"\ntext.pad_left(str(list.sum([1, 2, 3])), 4, \"0\")"
        let command = "cd \(shellQuote(dir.path)) && ./mend eval \(shellQuote(source)) > out 2> err"
        let status = try system(command)
        let stderr = try readFile(dir.path + "/err")
        #expect(status == 0, "stderr: \(stderr)")
        #expect(try readFile(dir.path + "/out") == "\"0006\"\n")
        #expect(try system("ls \(shellQuote(dir.path)) | grep -c . | grep -qx 3") == 0, "nothing but mend and its output")
    }
}

@Suite("mend doc")
struct DocCommandTests {
    @Test func listsEveryCoreFunction() throws {
        let r = try MendBinary.run(["doc"])
        #expect(r.status == 0)
        for name in ["len(value)", "format(format, …)", "split(sep?)", "append(value)"] {
            #expect(r.stdout.contains(name), "missing \(name)")
        }
    }

    @Test func showsOneBuiltinWithItsExample() throws {
        let r = try MendBinary.run(["doc", "split"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("string.split(sep?)"))
        #expect(r.stdout.contains("Example:"))
    }

    @Test func unknownNameIsAUsageErrorWithASuggestion() throws {
        let r = try MendBinary.run(["doc", "lenght"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("no builtin or keyword 'lenght' (did you mean 'len'?)"))
    }

    @Test func aKeywordHasAPage() throws {
        let r = try MendBinary.run(["doc", "assert"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("assert COND[, MESSAGE]    (keyword)"), "\(r.stdout)")
        #expect(!r.stdout.contains("sort"))
        #expect(try MendBinary.run(["doc", "rollback"]).stdout.hasPrefix("step NAME"))
        #expect(try MendBinary.run(["doc", "asert"]).stderr.contains("(did you mean 'assert'?)"))
        #expect(try MendBinary.run(["doc"]).stdout.contains("Keywords: let fn return"))
    }

    /// Every keyword page's example runs and prints what the page says it prints.
    @Test(arguments: KeywordReference.pages.map(\.words[0]))
    func aKeywordPagesExampleRuns(word: String) throws {
        let page = try #require(KeywordReference.pages.first { $0.words[0] == word })
        let r = try MendBinary.run(["eval", page.example])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == page.output + "\n")
    }
}

@Suite("mend check")
struct CheckCommandTests {
    @Test func followsImportsAndReportsTheirErrors() throws {
        let dir = try TemporaryDirectory()
        try writeFile(dir.path + "/main.mend", "import \"./mod.mend\"\nimport \"./missing.mend\"\nprint(1)\n")
        try writeFile(dir.path + "/mod.mend", "fn f() { return y }\n")
        let r = try MendBinary.run(["check", dir.path + "/main.mend"])
        #expect(r.status == 65)
        #expect(r.stderr.contains("mod.mend:1:17: error: undefined name 'y'"))
        #expect(r.stderr.contains("main.mend:2:1: error: cannot read the module \"./missing.mend\""))
    }

    @Test func aCleanFileIsReportedClean() throws {
        let dir = try TemporaryDirectory()
        try writeFile(dir.path + "/ok.mend", "import \"std/list\"\nprint(list.sum([1, 2]))\n")
        let r = try MendBinary.run(["check", dir.path + "/ok.mend"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stderr == "1 file checked: no problems\n")
        #expect(r.stdout.isEmpty, "check runs nothing")
    }

    @Test func anUnreadableFileIsAUsageError() throws {
        let r = try MendBinary.run(["check", "/nonexistent/x.mend"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("cannot read /nonexistent/x.mend"))
    }
}

@Suite("mend run")
struct RunCommandTests {
    @Test func exitCodes() throws {
        let dir = try TemporaryDirectory()
        let cases: [(String, [String], Int32)] = [
            ("param n = 1\nprint(n)\n", [], 0),
            ("param n = 1\nprint(n)\n", ["--param", "n=zz"], 64),
            ("param n = 1\nprint(n)\n", ["--param", "nope=1"], 64),
            ("print(1\n", [], 65),
            ("require 1 > 2, \"needs more\"\nprint(\"ran\")\n", [], 4),
            ("check 1 > 2\n", [], 1),
            ("step \"s\" { assert 1 == 2 }\n", [], 1),
        ]
        for (k, (source, extra, expected)) in cases.enumerated() {
            let file = dir.path + "/c\(k).mend"
            try writeFile(file, source)
            let r = try MendBinary.run(["run", file] + extra)
            #expect(r.status == expected, "case \(k): \(source) → \(r.status) \(r.stderr)")
        }
    }

    @Test func aFailedRequireRunsNothing() throws {
        let dir = try TemporaryDirectory()
        try writeFile(dir.path + "/r.mend", "require 1 > 2, \"needs more\"\nstep \"s\" { print(\"ran\") }\n")
        let r = try MendBinary.run(["run", dir.path + "/r.mend"])
        #expect(r.status == 4)
        #expect(!r.stdout.contains("ran"))
        #expect(r.stdout.contains("precondition failed"))
        #expect(r.stderr.contains("r.mend:1:1: error: needs more"))
    }

    @Test func theSampleRunbookRuns() throws {
        var root = #filePath
        for _ in 0..<3 { root = String(root[..<(root.lastIndex(of: "/") ?? root.startIndex)]) }
        let r = try MendBinary.run(["run", root + "/runbooks/examples/node-sizing.mend"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("nofile       65536"))
    }

    @Test func paramFromTheEnvironmentIsNamedInItsError() throws {
        let dir = try TemporaryDirectory()
        try writeFile(dir.path + "/p.mend", "print(\"before\")\nparam x = 1\n")
        let r = try MendBinary.run(["run", dir.path + "/p.mend"], environment: ["MEND_PARAM_X": "zz"])
        #expect(r.status == 64)
        #expect(r.stdout.isEmpty, "nothing runs before a bad param is reported")
        #expect(r.stderr == "mend: MEND_PARAM_X: expected an int, got \"zz\"\n")
    }
}
