import Glibc

/// A run's journal: the undo record of every change, written and flushed before the change is
/// made, so `mend rollback` can undo a run killed at any point.
///
/// One record per line: `LENGTH CRC32 JSON` (docs/runbooks.md, "The journal"). JSON text holds no
/// raw newline, so a damaged record is skipped by going on after the next newline: the records
/// after it are read. A last line without its newline is damage too: records after it may have
/// been lost (a truncated file, a power loss), so a rollback must not claim to be complete.
public final class Journal {
    public let path: String
    private let fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    /// Creates a new journal, mode 0600.
    static func create(at path: String) throws(HostError) -> Journal {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw HostError.last("cannot create the journal \(path)") }
        return Journal(path: path, fd: fd)
    }

    /// Opens an existing journal to add records (`mend rollback`). A torn last line is ended with
    /// a newline, so the next record starts on a line of its own and the torn one stays as the
    /// evidence of damage; damage inside is left as it is.
    static func reopen(at path: String) throws(HostError) -> Journal {
        let fd = try openRegularFile(path, flags: O_WRONLY | O_APPEND)
        let journal = Journal(path: path, fd: fd)
        let contents = try read(at: path)
        if contents.length < contents.size {
            try Host.writeFully(fd, [0x0A], what: "cannot repair the journal \(path)")
        }
        return journal
    }

    /// Appends a record and flushes it to the disk before returning. A record the disk took only
    /// part of (it is full) is cut off again, so the journal does not end torn.
    func append(_ record: JSON) throws(HostError) {
        let body = record.text
        var line = Array("\(body.utf8.count) \(Journal.hex(Journal.crc32(Array(body.utf8)))) ".utf8)
        line += Array(body.utf8)
        line.append(0x0A)
        let end = lseek(fd, 0, SEEK_END)
        do {
            try Host.writeFully(fd, line, what: "cannot write the journal \(path)")
        } catch {
            if end >= 0 { _ = ftruncate(fd, end) }
            throw error
        }
        guard fdatasync(fd) == 0 else { throw HostError.last("cannot flush the journal \(path)") }
    }

    /// A journal read back.
    struct Contents {
        /// The intact records, in order.
        var records: [JSON] = []
        /// The byte offsets of damaged records (a bad length, checksum or JSON text).
        var damage: [Int] = []
        /// The bytes up to the end of the last whole line: past it is a torn record (damage).
        var length = 0
        /// The file's size.
        var size = 0
    }

    /// The intact records of a journal file, in order.
    static func records(at path: String) throws(HostError) -> [JSON] {
        try read(at: path).records
    }

    /// Reads a journal file. A path that is not a regular file (a FIFO, a device, a symbolic
    /// link) is refused: a journal is only ever a file mend wrote.
    static func read(at path: String) throws(HostError) -> Contents {
        let fd = try openRegularFile(path, flags: O_RDONLY)
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n < 0 { throw HostError.last("cannot read the journal \(path)") }
            if n == 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return parse(bytes)
    }

    /// Opens `path`, refusing anything but a regular file without blocking on it.
    private static func openRegularFile(_ path: String, flags: Int32) throws(HostError) -> Int32 {
        // O_NONBLOCK: opening a FIFO must not wait for a writer. O_NOFOLLOW: a link is refused.
        let fd = open(path, flags | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw HostError("no journal at \(path)", code: ENOENT) }
            if errno == ELOOP { throw HostError("the journal \(path) is a symbolic link, not a file mend wrote", code: ELOOP) }
            throw HostError.last("cannot open the journal \(path)")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw HostError("the journal \(path) is not a regular file", code: EINVAL)
        }
        let flagsNow = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flagsNow & ~O_NONBLOCK)
        return fd
    }

    /// The records of a journal's bytes, the offsets of damaged ones, and where the last whole
    /// line ends.
    static func parse(_ bytes: [UInt8]) -> Contents {
        var contents = Contents(size: bytes.count)
        var k = 0
        while k < bytes.count {
            if let (record, next) = record(in: bytes, at: k) {
                contents.records.append(record)
                k = next
                continue
            }
            contents.damage.append(k)
            guard let newline = bytes[k...].firstIndex(of: 0x0A) else { break }
            k = newline + 1
        }
        contents.length = k
        return contents
    }

    /// The record starting at `k` and where the next one starts, or nil when it is damaged or torn.
    private static func record(in bytes: [UInt8], at k: Int) -> (JSON, Int)? {
        // At most 19 digits: any longer length cannot fit in the file, and would overflow.
        let end = min(bytes.count, k + 20)
        guard let space1 = bytes[k..<end].firstIndex(of: 0x20), space1 > k,
              bytes[k..<space1].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let length = Int(String(decoding: bytes[k..<space1], as: UTF8.self)),
              length <= bytes.count - space1 - 11,
              bytes[space1 + 9] == 0x20, bytes[space1 + 10 + length] == 0x0A else { return nil }
        let crc = String(decoding: bytes[(space1 + 1)...(space1 + 8)], as: UTF8.self)
        let body = Array(bytes[(space1 + 10)..<(space1 + 10 + length)])
        guard crc == hex(crc32(body)), let record = JSON.parse(String(decoding: body, as: UTF8.self)) else { return nil }
        return (record, space1 + 11 + length)
    }

    private static func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// CRC-32 (IEEE), as zlib computes it.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

/// Journals the temporary files a host's writes create (a `temporary` record naming the path)
/// before they exist, so a write killed half-way leaves nothing that rollback cannot find.
final class JournalTemporaryFiles: TemporaryFileRecorder, @unchecked Sendable {
    // Unchecked: a run is single-threaded; the journal is set when it starts, on the same thread.
    var journal: Journal?

    init(_ journal: Journal? = nil) {
        self.journal = journal
    }

    func willCreate(_ path: String) throws(HostError) {
        try journal?.append(.object([("type", .string("temporary")), ("path", .string(path))]))
    }
}
