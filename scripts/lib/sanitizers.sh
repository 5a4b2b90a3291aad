# Runtime options of the sanitizers for `scripts/test --sanitize`, sourced by scripts/test.
#
# AddressSanitizer: detect_leaks=0. LeakSanitizer would report two known reference cycles, which
# the interpreter frees only at exit: (1) Module → its globals buffer → a Closure stored in a
# global (`fn f` at the top level) → Closure.proto → Proto.module → Module; (2) Cell → Closure →
# its captured cells → the same Cell (a local function that calls itself). Every test that runs a
# program with a top-level function makes (1), so leak checking would fail the suite on them and
# hide any other leak; and XCTest's own runner leaks 144 bytes (XCTestSuiteRun, XCTMainMisc) in
# every test process. Memory errors (use after free, overflows) are still fatal. To look at leaks,
# run one suite with ASAN_OPTIONS=detect_leaks=1 (the suites of the lexer, parser, compiler and
# operators report only XCTest's).
export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
