import Glibc

extension Host {
    /// One entry of a directory.
    public struct Entry: Sendable {
        public let name: String
        public let isDirectory: Bool
        /// A regular file, a symbolic link or a file of unknown type: something that may hold a value.
        public let mayBeFile: Bool
        public let isLink: Bool
    }

    /// The entries of the directory at a resolved path, sorted by name; nil when it cannot be read
    /// (a path with a NUL byte, which opendir would cut short, included). Symbolic links are not
    /// followed (they are not directories here), so a walk stays in the tree.
    public func entries(_ resolved: String) -> [Entry]? {
        guard !resolved.utf8.contains(0), let dir = opendir(resolved) else { return nil }
        defer { closedir(dir) }
        var result: [Entry] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            var type = Int(entry.pointee.d_type)
            if type == Int(DT_UNKNOWN) {
                // Some file systems do not fill in the type: ask lstat.
                var s = stat()
                if lstat(resolved + "/" + name, &s) == 0 {
                    let format = s.st_mode & S_IFMT
                    type = format == S_IFDIR ? Int(DT_DIR) : format == S_IFLNK ? Int(DT_LNK) : format == S_IFREG ? Int(DT_REG) : -1
                }
            }
            result.append(Entry(name: name, isDirectory: type == Int(DT_DIR),
                                mayBeFile: type == Int(DT_REG) || type == Int(DT_LNK) || type == Int(DT_UNKNOWN),
                                isLink: type == Int(DT_LNK)))
        }
        return result.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
    }
}
