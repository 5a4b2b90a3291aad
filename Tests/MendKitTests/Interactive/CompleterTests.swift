import Foundation
import Glibc
import Testing
@testable import MendKit

@Suite struct CompleterTests {
    private let registry = Registry.standard()
    private let metaCommands: [(name: String, argument: Completer.Argument)] = [
        (":help", .builtinName), (":dry", .choices(["on", "off"])), (":changes", .none), (":undo", .choices(["all", "force"])),
        (":load", .path), (":steps", .none), (":step", .stepName), (":quit", .none),
    ]

    /// A completer over the host at `root` (a directory that need not exist: nothing is listed there).
    private func completer(root: String = "/nonexistent-mend-root") -> Completer {
        Completer(registry: registry, host: MendKit.Host(root: root), metaCommands: metaCommands)
    }

    private func complete(_ text: String, _ scope: Completer.Scope = .init(), root: String = "/nonexistent-mend-root",
                          isFirstLine: Bool = true) -> Completion {
        completer(root: root).complete(text, scope: scope, isFirstLine: isFirstLine)
    }

    /// A scope with one global `name` holding `value`.
    private func scope(_ name: String, _ value: Value) -> Completer.Scope {
        Completer.Scope(names: [name], value: { $0 == name ? value : nil })
    }

    private func map(_ pairs: KeyValuePairs<String, Value>) -> Value {
        let m = MapRef()
        for (k, v) in pairs { m[k] = v }
        return .map(m)
    }

    // MARK: code

    @Test func namesWithoutADot() {
        #expect(complete("sysc") == Completion(start: 0, candidates: ["sysctl"]))
        #expect(complete("  x = fil").candidates == ["file"])
        #expect(complete("sec").candidates == ["secret"])
        #expect(complete("ste").candidates == ["step"])
        #expect(complete("le").candidates == ["len", "let"])
        // Case-sensitive, as names are.
        #expect(complete("Sysc").candidates.isEmpty)
        let names = Completer.Scope(names: ["somaxconn", "sorted_ports"])
        #expect(complete("let n = so", names) == Completion(start: 8, candidates: ["somaxconn", "sort", "sorted_ports"]))
    }

    @Test func namespaceMembers() {
        #expect(complete("sysctl.g") == Completion(start: 7, candidates: ["get"]))
        #expect(complete("x = sysctl.") == Completion(start: 11, candidates: ["get", "list", "persisted", "set"]))
        #expect(complete("mem.t").candidates == ["total"])
        // Beyond a namespace member the host would have to be read.
        #expect(complete("os.id.").candidates.isEmpty)
        #expect(complete("nosuchns.").candidates.isEmpty)
    }

    @Test func mapMembersAndMethods() {
        let m = map(["name": .string("node"), "port": .int(8545), "any key": .int(1),
                     "nested": map(["deep": .bool(true), "deeper": .int(2)])])
        if case .map(let ref) = m { ref.entries[.int(7)] = .int(7) }
        let s = scope("m", m)
        #expect(complete("m.", s) == Completion(start: 2, candidates: ["name", "nested", "port"]))
        #expect(complete("print(m.na", s) == Completion(start: 8, candidates: ["name"]))
        #expect(complete("m.nested.d", s) == Completion(start: 9, candidates: ["deep", "deeper"]))
        #expect(complete("m.name.up", s).candidates == ["upper"])
        #expect(complete("m.port.", s).candidates.isEmpty)
        #expect(complete("m.missing.", s).candidates.isEmpty)
        #expect(complete("m.port.x.", s).candidates.isEmpty)
    }

    @Test func methodsOfAVariablesType() {
        let text = complete("s.", scope("s", .string("a,b"))).candidates
        #expect(text.contains("split") && text.contains("upper") && !text.contains("append"))
        #expect(complete("xs.ap", scope("xs", .list(ListRef([.int(1)])))).candidates == ["append"])
        #expect(complete("c.", scope("c", .cell(Cell(.string(""))))).candidates.contains("trim"))
    }

    @Test func aGlobalShadowsANamespace() {
        let s = scope("file", map(["path": .string("/etc/hosts")]))
        #expect(complete("file.", s).candidates == ["path"])
        // Known but unassigned: nothing, and not the namespace either.
        #expect(complete("sysctl.", Completer.Scope(names: ["sysctl"])).candidates.isEmpty)
    }

    @Test func onlyChainsOfIdentifiers() {
        for text in [".", "1.", "1.5", "x = 2.", "f().", "xs[0].", "a..", "16Gi", "\"s\".sp", "m.1"] {
            #expect(complete(text, scope("m", map(["a": .int(1)]))).candidates.isEmpty, "\(text)")
        }
    }

    @Test func nothingInComments() {
        #expect(complete("x = 1  # sysc").candidates.isEmpty)
        #expect(complete("# sysctl.").candidates.isEmpty)
        #expect(complete("log(\"#\") + sysc").candidates == ["sysctl"])
    }

    @Test func interpolationIsCode() {
        #expect(complete("log(\"offset ${sysc") == Completion(start: 14, candidates: ["sysctl"]))
        #expect(complete("\"${m.na", scope("m", map(["name": .int(1)]))) == Completion(start: 5, candidates: ["name"]))
        #expect(complete("\"${ {a: 1} } sysc").candidates.isEmpty)
        #expect(complete("\"${x} and sysc").candidates.isEmpty)
        #expect(complete("'${sysc").candidates.isEmpty)
        #expect(complete("\"\\${sysc").candidates.isEmpty)
    }

    @Test func unrelatedStringsGiveNothing() {
        #expect(complete("print(\"sysc").candidates.isEmpty)
        #expect(complete("\"a \\\" sysc").candidates.isEmpty)
        #expect(complete("log('/et").candidates.isEmpty)
        #expect(complete("x.file.read(\"/").candidates.isEmpty)
        #expect(complete("sysctl.set(\"net.core.somaxconn\", \"").candidates.isEmpty)
    }

    @Test func startsAreUTF8ByteOffsets() {
        let text = "let é = \"ü→\"; sysc"
        #expect(complete(text) == Completion(start: text.utf8.count - 4, candidates: ["sysctl"]))
        #expect(complete("ésysc") == Completion(start: 2, candidates: ["sysctl"]))
        #expect(complete("\"日本\" + sysctl.l") == Completion(start: "\"日本\" + sysctl.".utf8.count, candidates: ["list"]))
    }

    // MARK: strings

    @Test func sysctlKeysComponentByComponent() throws {
        try withScratch { root in
            try root.write("proc/sys/net/core/somaxconn", "4096\n")
            try root.write("proc/sys/net/core/netdev_max_backlog", "1000\n")
            try root.write("proc/sys/net/ipv4/ip_forward", "0\n")
            try root.write("proc/sys/net/ipv4/conf/eth0.200/forwarding", "0\n")
            try root.write("proc/sys/vm/swappiness", "60\n")
            let typed = "let x = sysctl.get(\"net.core.somax"
            #expect(complete(typed, root: root.path) == Completion(start: typed.utf8.count - 5, candidates: ["somaxconn"]))
            #expect(complete("sysctl.get(\"net.co", root: root.path) == Completion(start: 16, candidates: ["core."]))
            #expect(complete("sysctl.get(\"net.", root: root.path).candidates == ["core.", "ipv4."])
            #expect(complete("sysctl.list(\"", root: root.path) == Completion(start: 13, candidates: ["net.", "vm."]))
            #expect(complete("sysctl.set(key: \"vm.sw", root: root.path).candidates == ["swappiness"])
            #expect(complete("sysctl.get( 'net.core.n", root: root.path).candidates == ["netdev_max_backlog"])
            // A name with a dot is written with a slash in a dotted key, and as it is in a slashed one.
            #expect(complete("sysctl.get(\"net.ipv4.conf.", root: root.path).candidates == ["eth0/200."])
            #expect(complete("sysctl.get(\"net.ipv4.conf.eth0/200.f", root: root.path).candidates == ["forwarding"])
            #expect(complete("sysctl.get(\"net/ipv4/conf/", root: root.path).candidates == ["eth0.200/"])
            #expect(complete("sysctl.get(\"net/core/so", root: root.path) == Completion(start: 21, candidates: ["somaxconn"]))
            for typed in ["sysctl.get(\"net..", "sysctl.get(\"nope.", "sysctl.get(\"net.core.somaxconn.", "sysctl.get(\"/proc",
                          "sysctl.get(\"${k}.", "sysctl.get(\"net.\\", "sysctl.get(\"../"] {
                #expect(complete(typed, root: root.path).candidates.isEmpty, "\(typed)")
            }
        }
    }

    @Test func filePathsUnderTheRoot() throws {
        try withScratch { root in
            try root.write("etc/sysctl.conf", "")
            try root.write("etc/sysctl.d/90-mend.conf", "")
            try root.write("etc/systemd/system.conf", "")
            try root.write("etc/hosts", "")
            try root.write("etc/.hidden", "")
            try root.write("data/a\"b$c", "")
            try root.write("data/it's", "")
            try root.link("etc/linked", to: "/data")
            #expect(complete("file.read(\"/et", root: root.path) == Completion(start: 12, candidates: ["etc/"]))
            #expect(complete("file.exists(\"/etc/sys", root: root.path)
                    == Completion(start: 18, candidates: ["sysctl.conf", "sysctl.d/", "systemd/"]))
            #expect(complete("file.read(\"/etc/", root: root.path).candidates == ["hosts", "linked/", "sysctl.conf", "sysctl.d/", "systemd/"])
            #expect(complete("file.read(\"/etc/.", root: root.path).candidates == [".hidden"])
            #expect(complete("file.read(\"/etc/linked/", root: root.path).candidates == ["a\\\"b\\$c", "it's"])
            // In a raw string a name is written as it is, and one with a ' cannot be.
            #expect(complete("file.read('/data/", root: root.path).candidates == ["a\"b$c"])
            #expect(complete("file.read(\"/nope/", root: root.path).candidates.isEmpty)
            #expect(complete("file.write(\"/etc/hosts\", \"/et", root: root.path).candidates.isEmpty)
            // file builtins take absolute paths: an empty string offers the root, a relative one nothing.
            #expect(complete("file.read(\"", root: root.path) == Completion(start: 11, candidates: ["/"]))
            #expect(complete("file.read(\"et", root: root.path).candidates.isEmpty)
        }
    }

    @Test func sysfsPathsAreRelativeToSys() throws {
        try withScratch { root in
            try root.write("sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n")
            try root.write("sys/devices/virtual/net/eth0/mtu", "1500\n")
            try root.link("sys/class/net/eth0", to: "../../devices/virtual/net/eth0")
            #expect(complete("sysfs.choice(\"kernel/mm/tr", root: root.path)
                    == Completion(start: 24, candidates: ["transparent_hugepage/"]))
            #expect(complete("sysfs.get(\"class/net/", root: root.path).candidates == ["eth0/"])
            #expect(complete("sysfs.get(\"/sys/k", root: root.path).candidates == ["kernel/"])
        }
    }

    /// Parameters declare how their arguments complete: resource names of ulimit, paths of disk.free.
    @Test func argumentsCompleteAsTheirParametersSay() throws {
        #expect(complete("ulimit.get(\"nof") == Completion(start: 12, candidates: ["nofile"]))
        #expect(complete("ulimit.unit(\"node\", \"n").candidates == ["nice", "nofile", "nproc"])
        // The unit name is not a resource: nothing.
        #expect(complete("ulimit.unit(\"n").candidates.isEmpty)
        try withScratch { root in
            try root.write("data/x", "")
            #expect(complete("disk.free(\"/da", root: root.path) == Completion(start: 12, candidates: ["data/"]))
            // A label picks the parameter; a parameter that declares nothing completes nothing.
            #expect(complete("file.write(\"/x\", \"t\", owner: \"/d", root: root.path).candidates.isEmpty)
            #expect(complete("file.write(text: \"t\", path: \"/d", root: root.path).candidates == ["data/"])
        }
    }

    @Test func atMost500Candidates() throws {
        try withScratch { root in
            for i in 0..<1000 { try root.write(String(format: "many/f%04d", i), "") }
            let candidates = complete("file.read(\"/many/", root: root.path).candidates
            #expect(candidates.count == 500)
            #expect(candidates.first == "f0000" && candidates.last == "f0499")
        }
        let names = (0..<800).map { "v\($0)" }
        #expect(complete("v", Completer.Scope(names: names)).candidates.count == 500)
    }

    // MARK: meta commands

    @Test func metaCommandNames() {
        #expect(complete(":he") == Completion(start: 0, candidates: [":help"], appendsSpace: true))
        #expect(complete("  :d") == Completion(start: 2, candidates: [":dry"], appendsSpace: true))
        #expect(complete(":q") == Completion(start: 0, candidates: [":quit"]))
        #expect(complete(":st") == Completion(start: 0, candidates: [":step", ":steps"]))
        #expect(complete(":").candidates.count == metaCommands.count)
        #expect(complete(":x").candidates.isEmpty)
        // A continuation line is code.
        #expect(!complete(":he", isFirstLine: false).candidates.contains(":help"))
    }

    @Test func metaCommandArguments() {
        #expect(complete(":dry o") == Completion(start: 5, candidates: ["off", "on"]))
        #expect(complete(":dry   ") == Completion(start: 7, candidates: ["off", "on"]))
        #expect(complete(":undo a").candidates == ["all"])
        #expect(complete(":quit x").candidates.isEmpty)
        #expect(complete(":nosuch x").candidates.isEmpty)
        #expect(complete(":help sysctl.") == Completion(start: 13, candidates: ["get", "list", "persisted", "set"]))
        #expect(complete(":help sysc") == Completion(start: 6, candidates: ["sysctl"]))
        #expect(complete(":help string.spl").candidates == ["split"])
        #expect(complete(":help spl").candidates == ["split"])
        #expect(complete(":help nosuch.").candidates.isEmpty)
        // Each word completes on its own: `:undo [all] [force]`.
        #expect(complete(":undo all f") == Completion(start: 10, candidates: ["force"]))
        #expect(complete(":help sysctl.get s").candidates.isEmpty)
    }

    @Test func stepNamesMayHoldSpaces() {
        let steps = Completer.Scope(steps: ["Firewall: P2P open", "Firewall: RPC closed", "Clock inside the BFT bound"])
        #expect(complete(":step ", steps).candidates == ["Clock inside the BFT bound", "Firewall: P2P open", "Firewall: RPC closed"])
        #expect(complete(":step Firewall: R", steps) == Completion(start: 6, candidates: ["Firewall: RPC closed"]))
    }

    @Test func loadCompletesTheOperatorsFiles() throws {
        try withScratch { dir in
            try dir.write("runbooks/node.mend", "")
            try dir.write("runbooks/notes.txt", "")
            // A --root elsewhere does not apply: :load reads this machine's files.
            let typed = ":load \(dir.path)/runbooks/no"
            #expect(complete(typed) == Completion(start: typed.utf8.count - 2, candidates: ["node.mend", "notes.txt"]))
            #expect(complete(":load \(dir.path)/r").candidates == ["runbooks/"])
            // :load splits its words at spaces: a name with one cannot be loaded, and the words
            // after the file are NAME=VALUE.
            try dir.write("runbooks/no space.mend", "")
            #expect(complete(typed).candidates == ["node.mend", "notes.txt"])
            #expect(complete(":load \(dir.path)/runbooks/node.mend \(dir.path)/r").candidates.isEmpty)
        }
    }

    // MARK: robustness

    @Test func aCharacterNoIdentifierHoldsCompletesNothing() {
        #expect(complete("sysć").candidates.isEmpty)
        #expect(complete("let m = 1\nm.ü").candidates.isEmpty)
    }

    @Test func anyInputCompletesWithoutCrashing() throws {
        let inputs = ["", " ", ".", "..", ":", ": ", "\"", "'", "\"\"\"", "'''", "\"${", "\"${\"", "\"${\"${", "}", "}}}", "\\",
                      "\u{0}", "((((", "sysctl.get(\"", "sysctl.get(\"\\", "file.read(\"", "file.read(\"\\", "sysfs.get(\"",
                      "#", "\"#${sysc", "é", "🙂.", "m.", "(\"", "sysctl.get(\"/", ":load ", ":help .", ":step é",
                      String(repeating: "\"${", count: 10_000), String(repeating: "a.", count: 5000)]
        for text in inputs {
            for first in [true, false] {
                let completion = completer(root: "/").complete(text, scope: scope("m", .null), isFirstLine: first)
                #expect((0...text.utf8.count).contains(completion.start), "\(text.prefix(20))")
                #expect(completion.candidates == Array(Set(completion.candidates)).sorted())
            }
        }
    }
}
