import Foundation
import HookGateCore
import Testing

/// The store contract's quarantine (`Quarantine`), on every backend in ``StoreBackend/all``.
@Suite struct QuarantineContractTests {
    static let t0 = Int64(Date().timeIntervalSince1970 * 1000) - 3_600_000

    static func rejected(
        _ n: Int, provider: Provider = .plaid, reason: HookGateError.Code = .badSignature, at receivedAt: Int64 = t0, bodyBytes: Int = 100
    ) -> RejectedRequest {
        let n3 = String(format: "%03d", n)  // every request the same size
        let body = Array("{\"n\":\(n3),\"pad\":\"".utf8) + Array(repeating: UInt8(ascii: "x"), count: bodyBytes) + Array("\"}".utf8) + [0xFF]
        return RejectedRequest(
            provider: provider, reason: reason, receivedAt: receivedAt + Int64(n), clientIP: "192.0.2.9", path: "/webhooks/plaid?x=<b>",
            requestID: "req-\(n)", headers: [("Plaid-Verification", "eyJhbGciOiJFUzI1NiJ9.payload.sig"), ("X-Note", "<script>\(n3)</script>")],
            body: body)
    }

    @Test(arguments: StoreBackend.all)
    func refusedRequestsAreKeptWholeAndListedNewestFirstWithFilters(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        let stripe = try #require(Provider(rawValue: "stripe"))
        let requests = [Self.rejected(1), Self.rejected(2, reason: .staleToken), Self.rejected(3, provider: stripe)]
        #expect(try await store.quarantine(requests, maxBytes: 1 << 30) == 0)
        let all = try await store.rejected(RejectedFilter())
        #expect(all.map(\.requestID) == ["req-3", "req-2", "req-1"])
        #expect(all.allSatisfy { $0.body.isEmpty }, "listings carry no bodies")
        #expect(try await store.rejected(RejectedFilter(provider: .plaid)).map(\.requestID) == ["req-2", "req-1"])
        #expect(try await store.rejected(RejectedFilter(reason: .staleToken)).map(\.requestID) == ["req-2"])
        #expect(try await store.rejected(RejectedFilter(since: Self.t0 + 2)).map(\.requestID) == ["req-3", "req-2"])
        let page = try await store.rejected(RejectedFilter(limit: 2))
        #expect(try await store.rejected(RejectedFilter(before: page.last?.id)).map(\.requestID) == ["req-1"])
        let whole = try #require(try await store.quarantineRequest(id: all[2].id))
        #expect(whole.body == requests[0].body, "the body is byte-exact, invalid UTF-8 included")
        #expect(whole.headers.map { [$0.0, $0.1] } == requests[0].headers.map { [$0.0, $0.1] })
        #expect(whole.path == "/webhooks/plaid?x=<b>" && whole.clientIP == "192.0.2.9" && whole.reason == .badSignature)
        #expect(whole.receivedAt == Self.t0 + 1 && whole.recovery == nil)
        #expect(try await store.quarantineRequest(id: 999_999) == nil)
        let usage = try await store.quarantineUsage()
        #expect(usage.requests == 3 && usage.bytes == Int64(requests.reduce(0) { $0 + $1.keptBytes }))
        await store.stopRunning()
    }

    @Test(arguments: StoreBackend.all)
    func theBoundDropsTheOldestFirst(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        let one = Int64(Self.rejected(0, bodyBytes: 1000).keptBytes)
        var dropped = 0
        for batch in 0..<10 {
            dropped += try await store.quarantine((0..<10).map { Self.rejected(batch * 10 + $0, bodyBytes: 1000) }, maxBytes: one * 25)
        }
        let usage = try await store.quarantineUsage()
        #expect(usage.bytes <= one * 25 && usage.requests == 25, "within the bound: \(usage)")
        #expect(dropped == 75)
        let kept = try await store.rejected(RejectedFilter(limit: 100)).map(\.requestID)
        #expect(kept.first == "req-99" && kept.last == "req-75", "the newest stay")
        #expect(try await store.pruneRejected(receivedBefore: Self.t0 + 90) == 15)
        #expect(try await store.quarantineUsage().requests == 10)
        #expect(try await store.quarantineUsage().bytes == one * 10)
        await store.stopRunning()
    }

    @Test(arguments: StoreBackend.all)
    func aRecoveryIsRecordedOnTheRequestAndOnTheEventItStored(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        try await store.quarantine([Self.rejected(1), Self.rejected(2)], maxBytes: 1 << 30)
        var request = try #require(try await store.rejected(RejectedFilter(limit: 10)).last)
        #expect(try await store.store(StoreContractTests.event("recovered-1", provider: .plaid)) == .accepted)
        request.recovery = .init(at: Self.t0 + 500, outcome: .accepted, eventID: "recovered-1", via: "cli")
        try await store.markRecovered(request)
        let marked = try #require(try await store.quarantineRequest(id: request.id))
        #expect(marked.recovery == request.recovery)
        let event = try #require(try await store.event(provider: .plaid, eventID: "recovered-1"))
        #expect(event.recovered == EventRecovery(rejectedID: request.id, reason: "bad_signature", via: "cli", at: Self.t0 + 500))
        #expect(try await store.rejected(RejectedFilter(unrecoveredOnly: true)).map(\.requestID) == ["req-2"])
        // A duplicate recovery marks the request only: the event was stored another way.
        var second = try #require(try await store.rejected(RejectedFilter(unrecoveredOnly: true)).first)
        #expect(try await store.store(StoreContractTests.event("retried-2", provider: .plaid)) == .accepted)
        second.recovery = .init(at: Self.t0 + 600, outcome: .duplicate, eventID: "retried-2", via: "admin_api")
        try await store.markRecovered(second)
        #expect(try await store.event(provider: .plaid, eventID: "retried-2")?.recovered == nil)
        #expect(try await store.quarantineRequest(id: second.id)?.recovery?.outcome == .duplicate)
        await store.stopRunning()
    }
}
