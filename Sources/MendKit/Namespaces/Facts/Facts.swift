/// All host facts at once, as `mend facts` shows them: each fact's value or the error that kept
/// it from being read.
public struct Facts: Sendable {
    /// One fact: `os.id`, `init` (no namespace) or `disk.free("/")` (with an argument).
    public struct Entry: Sendable, Equatable {
        /// `os`, `mem`, …; nil for the bare facts `init` and `container`.
        public let namespace: String?
        public let member: String
        /// The path of `disk.free(path)`.
        public let argument: String?
        public let result: Result<FactValue, FactError>

        /// `os.id`, `init`, `disk.free("/")`: the name a runbook uses.
        public var name: String {
            let base = namespace.map { "\($0).\(member)" } ?? member
            return argument.map { "\(base)(\(Value.quote($0)))" } ?? base
        }
    }

    /// Every fact, in the order of docs/builtins/facts.md.
    public let entries: [Entry]

    /// Reads every fact of `host`, with `disk.free` of each of `diskPaths` (after the memory facts).
    public static func read(from host: Host, diskPaths: [String] = ["/"]) -> Facts {
        let reader = FactsReader(host: host)
        var entries: [Entry] = []
        for fact in FactsNamespace.facts {
            let result: Result<FactValue, FactError>
            do throws(FactError) { result = .success(try fact.read(reader)) } catch { result = .failure(error) }
            entries.append(Entry(namespace: fact.namespace, member: fact.member, argument: nil, result: result))
            if fact.namespace == "mem", fact.member == "available" {
                for path in diskPaths {
                    let free: Result<FactValue, FactError>
                    do throws(FactError) { free = .success(.size(try reader.diskFree(path))) } catch { free = .failure(error) }
                    entries.append(Entry(namespace: "disk", member: "free", argument: path, result: free))
                }
            }
        }
        return Facts(entries: entries)
    }

    /// The value or error of a fact by its name (`os.id`, `disk.free("/")`).
    public subscript(name: String) -> Result<FactValue, FactError>? {
        entries.first { $0.name == name }?.result
    }

    /// The facts that could not be read.
    public var errors: [FactError] {
        entries.compactMap { if case .failure(let e) = $0.result { return e } else { return nil } }
    }

    /// One object nested as runbooks name the facts (`{"os": {"id": …}, "init": …, "disk": {"free":
    /// {"/": bytes}}}`), sizes as integer bytes, a fact that could not be read as null, and
    /// `"errors"`: the reasons, by fact name.
    public var json: JSON {
        var members: [(String, JSON)] = []
        for entry in entries {
            var path = (entry.namespace.map { [$0] } ?? []) + [entry.member]
            if let argument = entry.argument { path.append(argument) }
            switch entry.result {
            case .success(let value): Facts.insert(value.json, at: path, into: &members)
            case .failure: Facts.insert(.null, at: path, into: &members)
            }
        }
        members.append(("errors", .object(errors.map { ($0.fact, .string($0.reason)) })))
        return .object(members)
    }

    /// Sets `value` at a path of keys in an object's members, making the inner objects it needs.
    private static func insert(_ value: JSON, at path: [String], into members: inout [(String, JSON)]) {
        guard let first = path.first else { return }
        let k = members.firstIndex { $0.0 == first }
        if path.count == 1 {
            if let k { members[k].1 = value } else { members.append((first, value)) }
            return
        }
        var inner: [(String, JSON)] = []
        if let k, case .object(let existing) = members[k].1 { inner = existing }
        insert(value, at: Array(path.dropFirst()), into: &inner)
        if let k { members[k].1 = .object(inner) } else { members.append((first, .object(inner))) }
    }

    /// Aligned `name  value` lines: strings bare (an empty one as `""`), sizes in their literal form
    /// (`31.34GiB`), and `unknown (reason)` for a fact that could not be read.
    public var text: String {
        let width = entries.map(\.name.count).max() ?? 0
        return entries.map { entry in
            let shown: String
            switch entry.result {
            case .success(.string(let s)): shown = s.isEmpty ? "\"\"" : s
            case .success(.int(let i)): shown = String(i)
            case .success(.bool(let b)): shown = b ? "true" : "false"
            case .success(.size(let s)): shown = Value.formatSize(s)
            case .failure(let error): shown = "unknown (\(error.reason))"
            }
            return entry.name + String(repeating: " ", count: width - entry.name.count + 2) + shown
        }.joined(separator: "\n") + "\n"
    }
}
