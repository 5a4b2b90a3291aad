/// Unified diffs of text, as a plan shows a file change.
///
/// The hunks are the ones GNU `diff -u` prints, so a plan reads exactly like the diff an operator
/// would run by hand. That takes GNU's whole pipeline, not just any shortest edit script: it trims
/// the identical ends, sets aside lines that match nothing, runs Myers' linear-space search with a
/// cost cap, then slides each run of changes to its canonical place.
public enum Diff {
    /// A unified diff (`--- a/PATH`, `+++ b/PATH`, `@@ -l,n +l,n @@` hunks with `context` lines around changes),
    /// like `diff -u`, or "" when the texts are equal. A missing side is given as nil: then the header uses
    /// /dev/null and the hunk is `@@ -0,0 +1,n @@` (or the reverse). A last line without a trailing newline is
    /// marked with `\ No newline at end of file` as diff does.
    ///
    /// Lines compare as bytes, as diff compares them: "é" and "e\u{301}" differ.
    public static func unified(_ before: String?, _ after: String?, path: String, context: Int = 3) -> String {
        let old = Lines(before ?? ""), new = Lines(after ?? "")
        guard old.bytes != new.bytes else { return "" }
        // Context past the longer text changes nothing, and the clamp keeps the arithmetic in range.
        let context = min(max(0, context), max(old.count, new.count))
        let changes = changes(old, new, horizon: context)
        let name = path.hasPrefix("/") ? String(path.dropFirst()) : path
        var out = Array((before == nil ? "--- /dev/null\n" : "--- a/\(name)\n").utf8)
        out += (after == nil ? "+++ /dev/null\n" : "+++ b/\(name)\n").utf8
        var first = 0
        while first < changes.count {
            // A hunk runs on while fewer than 2 × context + 1 unchanged lines part two changes.
            var last = first
            while last + 1 < changes.count, changes[last + 1].old - changes[last].oldEnd <= 2 * context { last += 1 }
            hunk(changes[first...last], old, new, context, into: &out)
            first = last + 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// One change: `deleted` lines at `old` replaced by `inserted` lines at `new` (0-based).
    private struct Change {
        let old, deleted, new, inserted: Int
        var oldEnd: Int { old + deleted }
        var newEnd: Int { new + inserted }
    }

    /// Appends one hunk: the changes with `context` lines of `a` around and between them.
    private static func hunk(_ changes: ArraySlice<Change>, _ a: Lines, _ b: Lines, _ context: Int, into out: inout [UInt8]) {
        guard let first = changes.first, let last = changes.last else { return }
        let start0 = max(first.old - context, 0), end0 = min(last.oldEnd + context, a.count)
        let start1 = max(first.new - context, 0), end1 = min(last.newEnd + context, b.count)
        out += "@@ -\(range(start0, end0)) +\(range(start1, end1)) @@\n".utf8
        var i = start0
        for change in changes {
            while i < change.old { a.emit(i, UInt8(ascii: " "), into: &out); i += 1 }
            for k in change.old..<change.oldEnd { a.emit(k, UInt8(ascii: "-"), into: &out) }
            for k in change.new..<change.newEnd { b.emit(k, UInt8(ascii: "+"), into: &out) }
            i = change.oldEnd
        }
        while i < end0 { a.emit(i, UInt8(ascii: " "), into: &out); i += 1 }
    }

    /// A hunk's line range `start..<end` as diff numbers it: "l,n", "l" for one line, and for no
    /// lines "l,0" with l the line before (which `patch` relies on for empty files).
    private static func range(_ start: Int, _ end: Int) -> String {
        end <= start ? "\(end),0" : end == start + 1 ? "\(end)" : "\(start + 1),\(end - start)"
    }

    // MARK: Comparison

    /// The edit script from `a` to `b`, in order, as GNU diff finds it.
    private static func changes(_ a: Lines, _ b: Lines, horizon: Int) -> [Change] {
        let (prefix, suffix) = identicalEnds(a, b, horizon: horizon)
        var ids: [ArraySlice<UInt8>: Int] = [:]
        let classes = [a, b].map { text in
            (prefix..<text.count - suffix).map { i in
                if let id = ids[text[i]] { return id }
                ids[text[i]] = ids.count
                return ids.count - 1
            }
        }
        var counts = [[Int]](repeating: [Int](repeating: 0, count: ids.count), count: 2)
        for f in 0..<2 { for id in classes[f] { counts[f][id] += 1 } }
        let eq0 = classes[0], eq1 = classes[1]

        // Lines set aside are changes already; the search sees only the rest.
        var changed0 = Flags(eq0.count), changed1 = Flags(eq1.count)
        let drop0 = discards(eq0, matches: counts[1]), drop1 = discards(eq1, matches: counts[0])
        let kept0 = eq0.indices.filter { !drop0[$0] }, kept1 = eq1.indices.filter { !drop1[$0] }
        for i in eq0.indices where drop0[i] { changed0[i] = true }
        for i in eq1.indices where drop1[i] { changed1[i] = true }
        let (deleted, inserted) = search(kept0.map { eq0[$0] }, kept1.map { eq1[$0] })
        for k in deleted { changed0[kept0[k]] = true }
        for k in inserted { changed1[kept1[k]] = true }

        shiftBoundaries(&changed0, other: changed1, classes: eq0)
        shiftBoundaries(&changed1, other: changed0, classes: eq1)

        var changes: [Change] = []
        var i0 = 0, i1 = 0
        while i0 < eq0.count || i1 < eq1.count {
            if changed0[i0] || changed1[i1] {
                let s0 = i0, s1 = i1
                while changed0[i0] { i0 += 1 }
                while changed1[i1] { i1 += 1 }
                changes.append(Change(old: prefix + s0, deleted: i0 - s0, new: prefix + s1, inserted: i1 - s1))
            }
            i0 += 1
            i1 += 1
        }
        return changes
    }

    /// The lines of identical prefix and suffix left out of the comparison. As in GNU diff they are
    /// found on bytes, then widened by `horizon` lines each way so boundary sliding has room; how
    /// much is left in changes which lines count as rare, so this must match diff exactly.
    private static func identicalEnds(_ a: Lines, _ b: Lines, horizon: Int) -> (prefix: Int, suffix: Int) {
        var p = 0
        while p < min(a.size, b.size), a.byte(p) == b.byte(p) { p += 1 }
        // The newline supplied for an unterminated last line matches only its like.
        if (p > a.bytes.count) != (p > b.bytes.count) { p -= 1 }
        var lines = horizon
        while p > 0 {
            if a.byte(p - 1) == 10 {
                if lines == 0 { break }
                lines -= 1
            }
            p -= 1
        }
        let prefixEnd = p
        guard a.missingNewline == b.missingNewline else { return (a.line(at: prefixEnd), 0) }

        var e0 = a.size, e1 = b.size
        let stop = prefixEnd + max(0, a.size - b.size)
        while e0 > stop, a.byte(e0 - 1) == b.byte(e1 - 1) {
            e0 -= 1
            e1 -= 1
        }
        let atLineStart = (e0 == 0 || a.byte(e0 - 1) == 10) && (e1 == 0 || b.byte(e1 - 1) == 10)
        lines = horizon + (atLineStart ? 0 : 1)
        while lines > 0, e0 < a.size {
            while a.byte(e0) != 10 { e0 += 1 }
            e0 += 1
            lines -= 1
        }
        return (a.line(at: prefixEnd), a.count - a.line(at: e0))
    }

    /// Which lines (by equivalence class) to set aside before the search: those with no match on the
    /// other side, and lines with very many matches where they sit inside a run of those. Thresholds
    /// and run rules are GNU diff's, which keep the search fast and shape which edit script it finds.
    private static func discards(_ classes: [Int], matches: [Int]) -> [Bool] {
        let end = classes.count
        let many = 5 << (end < 64 ? 0 : log2(end) / 2 - 3)
        // 1: no match, discard; 2: many matches, discard only inside a run.
        var d: [UInt8] = classes.map { matches[$0] == 0 ? 1 : matches[$0] > many ? 2 : 0 }
        var i = 0
        while i < end {
            defer { i += 1 }
            if d[i] == 2 { d[i] = 0 }
            guard d[i] == 1 else { continue }
            var j = i, provisional = 0
            while j < end, d[j] != 0 {
                if d[j] == 2 { provisional += 1 }
                j += 1
            }
            while j > i, d[j - 1] == 2 {
                j -= 1
                d[j] = 0
                provisional -= 1
            }
            let length = j - i
            if length / 4 < provisional {
                for k in i..<j where d[k] == 2 { d[k] = 0 }
                continue
            }
            // Long stretches of provisional lines stay in: roughly sqrt(length / 4) or more.
            let minimum = (length < 4 ? 1 : 1 << (log2(length) / 2 - 1)) + 1
            var consec = 0, k = 0
            while k < length {
                if d[i + k] != 2 {
                    consec = 0
                } else {
                    consec += 1
                    if consec == minimum {
                        k -= consec  // back to the stretch's start, to keep all of it
                    } else if consec > minimum {
                        d[i + k] = 0
                    }
                }
                k += 1
            }
            // Near either end of the run, keep provisional lines until three certain discards in a
            // row, or one at least eight lines in.
            for (from, step) in [(i, 1), (i + length - 1, -1)] {
                consec = 0
                for k in 0..<length {
                    let at = from + k * step
                    if k >= 8, d[at] == 1 { break }
                    if d[at] == 2 { d[at] = 0 }
                    consec = d[at] == 1 ? consec + 1 : 0
                    if consec == 3 { break }
                }
            }
            i += length - 1
        }
        return d.map { $0 != 0 }
    }

    /// Slides each run of changed lines over equal lines around it, first back to merge with earlier
    /// runs, then forward as far as it goes, then back to line up with a run in the other file.
    private static func shiftBoundaries(_ changed: inout Flags, other: Flags, classes eq: [Int]) {
        let end = eq.count
        var i = 0, j = 0  // j: the other file's line matching i
        while true {
            while i < end, !changed[i] {
                while other[j] { j += 1 }
                j += 1
                i += 1
            }
            if i == end { return }
            var start = i
            i += 1
            while changed[i] { i += 1 }
            while other[j] { j += 1 }
            var length: Int, corresponding: Int
            repeat {
                length = i - start
                while start > 0, eq[start - 1] == eq[i - 1] {
                    start -= 1
                    changed[start] = true
                    i -= 1
                    changed[i] = false
                    while changed[start - 1] { start -= 1 }
                    j -= 1
                    while other[j] { j -= 1 }
                }
                // `end` means the run meets no change in the other file.
                corresponding = other[j - 1] ? i : end
                while i != end, eq[start] == eq[i] {
                    changed[start] = false
                    start += 1
                    changed[i] = true
                    i += 1
                    while changed[i] { i += 1 }
                    j += 1
                    while other[j] {
                        corresponding = i
                        j += 1
                    }
                }
            } while length != i - start
            while corresponding < i {
                start -= 1
                changed[start] = true
                i -= 1
                changed[i] = false
                j -= 1
                while other[j] { j -= 1 }
            }
        }
    }

    /// Indices of `x` deleted and of `y` inserted by an edit script from Myers' divide-and-conquer
    /// search. A work list rather than recursion keeps deep splits off the stack.
    private static func search(_ x: [Int], _ y: [Int]) -> (deleted: [Int], inserted: [Int]) {
        var deleted: [Int] = [], inserted: [Int] = []
        let diagonals = x.count + y.count + 3
        let storage = UnsafeMutablePointer<Int>.allocate(capacity: 2 * diagonals)
        defer { storage.deallocate() }
        x.withUnsafeBufferPointer { xv in
            y.withUnsafeBufferPointer { yv in
                let snakes = Snakes(
                    x: xv, y: yv, forward: storage + y.count + 1, backward: storage + diagonals + y.count + 1,
                    tooExpensive: max(4096, 1 << (log2(diagonals) / 2 + 1)))
                var work = [(xoff: 0, xlim: x.count, yoff: 0, ylim: y.count, minimal: false)]
                while var w = work.popLast() {
                    while w.xoff < w.xlim, w.yoff < w.ylim, xv[w.xoff] == yv[w.yoff] {
                        w.xoff += 1
                        w.yoff += 1
                    }
                    while w.xoff < w.xlim, w.yoff < w.ylim, xv[w.xlim - 1] == yv[w.ylim - 1] {
                        w.xlim -= 1
                        w.ylim -= 1
                    }
                    if w.xoff == w.xlim {
                        inserted += w.yoff..<w.ylim
                    } else if w.yoff == w.ylim {
                        deleted += w.xoff..<w.xlim
                    } else {
                        let m = snakes.midpoint(w.xoff, w.xlim, w.yoff, w.ylim, minimal: w.minimal)
                        work.append((m.x, w.xlim, m.y, w.ylim, m.hiMinimal))
                        work.append((w.xoff, m.x, w.yoff, m.y, m.loMinimal))
                    }
                }
            }
        }
        return (deleted, inserted)
    }

    /// Myers' bidirectional search for the middle snake, over diagonals k = x − y.
    private struct Snakes {
        let x, y: UnsafeBufferPointer<Int>
        /// Furthest x reached on each diagonal, forward and backward (indexable by negative k).
        let forward, backward: UnsafeMutablePointer<Int>
        /// The cost after which the search settles for the best diagonal so far (GNU diff's bound).
        let tooExpensive: Int

        /// The middle of a shortest edit script between x[xoff..<xlim] and y[yoff..<ylim] (whose first
        /// and last elements differ), and whether each half is still to be searched minimally.
        func midpoint(_ xoff: Int, _ xlim: Int, _ yoff: Int, _ ylim: Int, minimal: Bool)
            -> (x: Int, y: Int, loMinimal: Bool, hiMinimal: Bool)
        {
            let fd = forward, bd = backward
            let dmin = xoff - ylim, dmax = xlim - yoff, fmid = xoff - yoff, bmid = xlim - ylim
            var fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid
            let odd = (fmid - bmid) & 1 != 0
            fd[fmid] = xoff
            bd[bmid] = xlim
            var cost = 1
            while true {
                if fmin > dmin { fmin -= 1; fd[fmin - 1] = -1 } else { fmin += 1 }
                if fmax < dmax { fmax += 1; fd[fmax + 1] = -1 } else { fmax -= 1 }
                var d = fmax
                while d >= fmin {
                    let lo = fd[d - 1], hi = fd[d + 1]
                    var px = lo < hi ? hi : lo + 1, py = px - d
                    while px < xlim, py < ylim, x[px] == y[py] {
                        px += 1
                        py += 1
                    }
                    fd[d] = px
                    if odd, bmin <= d, d <= bmax, bd[d] <= px { return (px, py, true, true) }
                    d -= 2
                }
                if bmin > dmin { bmin -= 1; bd[bmin - 1] = .max } else { bmin += 1 }
                if bmax < dmax { bmax += 1; bd[bmax + 1] = .max } else { bmax -= 1 }
                d = bmax
                while d >= bmin {
                    let lo = bd[d - 1], hi = bd[d + 1]
                    var px = lo < hi ? lo : hi - 1, py = px - d
                    while px > xoff, py > yoff, x[px - 1] == y[py - 1] {
                        px -= 1
                        py -= 1
                    }
                    bd[d] = px
                    if !odd, fmin <= d, d <= fmax, px <= fd[d] { return (px, py, true, true) }
                    d -= 2
                }
                if !minimal, cost >= tooExpensive { break }
                cost += 1
            }
            // Too costly: split at whichever search got further (by x + y), giving up minimality there.
            var fBest = -1, fx = 0
            for d in stride(from: fmax, through: fmin, by: -2) {
                var px = min(fd[d], xlim), py = px - d
                if py > ylim { (px, py) = (ylim + d, ylim) }
                if px + py > fBest { (fBest, fx) = (px + py, px) }
            }
            var bBest = Int.max, bx = 0
            for d in stride(from: bmax, through: bmin, by: -2) {
                var px = max(xoff, bd[d]), py = px - d
                if py < yoff { (px, py) = (yoff + d, yoff) }
                if px + py < bBest { (bBest, bx) = (px + py, px) }
            }
            return (xlim + ylim) - bBest < fBest - (xoff + yoff)
                ? (fx, fBest - fx, true, false) : (bx, bBest - bx, false, true)
        }
    }

    private static func log2(_ n: Int) -> Int { Int.bitWidth - 1 - n.leadingZeroBitCount }

    /// Per-line flags with a false sentinel before the first line and after the last, which the
    /// boundary scans run into instead of checking bounds.
    private struct Flags {
        private var raw: [Bool]
        init(_ count: Int) { raw = [Bool](repeating: false, count: count + 2) }
        subscript(i: Int) -> Bool {
            get { raw[i + 1] }
            set { raw[i + 1] = newValue }
        }
    }

    /// A text's bytes split after each "\n". An unterminated last line keeps no newline, so it
    /// never equals a terminated one; for trimming, the text reads as if that newline were there.
    private struct Lines {
        let bytes: [UInt8]
        /// Line i spans starts[i]..<starts[i + 1]; the last entry counts the supplied newline.
        private var starts = [0]

        init(_ text: String) {
            bytes = Array(text.utf8)
            for (k, byte) in bytes.enumerated() where byte == 10 { starts.append(k + 1) }
            if starts[starts.count - 1] != bytes.count { starts.append(bytes.count + 1) }
        }

        var count: Int { starts.count - 1 }
        /// Bytes including a supplied final newline.
        var size: Int { starts[count] }
        var missingNewline: Bool { size > bytes.count }
        func byte(_ k: Int) -> UInt8 { k < bytes.count ? bytes[k] : 10 }
        subscript(i: Int) -> ArraySlice<UInt8> { bytes[starts[i]..<min(starts[i + 1], bytes.count)] }

        /// The line starting at byte `offset` (`count` for the end).
        func line(at offset: Int) -> Int {
            var lo = 0, hi = count
            while lo < hi {
                let mid = (lo + hi) / 2
                if starts[mid] < offset { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }

        func emit(_ i: Int, _ mark: UInt8, into out: inout [UInt8]) {
            out.append(mark)
            out += self[i]
            if starts[i + 1] > bytes.count { out += "\n\\ No newline at end of file\n".utf8 }
        }
    }
}
