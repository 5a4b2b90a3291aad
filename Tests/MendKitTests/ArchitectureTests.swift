import Foundation
import Testing

/// The layering docs/architecture.md describes, checked on the source: which folder of
/// Sources/MendKit may name the types of which, that only Host/ calls the operating system, and
/// that the library never reads standard input.
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

    /// A file names a type declared in another folder only when its folder may use that one.
    @Test func noFolderUsesOneAboveIt() throws {
        let files = try SourceTree.library()
        var declaredIn: [String: Set<String>] = [:]
        var declaredAnywhereIn: [String: Set<String>] = [:]
        for file in files {
            for name in file.topLevelTypes { declaredIn[name, default: []].insert(file.folder) }
            for name in file.allTypes { declaredAnywhereIn[file.folder, default: []].insert(name) }
        }
        var violations: [String] = []
        for file in files {
            let words = file.identifiers
            for (name, folders) in declaredIn where words.contains(name) {
                // A nested type of the same name in this folder (`Completer.Scope`) is not the other one.
                if folders.contains(file.folder) || declaredAnywhereIn[file.folder, default: []].contains(name) { continue }
                for folder in folders where !(Self.allowed[file.folder] ?? []).contains(folder) {
                    violations.append("\(file.path) uses \(name) of \(folder)/")
                }
            }
        }
        #expect(violations.isEmpty, "\(violations.sorted().joined(separator: "\n"))")
    }

    /// Processes and system calls go through a Host instance (Host/ is the only code that makes
    /// them), so namespaces run against a fixture root or a test's answers.
    @Test func onlyHostCallsTheOperatingSystem() throws {
        let calls = ["posix_spawn", "getrlimit", "setrlimit", "statvfs", "uname(", "geteuid(", "getegid(", "getpwuid",
                     "sysconf(", "adjtimex(", "getenv(", "clock_gettime(", "nanosleep(", "usleep(", "getpid(",
                     "time(nil)", "opendir(", "realpath(", "getcwd("]
        var found: [String] = []
        for file in try SourceTree.library() where file.folder != "Host" {
            // Whole text, comments included: a documented call is one waiting to be written.
            for call in calls where file.text.contains(call) { found.append("\(file.path): \(call)") }
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

    /// The repository's documents stand alone: nothing points at design files outside it.
    @Test func docsCiteNothingOutsideTheRepository() throws {
        var found: [String] = []
        let top = SourceTree.repositoryRoot
        let files = ["README.md"] + SourceTree.files(under: "docs", in: top) + SourceTree.files(under: "Sources", in: top)
        for path in files {
            let text = try String(contentsOfFile: top + "/" + path, encoding: .utf8)
            for name in ["LANGUAGE.md", "ARCHITECTURE.md", "../shared/"] where text.contains(name) {
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
        /// The text without comments and string literals.
        let code: String

        var identifiers: Set<String> {
            Set(code.split { !($0.isLetter || $0.isNumber || $0 == "_") }.map(String.init))
        }

        /// Types declared at the top level of the file.
        var topLevelTypes: [String] { declarations(indented: false) }
        /// Types declared anywhere in the file, nested ones too.
        var allTypes: [String] { declarations(indented: true) }

        private func declarations(indented: Bool) -> [String] {
            let keywords: Set<Substring> = ["class", "struct", "enum", "protocol", "typealias", "actor"]
            var names: [String] = []
            for line in code.split(separator: "\n") {
                if !indented, line.first == " " { continue }
                let words = line.split(separator: " ")
                for (k, word) in words.enumerated() where keywords.contains(word) && k + 1 < words.count {
                    let name = words[k + 1].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                    if name.first?.isUppercase == true { names.append(String(name)) }
                    break
                }
            }
            return names
        }
    }

    /// Every Swift file of Sources/MendKit.
    static func library() throws -> [File] {
        let base = repositoryRoot + "/Sources/MendKit"
        return try files(under: "Sources/MendKit", in: repositoryRoot).filter { $0.hasSuffix(".swift") }.map { path in
            let relative = String(path.dropFirst("Sources/MendKit/".count))
            let text = try String(contentsOfFile: base + "/" + relative, encoding: .utf8)
            return File(path: relative, folder: String(relative.split(separator: "/")[0]), text: text, code: withoutCommentsAndStrings(text))
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

    /// Swift source with its comments and string literals blanked out (line breaks kept), so names
    /// in documentation and messages do not count as uses.
    static func withoutCommentsAndStrings(_ text: String) -> String {
        let s = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        func starts(_ token: String, at k: Int) -> Bool {
            let t = Array(token.utf8)
            return k + t.count <= s.count && Array(s[k..<(k + t.count)]) == t
        }
        /// Skips to past `end`, keeping the line breaks of what is skipped.
        func skip(to end: String, escapes: Bool) {
            while i < s.count, !starts(end, at: i) {
                if escapes, s[i] == UInt8(ascii: "\\") { i += 1 }
                if i < s.count, s[i] == 0x0A { out.append(0x0A) }
                i += 1
            }
            i += end.utf8.count
            out.append(0x20)
        }
        while i < s.count {
            if starts("//", at: i) {
                while i < s.count, s[i] != 0x0A { i += 1 }
            } else if starts("/*", at: i) {
                i += 2
                skip(to: "*/", escapes: false)
            } else if starts("#\"\"\"", at: i) {
                i += 4
                skip(to: "\"\"\"#", escapes: false)
            } else if starts("\"\"\"", at: i) {
                i += 3
                skip(to: "\"\"\"", escapes: true)
            } else if starts("#\"", at: i) {
                i += 2
                skip(to: "\"#", escapes: false)
            } else if s[i] == UInt8(ascii: "\"") {
                i += 1
                skip(to: "\"", escapes: true)
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
