import ArgumentParser

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
        Console.output("features: readline no (line editing arrives with the REPL)")
    }
}
