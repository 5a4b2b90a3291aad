import Glibc

/// Runs the system tools namespaces drive (systemctl, rc-service, nft, iptables, …) through the
/// host: a missing tool is an error naming the package that provides it, and mend's pending
/// interrupt (a signal, the step's timeout) stops the tool.
enum Tools {
    static func run(_ argv: [String], package: String, on host: Host, stdin: [UInt8]? = nil,
                    timeout: Int = 90_000_000_000, environment: [String]? = nil) throws -> ProcessResult {
        do {
            return try host.run(argv, environment: environment, stdin: stdin, timeout: timeout, shouldStop: { Interrupted.isPending })
        } catch let error where error.message == "no such command" {
            throw HostError("\(error.command): not found (install the \(package) package)", code: ENOENT)
        } catch {
            throw HostError("\(error.description)")
        }
    }
}
