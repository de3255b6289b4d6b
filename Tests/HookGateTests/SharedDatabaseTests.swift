import Foundation
import HookGateApp
import HookGateCore
import HookGateHTTPClient
import JOSE
import Testing

/// What several gates on one database promise beyond one gate's contract: exactly-once
/// dedup, claims that never hand one delivery to two gates, order by key across gates,
/// and keys fetched once for all. Runs on every shared backend (PostgreSQL).
@Suite struct SharedDatabaseTests {
    static let shared = StoreBackend.all.filter(\.shared)

    @Test(arguments: shared)
    func copiesSentToThreeGatesAtOnceAreAcceptedExactlyOnce(_ backend: StoreBackend) async throws {
        let gates = try await backend.openShared(3)
        for round in 0..<20 {
            let event = StoreContractTests.event("copy-\(round)", deliveries: StoreContractTests.to("h"))
            let outcomes = try await withThrowingTaskGroup(of: StoreOutcome.self) { group in
                for copy in 0..<9 { group.addTask { try await gates[copy % 3].store(event) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .accepted }.count == 1, "round \(round): \(outcomes)")
        }
        #expect(try await gates[0].deliveries(limit: 1000).count == 20)
        for gate in gates { await gate.stopRunning() }
    }

    @Test(arguments: shared)
    func concurrentClaimsFromThreeGatesNeverHandOutOneDeliveryTwice(_ backend: StoreBackend) async throws {
        let gates = try await backend.openShared(3)
        for n in 0..<300 {
            _ = try await gates[n % 3].store(StoreContractTests.event("d-\(n)", deliveries: StoreContractTests.to("h")))
        }
        let now = StoreContractTests.t0 + 1000
        let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for gate in gates {
                group.addTask {
                    var mine: [Int64] = []
                    while true {
                        let jobs = try await gate.claimDue(handler: "h", now: now, limit: 7)
                        if jobs.isEmpty { return mine }
                        mine += jobs.map(\.deliveryID)
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let all = claimed.flatMap { $0 }
        #expect(all.count == 300 && Set(all).count == 300)
        #expect(claimed.filter { !$0.isEmpty }.count >= 2, "the claims spread over the gates: \(claimed.map(\.count))")
        for gate in gates { await gate.stopRunning() }
    }

    @Test(arguments: shared)
    func orderByKeyHoldsAcrossGates(_ backend: StoreBackend) async throws {
        let gates = try await backend.openShared(3)
        for n in 0..<12 {
            let event = StoreContractTests.event("o-\(n)", at: StoreContractTests.t0 + Int64(n), deliveries: StoreContractTests.to("h", key: "item"))
            _ = try await gates[n % 3].store(event)
        }
        var seen: [String] = []
        var turn = 0
        while seen.count < 12 {
            // Every gate asks; only the oldest unfinished delivery of the key is ever handed out.
            var handedOut: [DeliveryJob] = []
            for gate in gates { handedOut += try await gate.claimDue(handler: "h", now: StoreContractTests.t0 + 60_000, limit: 5) }
            #expect(handedOut.count == 1)
            let job = try #require(handedOut.first)
            seen.append(job.eventID)
            try await gates[turn % 3].complete([StoreContractTests.result(job, .delivered, succeeded: true)])
            turn += 1
        }
        #expect(seen == (0..<12).map { "o-\($0)" })
        for gate in gates { await gate.stopRunning() }
    }

    @Test(arguments: StoreBackend.all)
    func aKeyOneGateFetchedServesTheOthersWithoutAFetch(_ backend: StoreBackend) async throws {
        let stub = try await KeyEndpointStub()
        let key = try P256PrivateKey.generate()
        stub.publish(key.publicJWK(keyID: "shared-kid"))
        let gates = try await backend.openShared(backend.shared ? 2 : 1)
        let source = HTTPKeySource(url: URL(string: stub.url)!, credentials: [("client_id", "c"), ("secret", "s")], timeout: 5)
        let first = KeyCache(provider: .plaid, source: source, persistence: gates[0])
        let second = KeyCache(provider: .plaid, source: source, persistence: gates[gates.count - 1])
        _ = try await first.key(for: "shared-kid")
        #expect(stub.requests(for: "shared-kid") == 1)
        // The first cache saves in the background.
        let saver = gates[0]
        #expect(try await eventually(seconds: 2) { try await saver.savedKey(provider: .plaid, keyID: "shared-kid") != nil })
        let entry = try await second.key(for: "shared-kid")
        #expect(entry.jwk == key.publicJWK(keyID: "shared-kid"))
        #expect(stub.requests(for: "shared-kid") == 1)
        await stub.stop()
        for gate in gates { await gate.stopRunning() }
    }

    /// `hookgate events … --database-url` reads a gate's database; pointed at one without
    /// HookGate's tables it says so and creates nothing (a gate would migrate it).
    @Test(.enabled(if: TestPostgres.available))
    func eventsCommandRefusesADatabaseWithoutHookGateTablesAndCreatesNothing() async throws {
        let url = try await TestPostgres.createDatabase()
        let arguments = ["events", "list", "--database-url", TestPostgres.text(url)]
        for _ in 0..<2 {
            let refused = try await CommandLineTests.run(arguments)
            #expect(refused.status == 1)
            #expect(refused.error.contains("no HookGate database at"), "\(refused.error)")
            if let password = url.password { #expect(!refused.error.contains(password)) }
        }
        var database = GateConfiguration.Database()
        database.url = url
        _ = try await Gate.openStore(database, logger: .init(label: "hookgate-test"))
        let listed = try await CommandLineTests.run(arguments)
        #expect(listed.status == 0, "\(listed.error)")
    }
}
