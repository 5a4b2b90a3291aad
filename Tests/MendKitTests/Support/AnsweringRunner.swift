import Foundation
@testable import MendKit

/// A process runner that answers every command itself and records it: nothing is spawned, so a
/// test proves that a namespace reaches processes only through its ``MendKit/Host``.
final class AnsweringRunner: ProcessRunner, @unchecked Sendable {
    private let lock = NSLock()
    private var received: [ProcessRequest] = []
    private let answer: @Sendable (ProcessRequest) throws(ProcessError) -> ProcessResult

    init(_ answer: @escaping @Sendable (ProcessRequest) throws(ProcessError) -> ProcessResult) {
        self.answer = answer
    }

    /// The commands asked for, in order.
    var requests: [ProcessRequest] {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    func run(_ request: ProcessRequest, shouldStop: () -> Bool) throws(ProcessError) -> ProcessResult {
        lock.lock()
        received.append(request)
        lock.unlock()
        return try answer(request)
    }
}
