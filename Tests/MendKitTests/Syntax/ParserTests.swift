import Testing
@testable import MendKit

// MARK: helpers

/// Parses `text`; records an issue with the diagnostics when it does not parse.
private func parse(_ text: String) -> Program? {
    do {
        return try Parser.parse(SourceFile(name: "test.mend", text: text))
    } catch {
        Issue.record("unexpected parse errors:\n\(error.rendered())")
        return nil
    }
}

/// The diagnostics of `text`, which must not parse.
private func parseErrors(_ text: String) -> [Diagnostic] {
    do {
        _ = try Parser.parse(SourceFile(name: "test.mend", text: text))
        Issue.record("expected parse errors for:\n\(text)")
        return []
    } catch {
        return error.items
    }
}

private func messages(_ text: String) -> [String] { parseErrors(text).map(\.message) }

/// The statements of `text` as S-expressions.
private func statements(_ text: String) -> [String] {
    parse(text)?.statements.map(sexpr) ?? []
}

/// The only statement of `text`, which must be an expression statement, as an S-expression.
private func expr(_ text: String) -> String {
    guard let program = parse(text) else { return "<error>" }
    guard program.statements.count == 1, case .expr(let e) = program.statements[0].kind else {
        Issue.record("expected one expression statement, got \(program.statements.map(sexpr))")
        return "<error>"
    }
    return sexpr(e)
}

/// The only expression statement's node.
private func exprNode(_ text: String) -> Expr? {
    guard let program = parse(text), program.statements.count == 1, case .expr(let e) = program.statements[0].kind else {
        Issue.record("expected one expression statement in \(text)")
        return nil
    }
    return e
}

private func sexpr(_ e: Expr) -> String {
    switch e.kind {
    case .literal(let lit):
        switch lit {
        case .null: return "nil"
        case .bool(let b): return "\(b)"
        case .int(let v): return "\(v)"
        case .float(let v): return "\(v)"
        case .string(let s): return "\"\(s)\""
        case .duration(let v): return "\(v)ns"
        case .size(let v): return "\(v)B"
        }
    case .interpolated(let parts):
        let shown = parts.map { part -> String in
            switch part {
            case .text(let t): return "\"\(t)\""
            case .expr(let x): return sexpr(x)
            }
        }
        return "(str \(shown.joined(separator: " ")))"
    case .name(let n): return n
    case .list(let items): return "[" + items.map(sexpr).joined(separator: " ") + "]"
    case .map(let entries):
        let shown = entries.map { entry -> String in
            let key: String
            switch entry.key {
            case .name(let n): key = n
            case .expr(let k): key = "(\(sexpr(k)))"
            }
            return "\(key): \(sexpr(entry.value))"
        }
        return "{" + shown.joined(separator: ", ") + "}"
    case .unary(let op, let x): return "(\(op.rawValue) \(sexpr(x)))"
    case .binary(let op, let l, let r): return "(\(op.rawValue) \(sexpr(l)) \(sexpr(r)))"
    case .and(let l, let r): return "(and \(sexpr(l)) \(sexpr(r)))"
    case .or(let l, let r): return "(or \(sexpr(l)) \(sexpr(r)))"
    case .call(let callee, let args):
        let shown = args.map { a in (a.label.map { "\($0):" } ?? "") + sexpr(a.value) }
        return "(call \(sexpr(callee))" + shown.map { " " + $0 }.joined() + ")"
    case .member(let x, let name, _): return "(. \(sexpr(x)) \(name))"
    case .index(let x, let i): return "([] \(sexpr(x)) \(sexpr(i)))"
    case .function(let decl): return sexpr(decl)
    }
}

private func sexpr(_ decl: FunctionDecl) -> String {
    let params = decl.params.map { p in p.defaultValue.map { "\(p.name)=\(sexpr($0))" } ?? p.name }
    return "(fn\(decl.name.map { " " + $0 } ?? "") (\(params.joined(separator: " "))) \(sexpr(decl.body)))"
}

private func sexpr(_ block: Block) -> String {
    "{" + block.statements.map(sexpr).joined(separator: "; ") + "}"
}

private func sexpr(_ s: Stmt) -> String {
    switch s.kind {
    case .expr(let e): return sexpr(e)
    case .let(let name, _, let value): return "(let \(name) \(sexpr(value)))"
    case .assign(let target, let value): return "(= \(sexpr(target)) \(sexpr(value)))"
    case .if(let branches, let otherwise):
        var out = "(if"
        for b in branches { out += " \(sexpr(b.condition)) \(sexpr(b.body))" }
        if let otherwise { out += " else \(sexpr(otherwise))" }
        return out + ")"
    case .for(let names, let iterable, let body):
        return "(for \(names.map(\.0).joined(separator: ",")) \(sexpr(iterable)) \(sexpr(body)))"
    case .while(let c, let body): return "(while \(sexpr(c)) \(sexpr(body)))"
    case .break: return "break"
    case .continue: return "continue"
    case .return(let v): return v.map { "(return \(sexpr($0)))" } ?? "(return)"
    case .function(let decl): return sexpr(decl)
    case .try(let body, let name, let handler):
        return "(try \(sexpr(body)) catch\(name.map { " " + $0.0 } ?? "") \(sexpr(handler)))"
    case .import(let path, let alias, _): return "(import \"\(path)\" as \(alias))"
    case .runbook(let title): return "(runbook \(sexpr(title)))"
    case .param(let name, _, let value, let secret): return "(\(secret ? "secret " : "")param \(name) \(sexpr(value)))"
    case .require(let c, let m): return "(require \(sexpr(c))\(m.map { " " + sexpr($0) } ?? ""))"
    case .assert(let c, let m): return "(assert \(sexpr(c))\(m.map { " " + sexpr($0) } ?? ""))"
    case .check(let c, let m): return "(check \(sexpr(c))\(m.map { " " + sexpr($0) } ?? ""))"
    case .step(let d):
        var out = "(step \(sexpr(d.name))"
        if let w = d.when { out += " when \(sexpr(w))" }
        if let t = d.timeout { out += " timeout \(sexpr(t))" }
        if let c = d.confirm { out += " confirm \(sexpr(c))" }
        out += " \(sexpr(d.body))"
        if let r = d.rollback { out += " rollback \(sexpr(r))" }
        return out + ")"
    }
}

private let second = 1_000_000_000

@Suite struct ParserTests {
    // MARK: precedence

    @Test func multiplicationBindsTighterThanAddition() {
        #expect(expr("1 + 2 * 3") == "(+ 1 (* 2 3))")
        #expect(expr("1 * 2 + 3") == "(+ (* 1 2) 3)")
        #expect(expr("(1 + 2) * 3") == "(* (+ 1 2) 3)")
        #expect(expr("a % b / c * d") == "(* (/ (% a b) c) d)")
    }

    @Test func binaryOperatorsAreLeftAssociative() {
        #expect(expr("1 - 2 - 3") == "(- (- 1 2) 3)")
        #expect(expr("a / b / c") == "(/ (/ a b) c)")
        #expect(expr("a or b or c") == "(or (or a b) c)")
    }

    @Test func unaryMinusBindsTighterThanMultiplication() {
        #expect(expr("-x * y") == "(* (- x) y)")
        #expect(expr("- x.y") == "(- (. x y))")
        #expect(expr("--x") == "(- (- x))")
        // Negative literals are folded.
        #expect(expr("-2 * y") == "(* -2 y)")
        #expect(expr("-5s") == "\(-5 * second)ns")
        #expect(expr("-9223372036854775807") == "-9223372036854775807")
    }

    @Test func notIsLooserThanComparisons() {
        #expect(expr("not a in b") == "(not (in a b))")
        #expect(expr("not a == b") == "(not (== a b))")
        #expect(expr("a not in b") == "(not in a b)")
        #expect(expr("not a not in b") == "(not (not in a b))")
        #expect(expr("not not a") == "(not (not a))")
    }

    @Test func andBindsTighterThanOr() {
        #expect(expr("a and b or c") == "(or (and a b) c)")
        #expect(expr("a or b and c") == "(or a (and b c))")
        #expect(expr("not a and b") == "(and (not a) b)")
        #expect(expr("a < 1 or b >= 2 and c != 3") == "(or (< a 1) (and (>= b 2) (!= c 3)))")
    }

    @Test func comparisonsAreLooserThanArithmetic() {
        #expect(expr("a + 1 == b * 2") == "(== (+ a 1) (* b 2))")
        #expect(expr("x in [1, 2] + ys") == "(in x (+ [1 2] ys))")
    }

    @Test func comparisonsDoNotChain() {
        for source in ["a < b < c", "a == b == c", "1 < x in xs", "a == b not in c"] {
            let d = parseErrors(source)
            #expect(d.map(\.message) == ["comparisons do not chain: write 'a < b and b < c'"], "\(source)")
        }
        // The error points at the second comparison.
        #expect(parseErrors("a < b <= c").first?.span.text == "<=")
        // Parentheses make it fine.
        #expect(expr("(a < b) == c") == "(== (< a b) c)")
    }

    // MARK: postfix

    @Test func callsWithPositionalAndLabelledArguments() {
        #expect(expr("f()") == "(call f)")
        #expect(expr("sysctl.set(k, v, persist: true)") == "(call (. sysctl set) k v persist:true)")
        // Any word may be a label, reserved words included.
        #expect(expr("f(step: 1, if: 2, timeout: 3s)") == "(call f step:1 if:2 timeout:\(3 * second)ns)")
        #expect(expr("f(\n  1,\n  x: 2,\n)") == "(call f 1 x:2)")
    }

    @Test func aPositionalArgumentCannotFollowALabelledOne() {
        #expect(messages("f(a: 1, 2)") == ["a positional argument cannot follow a labelled one"])
    }

    @Test func memberIndexAndCallChains() {
        #expect(expr("x.f(1)[2].g") == "(. ([] (call (. x f) 1) 2) g)")
        #expect(expr("m[\"k\"][0](a)(b)") == "(call (call ([] ([] m \"k\") 0) a) b)")
        #expect(expr("a.b.c") == "(. (. a b) c)")
        // A member name may be a reserved word.
        #expect(expr("m.step.if") == "(. (. m step) if)")
    }

    @Test func mapLiteralKeys() {
        #expect(expr(#"({name: 1, "any key": 2, (k): 3, 5s: 4, true: 5, 1: 6})"#)
            == #"{name: 1, ("any key"): 2, (k): 3, (5000000000ns): 4, true: 5, (1): 6}"#)
        // A reserved word before ':' is a bare string key.
        guard let e = exprNode("({true: 1, (true): 2})"), case .map(let entries) = e.kind else {
            Issue.record("not a map")
            return
        }
        guard case .name("true") = entries[0].key else { Issue.record("bare 'true' should be a name key"); return }
        guard case .expr(let k) = entries[1].key, case .literal(.bool(true)) = k.kind else {
            Issue.record("(true) should be an expression key")
            return
        }
    }

    @Test func badMapKeys() {
        #expect(messages("let m = {[1]: 2}").first?.hasPrefix("expected a map key (name, \"string\", number or (expression)) followed by ':'") == true)
        #expect(messages("let m = {(a) 1}").first == "expected ':' after the map key, found '1'")
    }

    @Test func aMapLiteralInABlockHeaderNeedsParentheses() {
        let d = parseErrors("if m == {a: 1} { }")
        #expect(d.first?.message.hasPrefix("expected an expression, found '{' (in this header a '{' opens the block") == true)
        #expect(statements("if m == ({a: 1}) { }") == ["(if (== m {a: 1}) {})"])
    }

    // MARK: statements

    @Test func ifElseIfElse() {
        #expect(statements("if a { x } else if b { y } else if c { z } else { w }")
            == ["(if a {x} b {y} c {z} else {w})"])
        #expect(statements("if a {\n  x = 1\n}") == ["(if a {(= x 1)})"])
    }

    @Test func elseOnItsOwnLineIsAnError() {
        let d = parseErrors("if a {\n  x\n}\nelse {\n  y\n}\n")
        #expect(d.map(\.message) == ["'else' must be on the same line as the '}' before it: write '} else {'"])
        #expect(d.first?.span.text == "else")
        #expect(messages("else { }") == ["'else' without an 'if': it must follow the '}' of an 'if' block, on the same line"])
        #expect(messages("try { }\ncatch e { }") == ["'catch' must be on the same line as the '}' before it: write '} catch e {'"])
        #expect(messages("step \"s\" { }\nrollback { }")
            == ["'rollback' must be on the same line as the '}' before it: write '} rollback {'"])
    }

    @Test func forLoops() {
        #expect(statements("for k, v in m { print(k, v) }") == ["(for k,v m {(call print k v)})"])
        #expect(statements("for x in range(3) { }") == ["(for x (call range 3) {})"])
        #expect(messages("for x of xs { }") == ["expected 'in' in the 'for' loop, found 'of'"])
        #expect(messages("for let in xs { }") == ["'let' is a reserved word and cannot be used as a name"])
    }

    @Test func whileBreakContinueReturn() {
        #expect(statements("while n < 3 { n = n + 1; if n == 2 { continue }; break }")
            == ["(while (< n 3) {(= n (+ n 1)); (if (== n 2) {continue}); break})"])
        #expect(statements("fn f() { return }\nfn g() { return 1 }")
            == ["(fn f () {(return)})", "(fn g () {(return 1)})"])
    }

    @Test func assignmentTargets() {
        #expect(statements("x = 1\nm.k = 2\nm[\"k\"] = 3\nxs[0].y = 4")
            == ["(= x 1)", "(= (. m k) 2)", "(= ([] m \"k\") 3)", "(= (. ([] xs 0) y) 4)"])
        #expect(messages("f() = 1") == ["cannot assign to this expression (assign to a name, m.key, m[key] or xs[i])"])
    }

    @Test func functionDeclarationsWithDefaults() {
        #expect(statements("fn f(a, b = 2, c = a + 1) { return a + b }")
            == ["(fn f (a b=2 c=(+ a 1)) {(return (+ a b))})"])
        #expect(statements("fn f(\n  a,\n  b = 1,\n) { }") == ["(fn f (a b=1) {})"])
        #expect(messages("fn f(a = 1, b) { }") == ["parameter 'b' needs a default value: it follows a parameter that has one"])
        #expect(messages("fn f(if) { }") == ["'if' is a reserved word and cannot be used as a name"])
    }

    @Test func anonymousFunctions() {
        #expect(statements("let f = fn(x) => x * 2") == ["(let f (fn (x) {(return (* x 2))}))"])
        #expect(statements("let g = fn(x, y = 1) { return x }") == ["(let g (fn (x y=1) {(return x)}))"])
        #expect(expr("xs.map(fn(x) => x + 1)") == "(call (. xs map) (fn (x) {(return (+ x 1))}))")
        #expect(messages("let f = fn(x) x") == ["expected '{' or '=>' to start the function body, found 'x'"])
    }

    @Test func tryCatch() {
        #expect(statements("try { fail(\"x\") } catch e { print(e.message) }")
            == ["(try {(call fail \"x\")} catch e {(call print (. e message))})"])
        #expect(statements("try { } catch { }") == ["(try {} catch {})"])
        #expect(messages("try { }") == ["expected 'catch' after the 'try' block, found the end of the input (write '} catch e {' on one line)"])
    }

    @Test func imports() {
        #expect(statements(#"import "std/list""#) == [#"(import "std/list" as list)"#])
        #expect(statements(#"import "./lib/common.mend""#) == [#"(import "./lib/common.mend" as common)"#])
        #expect(statements(#"import "../x.mend" as c"#) == [#"(import "../x.mend" as c)"#])
        #expect(messages(#"import "lib/x.mend""#).first?.hasPrefix("an import path starts with std/") == true)
        #expect(messages(#"import "./my-lib.mend""#) == [#"cannot name a module 'my-lib': write import "./my-lib.mend" as NAME"#])
        #expect(messages(#"import "./${x}.mend""#) == [#"expected a plain string path after 'import', e.g. import "std/list""#])
    }

    // MARK: runbook statements

    @Test func runbookParamsAndRequires() {
        #expect(statements("runbook \"Node\"\nparam n = 5\nsecret param token = \"\"\nrequire n > 1, \"too small\"\nrequire ok")
            == ["(runbook \"Node\")", "(param n 5)", "(secret param token \"\")", "(require (> n 1) \"too small\")", "(require ok)"])
        #expect(messages("param n") == ["param 'n' needs a default value, which also sets its type: param n = …"])
        // `secret` is a name anywhere else.
        #expect(statements("let secret = 1") == ["(let secret 1)"])
    }

    @Test func stepModifiersInAnyOrder() {
        let expected = "(step \"s\" when ok timeout \(30 * second)ns confirm \(60 * second)ns {(call f)} rollback {(call g)})"
        #expect(statements("step \"s\" when ok timeout 30s confirm 1m { f() } rollback { g() }") == [expected])
        #expect(statements("step \"s\" confirm 1m when ok timeout 30s { f() } rollback { g() }") == [expected])
        #expect(statements("step \"s\" timeout 30s confirm 1m when ok { f() } rollback { g() }") == [expected])
        #expect(statements("step \"restart ${svc}\" { }") == ["(step (str \"restart \" svc) {})"])
        #expect(statements("step \"s\" when a == b {\n}") == ["(step \"s\" when (== a b) {})"])
    }

    @Test func stepModifierErrors() {
        #expect(messages("step \"s\" when a when b { }") == ["a step takes 'when' at most once"])
        #expect(messages("step \"s\" timeout 1s timeout 2s { }") == ["a step takes 'timeout' at most once"])
        #expect(messages("step \"s\" retry 3 { }").first?.hasPrefix("expected '{' to open the step's body (modifiers: when, timeout, confirm)") == true)
        #expect(messages("step \"a\" {\n  step \"b\" { }\n}") == ["a step cannot contain another step (this one is inside the step at 1:1)"])
    }

    @Test func assertAndCheckWithMessages() {
        #expect(statements("assert a >= b, \"msg ${a}\"\nassert ok\ncheck x in xs, \"m\"\ncheck y")
            == ["(assert (>= a b) (str \"msg \" a))", "(assert ok)", "(check (in x xs) \"m\")", "(check y)"])
    }

    // MARK: layout

    @Test func statementsContinueAfterOperatorsCommasAssignmentsAndDots() {
        let source = """
            let total = 1 +
              2 *
              3
            let ports = [
              80,
              443,
            ]
            let z =
              3
            let parts = "a,b".
              split(",")
            let ok = a and
              b or
              not c
            assert x ==
              3,
              "message"
            let f = fn(x) =>
              x
            let y = a \\
              - b
            """
        #expect(statements(source) == [
            "(let total (+ 1 (* 2 3)))",
            "(let ports [80 443])",
            "(let z 3)",
            "(let parts (call (. \"a,b\" split) \",\"))",
            "(let ok (or (and a b) (not c)))",
            "(assert (== x 3) \"message\")",
            "(let f (fn (x) {(return x)}))",
            "(let y (- a b))",
        ])
    }

    @Test func aLineStartingWithAnOperatorStartsANewStatement() {
        #expect(statements("let x = 1\n- 2") == ["(let x 1)", "-2"])
        #expect(messages("let x = 1\n+ 2") == ["expected an expression, found '+'"])
    }

    @Test func semicolonsSeparateStatements() {
        #expect(statements("a; b;; c") == ["a", "b", "c"])
        #expect(messages("a b") == ["expected the end of the statement, found 'b' (put one statement per line, or separate them with ';')"])
        // A lone word close to a keyword is most likely the keyword misspelt.
        #expect(messages("stpe \"x\" {\n}") == ["'stpe' followed by a string is not a statement (did you mean 'step'?)"])
        #expect(messages("asert x == 1") == ["'asert' followed by 'x' is not a statement (did you mean 'assert'?)"])
    }

    // MARK: spans

    @Test func spansPointAtTheirText() throws {
        let program = try #require(parse("let total = a + b * c\nfoo(1, x: m.key)\nfn twice(n) => n * 2\n"))
        let s = program.statements
        #expect(s[0].span.text == "let total = a + b * c")
        guard case .let(_, let nameSpan, let value) = s[0].kind, case .binary(.add, let l, let r) = value.kind else {
            Issue.record("not a let of a sum")
            return
        }
        #expect(nameSpan.text == "total")
        #expect(value.span.text == "a + b * c")
        #expect(l.span.text == "a")
        #expect(r.span.text == "b * c")
        guard case .expr(let call) = s[1].kind, case .call(let callee, let args) = call.kind else {
            Issue.record("not a call")
            return
        }
        #expect(call.span.text == "foo(1, x: m.key)")
        #expect(callee.span.text == "foo")
        #expect(args.map(\.span.text) == ["1", "x: m.key"])
        guard case .member(let object, _, let memberSpan) = args[1].value.kind else {
            Issue.record("not a member")
            return
        }
        #expect(args[1].value.span.text == "m.key")
        #expect(object.span.text == "m")
        #expect(memberSpan.text == "key")
        guard case .function(let decl) = s[2].kind else {
            Issue.record("not a function")
            return
        }
        #expect(decl.span.text == "fn twice(n) => n * 2")
        #expect(decl.nameSpan.text == "twice")
        #expect(decl.params.map(\.span.text) == ["n"])
    }

    @Test func compoundStatementSpansCoverTheirBlocks() throws {
        let source = "if a {\n  b\n} else {\n  c\n}\nstep \"s\" when x { } rollback { }\nxs[i + 1] = \"v\""
        let program = try #require(parse(source))
        #expect(program.statements.map(\.span.text) == [
            "if a {\n  b\n} else {\n  c\n}",
            "step \"s\" when x { } rollback { }",
            "xs[i + 1] = \"v\"",
        ])
        guard case .if(let branches, let otherwise) = program.statements[0].kind else {
            Issue.record("the first statement is not an if")
            return
        }
        #expect(branches[0].body.span.text == "{\n  b\n}")
        #expect(otherwise?.span.text == "{\n  c\n}")
    }

    @Test func literalSpansIncludeQuotesAndUnits() {
        #expect(exprNode("\"a ${b} c\"")?.span.text == "\"a ${b} c\"")
        #expect(exprNode("16GiB")?.span.text == "16GiB")
        #expect(exprNode("-5s")?.span.text == "-5s")
        #expect(exprNode("[1, 2]")?.span.text == "[1, 2]")
        #expect(exprNode("({a: 1})")?.span.text == "({a: 1})")
    }

    @Test func interpolatedExpressionsHaveSpansInTheFile() {
        guard let e = exprNode("\"x ${a + b} y\""), case .interpolated(let parts) = e.kind,
              case .expr(let inner) = parts[1] else {
            Issue.record("not an interpolation")
            return
        }
        #expect(inner.span.text == "a + b")
        #expect(inner.span.description == "test.mend:1:6")
    }

    /// A binary expression whose left operand is in parentheses should cover the parentheses: the
    /// caret of an error in `(1 + 2) / 0` belongs under the `(`.
    @Test func aBinarySpanCoversAParenthesizedOperand() {
        #expect(exprNode("(1 + 2) * 3")?.span.text == "(1 + 2) * 3")
        #expect(exprNode("(f)(x)")?.span.text == "(f)(x)")
    }

    @Test func errorLocationsAreLineAndCharacterColumn() {
        let d = parseErrors("let é = 1\nlet x = (1 + 2\n")
        #expect(d.count == 2)
        #expect(d[0].location == "test.mend:1:5")
        #expect(d[0].message == "unexpected character 'é'")
        #expect(d[1].location == "test.mend:2:9")
        #expect(d[1].message == "unterminated parenthesis: this '(' is never closed")
    }

    // MARK: recovery

    @Test func recoveryReportsSeveralErrorsInSourceOrder() {
        let d = parseErrors("let = 1\nlet ok = 2\nlet y = )\nif x { let = 3 }\nlet z = 3 +\n")
        #expect(d.map(\.message) == [
            "expected a name after 'let', found '='",
            "expected an expression, found ')'",
            "expected a name after 'let', found '='",
            "expected an expression, found the end of the input",
        ])
        #expect(d.map { $0.span.file.location(of: $0.span.start).line } == [1, 3, 4, 5])
    }

    @Test func atMostTwentyErrors() {
        let source = (1...30).map { "let = \($0)" }.joined(separator: "\n")
        let d = parseErrors(source)
        #expect(d.count == Parser.maxErrors)
        #expect(Parser.maxErrors == 20)
        #expect(d.last.map { $0.span.file.location(of: $0.span.start).line } == 20)
        // Lexer errors count toward the same cap.
        #expect(parseErrors(String(repeating: "@\n", count: 30)).count == 20)
    }

    @Test func unclosedBracketsNameWhereTheyOpened() {
        #expect(messages("let xs = [1, 2\nlet y = 3") == ["expected ',' or ']' in the list, found 'let' (is the '[' at 1:10 missing its ']'?)"])
        #expect(messages("f(1,\n") == ["unterminated call: this '(' is never closed"])
        #expect(messages("f(1") == ["expected ',' or ')' in the argument list, found the end of the input (is the '(' at 1:2 missing its ')'?)"])
        #expect(messages("if a {\n  b\n") == ["unterminated block: the '{' opening the 'if' block is never closed"])
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "(", count: 300) + "1" + String(repeating: ")", count: 300)
        let d = parseErrors(deep)
        #expect(d.count == 1)
        #expect(d.first?.message.hasPrefix("too deeply nested: more than 200 levels") == true)
        let ok = String(repeating: "(", count: 150) + "1" + String(repeating: ")", count: 150)
        #expect(expr(ok) == "1")
    }

    // MARK: REPL

    @Test(arguments: [
        "let x = [", "if a {", "let x = 1 +", "f(1,", "x.", "a and", "fn f(a) {\n  return a", "\"\"\"\nabc",
        "let m = {", "step \"s\" {", "if a { } else", "let y =", "let z = 1 + \\",
    ])
    func incompleteInputAsksForMore(text: String) {
        #expect(Parser.isIncomplete(text))
    }

    @Test(arguments: ["let x = 1", "let x = )", "}", "if a {\n}\n", "f(1)", "", "# comment", "let x = [1]]"])
    func completeInputIsNotIncomplete(text: String) {
        #expect(!Parser.isIncomplete(text))
    }

    /// A `"…"` string ends on its line, so more lines cannot finish one left open: the REPL should
    /// report the error instead of waiting for input that cannot help.
    @Test(arguments: ["let s = \"abc", "let s = 'abc", "let s = \"a ${b"])
    func anUnterminatedOneLineStringIsNotIncomplete(text: String) {
        #expect(!Parser.isIncomplete(text))
    }
}
