import ArgumentParser

/// The `mend` command line.
@main
struct Mend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mend",
        abstract: "Run, check and evaluate host remediation runbooks.",
        discussion: """
        Exit codes: 0 success · 1 a step, assertion or check failed · 4 a require failed, nothing ran · \
        64 usage error · 65 the runbook does not parse or check.
        """,
        version: MendVersion.text,
        subcommands: [RunCommand.self, CheckCommand.self, EvalCommand.self, DocCommand.self, VersionCommand.self]
    )
}
