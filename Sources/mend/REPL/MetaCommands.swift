import MendKit

/// The REPL's `:` commands (docs/repl.md).
enum MetaCommands {
    struct Command {
        let name: String
        let usage: String
        let summary: String
        let argument: Completer.Argument
    }

    static let all: [Command] = [
        Command(name: ":help", usage: ":help [NAME]", summary: "these commands, or a builtin's reference (as `mend doc NAME`)",
                argument: .builtinName),
        Command(name: ":dry", usage: ":dry on|off", summary: "plan instead of change: reads show planned values, nothing changes",
                argument: .choices(["on", "off"])),
        Command(name: ":changes", usage: ":changes", summary: "the changes of this session, made, undone and planned",
                argument: .none),
        Command(name: ":undo", usage: ":undo [all] [force]",
                summary: "undo the newest change (all: every change, newest first; force: even if changed since)",
                argument: .choices(["all", "force"])),
        Command(name: ":load", usage: ":load FILE [NAME=VALUE…]", summary: "run a runbook's functions, lets and params here; no steps run",
                argument: .path),
        Command(name: ":steps", usage: ":steps", summary: "the loaded runbook's steps", argument: .none),
        Command(name: ":step", usage: ":step NAME", summary: "run one step of the loaded runbook now, journalled", argument: .stepName),
        Command(name: ":quit", usage: ":quit", summary: "leave (so does Ctrl-D); changes made stay, `mend rollback` can undo them",
                argument: .none),
    ]

    /// True for a line that is a meta command rather than code.
    static func isMetaCommand(_ line: String) -> Bool {
        line.drop { $0 == " " || $0 == "\t" }.first == ":"
    }

    /// Runs a meta command; false when the REPL should end.
    static func run(_ line: String, in repl: Repl) -> Bool {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let name = words.first else { return true }
        let argument = line.drop { $0 == " " || $0 == "\t" }.dropFirst(name.count).trimmingCharacters(in: " \t")
        let arguments = Array(words.dropFirst())
        switch name {
        case ":help": help(argument, repl)
        case ":dry": dry(arguments, repl)
        case ":changes": changes(repl)
        case ":undo": undo(arguments, repl)
        case ":load": load(arguments, repl)
        case ":steps": steps(repl)
        case ":step": step(argument, repl)
        case ":quit": return false
        default:
            repl.fail("unknown command \(name)" + Suggest.hint(for: name, in: all.map(\.name)) + " (:help lists them)")
        }
        return true
    }

    private static func help(_ name: String, _ repl: Repl) {
        guard name.isEmpty else {
            guard let text = BuiltinReference.entry(name, in: repl.interpreter.registry) else {
                repl.fail("no builtin or keyword '\(name)'" + Suggest.hint(for: name, in: BuiltinReference.allNames(repl.interpreter.registry)))
                return
            }
            Console.output(text)
            return
        }
        let width = all.map(\.usage.count).max() ?? 0
        var lines = ["Type mend code; its value is printed. A bracket left open or a trailing operator continues the input",
                     "on the next line; Ctrl-C drops it. Host changes are journalled as in a run.", ""]
        for command in all {
            lines.append("  " + command.usage + String(repeating: " ", count: width - command.usage.count + 2) + command.summary)
        }
        lines += ["", "Namespaces: " + repl.interpreter.registry.namespaces.keys.sorted().joined(separator: ", ")
                  + ". :help NAME (e.g. :help sysctl.set) shows one."]
        Console.output(lines.joined(separator: "\n"))
    }

    private static func dry(_ arguments: [String], _ repl: Repl) {
        switch arguments {
        case []:
            Console.output(repl.engine.isPlanning ? "dry: on (changes are planned, nothing changes)" : "dry: off")
        case ["on"]:
            repl.engine.setPlanning(true)
            Console.error("dry: on — changes are planned over an overlay; reads show the planned values")
        case ["off"]:
            let dropped = repl.engine.setPlanning(false)
            Console.error("dry: off" + (dropped > 0 ? " — \(dropped) planned change\(dropped == 1 ? "" : "s") dropped" : ""))
        default:
            repl.fail("usage: :dry on|off")
        }
    }

    private static func changes(_ repl: Repl) {
        let changes = repl.engine.sessionChanges
        guard !changes.isEmpty else {
            Console.output("no changes in this session")
            return
        }
        for (k, change) in changes.enumerated() {
            let state = change.planned ? "planned" : change.change.undone ? "undone" : change.change.applied ? "made" : "failed"
            Console.output(repl.redacted("\(k + 1). [\(state)] \(change.change.summary)    ← \(change.step)"))
        }
    }

    private static func undo(_ arguments: [String], _ repl: Repl) {
        guard arguments.allSatisfy({ $0 == "all" || $0 == "force" }) else {
            repl.fail("usage: :undo [all] [force]")
            return
        }
        let outcome: UndoOutcome
        do {
            outcome = try repl.engine.undo(all: arguments.contains("all"), force: arguments.contains("force"))
        } catch {
            repl.report(error)
            return
        }
        let verb = repl.engine.isPlanning ? "forgot" : "undone"
        for change in outcome.undone { Console.error(repl.redacted("\(verb): \(change.summary)")) }
        for (change, reason) in outcome.notUndone {
            repl.fail("not undone: \(change.summary) — \(reason)")
        }
        for error in outcome.followUpErrors { repl.fail(repl.redacted("after undoing: \(error)")) }
        if outcome.undone.isEmpty, outcome.notUndone.isEmpty { Console.error("nothing to undo") }
    }

    static func load(_ arguments: [String], _ repl: Repl) {
        guard let path = arguments.first else {
            repl.fail("usage: :load FILE [NAME=VALUE…]")
            return
        }
        let interpreter = repl.interpreter
        repl.run(input: ":load \(path)") {
            let source = try readSource(path)
            let unit = try interpreter.compile(source, options: CompileOptions(isInteractive: true), globals: repl.module.scope)
            let declared = unit.main.params.map(\.name)
            // `mend repl --param` values apply to the files that declare them.
            let fromStart = repl.parameters.filter { pair in declared.contains { pair.hasPrefix($0 + "=") } }
            let values = try ParamArguments.collect(fromStart + arguments.dropFirst(), file: nil, declared: declared)
            interpreter.parameters.merge(values) { $1 }
            try interpreter.checkParameters(of: unit)
            // Steps are recorded, not run, and host changes outside them fail as in a run.
            let recorder = StepRecorder()
            let saved = interpreter.stepRunner
            interpreter.stepRunner = recorder
            interpreter.isInteractive = false
            defer {
                interpreter.stepRunner = saved
                interpreter.isInteractive = true
            }
            do {
                _ = try repl.engine.evaluate(unit, in: repl.module, input: ":load \(path)")
            } catch {
                repl.loaded = LoadedFile(path: path, steps: recorder.steps)
                throw error
            }
            repl.loaded = LoadedFile(path: path, steps: recorder.steps)
            let count = recorder.steps.count
            Console.error("loaded \(path): \(count) step\(count == 1 ? "" : "s")" + (count > 0 ? " (:steps lists them, :step NAME runs one)" : ""))
        }
    }

    private static func steps(_ repl: Repl) {
        guard let loaded = repl.loaded else {
            repl.fail("no runbook loaded (:load FILE)")
            return
        }
        guard !loaded.steps.isEmpty else {
            Console.output("\(loaded.path) has no steps")
            return
        }
        for (k, step) in loaded.steps.enumerated() {
            var line = "\(k + 1). \(step.name)"
            if step.when == false { line += "  (when false)" }
            if step.rollback != nil { line += "  (has a rollback block)" }
            Console.output(repl.redacted(line))
        }
    }

    private static func step(_ name: String, _ repl: Repl) {
        guard let loaded = repl.loaded else {
            repl.fail("no runbook loaded (:load FILE)")
            return
        }
        // Names as :steps shows them (secrets masked), so completion and suggestions never reveal one.
        let shown = loaded.steps.map { repl.redacted($0.name) }
        let byNumber = Int(name).flatMap { $0 >= 1 && $0 <= loaded.steps.count ? loaded.steps[$0 - 1] : nil }
        let byName = shown.firstIndex(of: name).map { loaded.steps[$0] } ?? loaded.steps.first { $0.name == name }
        guard let step = byNumber ?? byName else {
            repl.fail("no step \"\(repl.redacted(name))\" in \(loaded.path)" + Suggest.hint(for: name, in: shown)
                      + " (:steps lists them)")
            return
        }
        repl.run(input: ":step \(step.name)") { try repl.engine.runStep(step) }
    }
}
