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
