// libFuzzer's entry for mend, built by scripts/fuzz (not by SwiftPM). MEND_FUZZ_TARGET names
// the target (lex, parse, compile, run); the targets themselves are MendKit's FuzzTarget, which
// the regression tests replay the corpus through.

import Glibc
@_spi(Fuzzing) import MendKit

/// Read once: every input of a fuzzing run goes to the same target.
let target: FuzzTarget = {
    // One legal value at the language's caps (a 100 MB string split into 100 000 000 parts) is
    // more than libFuzzer's 2 GiB; a hundredth of them still reaches every limit check.
    ValueLimits.maxStringBytes = 1_000_000
    ValueLimits.maxElements = 1_000_000
    let name = getenv("MEND_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        fputs("mend-fuzz: set MEND_FUZZ_TARGET to one of \(names)\n", stderr)
        exit(2)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    target(bytes)
    return 0
}
