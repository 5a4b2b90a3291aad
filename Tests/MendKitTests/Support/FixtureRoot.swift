import Foundation
import Glibc
@testable import MendKit

/// Copies of the fixture hosts (Tests/mendTests/Fixtures/hosts) for module tests, and byte-exact
/// snapshots of them.
enum FixtureRoot {
    /// Tests/mendTests/Fixtures/hosts, found from this file (Tests/MendKitTests/Support/FixtureRoot.swift).
    static let hostsPath: String = {
        var path = #filePath
        for _ in 0..<4 {
            guard let slash = path.lastIndex(of: "/") else { break }
            path = String(path[..<slash])
        }
        return path + "/Tests/mendTests/Fixtures/hosts"
    }()

    static let hosts = ["ubuntu-22.04", "centos-7", "alpine-3.19"]

    /// Runs `body` over a fresh copy (modes and links kept) of the fixture host `host`.
    static func with<T>(_ host: String, _ body: (ScratchDirectory) throws -> T) throws -> T {
        try withScratch { dir in
            let copy = try Host.local.run(["cp", "-a", hostsPath + "/" + host + "/.", dir.path])
            guard copy.status == 0 else {
                throw ScratchError("cannot copy fixture \(host): \(String(decoding: copy.stderr, as: UTF8.self))")
            }
            return try body(dir)
        }
    }

    /// Every path under `root` with its type, mode, owner and content (or link target).
    static func snapshot(_ root: String) -> [String: String] {
        var result: [String: String] = [:]
        for relative in FileManager.default.enumerator(atPath: root)?.allObjects.compactMap({ $0 as? String }) ?? [] {
            let path = root + "/" + relative
            var s = stat()
            guard lstat(path, &s) == 0 else { continue }
            var entry = "\(s.st_mode) \(s.st_uid):\(s.st_gid)"
            if s.st_mode & S_IFMT == S_IFLNK {
                entry += " -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")
            } else if s.st_mode & S_IFMT == S_IFREG {
                entry += " " + (FileManager.default.contents(atPath: path).map { Data($0).base64EncodedString() } ?? "?")
            }
            result[relative] = entry
        }
        return result
    }
}

/// Runs `source` as a runbook over `root`; `plan` makes it a plan.
func run(_ source: String, in root: ScratchDirectory, plan: Bool = false) throws -> (RunReport, EngineTestOutput) {
    let h = EngineHarness(root: root)
    let report = try h.run(source, plan: plan)
    return (report, h.output)
}

/// The error message of the first failed step, or of the run.
func failure(_ report: RunReport) -> String? {
    report.steps.first { $0.status == .failed }?.error?.message ?? report.error?.message
}
