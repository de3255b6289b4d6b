import Foundation
import HookGateCore
import HookGateStore
import Testing

/// The SQLite store on its own: durability setting, retention, group commit, migrations.
@Suite struct StoreTests {
    static func temporaryStore(durability: GateConfiguration.Durability = .full) throws -> (SQLiteEventStore, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hookgate-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("hookgate.sqlite").path
        return (try SQLiteEventStore(path: path, durability: durability), path)
    }

    static func event(_ n: Int, receivedAt: Int64, deliveries: [PlannedDelivery] = []) -> IncomingEvent {
        IncomingEvent(
            provider: .ledgersync, eventID: "e-\(n)", eventType: "mfaUpdated", body: Array("{\"eventId\":\"e-\(n)\"}".utf8),
            receivedAt: receivedAt, headers: [("Content-Type", "application/json")], clientIP: "127.0.0.1", requestID: "r\(n)", claims: nil,
            deliveries: deliveries)
    }

    /// The claim walks the partial indexes in due order and stops at its limit: a claim that
    /// sorted every due delivery drained a 100,000-delivery backlog at 585/s instead of 6,000.
    @Test func claimsWalkThePartialIndexesWithoutSorting() async throws {
        let (store, _) = try Self.temporaryStore()
        for n in 0..<200 {
            _ = try await store.store(
                Self.event(n, receivedAt: 1_000 + Int64(n), deliveries: [PlannedDelivery(handler: "h", orderKey: n % 2 == 0 ? "k" : nil)]))
        }
        let plans = try await store.claimQueryPlans()
        #expect(plans.count == 2)
        #expect(plans[0].contains("USING INDEX deliveries_leased"), "\(plans[0])")
        #expect(plans[1].contains("USING INDEX deliveries_waiting"), "\(plans[1])")
        for plan in plans { #expect(!plan.contains("TEMP B-TREE"), "\(plan)") }
    }

    @Test func retentionDeletesOnlyOldEventsWithTheirDeliveries() async throws {
        let (store, _) = try Self.temporaryStore()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let day: Int64 = 86_400_000
        for n in 0..<2500 {
            _ = try await store.store(Self.event(n, receivedAt: now - 8 * day, deliveries: [PlannedDelivery(handler: "h", orderKey: nil)]))
        }
        for n in 2500..<2510 { _ = try await store.store(Self.event(n, receivedAt: now - day)) }
        let deleted = try await store.prune(receivedBefore: now - 7 * day)
        #expect(deleted == 2500)
        #expect(try await store.size().events == 10)
        #expect(try await store.deliveryCounts().pending == 0)  // their deliveries went with them
        #expect(try await store.event(provider: .ledgersync, eventID: "e-2505") != nil)
        // A pruned event id is no longer a duplicate: the dedup window is the retention.
        #expect(try await store.store(Self.event(1, receivedAt: now)) == .accepted)
    }

    @Test func durabilitySettingReachesTheWriter() async throws {
        for (durability, expected) in [(GateConfiguration.Durability.full, 2), (.normal, 1)] {
            let (store, path) = try Self.temporaryStore(durability: durability)
            #expect(try await store.synchronousLevel() == expected, "\(durability)")
            // Outbox bookkeeping commits without fsync, then the writer's level is restored.
            _ = try await store.store(Self.event(1, receivedAt: 0, deliveries: [PlannedDelivery(handler: "h", orderKey: nil)]))
            #expect(try await store.claimDue(handler: "h", now: 1, limit: 5).count == 1)
            #expect(try await store.synchronousLevel() == expected, "\(durability) after a claim")
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            #expect(try await store.integrityCheck() == "ok")
        }
    }

    @Test func concurrentStoresCommitTogetherAndDedupWithinABatch() async throws {
        let (store, _) = try Self.temporaryStore()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let outcomes = try await withThrowingTaskGroup(of: StoreOutcome.self) { group in
            for n in 0..<400 { group.addTask { try await store.store(Self.event(n % 200, receivedAt: now)) } }
            return try await group.reduce(into: [StoreOutcome]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .accepted }.count == 200)
        #expect(outcomes.filter { $0 == .duplicate }.count == 200)
        #expect(try await store.size().events == 200)
    }
}

extension StoreTests {
    @Test func aFullCommitQueueAnswersOverloaded() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hookgate-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let store = try SQLiteEventStore(path: dir.appendingPathComponent("db.sqlite").path, durability: .full, maxQueued: 4)
        var overloaded = 0
        var stored = 0
        await withTaskGroup(of: Bool.self) { group in
            for n in 0..<300 {
                group.addTask {
                    do {
                        _ = try await store.store(Self.event(n, receivedAt: 0))
                        return true
                    } catch {
                        let refusal = error as? HookGateError
                        #expect(refusal?.code == .overloaded && refusal?.retryAfter == 1)
                        return false
                    }
                }
            }
            for await ok in group { if ok { stored += 1 } else { overloaded += 1 } }
        }
        #expect(overloaded > 0 && stored > 0 && overloaded + stored == 300)
        #expect(try await store.size().events == stored)  // nothing refused was stored, nothing accepted was lost
    }
}
