extension RunReport {
    /// The `--format junit` report: one testcase per step and per check, for CI dashboards.
    public var junit: String {
        var cases: [String] = []
        var failures = 0, skipped = 0
        let suite = runbook ?? file
        for step in steps {
            var body = ""
            switch step.status {
            case .failed:
                failures += 1
                let message = step.error?.message ?? "failed"
                let location = step.error?.location.map { " (\($0))" } ?? ""
                body = "<failure message=\"\(xml(message))\">\(xml(message + location))</failure>"
            case .skipped:
                skipped += 1
                body = "<skipped message=\"\(xml(step.skippedReason ?? "skipped"))\"/>"
            default:
                let changes = step.changes.map { "\($0.kind) \($0.target)" + ($0.undone ? " (undone)" : "") }
                body = "<system-out>\(xml("status: \(step.status.rawValue)" + changes.map { "\n" + $0 }.joined()))</system-out>"
            }
            cases.append("""
                  <testcase classname="\(xml(suite))" name="\(xml("\(step.index). \(step.name)"))" time="\(seconds(step.durationMs))">\(body)</testcase>
                """)
        }
        for check in allChecks {
            var body = ""
            if !check.ok {
                failures += 1
                body = "<failure message=\"\(xml(check.message))\">\(xml(check.message + " (\(check.location))"))</failure>"
            }
            cases.append("""
                  <testcase classname="\(xml(suite)).checks" name="\(xml("check \(check.location)"))" time="0">\(body)</testcase>
                """)
        }
        if let error {
            failures += 1
            cases.append("""
                  <testcase classname="\(xml(suite))" name="runbook"><failure message="\(xml(error.message))">\(xml(error.message + (error.location.map { " (\($0))" } ?? "")))</failure></testcase>
                """)
        }
        for e in rollbackErrors {
            failures += 1
            cases.append("""
                  <testcase classname="\(xml(suite)).rollback" name="\(xml(e.target))"><failure message="\(xml(e.message))"/></testcase>
                """)
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites>
              <testsuite name="\(xml(suite))" tests="\(cases.count)" failures="\(failures)" errors="0" skipped="\(skipped)" time="\(seconds(durationMs))">
            \(cases.joined(separator: "\n"))
              </testsuite>
            </testsuites>

            """
    }

    private func seconds(_ ms: Int) -> String {
        let s = String(ms / 1000), frac = String(ms % 1000)
        return s + "." + String(repeating: "0", count: 3 - frac.count) + frac
    }

    /// Text escaped for XML attributes and content; characters XML 1.0 forbids are dropped.
    private func xml(_ text: String) -> String {
        var out = ""
        for u in text.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n", "\t", "\r": out.unicodeScalars.append(u)
            case _ where u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF: continue
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
