/// `import "std/…"` (compiled into the binary) and `import "./file.mend"` (relative to the importing file).
extension Interpreter {
    func importModule(_ path: String, from importer: SourceFile?, span: Span) throws -> Value {
        let key: String
        let source: SourceFile
        if path.hasPrefix("std/") {
            key = path
            guard let text = Stdlib.sources[path] else {
                throw MendError("no standard module \"\(path)\"" + Suggest.hint(for: path, in: Stdlib.sources.keys)
                                + " (available: \(Stdlib.sources.keys.sorted().joined(separator: ", ")))", span: span)
            }
            if let loaded = modules[key] { return .map(loaded.exports()) }
            source = SourceFile(name: path, text: text)
        } else if path.hasPrefix("./") || path.hasPrefix("../") || path.hasPrefix("/") {
            let resolved = Interpreter.resolvePath(path, relativeTo: importer?.name)
            key = canonicalPath(resolved) ?? resolved
            if let loaded = modules[key] { return .map(loaded.exports()) }
            if loading.contains(key) { throw cycle(key, span) }
            guard let bytes = readFileBytes(key) else {
                throw MendError("cannot read the module \"\(path)\" (looked for \(key))", kind: .host, span: span)
            }
            source = SourceFile(name: key, bytes: bytes)
        } else {
            throw MendError("an import path starts with std/, ./, ../ or /: \"\(path)\"", span: span)
        }
        if loading.contains(key) { throw cycle(key, span) }
        loading.append(key)
        defer { loading.removeLast() }
        let module = Module(name: key, file: source)
        let unit = try compile(source, options: CompileOptions(isModule: true), globals: module.scope)
        do {
            _ = try runUnit(unit, in: module)
        } catch var e as MendError {
            e.trace.append("  in module \(path), imported at \(span.description)")
            throw e
        }
        modules[key] = module
        return .map(module.exports())
    }

    private func cycle(_ key: String, _ span: Span) -> MendError {
        let chain = (loading.drop { $0 != key } + [key]).joined(separator: " → ")
        return MendError("import cycle: \(chain)", span: span)
    }

    /// `path` against the directory of `base` (a file path), with `.` and `..` folded.
    static func resolvePath(_ path: String, relativeTo base: String?) -> String {
        var parts: [Substring] = []
        if !path.hasPrefix("/"), let base {
            parts = base.split(separator: "/", omittingEmptySubsequences: false).dropLast()
            if parts.isEmpty { parts = ["."] }
        }
        for part in path.split(separator: "/", omittingEmptySubsequences: false) {
            switch part {
            case ".", "": continue
            case "..":
                if let last = parts.last, last != "..", last != ".", !last.isEmpty { parts.removeLast() } else { parts.append("..") }
            default: parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        return path.hasPrefix("/") || base?.hasPrefix("/") == true ? "/" + joined.drop { $0 == "/" } : joined
    }
}
