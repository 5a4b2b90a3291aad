import Glibc

/// A run's journal: the undo record of every change, written and flushed before the change is
/// made, so `mend rollback` can undo a run killed at any point.
///
/// One record per line: `LENGTH CRC32 JSON`. A record that is torn or damaged (the process died
/// while writing it) ends the readable journal; everything before it stands.
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
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw HostError.last("cannot create the journal \(path)") }
        return Journal(path: path, fd: fd)
    }

    /// Opens an existing journal to add records (`mend rollback`). A torn or damaged tail is cut
    /// off first: records appended after it could never be read back.
    static func reopen(at path: String) throws(HostError) -> Journal {
        let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw HostError.last("cannot open the journal \(path)") }
        let journal = Journal(path: path, fd: fd)
        if let bytes = try Host.local.read(path) {
            let intact = parse(bytes).length
            if intact < bytes.count, ftruncate(fd, off_t(intact)) != 0 {
                throw HostError.last("cannot repair the journal \(path)")
            }
        }
        return journal
    }

    /// Appends a record and flushes it to the disk before returning.
    func append(_ record: JSON) throws(HostError) {
        let body = record.text
        var line = Array("\(body.utf8.count) \(Journal.hex(Journal.crc32(Array(body.utf8)))) ".utf8)
        line += Array(body.utf8)
        line.append(0x0A)
        try Host.writeFully(fd, line, what: "cannot write the journal \(path)")
        guard fdatasync(fd) == 0 else { throw HostError.last("cannot flush the journal \(path)") }
    }

    /// The intact records of a journal file, in order.
    static func records(at path: String) throws(HostError) -> [JSON] {
        guard let bytes = try Host.local.read(path) else { throw HostError("no journal at \(path)", code: ENOENT) }
        return parse(bytes).records
    }

    /// The intact records of a journal's bytes, and how many bytes they take.
    private static func parse(_ bytes: [UInt8]) -> (records: [JSON], length: Int) {
        var records: [JSON] = []
        var k = 0
        while k < bytes.count {
            guard let space1 = bytes[k...].firstIndex(of: 0x20),
                  let length = Int(String(decoding: bytes[k..<space1], as: UTF8.self)), length >= 0,
                  space1 + 10 + length < bytes.count,
                  bytes[space1 + 9] == 0x20, bytes[space1 + 10 + length] == 0x0A else { break }
            let crc = String(decoding: bytes[(space1 + 1)...(space1 + 8)], as: UTF8.self)
            let body = Array(bytes[(space1 + 10)..<(space1 + 10 + length)])
            guard crc == hex(crc32(body)), let record = JSON.parse(String(decoding: body, as: UTF8.self)) else { break }
            records.append(record)
            k = space1 + 11 + length
        }
        return (records, k)
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
