import ArgumentParser
import CReadline

enum MendVersion {
    static let number = "0.1.0"
    #if DEBUG
    static let build = "debug"
    #else
    static let build = "release"
    #endif
    static var text: String { "mend \(number) (\(build) build)" }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the version, the build and the optional features compiled in."
    )

    func run() {
        Console.output(MendVersion.text)
        // Linked statically: the version is the one built in, not whatever the host has.
        Console.output("features: readline \(String(cString: mend_rl_version())) (mend repl: line editing, history, completion)")
    }
}
