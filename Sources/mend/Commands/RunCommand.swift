import ArgumentParser
import MendKit

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Execute a runbook.",
        discussion: """
        Params are set with --param NAME=VALUE (repeatable), --param-file FILE (NAME=VALUE lines) or \
        the environment (MEND_PARAM_NAME); values are parsed as the type of the param's default.
        """
    )

    @Argument(help: "The runbook file.")
    var file: String

    @Option(name: .customLong("param"), help: ArgumentHelp("Set a param.", valueName: "NAME=VALUE"))
    var params: [String] = []

    @Option(name: .customLong("param-file"), help: ArgumentHelp("Read NAME=VALUE lines from a file.", valueName: "FILE"))
    var paramFile: String?

    func run() throws {
        try runCommand {
            let source = try readSource(file)
            let interpreter = Interpreter()
            let unit = try interpreter.compile(source)
            interpreter.parameters = try ParamArguments.collect(params, file: paramFile, declared: unit.main.params.map(\.name))
            try interpreter.checkParameters(of: unit)
            _ = try interpreter.run(unit)
            return interpreter.checks.contains { !$0.ok } ? ExitStatus.failed : ExitStatus.success
        }
    }
}

/// `--param` and `--param-file` values, checked against the runbook's declared params.
enum ParamArguments {
    static func collect(_ pairs: [String], file: String?, declared: [String]) throws -> [String: String] {
        var lines: [(String, String)] = []
        if let file {
            let source = try readSource(file)
            let text = String(decoding: source.bytes, as: UTF8.self)
            for (k, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.trimmingCharacters(in: " \t\r")
                if line.isEmpty || line.hasPrefix("#") { continue }
                lines.append((line, "\(file):\(k + 1)"))
            }
        }
        lines += pairs.map { ($0, "--param") }
        var result: [String: String] = [:]
        for (pair, origin) in lines {
            guard let eq = pair.firstIndex(of: "=") else {
                throw CommandFailure(ExitStatus.usage, "mend: \(origin): expected NAME=VALUE, got \"\(pair)\"")
            }
            let name = pair[..<eq].trimmingCharacters(in: " \t")
            guard declared.contains(name) else {
                let hint = declared.isEmpty ? " (the runbook declares no params)"
                    : " (declared: \(declared.joined(separator: ", ")))"
                throw CommandFailure(ExitStatus.usage, "mend: \(origin): unknown param '\(name)'\(hint)")
            }
            result[name] = String(pair[pair.index(after: eq)...]).trimmingCharacters(in: origin == "--param" ? "" : " \t")
        }
        return result
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
