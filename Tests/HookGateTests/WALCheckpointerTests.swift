import Foundation
import HookGateCore
import HookGateStore
import Testing

/// The SQLite store's background checkpoints: committed frames reach the database file
/// between the writer's own checkpoints, and the WAL still starts over under load.
@Suite struct WALCheckpointerTests {
    static func temporaryPath() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hookgate-wal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("hookgate.sqlite").path
    }

    static func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// An event with a body of about `bytes` bytes, so that each one takes WAL frames.
    static func event(_ n: Int, bytes: Int) -> IncomingEvent {
        let body = Array("{\"eventId\":\"e-\(n)\",\"pad\":\"\(String(repeating: "x", count: bytes))\"}".utf8)
        return IncomingEvent(
            provider: .ledgersync, eventID: "e-\(n)", eventType: "mfaUpdated", body: body, receivedAt: Int64(n),
            headers: [("Content-Type", "application/json")], clientIP: nil, requestID: "r\(n)", claims: nil, deliveries: [])
    }

    /// Far fewer frames than SQLite's own checkpoint threshold (1,000): without the
    /// checkpointer the database file does not grow at all; with it, the pages arrive.
    @Test func committedPagesReachTheDatabaseFileBeforeTheWritersThreshold() async throws {
        for interval in [Duration.milliseconds(10), nil] {
            let path = try Self.temporaryPath()
            let store = try await SQLiteEventStore(path: path, durability: .full, checkpointInterval: interval).startRunning()
            let before = Self.fileSize(path)
            for n in 0..<60 { #expect(try await store.store(Self.event(n, bytes: 3000)) == .accepted) }
            let grown: @Sendable () -> Bool = { Self.fileSize(path) >= before + 60 * 3000 }
            if interval != nil {
                #expect(await eventually(seconds: 5) { grown() }, "database file \(Self.fileSize(path)) bytes, was \(before)")
            } else {
                // Nothing runs in the background without the checkpointer: what the file holds
                // now, once every commit has returned, it holds until the next commit.
                #expect(!grown(), "without the checkpointer the pages stay in the WAL until its 1,000th frame")
                #expect(Self.fileSize(path) == before)
            }
            await store.stopRunning()
            #expect(try await store.size().events == 60)
        }
    }

    /// Under sustained commits the writer's own checkpoint still catches up with the last
    /// frame, so the WAL file starts over from its beginning instead of growing with every
    /// commit.
    @Test func theWALStartsOverUnderSustainedCommits() async throws {
        let path = try Self.temporaryPath()
        let store = try await SQLiteEventStore(path: path, durability: .normal, checkpointInterval: .milliseconds(10)).startRunning()
        var largest: Int64 = 0
        // 200 stores in flight at every moment, so the writer never waits for work and the
        // checkpointer never finds the WAL idle.
        try await withThrowingTaskGroup(of: StoreOutcome.self) { group in
            var next = 0
            func submit() {
                let n = next
                next += 1
                group.addTask { try await store.store(Self.event(n, bytes: 1000)) }
            }
            while next < 200 { submit() }
            for try await outcome in group {
                #expect(outcome == .accepted)
                largest = max(largest, Self.fileSize(path + "-wal"))
                if next < 8000 { submit() }
            }
        }
        #expect(try await store.size().events == 8000)
        // 1,000 frames of 4 KiB plus the commit that crossed them: 4.2-4.4 MB measured. With
        // the writer's own checkpoint moved to 20,000 frames (the design this replaced), the
        // WAL never started over and reached 15.4 MB here.
        #expect(largest > 0)
        #expect(largest <= 8 << 20, "the WAL grew to \(largest) bytes")
        #expect(Self.fileSize(path) >= 8000 * 1000, "the events' pages reached the database file")
        #expect(try await store.integrityCheck() == "ok")
        await store.stopRunning()
    }
}
