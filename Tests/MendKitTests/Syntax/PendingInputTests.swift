import Testing
@testable import MendKit

/// `PendingInput` answers like the parser, line by line, without parsing while something is open.
@Suite struct PendingInputTests {
    /// After each line of `text`, the pending input's answer is the parser's, and the line scanner
    /// (which answers for long inputs) never says "open" where the parser says complete: that would
    /// leave the REPL waiting for lines that cannot help.
    private func agreesWithTheParser(_ text: String) -> Bool {
        var input = PendingInput()
        var scanner = BracketScanner()
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            input.append(String(line))
            scanner.scan(Array(line.utf8))
            lines.append(line)
            let incomplete = Parser.isIncomplete(lines.joined(separator: "\n"))
            if input.isComplete == incomplete || (scanner.isOpen && !incomplete) { return false }
        }
        return true
    }

    @Test(arguments: [
        "fn f(a) {\n  return a +\n    1\n}",
        "let s = \"\"\"\n  { not a brace\n  ${ [1,\n  2] }\n\"\"\"\nlet t = 1",
        "let r = \'\'\'\n  ( \'\'\' \nlet m = {\n  a: \"}\",\n  b: \'{\',\n}",
        "let x = [1, # a ] in a comment\n  2]",
        "let y = \"${ {a: 1}.a }\" + (\n  2)",
        "let z = 1 + \\\n  2",
        "step \"s\" when true {\n  let q = [\n]\n}",
        "}\nlet after = 1",
        "let a = \"unterminated\nlet b = 2",
        "if a {\n} else {\n  b\n}",
        // Found by review: a delimiter mid-line, `#` and an open `${` in a body, braces in a
        // string in an interpolation, text after an opening delimiter.
        "let s = \"\"\"\n  hello\"\"\"\n\"\"\"\n42",
        "let x = 1\nlet s = \"\"\"\n  v ${x # c}\n  \"\"\"\n42",
        "let s = \"\"\"\n  ${x\n  \"\"\"\n42",
        "print(\"${\"}\"}(\")\n42",
        "let s = \"\"\"hello\n42",
        "let t = \'\'\'\n  \"\"\"\n  \'\'\'\nlet u = \"\\\"(\"\n1",
    ])
    func everyPrefixAgreesWithTheParser(text: String) {
        #expect(agreesWithTheParser(text))
    }

    @Test func theStandardModulesAgreeLineByLine() {
        for (name, source) in Stdlib.sources.sorted(by: { $0.key < $1.key }) {
            #expect(agreesWithTheParser(source), "\(name)")
        }
    }

    /// The scanner cannot see a syntax error in an open bracket; below the size limit the parser
    /// decides, so the error is reported at once instead of after the bracket closes.
    @Test func anErrorInsideAnOpenBracketEndsTheInput() {
        var input = PendingInput()
        input.append("print(1 2")
        #expect(input.isComplete)
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
