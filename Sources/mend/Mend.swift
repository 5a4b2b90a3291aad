import ArgumentParser

/// The `mend` command line.
@main
struct Mend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mend",
        abstract: "Run, check and evaluate host remediation runbooks.",
        discussion: """
        Exit codes: 0 success · 1 a step or check failed, or the run was interrupted (changes rolled back) · \
        2 success with changes (--detailed-exitcode) · 3 rollback incomplete · 4 a require failed, nothing ran · \
        64 usage error · 65 the runbook does not parse or check · 75 another run holds the lock · \
        77 a change needed privileges this process lacks.
        """,
        version: MendVersion.text,
        subcommands: [RunCommand.self, PlanCommand.self, CheckCommand.self, RollbackCommand.self, RunsCommand.self,
                      ConfirmCommand.self, ReplCommand.self, EvalCommand.self, DocCommand.self, VersionCommand.self, FactsCommand.self,
                      WatchdogCommand.self]
    )
}
