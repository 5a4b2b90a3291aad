/// The fixture hosts of Tests/mendTests/Fixtures/hosts, copied before use so the tree in git never changes.
enum FixtureHost: String, CaseIterable, Sendable {
    case ubuntu = "ubuntu-22.04"
    case centos = "centos-7"
    case alpine = "alpine-3.19"

    /// The host's tree in the repository.
    var source: String { LanguageDoc.repositoryRoot + "/Tests/mendTests/Fixtures/hosts/" + rawValue }

    /// Copies the host (modes and symbolic links kept) to `directory/root` and returns that path.
    func copy(into directory: String) throws -> String {
        let root = directory + "/root"
        let status = try system("cp -a \(shellQuote(source)) \(shellQuote(root))")
        guard status == 0 else { throw TestFailure(description: "cannot copy \(source) to \(root)") }
        return root
    }
}
