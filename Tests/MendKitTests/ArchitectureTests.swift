import Foundation
import Testing

/// The layering docs/architecture.md describes, checked on the source: which folder of
/// Sources/MendKit may name the types and members of which, that only Host/ calls the operating
/// system, and that the library never reads standard input.
@Suite struct ArchitectureTests {
    /// The folders of Sources/MendKit and the folders each may use. Nothing uses a folder above it.
    static let allowed: [String: Set<String>] = [
        "Host": [],
        "Syntax": [],
        "Effects": ["Host"],
        "Compile": ["Syntax", "Effects"],
        "Runtime": ["Syntax", "Compile", "Effects", "Host"],
        "Namespaces": ["Syntax", "Compile", "Runtime", "Effects", "Host"],
        "Engine": ["Syntax", "Compile", "Runtime", "Namespaces", "Effects", "Host"],
        "Interactive": ["Syntax", "Compile", "Runtime", "Effects", "Host"],
    ]

    @Test func everyFolderIsALayer() throws {
        let folders = Set(try SourceTree.library().map(\.folder))
        #expect(folders == Set(Self.allowed.keys))
    }

    /// A file names a type declared in another folder, or a member another folder adds to a type
    /// (`Registry.standard()`, added by Namespaces/), only when its folder may use that one. Names
    /// in comments and string literals do not count; names in interpolations do.
    @Test func noFolderUsesOneAboveIt() throws {
        let files = try SourceTree.library()
        var types: [String: Set<String>] = [:], declared: [String: Set<String>] = [:]
        for file in files {
            for name in file.topLevelTypes { types[name, default: []].insert(file.folder) }
            for name in file.memberNames { declared[name, default: []].insert(file.folder) }
        }
        // Members a folder adds to another folder's types, in extensions.
        var added: [String: Set<String>] = [:]
        for file in files {
            for (type, members) in file.extensionMembers where !(types[type]?.contains(file.folder) ?? true) {
                for name in members { added[name, default: []].insert(file.folder) }
            }
        }
        var violations: [String] = []
        for file in files {
            let usable = (Self.allowed[file.folder] ?? []).union([file.folder])
            let words = file.identifiers
            for (name, folders) in types where words.contains(name) && folders.isDisjoint(with: usable) {
                violations.append("\(file.path) uses the type \(name) of \(folders.sorted().joined(separator: ", "))/")
            }
            // An added member no folder this one may use declares under that name.
            for name in file.memberAccesses {
                guard let folders = added[name], folders.isDisjoint(with: usable),
                      declared[name, default: []].isDisjoint(with: usable) else { continue }
                violations.append("\(file.path) uses .\(name), added by \(folders.sorted().joined(separator: ", "))/")
            }
        }
        #expect(violations.isEmpty, "\(violations.sorted().joined(separator: "\n"))")
    }

    /// The acceptance check of the Host boundary, on the whole text (comments and documentation
    /// included): none of these calls is named outside Host/.
    @Test func theSystemCallsOfTheHostAreNamedOnlyThere() throws {
        let calls = ["posix_spawn", "getrlimit", "setrlimit", "statvfs", "uname(", "geteuid(", "getpwuid", "sysconf(", "adjtimex("]
        var found: [String] = []
        for file in try SourceTree.library() where file.folder != "Host" {
            for call in calls where file.text.contains(call) { found.append("\(file.path): \(call)") }
        }
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }

    /// Processes and system calls go through a Host instance, so namespaces run against a fixture
    /// root or a test's answers. The few that stay elsewhere are listed with why.
    @Test func onlyHostCallsTheOperatingSystem() throws {
        let calls = ["posix_spawn", "posix_spawnp", "fork", "execve", "getrlimit", "setrlimit", "statvfs", "uname", "geteuid",
                     "getegid", "getuid", "getgid", "getpwuid", "getpwuid_r", "getgrgid", "sysconf", "adjtimex", "getenv",
                     "setenv", "clock_gettime", "gettimeofday", "nanosleep", "usleep", "sleep", "getpid", "time", "kill",
                     "opendir", "readdir", "realpath", "getcwd", "chdir", "stat", "lstat", "readlink", "unlink", "rename",
                     "rmdir", "mkdir", "open", "close", "read", "write", "pwrite", "fsync", "flock", "fchown", "fchmod",
                     "socket", "connect", "poll", "select", "isatty", "ioctl", "pthread_create", "signal", "sigaction"]
        /// What stays outside Host, by file: the engine's own storage (journal, lock, state
        /// directory), the default output sink, and the thread the interpreter runs on.
        let exceptions: [String: Set<String>] = [
            "Engine/Journal.swift": ["open", "close", "write", "fsync", "read", "stat", "fstat", "fcntl"],
            "Engine/StateDirectory.swift": ["open", "close", "mkdir", "flock", "pwrite", "fsync", "unlink"],
            "Runtime/Interpreter.swift": ["write"],
            "Runtime/LargeStack.swift": ["pthread_create"],
        ]
        var found: [String] = []
        for file in try SourceTree.library() where file.folder != "Host" {
            // A function or closure of the file's own with such a name (`write`) is not the system's.
            let allowed = (exceptions[file.path] ?? []).union(file.memberNames)
            for call in file.freeCalls where calls.contains(call) && !allowed.contains(call) {
                found.append("\(file.path): \(call)(")
            }
        }
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }

    /// Confirmation and prompts are the embedder's: the library never reads the terminal.
    @Test func theLibraryNeverReadsStandardInput() throws {
        let reads = ["read(0", "STDIN_FILENO", "readLine(", "fd: 0", "isatty(", "FileHandle.standardInput", "stdin)"]
        var found: [String] = []
        for file in try SourceTree.library() {
            for read in reads where file.code.contains(read) { found.append("\(file.path): \(read)") }
        }
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }

    /// The checks above see what they look for: each catches a planted violation.
    @Test func theChecksCatchWhatTheyLookFor() {
        let planted = SourceTree.File(path: "Runtime/Planted.swift", folder: "Runtime", text: """
            func f() -> String {
                let r = Registry.standard()
                _ = kill(1, 0)
                return "\\(TextReporter.self) \\(Glibc.getuid())"
            }
            """)
        #expect(planted.memberAccesses.contains("standard"))
        let adding = SourceTree.File(path: "Namespaces/Standard.swift", folder: "Namespaces", text: """
            extension Registry {
                public static func standard() -> Registry { Registry() }
            }
            """)
        #expect(adding.extensionMembers.first?.type == "Registry" && adding.extensionMembers.first?.members == ["standard"])
        #expect(planted.identifiers.contains("TextReporter"))
        #expect(planted.freeCalls.contains("kill") && planted.freeCalls.contains("getuid"))
        // Declarations, methods of values and text in strings and comments are not calls.
        let innocent = SourceTree.File(path: "Host/Innocent.swift", folder: "Host", text: """
            func read(_ x: Int) -> Int { host.read(x) } // kill(1)
            let s = "open(a file)"
            """)
        #expect(innocent.freeCalls.isEmpty)
    }

    /// The repository's documents stand alone: nothing points at design files outside it.
    @Test func docsCiteNothingOutsideTheRepository() throws {
        var found: [String] = []
        let top = SourceTree.repositoryRoot
        let files = ["README.md"] + SourceTree.files(under: "docs", in: top) + SourceTree.files(under: "Sources", in: top)
        for path in files {
            let text = try String(contentsOfFile: top + "/" + path, encoding: .utf8)
            // The design files' names are built, so that this test is not itself a reference.
            for name in ["LANGUAGE", "ARCHITECTURE"].map({ $0 + ".md" }) + ["../shared/", "§"] where text.contains(name) {
                found.append("\(path): \(name)")
            }
        }
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }
}

/// The Swift files of the repository, read for the architecture tests.
enum SourceTree {
    /// The repository root: this file is Tests/MendKitTests/ArchitectureTests.swift.
    static let repositoryRoot: String = {
        var path = #filePath
        for _ in 0..<3 { path = (path as NSString).deletingLastPathComponent }
        return path
    }()

    struct File {
        /// Relative to Sources/MendKit.
        let path: String
        /// The first folder of the path: the layer.
        let folder: String
        let text: String
        /// The text without comments and string literals (interpolated code kept).
        let code: String

        init(path: String, folder: String, text: String) {
            self.path = path
            self.folder = folder
            self.text = text
            code = SourceTree.withoutCommentsAndStrings(text)
        }

        var identifiers: Set<String> {
            Set(code.split { !($0.isLetter || $0.isNumber || $0 == "_") }.map(String.init))
        }

        /// Types declared at the top level of the file (nested types may share a name).
        var topLevelTypes: [String] {
            let keywords: Set<Substring> = ["class", "struct", "enum", "protocol", "typealias", "actor"]
            var names: [String] = []
            for line in code.split(separator: "\n") where line.first != " " {
                let words = line.split(separator: " ")
                for (k, word) in words.enumerated() where keywords.contains(word) && k + 1 < words.count {
                    let name = words[k + 1].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                    if name.first?.isUppercase == true { names.append(String(name)) }
                    break
                }
            }
            return names
        }

        /// Names of functions, properties and cases declared anywhere in the file.
        var memberNames: Set<String> {
            Set(matches(#"\b(?:func|var|let|case)\s+([A-Za-z_][A-Za-z0-9_]*)"#))
        }

        /// The members each top-level `extension Type` of the file declares.
        var extensionMembers: [(type: String, members: Set<String>)] {
            var result: [(String, Set<String>)] = []
            var current: (type: String, lines: [Substring])?
            for line in code.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("extension ") || line.hasPrefix("public extension ") {
                    let words = line.split(separator: " ")
                    let name = words[words.firstIndex(of: "extension")! + 1].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                    current = (String(name), [])
                } else if line.hasPrefix("}"), let open = current {
                    let body = File(path: path, folder: folder, text: open.lines.joined(separator: "\n"))
                    result.append((open.type, body.memberNames))
                    current = nil
                } else {
                    current?.lines.append(line)
                }
            }
            return result
        }

        /// Names used after a `.` (`x.name`, `.name(`), not counting numbers.
        var memberAccesses: Set<String> {
            Set(matches(#"(?<![0-9])\.([a-z_][A-Za-z0-9_]*)"#))
        }

        /// Names called as free functions or through a module (`kill(`, `Glibc.read(`), not methods
        /// of values (`host.read(`) and not declarations (`func read(`).
        var freeCalls: Set<String> {
            var calls = Set(matches(#"(?<![\w.])(?<!func )([a-z_][A-Za-z0-9_]*)\("#))
            calls.formUnion(matches(#"\bGlibc\.([a-z_][A-Za-z0-9_]*)"#))
            return calls
        }

        private func matches(_ pattern: String) -> [String] {
            guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
            let range = NSRange(code.startIndex..., in: code)
            return regex.matches(in: code, range: range).compactMap { match in
                Range(match.range(at: 1), in: code).map { String(code[$0]) }
            }
        }
    }

    /// Every Swift file of Sources/MendKit.
    static func library() throws -> [File] {
        let base = repositoryRoot + "/Sources/MendKit"
        return try files(under: "Sources/MendKit", in: repositoryRoot).filter { $0.hasSuffix(".swift") }.map { path in
            let relative = String(path.dropFirst("Sources/MendKit/".count))
            let text = try String(contentsOfFile: base + "/" + relative, encoding: .utf8)
            return File(path: relative, folder: String(relative.split(separator: "/")[0]), text: text)
        }
    }

    /// The files under a folder of `root`, relative to `root`.
    static func files(under folder: String, in root: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root + "/" + folder) else { return [] }
        var result: [String] = []
        while let next = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + folder + "/" + next, isDirectory: &isDirectory), !isDirectory.boolValue {
                result.append(folder + "/" + next)
            }
        }
        return result.sorted()
    }

    /// Swift source with its comments and the text of its string literals blanked out (line
    /// breaks kept), so names in documentation and messages do not count as uses; the code of an
    /// interpolation (`\(…)`, `\#(…)`) stays, since it runs.
    static func withoutCommentsAndStrings(_ text: String) -> String {
        var scanner = Scanner(Array(text.utf8))
        scanner.code(until: nil)
        return String(decoding: scanner.out, as: UTF8.self)
    }

    private struct Scanner {
        let s: [UInt8]
        var i = 0
        var out: [UInt8] = []

        init(_ s: [UInt8]) { self.s = s }

        func starts(_ token: String, at k: Int) -> Bool {
            let t = Array(token.utf8)
            return k + t.count <= s.count && s[k..<(k + t.count)].elementsEqual(t)
        }

        /// Copies code until an unmatched `)` (the end of an interpolation) or the end.
        mutating func code(until close: UInt8?) {
            var depth = 0
            while i < s.count {
                let c = s[i]
                if starts("//", at: i) {
                    while i < s.count, s[i] != 0x0A { i += 1 }
                } else if starts("/*", at: i) {
                    i += 2
                    while i < s.count, !starts("*/", at: i) { if s[i] == 0x0A { out.append(0x0A) }; i += 1 }
                    i += 2
                } else if c == UInt8(ascii: "#") || c == UInt8(ascii: "\"") {
                    var hashes = 0
                    var k = i
                    while k < s.count, s[k] == UInt8(ascii: "#") { hashes += 1; k += 1 }
                    guard k < s.count, s[k] == UInt8(ascii: "\"") else { out.append(c); i += 1; continue }
                    i = k
                    string(hashes: hashes)
                } else {
                    if c == UInt8(ascii: "(") { depth += 1 }
                    if c == UInt8(ascii: ")") {
                        if depth == 0, close != nil { i += 1; return }
                        depth -= 1
                    }
                    out.append(c)
                    i += 1
                }
            }
        }

        /// Skips a string literal starting at its opening quote; its interpolations stay as code.
        mutating func string(hashes: Int) {
            let triple = starts("\"\"\"", at: i)
            i += triple ? 3 : 1
            let terminator = (triple ? "\"\"\"" : "\"") + String(repeating: "#", count: hashes)
            let interpolation = "\\" + String(repeating: "#", count: hashes) + "("
            out.append(0x20)
            while i < s.count {
                if starts(terminator, at: i) { i += terminator.utf8.count; break }
                if starts(interpolation, at: i) {
                    i += interpolation.utf8.count
                    out.append(0x20)
                    code(until: UInt8(ascii: ")"))
                    out.append(0x20)
                    continue
                }
                if hashes == 0, s[i] == UInt8(ascii: "\\") { i += 2; continue }
                if s[i] == 0x0A { out.append(0x0A) }
                i += 1
            }
        }
    }
}
