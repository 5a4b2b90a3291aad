import Testing

/// The clock namespace against real servers on loopback: SNTP servers of the tests' own (true
/// time, +250 ms, silent, Kiss-o'-Death, a wrong originate, unsynchronised) and chronyd pairs run
/// with -x (never touching this machine's clock), every path under the test's directory.
@Suite("clock: real chronyd and SNTP servers on loopback", .serialized)
struct ClockTests {
    static let server = LanguageDoc.repositoryRoot + "/Tests/mendTests/Fixtures/clock/sntp_server.py"

    /// Runs `script` with `sntp PORT MODE [SKEW]` and `chrony NAME CONF` to start servers (killed by
    /// PID at the end) and `$BASE`, a free-looking port range.
    static func run(_ script: String, in dir: TemporaryDirectory) throws -> String {
        for tool in ["chronyd", "chronyc", "python3"] where (try? system("command -v \(tool) >/dev/null 2>&1")) != 0 {
            throw TestFailure(description: "the clock tests need \(tool) (scripts/test unpacks chrony into its cache when the package is not installed)")
        }
        let file = dir.path + "/clock.sh", out = dir.path + "/clock.out"
        try writeFile(file, """
            set -u
            MEND=\(shellQuote(MendBinary.path)); D=\(shellQuote(dir.path)); BASE=$((20000 + RANDOM % 20000))
            PIDS=""
            cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
            trap cleanup EXIT
            id _chrony >/dev/null 2>&1 && chown _chrony "$D"
            sntp() { python3 \(shellQuote(server)) "$@" > "$D/sntp-$1.out" 2>&1 & PIDS="$PIDS $!"
              i=0; while ! grep -q ready "$D/sntp-$1.out" 2>/dev/null && [ $i -lt 200 ]; do i=$((i+1)); sleep 0.05; done; }
            # Without a command socket of its own (bindcmdaddress PATH), chronyd's Unix socket is off:
            # it would be made in this machine's /run.
            chrony() { nosocket="bindcmdaddress /"; case "$2" in *"bindcmdaddress /"*) nosocket="";; esac
              printf '%s\\npidfile %s\\ndriftfile %s\\n%s\\n' "$2" "$D/$1.pid" "$D/$1.drift" "$nosocket" > "$D/$1.conf"
              # Unpacked without its package (scripts/test), chrony has no _chrony user: it stays root.
              user=""; id _chrony >/dev/null 2>&1 || user="-u root"
              chronyd -x -d $user -f "$D/$1.conf" > "$D/$1.log" 2>&1 & PIDS="$PIDS $!"; }
            waitsync() { i=0; while ! chronyc -h 127.0.0.1 -p "$1" -n -c sources 2>/dev/null | grep -q '^\\^,\\*' && [ $i -lt 150 ]; do i=$((i+1)); sleep 0.1; done; }
            ev() { "$MEND" eval "$1" 2>&1 | tr '\\n' ' '; echo; }

            """ + script)
        _ = try system("bash \(shellQuote(file)) > \(shellQuote(out)) 2>&1 </dev/null")
        return try readFile(out)
    }

    @Test("SNTP: the true server, a +250 ms one, a silent one, Kiss-o'-Death, a wrong originate, an unsynchronised one")
    func sntpOffsets() throws {
        let dir = try TemporaryDirectory()
        let out = try Self.run("""
            sntp $BASE good; sntp $((BASE+1)) good 0.25; sntp $((BASE+2)) silent; sntp $((BASE+3)) kod
            sntp $((BASE+4)) wrong-origin; sntp $((BASE+5)) unsync
            echo "true=$(ev "clock.offset(\\"127.0.0.1\\", port: $BASE).offset / 1ms")"
            echo "skewed=$(ev "clock.offset(\\"127.0.0.1\\", port: $((BASE+1))).offset / 1ms")"
            echo "within=$(ev "clock.within(100ms, server: \\"127.0.0.1\\", port: $((BASE+1)))")"
            T0=$(date +%s%N); echo "silent=$(ev "clock.offset(\\"127.0.0.1\\", port: $((BASE+2)), timeout: 1500ms)")"
            echo "silent.ms=$(( ($(date +%s%N) - T0) / 1000000 ))"
            echo "kod=$(ev "clock.offset(\\"127.0.0.1\\", port: $((BASE+3)))")"
            T0=$(date +%s%N); echo "wrong=$(ev "clock.offset(\\"127.0.0.1\\", port: $((BASE+4)), timeout: 1s)")"
            echo "wrong.ms=$(( ($(date +%s%N) - T0) / 1000000 ))"
            echo "unsync=$(ev "clock.offset(\\"127.0.0.1\\", port: $((BASE+5)))")"
            echo "dns=$(ev 'clock.offset("no-such-host.invalid")')"
            """, in: dir)
        #expect(abs(Double(marker("true", in: out)?.trimmingCharacters(in: .whitespaces) ?? "") ?? 99) < 5, "\(out)")
        let skewed = Double(marker("skewed", in: out)?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
        #expect(skewed > 230 && skewed < 270, "positive: the local clock is behind the server: \(out)")
        #expect(marker("within", in: out)?.hasPrefix("false") == true, "\(out)")
        #expect(marker("silent", in: out)?.contains("clock.offset: no SNTP answer from 127.0.0.1") == true, "\(out)")
        let silentMs = Int(marker("silent.ms", in: out) ?? "") ?? 0
        #expect(silentMs >= 1500 && silentMs < 2000, "fails after the timeout: \(out)")
        #expect(marker("kod", in: out)?.contains("sent a Kiss-o'-Death RATE (rate exceeded") == true, "\(out)")
        #expect(marker("wrong", in: out)?.contains("no SNTP answer") == true, "a reply that does not echo the request is ignored: \(out)")
        #expect((Int(marker("wrong.ms", in: out) ?? "") ?? 0) >= 1000, "\(out)")
        #expect(marker("unsync", in: out)?.contains("is not synchronised itself (leap indicator 3)") == true, "\(out)")
        #expect(marker("dns", in: out)?.contains("clock.offset: cannot resolve no-such-host.invalid") == true, "\(out)")
    }

    /// getaddrinfo cannot be interrupted, yet timeout bounds the whole call: with a resolver that
    /// never answers (in a network and mount namespace of the test's own) the call ends on time.
    @Test("a resolver that never answers: clock.offset still ends at its timeout")
    func silentResolver() throws {
        let dir = try TemporaryDirectory()
        let out = try Self.run("""
            printf 'nameserver 127.0.0.1\\n' > "$D/resolv.conf"
            MEND="$MEND" D="$D" unshare --net --mount --propagation private bash -c '
              ip link set lo up
              mount --bind "$D/resolv.conf" /etc/resolv.conf
              python3 -c "import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((\\"127.0.0.1\\", 53))
            while True: s.recvfrom(512)" & R=$!
              trap "kill $R 2>/dev/null; wait $R 2>/dev/null" EXIT
              sleep 0.3
              T0=$(date +%s%N)
              "$MEND" eval "clock.offset(\\"time.example.net\\", timeout: 700ms)" > "$D/dns.out" 2>&1
              echo "dns.ms=$(( ($(date +%s%N) - T0) / 1000000 ))"
            '
            cat "$D/dns.out"
            """, in: dir)
        let ms = Int(marker("dns.ms", in: out) ?? "") ?? 0
        #expect(ms >= 650 && ms < 1500, "\(out)")
        #expect(out.contains("clock.offset: cannot resolve time.example.net: the resolver did not answer in time"), "\(out)")
    }

    @Test("runbooks/go-node/clock.mend passes against the true server on an undisciplined host and fails against +250 ms naming both values")
    func clockRunbook() throws {
        let dir = try TemporaryDirectory()
        let runbook = shellQuote(LanguageDoc.repositoryRoot + "/runbooks/go-node/clock.mend")
        let out = try Self.run("""
            sntp $BASE good; sntp $((BASE+1)) good 0.25
            "$MEND" run \(runbook) --param server=127.0.0.1 --param port=$BASE --state-dir "$D/s" > "$D/true.out" 2>&1; echo "true=$?"
            "$MEND" run \(runbook) --param server=127.0.0.1 --param port=$((BASE+1)) --state-dir "$D/s" > "$D/skewed.out" 2>&1; echo "skewed=$?"
            cat "$D/true.out" "$D/skewed.out"
            """, in: dir)
        #expect(marker("true", in: out) == "0", "\(out)")
        #expect(out.contains("run: ok — 1 ok, 1 skipped"), "\(out)")
        #expect(marker("skewed", in: out) == "1", "\(out)")
        #expect(out.contains("over the bound of 100ms — left 2"), "both values are named: \(out)")
    }

    @Test("chrony: status and sources from a real chronyd equal chronyc's figures; a skewed server shows in the offset")
    func chronyTracking() throws {
        let dir = try TemporaryDirectory()
        let out = try Self.run("""
            chrony server "local stratum 8
            allow 127.0.0.1
            bindaddress 127.0.0.1
            port $BASE
            cmdport 0"
            sntp $((BASE+1)) good 0.25
            chrony client "server 127.0.0.1 port $BASE iburst minpoll -2 maxpoll -2
            port 0
            cmdport $((BASE+2))
            bindcmdaddress 127.0.0.1"
            chrony skewed "server 127.0.0.1 port $((BASE+1)) iburst minpoll -2 maxpoll -2
            port 0
            cmdport $((BASE+3))
            bindcmdaddress 127.0.0.1"
            waitsync $((BASE+2)); waitsync $((BASE+3))
            # chronyd's command socket, in a directory of chrony's group as chronyd demands; chronyc
            # binds its reply socket next to it. chronyd -x cannot step this machine's clock: it
            # answers that it could not.
            mkdir "$D/cmd" && chmod 770 "$D/cmd" && { ! id _chrony >/dev/null 2>&1 || chown _chrony:_chrony "$D/cmd"; }
            chrony local "server 127.0.0.1 port $BASE iburst minpoll -2 maxpoll -2
            port 0
            cmdport 0
            bindcmdaddress $D/cmd/chronyd.sock"
            i=0; while [ ! -S "$D/cmd/chronyd.sock" ] && [ $i -lt 100 ]; do i=$((i+1)); sleep 0.05; done
            printf 'step "stepped" {\n  print(clock.step(chrony: "%s"))\n}\n' "$D/cmd/chronyd.sock" > "$D/step.mend"
            "$MEND" plan "$D/step.mend" > "$D/step-plan.out" 2>&1; echo "step.plan=$?"
            "$MEND" run "$D/step.mend" --state-dir "$D/s" > "$D/step.out" 2>&1; echo "step=$?"
            "$MEND" rollback last --state-dir "$D/s" > "$D/step-rollback.out" 2>&1; echo "step.rollback=$?"
            cat "$D/step-plan.out" "$D/step.out" "$D/step-rollback.out"
            echo "udp.step=$(ev "clock.step(chrony: \\"127.0.0.1:$((BASE+2))\\")")"
            echo "chronyc=$(chronyc -h 127.0.0.1 -p $((BASE+2)) -n -c tracking)"
            echo "mend=$(ev "let s = clock.status(chrony: \\"127.0.0.1:$((BASE+2))\\")
            print(s.daemon, s.reference, s.stratum, s.leap, s.offset < 1ms and s.offset > -1ms, s.root_delay / 1s, s.root_dispersion / 1s, s.frequency_ppm)")"
            echo "sources=$(ev "let s = clock.sources(chrony: \\"127.0.0.1:$((BASE+2))\\")[0]
            print(s.name, s.mode, s.state, s.stratum, s.poll, s.reach > 0)")"
            echo "skewed=$(ev "clock.status(chrony: \\"127.0.0.1:$((BASE+3))\\").offset / 1ms")"
            echo "absent=$(ev "clock.sources(chrony: \\"127.0.0.1:$((BASE+9))\\")")"
            echo "kernel=$(ev 'let s = clock.status()
            print(s.synchronized, s.daemon, s.max_error / 1us, s.est_error / 1us)')"
            """, in: dir)
        let fields = (marker("chronyc", in: out) ?? "").split(separator: ",").map(String.init)
        #expect(fields.count >= 14, "\(out)")
        if fields.count >= 14 {
            let leap = fields[13] == "Normal" ? "normal" : fields[13]
            #expect(marker("mend", in: out)?.hasPrefix("chrony \(fields[1]) \(fields[2]) \(leap) true") == true, "\(out)")
            // Read a moment apart from a chronyd updating four times a second: close, not equal.
            let mine = (marker("mend", in: out) ?? "").split(separator: " ").suffix(3).compactMap { Double($0) }
            let theirs = [fields[10], fields[11], fields[7]].compactMap(Double.init)
            #expect(mine.count == 3 && theirs.count == 3, "\(out)")
            if mine.count == 3, theirs.count == 3 {
                #expect(abs(mine[0] - theirs[0]) < 0.001 && abs(mine[1] - theirs[1]) < 0.001, "root delay and dispersion: \(out)")
                #expect(abs(mine[2] - theirs[2]) < 5, "frequency, in chrony's sign: \(out)")
            }
        }
        #expect(marker("sources", in: out)?.hasPrefix("127.0.0.1 server selected 8 -2 true") == true, "\(out)")
        let skewed = Double(marker("skewed", in: out)?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
        #expect(skewed > 230 && skewed < 270, "\(out)")
        #expect(marker("absent", in: out)?.contains("clock.sources: chrony is not running or does not answer on 127.0.0.1:") == true, "\(out)")
        #expect(marker("step.plan", in: out) == "0", "\(out)")
        #expect(out.contains("false\n") && out.contains("chronyc -n -c -h"), "a plan lists the step without running it: \(out)")
        #expect(marker("step", in: out) == "3", "a failed command cannot be undone: \(out)")
        #expect(out.contains("clock.step: chronyc makestep failed: 500 Failure"), "chronyd -x answers that it could not step: \(out)")
        #expect(out.contains("a command cannot be undone"), "\(out)")
        #expect(marker("udp.step", in: out)?.contains("'clock.step' changes the host: call it inside a step") == true, "\(out)")
        let kernel = try KernelSync.read()
        let words = (marker("kernel", in: out) ?? "").split(separator: " ").map(String.init)
        #expect(words.first == "\(kernel.synchronized)", "\(out)")
        if words.count >= 4, let maxError = Double(words[2]), let estError = Double(words[3]) {
            // maxerror grows by at most 500 µs a second while the clock is not disciplined.
            #expect(abs(maxError - kernel.maxError) <= 5000 && abs(estError - kernel.estError) <= 5000, "\(out) vs \(kernel)")
        } else {
            Issue.record("clock.status() printed \(words)")
        }
    }
}

/// The kernel's own answer, read by another program (python's ctypes), to compare with mend's.
enum KernelSync {
    static func read() throws -> (synchronized: Bool, maxError: Double, estError: Double) {
        let dir = try TemporaryDirectory()
        _ = try system("python3 -c 'import ctypes, ctypes.util\nclass T(ctypes.Structure): _fields_ = [(\"modes\", ctypes.c_uint), (\"offset\", ctypes.c_long), (\"freq\", ctypes.c_long), (\"maxerror\", ctypes.c_long), (\"esterror\", ctypes.c_long), (\"status\", ctypes.c_int), (\"pad\", ctypes.c_byte * 200)]\nt = T()\nrc = ctypes.CDLL(ctypes.util.find_library(\"c\")).adjtimex(ctypes.byref(t))\nprint(\"true\" if rc != 5 and not (t.status & 0x40) else \"false\", t.maxerror, t.esterror)' > \(shellQuote(dir.path + "/sync"))")
        let words = try readFile(dir.path + "/sync").split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard words.count == 3, let maxError = Double(words[1]), let estError = Double(words[2]) else {
            throw TestFailure(description: "adjtimex through python printed \(words)")
        }
        return (words[0] == "true", maxError, estError)
    }
}
