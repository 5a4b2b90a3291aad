extension Arguments {
    /// Runs `body`, putting the builtin's name before the message of a host error (keeping its
    /// errno, so permission denied stays exit 77).
    func naming<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as HostError {
            throw HostError("\(builtin.qualifiedName): \(error.message)", code: error.code)
        }
    }
}
