/// The tests' one poller: asks `condition` every 25 ms until it holds or `seconds` pass (on
/// the monotonic clock), and says whether it held. A poll for something the code under
/// test does on its own time (a background write, a delivery), never a wait standing in
/// for a timer: tests that need the gate's time to pass advance a ``SkippingClock``.
func eventually(seconds: Double = 10, _ condition: () async throws -> Bool) async rethrows -> Bool {
    try await eventuallyValue(seconds: seconds) { try await condition() ? true : nil } ?? false
}

/// ``eventually(seconds:_:)`` for a value: polls `produce` until it returns one (or
/// `seconds` pass, then `nil`).
func eventuallyValue<T>(seconds: Double = 10, _ produce: () async throws -> T?) async rethrows -> T? {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if let value = try await produce() { return value }
        try? await Task.sleep(for: .milliseconds(25))  // the poll interval
    }
    return try await produce()
}
