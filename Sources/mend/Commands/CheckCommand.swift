import ArgumentParser
import MendKit

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Parse and statically check runbooks without touching the host.",
        discussion: """
        Reports syntax errors, undefined names, wrong arity, unknown namespace members, misplaced \
        break/continue/return, duplicate params and host changes outside a step — every error in \
        every file and in the files they import. Exit 0 when all are clean, 65 otherwise.
        """
    )

    @Argument(help: "Runbook files.")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one runbook file") }
    }

    func run() throws {
        try runCommand {
            let interpreter = Interpreter()
            var failed = false
            for path in files {
                let file = try readSource(path)
                do {
                    let unit = try interpreter.compile(file)
                    for error in interpreter.checkImports(of: unit) {
                        if let diagnostics = error as? Diagnostics { Console.error(diagnostics.rendered()) }
                        if let error = error as? MendError { Console.error(error.rendered()) }
                        failed = true
                    }
                } catch let diagnostics as Diagnostics {
                    Console.error(diagnostics.rendered())
                    failed = true
                }
            }
            if !failed { Console.error("\(files.count) file\(files.count == 1 ? "" : "s") checked: no problems") }
            return failed ? ExitStatus.invalidRunbook : ExitStatus.success
        }
    }
}
