import Foundation
import HookGateCore

/// Runs `body` with a gate started on `yaml` (see ``GateHarness/init(yaml:directory:environment:clock:)``),
/// then stops the gate and, unless the caller passed its own `directory`, removes the gate's
/// temporary folder: whether `body` returns or throws, so a failing test leaves no gate
/// running and no folder behind. `body`'s error wins over a failed stop.
func withGate<T>(
    yaml: String, directory: URL? = nil, environment: [String: String] = [:], clock: any GateClock = WallClock(),
    _ body: (GateHarness) async throws -> T
) async throws -> T {
    let owned = directory == nil
    let folder = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("hookgate-test-\(UUID().uuidString)")
    defer { if owned { try? FileManager.default.removeItem(at: folder) } }
    let harness = try await GateHarness(yaml: yaml, directory: folder, environment: environment, clock: clock)
    let result: Result<T, any Error>
    do {
        result = .success(try await body(harness))
    } catch {
        result = .failure(error)
    }
    do {
        try await harness.stop()
    } catch {
        if case .success = result { throw error }
    }
    return try result.get()
}
