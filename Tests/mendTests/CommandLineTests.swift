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
        #expect(r.stderr.contains("no builtin 'lenght' (did you mean 'len'?)"))
    }
}
