import Testing
@testable import MendKit

/// `PendingInput` answers like the parser, line by line, without parsing while something is open.
@Suite struct PendingInputTests {
    /// After each line of `text`, the pending input's answer is the parser's for the lines so far.
    private func agreesWithTheParser(_ text: String) -> Bool {
        var input = PendingInput()
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            input.append(String(line))
            lines.append(line)
            if input.isComplete == Parser.isIncomplete(lines.joined(separator: "\n")) { return false }
        }
        return true
    }

    @Test(arguments: [
        "fn f(a) {\n  return a +\n    1\n}",
        "let s = \"\"\"\n  { not a brace\n  ${ [1,\n  2] }\n\"\"\"\nlet t = 1",
        "let r = '''\n  ( ''' \nlet m = {\n  a: \"}\",\n  b: '{',\n}",
        "let x = [1, # a ] in a comment\n  2]",
        "let y = \"${ {a: 1}.a }\" + (\n  2)",
        "let z = 1 + \\\n  2",
        "step \"s\" when true {\n  let q = [\n]\n}",
        "}\nlet after = 1",
        "let a = \"unterminated\nlet b = 2",
        "if a {\n} else {\n  b\n}",
    ])
    func everyPrefixAgreesWithTheParser(text: String) {
        #expect(agreesWithTheParser(text))
    }

    @Test func theStandardModulesAgreeLineByLine() {
        for (name, source) in Stdlib.sources.sorted(by: { $0.key < $1.key }) {
            #expect(agreesWithTheParser(source), "\(name)")
        }
    }

    @Test func aLongDefinitionStaysOpenUntilItsBraceCloses() {
        var input = PendingInput()
        input.append("fn long() {")
        for k in 0..<3000 {
            input.append("  let v\(k) = [\(k), (\(k) + 1)]")
            #expect(!input.isComplete)
        }
        input.append("}")
        #expect(input.isComplete)
        #expect(input.text.hasPrefix("fn long() {\n  let v0 = [0, (0 + 1)]\n"))
    }
}
