/// `import "std/…"` (compiled into the binary) and `import "./file.mend"` (relative to the importing file).
extension Interpreter {
    func importModule(_ path: String, from importer: SourceFile?, span: Span) throws -> Value {
        let key = try moduleKey(path, from: importer, span: span)
        if let loaded = modules[key] { return .map(loaded.exports()) }
        if loading.contains(key) { throw cycle(key, span) }
        let source = try moduleSource(key, path: path, span: span)
        loading.append(key)
        defer { loading.removeLast() }
        let module = Module(name: key, file: source)
        let unit = try compile(source, options: CompileOptions(isModule: true), globals: module.scope)
        do {
            _ = try runUnit(unit, in: module)
        } catch var e as MendError {
            e.addCall("  in module \(path), imported at \(span.description)")
            throw e
        }
        modules[key] = module
        return .map(module.exports())
    }

    /// Compiles every module `unit` imports, and theirs, without running anything: what
    /// `mend check` reports beyond the file itself. Returns the errors found.
    public func checkImports(of unit: CompiledUnit) -> [any Error] {
        var seen: Set<String> = []
        var errors: [any Error] = []
        func walk(_ code: FunctionCode, in file: SourceFile) {
            for (k, instr) in code.code.enumerated() {
                guard case .importModule(let index) = instr else { continue }
                let path = code.imports[Int(index)]
                do {
                    let key = try moduleKey(path, from: file, span: code.spans[k])
                    guard seen.insert(key).inserted else { continue }
                    let source = try moduleSource(key, path: path, span: code.spans[k])
                    walk(try compile(source, options: CompileOptions(isModule: true)).main, in: source)
                } catch {
                    errors.append(error)
                }
            }
            for function in code.functions { walk(function, in: file) }
        }
        walk(unit.main, in: unit.file)
        return errors
    }

    /// Where an import path leads: `std/NAME`, or the canonical path of a file.
    private func moduleKey(_ path: String, from importer: SourceFile?, span: Span) throws -> String {
        if let refused = Arguments.refused(in: path, .noNUL) {
            throw MendError("an import path cannot hold \(refused): \(Value.quote(path))", span: span)
        }
        if path.hasPrefix("std/") {
            guard Stdlib.sources[path] != nil else {
                throw MendError("no standard module \"\(path)\"" + Suggest.hint(for: path, in: Stdlib.sources.keys)
                                + " (available: \(Stdlib.sources.keys.sorted().joined(separator: ", ")))", span: span)
            }
            return path
        }
        guard path.hasPrefix("./") || path.hasPrefix("../") || path.hasPrefix("/") else {
            throw MendError("an import path starts with std/, ./, ../ or /: \"\(path)\"", span: span)
        }
        guard allowsFileImports else {
            throw MendError("this interpreter imports no files, only standard modules: \"\(path)\"", span: span)
        }
        let resolved = Interpreter.resolvePath(path, relativeTo: importer?.name)
        return Host.local.canonicalLocalPath(resolved) ?? resolved
    }

    private func moduleSource(_ key: String, path: String, span: Span) throws -> SourceFile {
        if let text = Stdlib.sources[key] { return SourceFile(name: key, text: text) }
        guard let bytes = (try? Host.local.read(key)) ?? nil else {
            throw MendError("cannot read the module \"\(path)\" (looked for \(key))", kind: .host, span: span)
        }
        return SourceFile(name: key, bytes: bytes)
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
