/// The system takes paths, arguments and environment entries as C strings, which end at their
/// first NUL byte: `/etc/passwd\0.new` would reach open(2) as `/etc/passwd`. Every string the host
/// hands to the system is checked here first, so such a string is an error instead of a call on a
/// shorter name than the one given.
extension Host {
    /// An error when `text` holds a NUL byte; `what` names it ("the path", "argument 2") and
    /// `consequence` says what the system would do with it.
    static func refuseNUL(_ text: String, _ what: String,
                          consequence: String = "where the system would cut it short") throws(HostError) {
        guard let nul = text.utf8.firstIndex(of: 0) else { return }
        let offset = text.utf8.distance(from: text.utf8.startIndex, to: nul)
        throw HostError("\(what) \"\(escapingNUL(text))\" contains a NUL byte (at byte \(offset)), \(consequence)")
    }

    /// `text` with its NUL bytes written `\0`, so a message shows where they are.
    static func escapingNUL(_ text: String) -> String {
        text.replacing("\0", with: "\\0")
    }

    /// A resolved path checked before a system call; the error shows it as the runbook names it.
    func refuseNUL(inPath resolved: String) throws(HostError) {
        try Host.refuseNUL(shown(resolved), "the path")
    }
}

extension ProcessRequest {
    /// An error when an argument, an environment entry or the working directory holds a NUL byte:
    /// the command would see a shorter word than the one given. `Host.run` checks every request
    /// before its runner sees it, and ``SystemProcessRunner`` before posix_spawn.
    func refuseNUL() throws(ProcessError) {
        let command = argv.first.map(Host.escapingNUL) ?? ""
        let consequence = "where the command would see it end"
        do throws(HostError) {
            for (k, word) in argv.enumerated() { try Host.refuseNUL(word, "argument \(k + 1)", consequence: consequence) }
            for entry in environment ?? [] { try Host.refuseNUL(entry, "the environment entry", consequence: consequence) }
            if let workingDirectory { try Host.refuseNUL(workingDirectory, "the working directory", consequence: consequence) }
        } catch {
            throw ProcessError(command: command, message: error.message)
        }
    }
}
