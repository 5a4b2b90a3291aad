/// `run(argv…)` and `sh("…")`: commands, with captured output, an exit status and a timeout.
/// mend cannot see what a command changes, so unless it is marked `readonly: true` it runs only
/// inside a step, is journalled as not undoable (a step's rollback block is how to compensate),
/// and does not run in a plan.
public enum CommandNamespace {
    typealias Param = Builtin.Param

    /// `run` and `sh`: global functions, so the table has no namespace.
    public static let table = NamespaceTable(nil, [
        .function("run", [Param("command"), .label("timeout"), .label("readonly"), .label("input")], variadic: true, doc: """
            Runs a command without a shell and returns {status, stdout, stderr, ran}.
            The command and its arguments are separate strings (numbers are written out), so nothing is
            expanded or split. A non-zero status is not an error: test r.status. timeout (a duration) kills the
            command and fails; input is text for its standard input. readonly: true declares that it changes
            nothing: then it runs anywhere, also in a plan. Otherwise it runs only in a step, a plan skips it
            (ran is false, status 0) and a failed run cannot undo it unless the step has a rollback block.
            Under --root, commands still act on the live system; they find the root in $MEND_ROOT.
            """, example: #"run("uname", "-s", readonly: true).stdout.trim()  # "Linux""#, body: run),
        .function("sh", [Param("script"), .label("timeout"), .label("readonly"), .label("input")], doc: """
            Runs a script with /bin/sh -c and returns {status, stdout, stderr, ran}.
            Use it when you need pipes, globs or redirections; otherwise prefer run, which has no shell to quote
            for. The options are run's: timeout, readonly, input.
            """, example: #"sh("echo $((6 * 7))", readonly: true).stdout  # "42\n""#, body: sh),
    ])

    static func run(_ args: inout Arguments) throws -> Value {
        var argv = [try word(args.value(0), "'command'", args)]
        for (k, extra) in args.rest.enumerated() { argv.append(try word(extra, "argument \(k + 2)", args)) }
        return try execute(argv, args)
    }

    static func sh(_ args: inout Arguments) throws -> Value {
        try execute(["/bin/sh", "-c", try args.name(0)], args)
    }

    /// An argument as the command sees it: strings as they are, numbers written out. `what` names
    /// it in the error for a NUL byte, where the command would see it end.
    private static func word(_ value: Value, _ what: String, _ args: Arguments) throws -> String {
        switch value {
        case .string(let s): return try args.checked(s, what)
        case .int, .float, .bool, .version: return value.display
        default: throw MendError("\(args.builtin.name): arguments must be strings or numbers, got \(value.aTypeName)")
        }
    }

    private static func execute(_ argv: [String], _ args: Arguments) throws -> Value {
        let name = args.builtin.name
        let positive = "a positive duration such as 30s"
        let timeout = try args.optionalDuration(1, expected: positive)
        if let timeout, timeout <= 0 { throw args.typeError(1, expected: positive, got: .duration(timeout)) }
        let readonly = try args.optionalBool(2) ?? false
        let input = try args.optionalString(3).map { Array($0.utf8) }
        let effects = args.context.effects
        var environment: [String]?
        if !effects.host.isLive {
            environment = effects.host.environment().filter { !$0.hasPrefix("MEND_ROOT=") } + ["MEND_ROOT=\(effects.host.root)"]
        }
        let text = argv.map(quoted).joined(separator: " ")
        let result = try effects.runCommand(text, readonly: readonly) {
            try effects.host.run(argv, environment: environment, stdin: input, timeout: timeout,
                                 shouldStop: { Interrupted.isPending })
        }
        let map = MapRef()
        guard let result else {
            map["status"] = .int(0)
            map["stdout"] = .string("")
            map["stderr"] = .string("")
            map["ran"] = .bool(false)
            return .map(map)
        }
        try Interrupted.check()
        if result.timedOut, let timeout {
            throw MendError("\(name): \(text) timed out after \(Value.formatDuration(timeout)) and was killed")
        }
        map["status"] = .int(Int(result.status))
        map["stdout"] = .string(String(decoding: result.stdout, as: UTF8.self))
        map["stderr"] = .string(String(decoding: result.stderr, as: UTF8.self))
        map["ran"] = .bool(true)
        return .map(map)
    }

    /// A word as a shell would need it, for reports: `echo 'a b'`.
    static func quoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy {
            ($0.properties.isAlphabetic && $0.isASCII) || "0123456789-_./=:,+@%".unicodeScalars.contains($0)
        }
        return plain ? word : "'" + word.replacing("'", with: "'\\''") + "'"
    }
}
