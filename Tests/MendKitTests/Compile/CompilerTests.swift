import Testing
@testable import MendKit

// MARK: helpers

/// The core library plus a `demo` namespace: a reading function, a host-changing one and a property.
private func demoRegistry() -> Registry {
    let registry = Registry.standard()
    registry.register(Builtin(namespace: "demo", name: "get", params: [Builtin.Param("key")],
                              doc: "Reads a demo value.") { _ in .null })
    registry.register(Builtin(namespace: "demo", name: "set",
                              params: [Builtin.Param("key"), Builtin.Param("value"), .optional("persist")],
                              changesHost: true, doc: "Changes a demo value.") { _ in .null })
    registry.register(Builtin(namespace: "demo", name: "level", kind: .property, doc: "A demo property.") { _ in .int(3) })
    return registry
}

private let registry = demoRegistry()

private func compileResult(_ text: String, options: CompileOptions) -> Result<CompiledUnit, Diagnostics> {
    let file = SourceFile(name: "test.mend", text: text)
    let program: Program
    do {
        program = try Parser.parse(file)
    } catch {
        return .failure(error)
    }
    do {
        return .success(try Compiler.compile(program, symbols: registry, options: options))
    } catch {
        return .failure(error)
    }
}

/// Compiles `text`; records an issue with the diagnostics when it does not compile.
private func compile(_ text: String, options: CompileOptions = CompileOptions()) -> CompiledUnit? {
    switch compileResult(text, options: options) {
    case .success(let unit): return unit
    case .failure(let d):
        Issue.record("unexpected errors:\n\(d.rendered())")
        return nil
    }
}

/// True when `text` compiles.
private func compiles(_ text: String, options: CompileOptions = CompileOptions()) -> Bool {
    compile(text, options: options) != nil
}

/// The diagnostics of `text`, which must not compile.
private func errors(_ text: String, options: CompileOptions = CompileOptions()) -> [Diagnostic] {
    switch compileResult(text, options: options) {
    case .success:
        Issue.record("expected errors for:\n\(text)")
        return []
    case .failure(let d):
        return d.items
    }
}

private func messages(_ text: String, options: CompileOptions = CompileOptions()) -> [String] {
    errors(text, options: options).map(\.message)
}

/// `newCell(0)`, `loadLocal(2)`, … for each instruction.
private func instructions(_ code: FunctionCode) -> [String] {
    code.code.map { "\($0)" }
}

/// The slot operands of the instructions of `code` whose name is one of `names`.
private func slots(_ code: FunctionCode, _ names: Set<String>) -> Set<Int32> {
    var result = Set<Int32>()
    for instr in code.code {
        switch instr {
        case .loadLocal(let s) where names.contains("loadLocal"),
             .storeLocal(let s) where names.contains("storeLocal"),
             .loadCell(let s) where names.contains("loadCell"),
             .storeCell(let s) where names.contains("storeCell"),
             .newCell(let s) where names.contains("newCell"),
             .boxSlot(let s) where names.contains("boxSlot"),
             .returnLocal(let s) where names.contains("returnLocal"):
            result.insert(s)
        default:
            break
        }
    }
    return result
}

private let cellInstructions: Set<String> = ["loadCell", "storeCell", "newCell", "boxSlot"]
private let localInstructions: Set<String> = ["loadLocal", "storeLocal", "returnLocal"]

@Suite struct CompilerTests {
    // MARK: names

    @Test func undefinedNamesSuggestTheClosestVisibleName() {
        #expect(messages("print(lenn([1]))") == ["undefined name 'lenn' (did you mean 'len'?)"])
        #expect(messages("let count = 1\nprint(cuont)") == ["undefined name 'cuont' (did you mean 'count'?)"])
        #expect(messages("fn f(items) { return itmes }") == ["undefined name 'itmes' (did you mean 'items'?)"])
        #expect(messages("print(zzz)") == ["undefined name 'zzz'"])
        // Names of inner blocks are not visible outside them.
        #expect(messages("if true { let inner = 1 }\nprint(inner)") == ["undefined name 'inner'"])
    }

    @Test func theErrorPointsAtTheName() {
        let d = errors("let x = 1\nprint(x + yy)")
        #expect(d.count == 1)
        #expect(d.first?.span.text == "yy")
        #expect(d.first?.location == "test.mend:2:11")
    }

    @Test func assigningAnUndeclaredName() {
        #expect(messages("total = 1") == ["undefined name 'total': declare it with 'let total = …'"])
        #expect(messages("let total = 0\ntotl = 1") == ["undefined name 'totl': declare it with 'let totl = …' (did you mean 'total'?)"])
    }

    @Test func useBeforeLet() {
        #expect(messages("print(x)\nlet x = 1") == ["'x' is used before its declaration at 2:5"])
        #expect(messages("x = 2\nlet x = 1") == ["'x' is assigned before it is declared: write 'let x = …'"])
        #expect(messages("if true {\n  print(y)\n  let y = 1\n}") == ["'y' is used before its 'let' at 3:7"])
        #expect(messages("fn f() {\n  y = 2\n  let y = 1\n}") == ["'y' is used before its 'let' at 3:7"])
        // In an inner block, `let x = x + 1` already means the inner x (declared for the whole block), not yet set.
        #expect(messages("let x = 1\nif true { let x = x + 1 }") == ["'x' is used before its 'let' at 2:15"])
    }

    @Test func aFunctionMayUseATopLevelLetDeclaredAfterIt() {
        // It runs later, when the `let` has happened.
        #expect(compiles("fn f() { return limit }\nlet limit = 3\nprint(f())"))
    }

    @Test func duplicateDeclarations() {
        #expect(messages("if true {\n  let a = 1\n  let a = 2\n}") == ["'a' is already declared in this block (at 2:7)"])
        #expect(messages("let a = 1\nlet a = 2") == ["'a' is already declared at the top level of this file (at 1:5)"])
        #expect(messages("let f = 1\nfn f() { }") == ["'f' is already declared at the top level of this file (at 1:5)"])
        #expect(messages("fn f(a, b, a) { }") == ["duplicate parameter 'a' (first at 1:6)"])
        #expect(messages("param p = 1\nparam p = 2") == ["duplicate param 'p' (at 1:7)"])
    }

    @Test func innerBlocksMayShadow() {
        #expect(compiles("let x = 1\nif true {\n  let x = \"two\"\n  for x in [3] { let y = x }\n}\nfn f(x) { let len = 1\n return x + len }"))
    }

    @Test func assignmentsToThingsThatAreNotVariables() {
        #expect(messages("fn f() { }\nf = 1") == ["cannot assign to function 'f'"])
        #expect(messages("import \"std/list\"\nlist = 1") == ["cannot assign to module 'list'"])
        #expect(messages("param p = 1\np = 2") == ["cannot assign to param 'p'"])
        #expect(messages("len = 1") == ["cannot assign to the builtin 'len': declare a variable with 'let len = …'"])
        #expect(messages("fn f() {\n  fn g() { }\n  g = 1\n}") == ["cannot assign to function 'g'"])
    }

    // MARK: functions and closures

    @Test func functionsAreVisibleInTheirWholeBlock() {
        #expect(compiles("""
            print(is_even(10))
            fn is_even(n) { if n == 0 { return true }
              return is_odd(n - 1) }
            fn is_odd(n) { if n == 0 { return false }
              return is_even(n - 1) }
            """))
        #expect(compiles("""
            fn outer() {
              return ping(3)
              fn ping(n) { if n == 0 { return 0 }
                return pong(n - 1) }
              fn pong(n) { return ping(n) }
            }
            """))
        #expect(messages("if true { fn hidden() { } }\nhidden()") == ["undefined name 'hidden'"])
    }

    @Test func closuresKeepOnlyCapturedVariablesInCells() throws {
        let unit = try #require(compile("""
            fn f() {
              let a = 1
              let b = 2
              let g = fn() => a
              return b + g()
            }
            """))
        let f = try #require(unit.main.functions.first)
        #expect(f.name == "f")
        let g = try #require(f.functions.first)
        // `a` is captured: created as a cell and written through it; `b` and `g` stay plain slots.
        let cellSlots = slots(f, cellInstructions)
        let localSlots = slots(f, localInstructions)
        #expect(cellSlots.count == 1, "\(instructions(f))")
        #expect(localSlots.count == 2, "\(instructions(f))")
        #expect(cellSlots.isDisjoint(with: localSlots))
        #expect(instructions(f).filter { $0.hasPrefix("newCell(") }.count == 1)
        #expect(instructions(f).contains { $0.hasPrefix("storeCell(") })
        // The closure reads `a` through its captured cell and has no locals of its own.
        #expect(g.captures.count == 1)
        #expect(g.captures.first.map { cellSlots.contains($0.sourceSlot) } == true)
        #expect(instructions(g).contains { $0.hasPrefix("loadCell(") })
        #expect(slots(g, localInstructions).isEmpty)
    }

    @Test func aFunctionWithoutClosuresUsesNoCells() throws {
        let unit = try #require(compile("fn f(n) {\n  let m = n * 2\n  for i in range(m) { m = m + i }\n  return m\n}"))
        let f = try #require(unit.main.functions.first)
        #expect(slots(f, cellInstructions).isEmpty, "\(instructions(f))")
        #expect(!slots(f, localInstructions).isEmpty)
    }

    @Test func aCapturedParameterIsBoxedOnEntry() throws {
        let unit = try #require(compile("fn make(n, unused) { return fn() => n }"))
        let make = try #require(unit.main.functions.first)
        #expect(instructions(make).first == "boxSlot(0)")
        #expect(!instructions(make).contains("boxSlot(1)"))
    }

    @Test func closuresCaptureByReferenceThroughSeveralLevels() throws {
        let unit = try #require(compile("""
            fn counter() {
              let n = 0
              return fn() {
                return fn() {
                  n = n + 1
                  return n
                }
              }
            }
            """))
        let counter = try #require(unit.main.functions.first)
        let middle = try #require(counter.functions.first)
        let inner = try #require(middle.functions.first)
        // The middle function only passes the cell on.
        #expect(middle.captures.count == 1)
        #expect(inner.captures.count == 1)
        #expect(inner.captures.first?.sourceSlot == middle.captures.first?.targetSlot)
        #expect(instructions(inner).contains { $0.hasPrefix("storeCell(") })
        #expect(slots(counter, cellInstructions).count == 1)
    }

    @Test func topLevelVariablesAreGlobalsNotCells() throws {
        let unit = try #require(compile("let count = 0\nlet bump = fn() { count = count + 1 }"))
        #expect(slots(unit.main, cellInstructions).isEmpty)
        let bump = try #require(unit.main.functions.first)
        #expect(bump.captures.isEmpty)
        #expect(instructions(bump).contains("loadGlobal(0)"))
        #expect(instructions(bump).contains("storeGlobal(0)"))
    }

    @Test func aCapturedLoopVariableGetsAFreshCellInEachIteration() throws {
        let unit = try #require(compile("""
            fn f() {
              let fs = []
              for i in range(3) {
                fs.append(fn() => i)
              }
              return fs
            }
            """))
        let f = try #require(unit.main.functions.first)
        let code = instructions(f)
        // The loop test sits at the bottom and jumps back to the body's start.
        let bottom = try #require(code.firstIndex { $0.hasPrefix("rangeLoop(") })
        let bodyStart = try #require(Int(code[bottom].split(separator: ",").last?.dropLast().trimmingPrefix(" ") ?? ""))
        let fresh = try #require(code.firstIndex { $0.hasPrefix("newCell(") })
        #expect(bodyStart <= fresh && fresh < bottom, "\(code)")
    }

    // MARK: placement

    @Test func breakAndContinueOutsideALoop() {
        #expect(messages("break") == ["'break' outside a loop"])
        #expect(messages("if true { continue }") == ["'continue' outside a loop"])
        // A function body is not part of the loop around it.
        #expect(messages("for x in [1] {\n  let f = fn() { break }\n}") == ["'break' outside a loop"])
        #expect(compiles("while true { if true { break } else { continue } }"))
    }

    @Test func breakAndContinueCannotLeaveAStep() {
        #expect(messages("for x in [1] {\n  step \"s\" { break }\n}") == ["'break' cannot leave a step: a step runs as a whole"])
        #expect(messages("while true {\n  step \"s\" { } rollback { continue }\n}")
            == ["'continue' cannot leave a step: a step runs as a whole"])
        #expect(compiles("step \"s\" { for x in [1] { break } }"))
    }

    @Test func returnOutsideAFunction() {
        #expect(messages("return 1") == ["'return' outside a function"])
        #expect(messages("for x in [1] { if x == 1 { return } }") == ["'return' outside a function"])
        #expect(errors("\nreturn").first?.location == "test.mend:2:1")
        // In a step it ends the step.
        #expect(compiles("step \"s\" { return }"))
    }

    // MARK: calls

    @Test func builtinArity() {
        #expect(messages("len()") == ["missing argument 'value' in the call to len(value)"])
        #expect(messages("len(1, 2)") == ["len(value) takes 1 argument, got 2"])
        #expect(messages("get({})") == ["missing argument 'key' in the call to get(container, key, default)"])
        #expect(messages("range(1, 2, 3, 4)") == ["range(start_or_stop, stop, step) takes at most 3 arguments, got 4"])
        // Variadic builtins take any number.
        #expect(compiles("print(1, 2, 3, 4, 5)\nprint()\nmax(1, 2, 3)"))
        #expect(compiles("sort([1], reverse: true)\nget(key: 1, container: [2])"))
    }

    @Test func aPositionalArgumentMeantForALabelSaysToLabelIt() {
        #expect(messages("step \"s\" { sysctl.set(\"net.core.somaxconn\", 1024, true) }")
            == ["sysctl.set(key, value, persist) takes 2 arguments, got 3 (to give 'persist', label it: persist: true)"])
        #expect(messages("step \"s\" { sh(\"true\", 5s) }")
            == ["sh(script, timeout, readonly, input) takes 1 argument, got 2 (the rest are given by label: timeout: …, readonly: …, input: …)"])
        #expect(Builtin(name: "f", params: [Builtin.Param("a")], doc: "F.") { _ in .null }.labelHint(forExtra: "1") == "")
    }

    @Test func builtinLabels() {
        #expect(messages("sort([1], reversed: true)")
            == ["sort(list, key, reverse) has no parameter 'reversed' (did you mean 'reverse'?)"])
        #expect(messages("len(value: 1, value: 2)") == ["argument 'value' is given twice"])
        #expect(messages("len(1, value: 2)") == ["argument 'value' is given twice"])
        let d = errors("sort([1], reversed: true)")
        #expect(d.first?.span.text == "reversed: true")
    }

    @Test func userFunctionArityAndLabels() {
        let f = "fn f(a, b = 1) { return a }\n"
        #expect(messages(f + "f()") == ["missing argument 'a' in the call to f(a, b)"])
        #expect(messages(f + "f(1, 2, 3)") == ["f(a, b) takes at most 2 arguments, got 3"])
        #expect(messages(f + "f(1, c: 2)") == ["f(a, b) has no parameter 'c'"])
        #expect(messages(f + "f(1, bb: 2)") == ["f(a, b) has no parameter 'bb' (did you mean 'b'?)"])
        #expect(messages(f + "f(1, a: 2)") == ["argument 'a' is given twice"])
        #expect(compiles(f + "f(1)\nf(b: 2, a: 1)\nf(1, b: 2)"))
        // Known by name inside blocks and through captures too.
        #expect(messages("fn outer() {\n  fn inner(x) { }\n  inner()\n}") == ["missing argument 'x' in the call to inner(x)"])
        #expect(messages("fn outer() {\n  fn inner(x) { }\n  let g = fn() => inner(1, 2)\n}")
            == ["inner(x) takes 1 argument, got 2"])
        // Through a variable it is checked when it runs.
        #expect(compiles("let g = fn(x) => x\ng(1, 2, 3)"))
    }

    @Test func theArityErrorPointsAtTheCall() {
        let d = errors("fn f(a) { }\nlet r = f()")
        #expect(d.first?.span.text == "f()")
        #expect(d.first?.location == "test.mend:2:9")
    }

    // MARK: namespaces

    @Test func unknownNamespaceMemberSuggestsOne() {
        #expect(messages("demo.gte(\"k\")") == ["'demo' has no member 'gte' (did you mean 'get'?)"])
        #expect(messages("let x = demo.levle") == ["'demo' has no member 'levle' (did you mean 'level'?)"])
        #expect(messages("demo.frobnicate()") == ["'demo' has no member 'frobnicate'"])
        #expect(errors("demo.gte(\"k\")").first?.span.text == "gte")
    }

    @Test func namespaceMisuse() {
        #expect(messages("let d = demo") == ["'demo' is a namespace: use one of its members, e.g. demo.…"])
        #expect(messages("demo.level()") == ["'demo.level' is a value, not a function: write demo.level without '()'"])
        #expect(messages("demo.level = 4") == ["cannot assign to 'demo.level': namespace members are read-only"])
        #expect(messages("demo.get()") == ["missing argument 'key' in the call to demo.get(key)"])
        #expect(messages("step \"s\" { demo.set(\"k\", 1, persistent: true) }")
            == ["demo.set(key, value, persist) has no parameter 'persistent' (did you mean 'persist'?)"])
        #expect(compiles("let v = demo.level + 1\nlet r = demo.get(\"k\")\nlet f = demo.get"))
    }

    @Test func aNamespaceCanBeShadowedByALocal() {
        #expect(compiles("fn f(demo) { return demo.anything }"))
    }

    @Test func aHostChangingBuiltinAtTheTopLevelIsAnError() {
        let d = errors("demo.set(\"k\", 1)")
        #expect(d.map(\.message) == ["'demo.set' changes the host: call it inside a step (or a rollback block)"])
        #expect(d.first?.span.text == "demo.set")
        // Inside top-level control flow it is still outside a step.
        #expect(messages("if true {\n  for i in [1] { demo.set(\"k\", i) }\n}")
            == ["'demo.set' changes the host: call it inside a step (or a rollback block)"])
    }

    @Test func aHostChangingBuiltinCompilesInAStepARollbackAFunctionOrTheRepl() {
        #expect(compiles("step \"s\" { demo.set(\"k\", 1, persist: true) }"))
        #expect(compiles("step \"s\" { } rollback { demo.set(\"k\", 1) }"))
        #expect(compiles("step \"s\" { if true { demo.set(\"k\", 1) } }"))
        // In a function it is checked when it runs (the function may be called from a step).
        #expect(compiles("fn apply() { demo.set(\"k\", 1) }"))
        #expect(compiles("let apply = fn() => demo.set(\"k\", 1)"))
        #expect(compiles("demo.set(\"k\", 1)", options: CompileOptions(isInteractive: true)))
        // Reading builtins work anywhere.
        #expect(compiles("let v = demo.get(\"k\")"))
    }

    // MARK: runbook structure

    @Test func paramAndRequireComeBeforeTheFirstStep() {
        #expect(compiles("runbook \"t\"\nparam n = 1\nrequire n > 0, \"positive\"\nlet x = 1\nstep \"s\" { }"))
        #expect(messages("step \"s\" { }\nparam n = 1") == ["'param' must come before the first step (at 1:1)"])
        #expect(messages("step \"s\" { }\nrequire true") == ["'require' must come before the first step (at 1:1)"])
        // A step inside a function does not count as the first step.
        #expect(compiles("fn f() { step \"s\" { } }\nparam n = 1"))
    }

    @Test func paramAndRequireStandAtTheTopLevel() {
        #expect(messages("if true { param n = 1 }") == ["'param' must stand at the top level of the runbook"])
        #expect(messages("fn f() { require true }") == ["'require' must stand at the top level of the runbook"])
        #expect(messages("step \"s\" { require true }") == ["'require' must stand at the top level of the runbook"])
    }

    @Test func runbookMustBeFirst() {
        #expect(compiles("# a comment first is fine\n\nrunbook \"t\"\nlet x = 1"))
        #expect(messages("let x = 1\nrunbook \"t\"") == ["'runbook' names the runbook: it must be the first statement of the file"])
        #expect(messages("runbook \"a\"\nrunbook \"b\"") == ["a runbook has one title: it is already named at 1:1"])
        #expect(messages("if true { runbook \"t\" }") == ["'runbook' names the runbook: it must be the first statement of the file"])
    }

    @Test func modulesHoldNoRunbookStatements() {
        let module = CompileOptions(isModule: true)
        #expect(messages("param n = 1", options: module) == ["'param' belongs in a runbook, not in an imported module"])
        #expect(messages("require true", options: module) == ["'require' belongs in a runbook, not in an imported module"])
        #expect(messages("runbook \"t\"", options: module) == ["'runbook' names the runbook: it must be the first statement of the file"])
        #expect(messages("step \"s\" { }", options: module) == ["a module cannot run steps at its top level: put them in a function"])
        #expect(compiles("let x = 1\nfn f() { step \"s\" { } }", options: module))
    }

    @Test func unknownStandardModule() {
        #expect(messages("import \"std/lsit\"") == ["no standard module \"std/lsit\" (did you mean 'std/list'?)"])
        #expect(messages("import \"std/nothing\" as n") == ["no standard module \"std/nothing\" (available: std/list, std/text)"])
        #expect(errors("import \"std/lsit\"").first?.span.text == "\"std/lsit\"")
    }

    // MARK: reporting

    @Test func errorsComeInSourceOrderAndAreCapped() {
        // The function compiles before the statements around it; errors still come in source order.
        let d = errors("print(a1)\nfn f() { return a2 }\nprint(a3)")
        #expect(d.map(\.message) == ["undefined name 'a1'", "undefined name 'a2'", "undefined name 'a3'"])
        let many = (1...30).map { "print(undefined\($0))" }.joined(separator: "\n")
        let capped = errors(many)
        #expect(capped.count == Compiler.maxErrors)
        #expect(capped.last?.message == "undefined name 'undefined20'")
    }
}
