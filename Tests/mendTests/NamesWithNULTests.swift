import Glibc
import Testing

/// Issue 11, defect 3: a C string ends at its first NUL byte, so `file.write("/etc/passwd\u{0}.new", …)`
/// wrote /etc/passwd. The real binary over a fixture `--root` must refuse it, naming the argument,
/// and leave every file of the root as it was.
@Suite("a NUL byte in a path, end to end")
struct NamesWithNULTests {
    static let source = """
        runbook "a NUL byte in a path"

        step "write a new passwd" {
          file.write("/etc/passwd\\u{0}.new", "x")
        }

        """

    @Test(arguments: [["run"], ["plan"]])
    func aPathWithANULByteFailsNamingTheArgumentAndChangesNothing(command: [String]) throws {
        let fixture = try EngineFixture()
        let file = try fixture.runbook("nul.mend", Self.source)
        let passwd = try fixture.bytes("etc/passwd")
        let before = try TreeSnapshot.of(fixture.root)

        let r = try fixture.mend(command + [file] + fixture.rootAndState)
        #expect(r.status == 1, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
        let location = sourceLocation(of: "file.write(", in: Self.source, file: file)
        #expect(r.stderr.contains(#"\#(location): error: file.write: 'path' contains a NUL byte (\0 at offset 11)"#),
                "stderr: \(r.stderr)")
        #expect(try fixture.bytes("etc/passwd") == passwd, "/etc/passwd is untouched")
        #expect(try TreeSnapshot.of(fixture.root) == before, "no file created or changed under the root")
    }
}
