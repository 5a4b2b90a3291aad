import Testing
@testable import MendKit

/// The interpreter's knobs for text nobody vouches for: ``Interpreter/instructionBudget`` keeps it
/// from running forever, ``Interpreter/allowsFileImports`` from reading files.
@Suite("untrusted text")
struct UntrustedTextTests {
    @Test func unlimitedByDefault() throws {
        let interpreter = Interpreter()
        #expect(interpreter.instructionBudget == nil)
        #expect(try interpreter.evaluate("let n = 0\nwhile n < 100000 { n = n + 1 }\nn").literal == "100000")
    }

    @Test func aLoopPastTheBudgetIsARuntimeError() throws {
        let interpreter = Interpreter()
        interpreter.instructionBudget = 1_000
        #expect(try interpreter.evaluate("1 + 2").literal == "3")
        do {
            _ = try interpreter.evaluate("let n = 0\nwhile true { n = n + 1 }", name: "loop.mend")
            Issue.record("the loop ended")
        } catch let e as MendError {
            #expect(e.message.hasPrefix("the program ran more than 1000 instructions"), "\(e.message)")
            #expect(e.span?.description.hasPrefix("loop.mend:2:") == true, "\(String(describing: e.span))")
        }
    }

    /// Each run starts with the whole budget: a loop of about 400 instructions runs twice under 1 000.
    @Test func eachRunHasTheWholeBudget() throws {
        let interpreter = Interpreter()
        interpreter.instructionBudget = 1_000
        let source = "let n = 0\nwhile n < 50 { n = n + 1 }\nn"
        #expect(try interpreter.evaluate(source).literal == "50")
        #expect(try interpreter.evaluate(source).literal == "50")
    }

    @Test func aCatchCannotKeepTheProgramGoing() {
        let interpreter = Interpreter()
        interpreter.instructionBudget = 10_000
        #expect(throws: MendError.self) {
            try interpreter.evaluate("let caught = 0\nwhile true { try { while true {} } catch e { caught = caught + 1 } }")
        }
    }

    @Test func callbacksOfBuiltinsCount() {
        let interpreter = Interpreter()
        interpreter.instructionBudget = 10_000
        #expect(throws: MendError.self) {
            try interpreter.evaluate("sort(range(100000), key: fn(x) => -x)")
        }
    }

    @Test func fileImportsCanBeRefused() {
        let interpreter = Interpreter()
        interpreter.allowsFileImports = false
        #expect(throws: MendError.self) { try interpreter.evaluate("import \"/etc/hostname\" as h") }
        #expect(throws: MendError.self) { try interpreter.evaluate("import \"./lib.mend\" as l") }
        #expect((try? interpreter.evaluate("import \"std/text\" as t\n1"))?.literal == "1")
    }
}
