/// A compiled regular expression: mend's own, matched in time linear in the text (see
/// ``RegexPattern/matches(_:)``), because Swift's `Regex` backtracks without bound and cannot be
/// interrupted. The syntax is the RE2 subset of docs/language.md (`matches`); backreferences and
/// lookaround are refused, since no linear-time engine can run them.
public struct RegexPattern: Sendable {
    /// The most instructions a program may have: bounds the work per scalar of text (and the
    /// memory) once `{n,m}` is expanded into copies.
    public static let maxInstructions = 10_000

    enum Instruction: Equatable, Sendable {
        case scalar(UInt32)
        /// An index into `classes`.
        case set(Int)
        case any(newline: Bool)
        /// Go on at both; the first is preferred (greedy or lazy only reorders, a yes/no match is the same).
        case split(Int, Int)
        case jump(Int)
        case assertion(RegexAssertion)
        case match
    }

    let program: [Instruction]
    let classes: [CompiledClass]
    /// The program starts with `^` (not multi-line): only a thread started at the text's start can match.
    let anchored: Bool

    /// Compiles a pattern, or throws a ``RegexError`` that says what is wrong and where.
    public init(_ pattern: String) throws(RegexError) {
        var compiler = RegexCompiler(patternLength: pattern.unicodeScalars.count)
        try compiler.emit(try RegexParser.parse(pattern))
        try compiler.append(.match)
        program = compiler.program
        classes = compiler.classes
        anchored = program.first == .assertion(.beginText)
    }
}

/// A class ready for matching: a bit per ASCII scalar (negation and case already applied), and
/// the ranges for the rest.
struct CompiledClass: Sendable {
    private let low: UInt64, high: UInt64
    private let set: RegexClass

    init(_ set: RegexClass) {
        self.set = set
        var low: UInt64 = 0, high: UInt64 = 0
        for c in UInt32(0)..<128 where Self.test(set, c) {
            if c < 64 { low |= 1 << UInt64(c) } else { high |= 1 << UInt64(c - 64) }
        }
        (self.low, self.high) = (low, high)
    }

    @inline(__always) func contains(_ c: UInt32) -> Bool {
        if c < 64 { return low & (1 << UInt64(c)) != 0 }
        if c < 128 { return high & (1 << UInt64(c - 64)) != 0 }
        return Self.test(set, c)
    }

    private static func test(_ set: RegexClass, _ c: UInt32) -> Bool {
        var found = set.ranges.contains { $0.contains(c) }
        if !found && set.foldCase {
            let (lower, upper) = RegexCase.cases(c)
            found = set.ranges.contains { $0.contains(lower) || $0.contains(upper) }
        }
        return found != set.negated
    }
}

/// Turns a ``RegexNode`` into a Thompson-NFA program, expanding counted repetition.
private struct RegexCompiler {
    var program: [RegexPattern.Instruction] = []
    var classes: [CompiledClass] = []
    let patternLength: Int
    /// The outermost repetition being expanded: the one to blame when the program grows too big.
    private var outermostRepetition: Int?

    init(patternLength: Int) {
        self.patternLength = patternLength
    }

    mutating func append(_ instruction: RegexPattern.Instruction) throws(RegexError) {
        guard program.count < RegexPattern.maxInstructions else {
            throw RegexError(reason: "the regex is too large: over \(RegexPattern.maxInstructions) instructions once repetitions are expanded",
                             offset: outermostRepetition ?? patternLength)
        }
        program.append(instruction)
    }

    mutating func emit(_ node: RegexNode) throws(RegexError) {
        switch node {
        case .empty:
            break
        case .scalar(let c, let foldCase):
            if foldCase {
                try emitClass(RegexClass(ranges: [c...c], foldCase: true))
            } else {
                try append(.scalar(c))
            }
        case .set(let set):
            try emitClass(set)
        case .any(let newline):
            try append(.any(newline: newline))
        case .assertion(let assertion):
            try append(.assertion(assertion))
        case .concat(let items):
            for item in items { try emit(item) }
        case .alternate(let branches):
            var jumps: [Int] = []
            for (k, branch) in branches.enumerated() {
                if k == branches.count - 1 {
                    try emit(branch)
                } else {
                    let split = program.count
                    try append(.split(split + 1, 0))
                    try emit(branch)
                    jumps.append(program.count)
                    try append(.jump(0))
                    program[split] = .split(split + 1, program.count)
                }
            }
            for j in jumps { program[j] = .jump(program.count) }
        case .repetition(let item, let min, let max, let greedy, let offset):
            let outermost = outermostRepetition == nil
            if outermost { outermostRepetition = offset }
            defer { if outermost { outermostRepetition = nil } }
            for _ in 0..<min { try emit(item) }
            if let max {
                try emitOptionals(item, count: max - min, greedy: greedy)
            } else {
                try emitStar(item, greedy: greedy)
            }
        }
    }

    private mutating func emitClass(_ set: RegexClass) throws(RegexError) {
        try append(.set(classes.count))
        classes.append(CompiledClass(set))
    }

    /// `x*`: a split that enters the item or leaves, and a jump back to the split.
    private mutating func emitStar(_ item: RegexNode, greedy: Bool) throws(RegexError) {
        let split = program.count
        try append(.split(0, 0))
        try emit(item)
        try append(.jump(split))
        program[split] = order(split + 1, program.count, greedy)
    }

    /// `x{0,n}` as nested optionals `(x(x(x)?)?)?`: each split may leave for the common end.
    private mutating func emitOptionals(_ item: RegexNode, count: Int, greedy: Bool) throws(RegexError) {
        var splits: [Int] = []
        for _ in 0..<count {
            splits.append(program.count)
            try append(.split(0, 0))
            try emit(item)
        }
        for s in splits { program[s] = order(s + 1, program.count, greedy) }
    }

    private func order(_ enter: Int, _ leave: Int, _ greedy: Bool) -> RegexPattern.Instruction {
        greedy ? .split(enter, leave) : .split(leave, enter)
    }
}
