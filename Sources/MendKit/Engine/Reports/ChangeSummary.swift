extension ChangeReport {
    /// One line for people: `file /etc/motd: created (mode 0644)`, `sysctl vm.swappiness: 60 → 1`,
    /// `run systemctl restart node: not run in a plan`.
    public var summary: String {
        if kind == "run" { return "run \(target)" + (after.string.map { ": \($0)" } ?? "") }
        if diff != nil || isSuperseded || before["unknown"] != nil {
            let what = note ?? (before == after ? "unchanged" : "content changed")
            return "\(kind) \(target): \(what)"
        }
        return "\(kind) \(target): \(ChangeReport.shortText(before)) → \(ChangeReport.shortText(after))"
            + (note.map { " (\($0))" } ?? "")
    }

    /// A value on one line: strings quoted, nothing as `(none)`.
    static func shortText(_ value: JSON) -> String {
        switch value {
        case .null: return "(none)"
        default: return value.text
        }
    }

    /// True when the diff says more than the summary (content changed, not only the mode).
    var hasDiff: Bool { !(diff ?? "").isEmpty }
}

extension StepStatus {
    /// The status as reports print it: `would change`, `rolled back`.
    public var words: String { rawValue.replacing("_", with: " ") }
}

extension RunReport {
    /// The summary line: `plan: 2 would change, 1 ok, 1 skipped (42 ms)`.
    public var summaryLine: String {
        var counts: [(StepStatus, Int)] = []
        for status in [StepStatus.failed, .rolledBack, .changed, .wouldChange, .ok, .skipped] {
            let n = steps.filter { $0.status == status }.count
            if n > 0 { counts.append((status, n)) }
        }
        let failedChecks = allChecks.filter { !$0.ok }.count
        var parts = counts.map { "\($0.1) \($0.0.words)" }
        if failedChecks > 0 { parts.append("\(failedChecks) check\(failedChecks == 1 ? "" : "s") failed") }
        if !rollbackErrors.isEmpty { parts.append("\(rollbackErrors.count) could not be undone") }
        let head = isPlan ? "plan" : "run" + (runId.map { " \($0)" } ?? "")
        let body = parts.isEmpty ? "no steps" : parts.joined(separator: ", ")
        return "\(head): \(status.rawValue.replacing("_", with: " ")) — \(body) (\(durationMs) ms)"
    }
}
