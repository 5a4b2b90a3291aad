/// The pages `mend doc` and the REPL's `:help` show for the language's keywords, so that
/// `mend doc assert` explains `assert` rather than suggesting a builtin spelt alike.
public enum KeywordReference {
    /// One page: the words it covers, the syntax, what it does, and an example with its output.
    public struct Page: Sendable {
        public let words: [String]
        public let syntax: String
        public let text: String
        public let example: String
        public let output: String
    }

    /// Every keyword and contextual keyword a page covers.
    public static var names: [String] { pages.flatMap(\.words) }

    /// The page of a keyword as `mend doc` prints it; nil when the word is no keyword.
    public static func entry(_ word: String) -> String? {
        guard let page = pages.first(where: { $0.words.contains(word) }) else { return nil }
        let indent = { (s: String) in s.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n  ") }
        return page.syntax + "    (keyword)\n\n" + page.text + "\n\nExample:\n  " + indent(page.example)
            + "\nprints:\n  " + indent(page.output)
    }

    public static let pages: [Page] = [
        Page(words: ["let"], syntax: "let NAME = VALUE",
             text: """
                Declares a variable in the current block; `NAME = VALUE` assigns to a declared one.
                A second `let` of a name in the same block is an error; an inner block may shadow it.
                """,
             example: "let x = 1\nx = x + 1\nprint(x)", output: "2"),
        Page(words: ["fn", "return"], syntax: "fn NAME(A, B = DEFAULT) { … return VALUE }",
             text: """
                Declares a function. Parameters with defaults come last; a default is evaluated at each
                call that leaves it out. `return` ends the call (`return` alone gives nil); inside a
                step body it ends the step.
                """,
             example: "fn double(n, by = 2) { return n * by }\nprint(double(4), double(4, by: 3))", output: "8 12"),
        Page(words: ["if", "else"], syntax: "if COND { … } else if COND { … } else { … }",
             text: "Runs the first block whose condition is true. A condition must be a bool.",
             example: "let n = 5\nif n > 3 { print(\"big\") } else { print(\"small\") }", output: "big"),
        Page(words: ["for", "in"], syntax: "for X in LIST { … }    for K, V in MAP { … }    X in COLLECTION",
             text: """
                Walks a list, a map's keys (with two names, keys and values), a string's characters or a
                `range(…)`. As an operator, `x in c` tests membership of a list, a map's keys or a
                substring; `not in` is its negation.
                """,
             example: "for i, x in [\"a\", \"b\"] { print(i, x) }\nprint(2 in [1, 2], \"z\" not in \"abc\")",
             output: "0 a\n1 b\ntrue true"),
        Page(words: ["while"], syntax: "while COND { … }",
             text: "Runs the block as long as the condition (a bool) is true.",
             example: "let n = 0\nwhile n < 3 { n = n + 1 }\nprint(n)", output: "3"),
        Page(words: ["break", "continue"], syntax: "break    continue",
             text: """
                `break` leaves the innermost loop, `continue` starts its next iteration. They cannot leave
                a step or a function.
                """,
             example: "for i in range(5) {\n  if i == 1 { continue }\n  if i == 3 { break }\n  print(i)\n}",
             output: "0\n2"),
        Page(words: ["true", "false", "nil"], syntax: "true    false    nil",
             text: "The two bools and the absence of a value. Conditions must be bools: nil and 0 are not false.",
             example: "print(true, false, nil, type(nil))", output: "true false nil nil"),
        Page(words: ["and", "or", "not"], syntax: "A and B    A or B    not A",
             text: "Boolean operators on bools; `and` and `or` evaluate B only when they need it.",
             example: "print(true and not false, false or true)", output: "true true"),
        Page(words: ["try", "catch"], syntax: "try { … } catch E { … }",
             text: """
                Runs the block; on an error in it (a runtime error, a builtin's failure, a failed assert, a
                `fail`) runs the catch block with E bound to {message, kind, location}.
                """,
             example: "try { fail(\"no disk\") } catch e { print(e.kind, e.message) }", output: "failure no disk"),
        Page(words: ["import", "as"], syntax: "import \"PATH\" [as NAME]",
             text: """
                Loads a module (a standard one, `std/list` or `std/text`, or a file relative to the
                importing file) once, and binds its top-level names as a map.
                """,
             example: "import \"std/list\" as l\nprint(l.sum([1, 2, 3]))", output: "6"),
        Page(words: ["step", "when", "timeout", "confirm", "rollback"],
             syntax: "step NAME [when COND] [timeout DURATION] [confirm DURATION] { … } [rollback { … }]",
             text: """
                A unit of change: the engine journals its changes, plans them under `mend plan`, and rolls
                the run back when a step fails. `when` skips it, `timeout` bounds it, `confirm` asks the
                operator to confirm a change that could cut them off, and a `rollback` block undoes what
                its commands did when a later step fails.
                """,
             example: "step \"greet\" when true timeout 5s {\n  print(\"hello\")\n} rollback {\n  print(\"undo\")\n}",
             output: "hello"),
        Page(words: ["assert"], syntax: "assert COND[, MESSAGE]",
             text: """
                Fails when the condition is false: inside a step it fails the step, and the run stops
                (exit 1) after rolling back. A comparison's both sides are shown in the error.
                """,
             example: "try { assert 1 + 1 == 3, \"arithmetic\" } catch e { print(e.message) }",
             output: "arithmetic — left 2, right 3"),
        Page(words: ["check"], syntax: "check COND[, MESSAGE]",
             text: """
                Records a check and goes on: a failed one is reported and makes the run exit 1 at its end,
                with no rollback. For audit runbooks.
                """,
             example: "check 8 >= 4, \"enough memory\"\nprint(\"checked\")", output: "checked"),
        Page(words: ["require"], syntax: "require COND[, MESSAGE]",
             text: """
                A precondition, at the top level before the first step: every `require` is evaluated before
                any step runs, and if one is false nothing runs (exit 4).
                """,
             example: "require 2 > 1, \"arithmetic works\"\nprint(\"go\")", output: "go"),
        Page(words: ["param", "secret"], syntax: "[secret] param NAME = DEFAULT",
             text: """
                Declares an input, given with `--param NAME=VALUE`, `--param-file` or `MEND_PARAM_NAME`;
                the default sets its type. A `secret` param is masked as •••• in every output.
                """,
             example: "param port = 8080\nsecret param token = \"s3cret\"\nprint(port, token)", output: "8080 ••••"),
        Page(words: ["runbook"], syntax: "runbook TITLE",
             text: "Names the runbook in reports; if present, the first statement of the file.",
             example: "runbook \"Node baseline\"\nprint(\"titled\")", output: "titled"),
    ]
}
