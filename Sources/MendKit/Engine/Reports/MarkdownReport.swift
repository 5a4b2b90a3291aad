extension RunReport {
    /// The `--format markdown` report: a short summary to paste into a change review, with a table
    /// of steps and each change's diff folded away.
    public var markdown: String {
        var out = "### \(isPlan ? "Plan" : "Run"): \(escape(runbook ?? file))\n\n"
        out += "`\(file)` on `\(host.name)` (\(escape(host.os))) — **\(status.rawValue.replacing("_", with: " "))**"
        if let runId { out += " — run `\(runId)`" }
        out += "\n\n"
        if let error { out += "> **Error:** \(escape(error.message))" + (error.location.map { " (`\($0)`)" } ?? "") + "\n\n" }
        if !steps.isEmpty {
            out += "| # | Step | Status | Changes | Time |\n|---:|---|---|---:|---:|\n"
            for step in steps {
                let status = step.status == .skipped ? "skipped (\(step.skippedReason ?? ""))" : step.status.words
                out += "| \(step.index) | \(escape(step.name)) | \(status) | \(step.changes.count) | \(step.durationMs) ms |\n"
            }
            out += "\n"
        }
        for step in steps where !step.changes.isEmpty || step.error != nil {
            for change in step.changes {
                out += "<details><summary>\(step.index). \(html(step.name)) — \(html(change.summary))</summary>\n\n"
                if change.hasDiff, let diff = change.diff {
                    out += fence(diff, info: "diff")
                } else {
                    out += "- before: `\(ChangeReport.shortText(change.before))`\n- after: `\(ChangeReport.shortText(change.after))`\n"
                }
                out += "\n</details>\n\n"
            }
            if let error = step.error {
                out += "**Step \(step.index) failed:** \(escape(error.message))" + (error.location.map { " (`\($0)`)" } ?? "") + "\n\n"
            }
        }
        let failedChecks = allChecks.filter { !$0.ok }
        if !failedChecks.isEmpty {
            out += "**Failed checks**\n\n" + failedChecks.map { "- \(escape($0.message)) (`\($0.location)`)\n" }.joined() + "\n"
        }
        if !rollbackErrors.isEmpty {
            out += "**Could not be undone**\n\n" + rollbackErrors.map { "- `\($0.target)`: \(escape($0.message))\n" }.joined() + "\n"
        }
        return out + summaryLine + "\n"
    }

    /// A fenced block long enough not to be closed by backticks inside the text.
    private func fence(_ text: String, info: String) -> String {
        var ticks = "```"
        while text.contains(ticks) { ticks += "`" }
        return "\(ticks)\(info)\n\(text)\(text.hasSuffix("\n") ? "" : "\n")\(ticks)\n"
    }

    private func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            if "|*_`<>[]\\".contains(c) { out.append("\\") }
            out.append(c == "\n" ? " " : c)
        }
        return out
    }

    private func html(_ text: String) -> String {
        text.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;")
    }
}
