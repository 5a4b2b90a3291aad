extension RegexPattern {
    /// True when the pattern matches anywhere in the text.
    ///
    /// A Pike VM: every thread of the NFA advances in lock step over the text's Unicode scalars,
    /// and a program counter is kept at most once per position, so the work is at most
    /// (scalars in the text + 1) × (instructions), whatever the pattern. It polls for a signal, a
    /// step's timeout or the memory budget every few thousand instructions and throws
    /// ``Interrupted``, so even a long match stops when the run is stopped.
    public func matches(_ text: String) throws(Interrupted) -> Bool {
        // A Result, because the buffer methods would widen the error to `any Error`.
        let search = { (bytes: UnsafeBufferPointer<UInt8>) in Result { () throws(Interrupted) in try run(bytes) } }
        let outcome = text.utf8.withContiguousStorageIfAvailable(search) ?? Array(text.utf8).withUnsafeBufferPointer(search)
        return try outcome.get()
    }

    /// How many thread steps run between two polls for an interruption.
    private static let pollInterval = 4096

    /// Before the text's first scalar and after its last.
    private static let edge = UInt32.max

    private func run(_ bytes: UnsafeBufferPointer<UInt8>) throws(Interrupted) -> Bool {
        var current = ThreadList(capacity: program.count)
        var next = ThreadList(capacity: program.count)
        var stack: [Int] = []
        var position = 0
        var previous = Self.edge
        var (scalar, width) = Self.decode(bytes, at: 0)
        var untilPoll = Self.pollInterval
        while true {
            if position == 0 || !anchored {
                if addThreads(from: 0, to: &current, before: previous, after: scalar, stack: &stack) { return true }
            }
            // At the end no thread can read on; anchored, none can start again.
            if scalar == Self.edge || (current.count == 0 && anchored) { return false }
            let following = Self.decode(bytes, at: position + width)
            for k in 0..<current.count {
                let pc = current.dense[k]
                let advances: Bool
                switch program[pc] {
                case .scalar(let c): advances = c == scalar
                case .set(let index): advances = classes[index].contains(scalar)
                case .any(let newline): advances = newline || scalar != 0x0A
                default: advances = false  // split, jump, assertion: followed when the thread was added
                }
                if advances, addThreads(from: pc + 1, to: &next, before: scalar, after: following.scalar, stack: &stack) {
                    return true
                }
            }
            untilPoll -= current.count + 1
            if untilPoll <= 0 {
                untilPoll = Self.pollInterval
                try Interrupted.check()
            }
            swap(&current, &next)
            next.removeAll()
            position += width
            previous = scalar
            (scalar, width) = following
        }
    }

    /// Adds a thread at `pc` and every thread it reaches without reading a scalar; true when one
    /// of them is the match.
    private func addThreads(from start: Int, to list: inout ThreadList, before: UInt32, after: UInt32, stack: inout [Int]) -> Bool {
        stack.append(start)
        while let branch = stack.popLast() {
            var pc = branch
            // Follows the first way of each split at once; the second waits on the stack.
            follow: while list.insert(pc) {
                switch program[pc] {
                case .jump(let target):
                    pc = target
                case .split(let first, let second):
                    stack.append(second)
                    pc = first
                case .assertion(let assertion):
                    guard Self.holds(assertion, before: before, after: after) else { break follow }
                    pc += 1
                case .match:
                    stack.removeAll(keepingCapacity: true)
                    return true
                case .scalar, .set, .any:
                    break follow
                }
            }
        }
        return false
    }

    private static func holds(_ assertion: RegexAssertion, before: UInt32, after: UInt32) -> Bool {
        switch assertion {
        case .beginText: return before == edge
        case .endText: return after == edge
        case .beginLine: return before == edge || before == 0x0A
        case .endLine: return after == edge || after == 0x0A
        case .wordBoundary: return RegexCase.isWord(before) != RegexCase.isWord(after)
        case .notWordBoundary: return RegexCase.isWord(before) == RegexCase.isWord(after)
        }
    }

    /// The scalar at a byte offset of valid UTF-8 (a Swift string's) and its length in bytes;
    /// `edge` at the end.
    @inline(__always)
    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (scalar: UInt32, width: Int) {
        guard i < bytes.count else { return (edge, 0) }
        let b0 = UInt32(bytes[i])
        if b0 < 0x80 { return (b0, 1) }
        let b1 = UInt32(bytes[i + 1]) & 0x3F
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | b1, 2) }
        let b2 = UInt32(bytes[i + 2]) & 0x3F
        if b0 < 0xF0 { return ((b0 & 0x0F) << 12 | b1 << 6 | b2, 3) }
        let b3 = UInt32(bytes[i + 3]) & 0x3F
        return ((b0 & 0x07) << 18 | b1 << 12 | b2 << 6 | b3, 4)
    }
}

/// A set of program counters in insertion order, cleared in constant time (a sparse set).
private struct ThreadList {
    private(set) var dense: [Int]
    private var sparse: [Int]
    private(set) var count = 0

    init(capacity: Int) {
        dense = Array(repeating: 0, count: capacity)
        sparse = Array(repeating: 0, count: capacity)
    }

    /// Adds a counter; false when it was there already.
    mutating func insert(_ pc: Int) -> Bool {
        let slot = sparse[pc]
        if slot < count && dense[slot] == pc { return false }
        sparse[pc] = count
        dense[count] = pc
        count += 1
        return true
    }

    mutating func removeAll() {
        count = 0
    }
}
