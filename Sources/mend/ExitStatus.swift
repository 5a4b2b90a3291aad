import ArgumentParser

/// The exit codes of the command line (docs/cli.md, Exit codes).
enum ExitStatus {
    static let success: Int32 = 0
    static let failed: Int32 = 1
    static let changes: Int32 = 2
    static let rollbackIncomplete: Int32 = 3
    static let preconditionFailed: Int32 = 4
    static let usage: Int32 = 64
    static let invalidRunbook: Int32 = 65
    static let locked: Int32 = 75
    static let noPermission: Int32 = 77
}
