import Synchronization

/// The next request index and the answers so far, shared by the replay's workers.
final class ReplayTally: Sendable {
    private let next = Mutex(0)
    private let results = Mutex<[String: [String: Int]]>([:])

    func take() -> Int {
        next.withLock { value in
            defer { value += 1 }
            return value
        }
    }

    func record(provider: String, answer: String) {
        results.withLock { $0[provider, default: [:]][answer, default: 0] += 1 }
    }

    func counts() -> [String: [String: Int]] { results.withLock { $0 } }
}
