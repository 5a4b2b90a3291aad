extension RunReport {
    /// The `--format json` report (docs/runbooks.md; schema in docs/report.schema.json).
    /// Beyond the contract: a change's `note`, `applied` and `undone`; `log` lines of steps and of the run;
    /// the run's `error` and `exit_code`.
    public var json: JSON {
        .object([
            ("schema", .int(1)),
            ("runbook", runbook.map(JSON.string) ?? .null),
            ("file", .string(file)),
            ("mode", .string(isPlan ? "dry-run" : "apply")),
            ("status", .string(status.rawValue)),
            ("host", .object([("name", .string(host.name)), ("os", .string(host.os)), ("kernel", .string(host.kernel))])),
            ("params", .object(params)),
            ("steps", .array(steps.map(\.json))),
            ("checks", .array(checks.map(\.json))),
            ("rollback_errors", .array(rollbackErrors.map {
                .object([("target", .string($0.target)), ("message", .string($0.message))])
            })),
            ("run_id", runId.map(JSON.string) ?? .null),
            ("duration_ms", .int(durationMs)),
            ("error", error?.json ?? .null),
            ("log", .array(logs.map(JSON.string))),
            ("exit_code", .int(Int(exitCode))),
        ])
    }
}

extension StepReport {
    var json: JSON {
        .object([
            ("index", .int(index)),
            ("name", .string(name)),
            ("status", .string(status.rawValue)),
            ("skipped_reason", skippedReason.map(JSON.string) ?? .null),
            ("duration_ms", .int(durationMs)),
            ("changes", .array(changes.map(\.json))),
            ("checks", .array(checks.map(\.json))),
            ("error", error?.json ?? .null),
            ("log", .array(logs.map(JSON.string))),
        ])
    }
}

extension ChangeReport {
    var json: JSON {
        .object([
            ("kind", .string(kind)), ("target", .string(target)), ("before", before), ("after", after),
            ("note", note.map(JSON.string) ?? .null), ("applied", .bool(applied)), ("undone", .bool(undone)),
        ])
    }
}

extension CheckResult {
    var json: JSON {
        .object([("ok", .bool(ok)), ("message", .string(message)), ("location", .string(location))])
    }
}

extension ErrorReport {
    var json: JSON {
        .object([("message", .string(message)), ("location", location.map(JSON.string) ?? .null)])
    }
}
