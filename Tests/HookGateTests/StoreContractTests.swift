import Foundation
import HookGateCore
import JOSE
import Synchronization
import Testing

/// The store contract (HookGateCore's `EventStore`, `DeliveryQueue`, `KeyStore` and
/// `EventQueries`), stated once and run against every backend in ``StoreBackend/all``.
@Suite struct StoreContractTests {
    /// A fixed origin in the past, so "due now" and "not yet due" are both easy to state.
    static let t0 = Int64(Date().timeIntervalSince1970 * 1000) - 3_600_000

    static func event(
        _ id: String, provider: Provider = .ledgersync, type: String = "mfaUpdated", at receivedAt: Int64 = t0,
        deliveries: [PlannedDelivery] = []
    ) -> IncomingEvent {
        IncomingEvent(
            provider: provider, eventID: id, eventType: type, body: Array("{\"eventId\":\"\(id)\",\"n\":\u{00e9}1}".utf8) + [0xFF, 0x00],
            receivedAt: receivedAt, headers: [("Content-Type", "application/json"), ("X-Second", "2")], clientIP: "192.0.2.7",
            requestID: "req-\(id)", claims: #"{"iat":1}"#, deliveries: deliveries)
    }

    static func to(_ handlers: String..., key: String? = nil) -> [PlannedDelivery] {
        handlers.map { PlannedDelivery(handler: $0, orderKey: key) }
    }

    static func result(_ job: DeliveryJob, _ next: AttemptResult.Next, succeeded: Bool = false) -> AttemptResult {
        AttemptResult(
            deliveryID: job.deliveryID, claim: job.claim, attempt: job.attempt, startedAt: t0 + 1, durationMilliseconds: 2.5, succeeded: succeeded,
            statusCode: succeeded ? 200 : 503, excerpt: succeeded ? "ok" : "busy", next: next)
    }

    /// The lease claims take in these tests unless a test says otherwise.
    static let lease: Int64 = 30_000

    // MARK: Storing events

    @Test(arguments: StoreBackend.all)
    func anEventIsAcceptedOnceThenADuplicateKeptByteForByte(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        let event = Self.event("e-1")
        #expect(try await store.store(event) == .accepted)
        #expect(try await store.store(event) == .duplicate)
        let stored = try #require(try await store.event(provider: .ledgersync, eventID: "e-1"))
        #expect(stored.body == event.body)
        #expect(stored.bodySHA256 == SHA256.hexHash(event.body))
        #expect(stored.headers.map { [$0.0, $0.1] } == [["Content-Type", "application/json"], ["X-Second", "2"]])
        #expect(stored.eventType == "mfaUpdated" && stored.receivedAt == Self.t0 && stored.clientIP == "192.0.2.7")
        #expect(stored.requestID == "req-e-1" && stored.claims == #"{"iat":1}"#)
        #expect(try await store.event(id: stored.id)?.eventID == "e-1")
        #expect(try await store.size().events == 1)
    }

    /// Providers are configured names: any valid name is stored, deduplicated per name, found
    /// and listed by it, and an event id shared by two providers (two Stripe accounts) stays two events.
    @Test(arguments: StoreBackend.all)
    func configuredProviderNamesAreKeptApartAndFoundByName(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        let stripe = try #require(Provider(rawValue: "stripe"))
        let stripeEU = try #require(Provider(rawValue: "stripe-eu"))
        #expect(try await store.store(Self.event("evt_1", provider: stripe, type: "payment_intent.succeeded")) == .accepted)
        #expect(try await store.store(Self.event("evt_1", provider: stripeEU, type: "payment_intent.succeeded")) == .accepted)
        #expect(try await store.store(Self.event("evt_1", provider: stripeEU, type: "payment_intent.succeeded")) == .duplicate)
        #expect(try await store.event(provider: stripeEU, eventID: "evt_1")?.provider == stripeEU)
        #expect(try await store.events(eventID: "evt_1").map(\.provider.rawValue) == ["stripe", "stripe-eu"])
        #expect(try await store.events(provider: stripeEU, since: nil, limit: 10).map(\.provider) == [stripeEU])
        #expect(try await store.eventSummaries(provider: stripe).map(\.eventID) == ["evt_1"])
        #expect(try await store.resolveEvents("evt_1").count == 2)
        await store.stopRunning()
    }

    @Test(arguments: StoreBackend.all)
    func eventsAreFoundByAPrefixOfTheirEventIDExactlyAndNewestFirst(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        for id in ["sha256:ab12", "sha256:ab34", "sha256:cd56", "ab%_x", "abc"] { _ = try await store.store(Self.event(id)) }
        _ = try await store.store(Self.event("sha256:ab99", provider: .plaid, type: "ITEM.ERROR"))
        let ab = try await store.events(eventIDPrefix: "sha256:ab", provider: nil, limit: 10)
        #expect(ab.map(\.eventID) == ["sha256:ab99", "sha256:ab34", "sha256:ab12"])
        #expect(
            try await store.events(eventIDPrefix: "sha256:ab", provider: .ledgersync, limit: 10).map(\.eventID) == ["sha256:ab34", "sha256:ab12"])
        #expect(try await store.events(eventIDPrefix: "sha256:ab", provider: nil, limit: 2).count == 2)
        #expect(try await store.events(eventIDPrefix: "sha256:cd56", provider: nil, limit: 10).map(\.eventID) == ["sha256:cd56"])
        // No wildcards and no case folding: % and _ are plain characters.
        #expect(try await store.events(eventIDPrefix: "ab%", provider: nil, limit: 10).map(\.eventID) == ["ab%_x"])
        #expect(try await store.events(eventIDPrefix: "a_", provider: nil, limit: 10).isEmpty)
        #expect(try await store.events(eventIDPrefix: "SHA256:AB", provider: nil, limit: 10).isEmpty)
        #expect(try await store.events(eventIDPrefix: "sha256:ab12x", provider: nil, limit: 10).isEmpty)
        await store.stopRunning()
    }

    @Test(arguments: StoreBackend.all)
    func storingWithACompletionAnswersOnceCommittedLikeTheAwaitingCall(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        @Sendable func stored(_ event: IncomingEvent) async -> Result<StoreOutcome, HookGateError> {
            await withCheckedContinuation { continuation in store.store(event) { continuation.resume(returning: $0) } }
        }
        let event = Self.event("c-1")
        let first = await stored(event)
        #expect((try? first.get()) == .accepted)
        #expect(try await store.event(provider: event.provider, eventID: "c-1")?.body == event.body)
        let second = await stored(event)
        #expect((try? second.get()) == .duplicate)
        #expect(try await store.store(event) == .duplicate)
        #expect(try await store.store(Self.event("c-2")) == .accepted)
        let third = await stored(Self.event("c-2"))
        #expect((try? third.get()) == .duplicate)
        #expect(try await store.size().events == 2)
    }

    @Test(arguments: StoreBackend.all)
    func dedupIsPerProvider(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        #expect(try await store.store(Self.event("same", provider: .plaid)) == .accepted)
        #expect(try await store.store(Self.event("same", provider: .linkmoney)) == .accepted)
        #expect(try await store.store(Self.event("same", provider: .plaid)) == .duplicate)
        let both = try await store.resolveEvents("same")
        #expect(Set(both.map(\.provider)) == [.plaid, .linkmoney])
        let one = try await store.resolveEvents("same", provider: .linkmoney)
        #expect(one.count == 1 && one[0].provider == .linkmoney)
        #expect(try await store.resolveEvents(String(one[0].id)).map(\.eventID) == ["same"])
        #expect(try await store.resolveEvents("missing").isEmpty)
    }

    @Test(arguments: StoreBackend.all)
    func ofConcurrentCopiesExactlyOneIsAcceptedWithOneSetOfOutboxRows(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        let outcomes = try await withThrowingTaskGroup(of: StoreOutcome.self) { group in
            for _ in 0..<20 { group.addTask { try await store.store(Self.event("race", deliveries: Self.to("a", "b"))) } }
            return try await group.reduce(into: [StoreOutcome]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .accepted }.count == 1)
        #expect(outcomes.filter { $0 == .duplicate }.count == 19)
        #expect(try await store.deliveries().count == 2)
    }

    @Test(arguments: StoreBackend.all)
    func outboxRowsAreWrittenWithTheEventAndNoneForADuplicate(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        let woken = Mutex(0)
        store.onOutboxWrite { woken.withLock { $0 += 1 } }
        _ = try await store.store(Self.event("quiet"))
        #expect(woken.withLock { $0 } == 0)
        _ = try await store.store(Self.event("e-1", deliveries: Self.to("a") + Self.to("b", key: "item-1")))
        #expect(woken.withLock { $0 } == 1)
        _ = try await store.store(Self.event("e-1", deliveries: Self.to("a", "b", "c")))
        let row = try #require(try await store.event(provider: .ledgersync, eventID: "e-1")).id
        let deliveries = try await store.deliveries(eventRow: row).sorted { $0.id < $1.id }
        #expect(deliveries.map(\.handler) == ["a", "b"])
        #expect(deliveries.map(\.orderKey) == [nil, "item-1"])
        #expect(deliveries.allSatisfy { $0.status == .pending && $0.attempts == 0 && $0.nextAttemptAt == Self.t0 && $0.eventID == "e-1" })
        #expect(try await store.deliveries().count == 2)
    }

    // MARK: The delivery queue

    @Test(arguments: StoreBackend.all)
    func claimTakesDueDeliveriesOnlyMarksThemInFlightAndNeverTwice(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        _ = try await store.store(Self.event("early", at: Self.t0, deliveries: Self.to("a", "b")))
        _ = try await store.store(Self.event("late", at: Self.t0 + 1000, deliveries: Self.to("a")))
        #expect(try await store.nextDueTime() == Self.t0)
        #expect(try await store.claimDue(handler: "a", now: Self.t0 - 1, limit: 10).isEmpty)
        let first = try await store.claimDue(handler: "a", now: Self.t0, limit: 10)
        #expect(first.map(\.eventID) == ["early"])
        let job = try #require(first.first)
        #expect(job.handler == "a" && job.attempt == 1 && job.provider == .ledgersync && job.createdAt == Self.t0)
        #expect(job.body == Self.event("early").body && job.contentType == "application/json" && job.receivedAt == Self.t0)
        #expect(try await store.deliveries(status: .inFlight).map(\.id) == [job.deliveryID])
        #expect(try await store.claimDue(handler: "a", now: Self.t0 + 500, limit: 10).isEmpty)
        let limited = try await store.claimDue(handler: "a", now: Self.t0 + 5000, limit: 1)
        #expect(limited.map(\.eventID) == ["late"])
        #expect(try await store.claimDue(handler: "b", now: Self.t0, limit: 0).isEmpty)
        #expect(try await store.claimDue(handler: "b", now: Self.t0, limit: 10).map(\.eventID) == ["early"])
        #expect(try await store.nextDueTime() == nil)
    }

    @Test(arguments: StoreBackend.all)
    func onlyTheOldestUnfinishedDeliveryOfAKeyIsClaimable(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        for n in 1...3 { _ = try await store.store(Self.event("k\(n)", at: Self.t0 + Int64(n), deliveries: Self.to("h", key: "item-1"))) }
        _ = try await store.store(Self.event("other", at: Self.t0 + 4, deliveries: Self.to("h", key: "item-2")))
        _ = try await store.store(Self.event("unkeyed", at: Self.t0 + 5, deliveries: Self.to("h")))
        _ = try await store.store(Self.event("elsewhere", at: Self.t0 + 6, deliveries: Self.to("g", key: "item-1")))
        let now = Self.t0 + 60_000
        let first = try await store.claimDue(handler: "h", now: now, limit: 10)
        #expect(first.map(\.eventID) == ["k1", "other", "unkeyed"])
        #expect(try await store.claimDue(handler: "g", now: now, limit: 10).map(\.eventID) == ["elsewhere"])
        let k1 = try #require(first.first)
        // Still blocked while k1 waits for a retry; unblocked once it is delivered.
        try await store.complete([Self.result(k1, .retry(at: now + 10))])
        #expect(try await store.claimDue(handler: "h", now: now, limit: 10).isEmpty)
        let again = try await store.claimDue(handler: "h", now: now + 10, limit: 10)
        #expect(again.map(\.eventID) == ["k1"] && again.first?.attempt == 2)
        try await store.complete([Self.result(again[0], .delivered, succeeded: true)])
        let k2 = try await store.claimDue(handler: "h", now: now, limit: 10)
        #expect(k2.map(\.eventID) == ["k2"])
        // A dead delivery no longer holds its key up.
        try await store.complete([Self.result(k2[0], .dead)])
        #expect(try await store.claimDue(handler: "h", now: now, limit: 10).map(\.eventID) == ["k3"])
    }

    @Test(arguments: StoreBackend.all)
    func completeRecordsTheAttemptAndMovesTheDeliveryOn(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        _ = try await store.store(Self.event("e", deliveries: Self.to("ok", "later", "never")))
        var jobs: [String: DeliveryJob] = [:]
        for handler in ["ok", "later", "never"] { jobs[handler] = try await store.claimDue(handler: handler, now: Self.t0, limit: 1).first }
        let retryAt = Self.t0 + 30_000
        try await store.complete([
            Self.result(try #require(jobs["ok"]), .delivered, succeeded: true), Self.result(try #require(jobs["later"]), .retry(at: retryAt)),
            Self.result(try #require(jobs["never"]), .dead),
        ])
        let byHandler = Dictionary(uniqueKeysWithValues: try await store.deliveries().map { ($0.handler, $0) })
        #expect(byHandler["ok"]?.status == .delivered && byHandler["ok"]?.attempts == 1 && byHandler["ok"]?.lastError == nil)
        #expect(byHandler["later"]?.status == .retrying && byHandler["later"]?.nextAttemptAt == retryAt && byHandler["later"]?.lastError == "busy")
        #expect(byHandler["never"]?.status == .dead && byHandler["never"]?.attempts == 1)
        #expect(try await store.nextDueTime() == retryAt)
        #expect(try await store.claimDue(handler: "later", now: retryAt - 1, limit: 1).isEmpty)
        #expect(try await store.claimDue(handler: "later", now: retryAt, limit: 1).first?.attempt == 2)
        let attempts = try await store.attempts(deliveryID: try #require(jobs["ok"]).deliveryID)
        #expect(
            attempts == [
                AttemptRecord(
                    deliveryID: try #require(jobs["ok"]).deliveryID, number: 1, startedAt: Self.t0 + 1, durationMilliseconds: 2.5, succeeded: true,
                    statusCode: 200, excerpt: "ok")
            ])
    }

    @Test(arguments: StoreBackend.all)
    func redeliveryMakesDeliveriesDueNowButLeavesInFlightOnesAlone(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        _ = try await store.store(Self.event("e", deliveries: Self.to("a", "b")))
        let row = try #require(try await store.event(provider: .ledgersync, eventID: "e")).id
        let a = try #require(try await store.claimDue(handler: "a", now: Self.t0, limit: 1).first)
        try await store.complete([Self.result(a, .dead)])
        let b = try #require(try await store.claimDue(handler: "b", now: Self.t0, limit: 1).first)
        #expect(try await store.redeliver(deliveryID: b.deliveryID) == .inFlight)
        #expect(try await store.redeliver(deliveryID: 999_999) == .notFound)
        #expect(try await store.redeliver(eventRow: row) == 1)  // a again; b is in flight
        try await store.complete([Self.result(b, .delivered, succeeded: true)])
        #expect(try await store.redeliver(eventRow: row, handler: "b") == 1)
        #expect(try await store.redeliver(deliveryID: b.deliveryID) == .queued)
        let due = Int64(Date().timeIntervalSince1970 * 1000) + 1000
        #expect(try await store.claimDue(handler: "b", now: due, limit: 5).map(\.deliveryID) == [b.deliveryID])
        let retried = try #require(try await store.claimDue(handler: "a", now: due, limit: 1).first)
        #expect(retried.deliveryID == a.deliveryID && retried.attempt == 2)
        try await store.complete([Self.result(retried, .dead)])
        #expect(try await store.redeliverDead(handler: "b") == 0)
        #expect(try await store.redeliverDead() == 1)
        #expect(try await store.deliveries(status: .retrying).map(\.id) == [a.deliveryID])
    }

    @Test(arguments: StoreBackend.all)
    func resumeInFlightPutsClaimsLeftByAStoppedProcessBack(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        _ = try await store.store(Self.event("fresh", deliveries: Self.to("h")))
        _ = try await store.store(Self.event("tried", deliveries: Self.to("h")))
        let jobs = try await store.claimDue(handler: "h", now: Self.t0, limit: 2)
        let tried = try #require(jobs.first { $0.eventID == "tried" })
        try await store.complete([Self.result(tried, .retry(at: Self.t0))])
        _ = try await store.claimDue(handler: "h", now: Self.t0, limit: 2)
        #expect(try await store.deliveryCounts(now: Self.t0).inFlight == 2)
        // One gate owns a SQLite file: every claim in it is the stopped process's. On a shared
        // database a live gate's claims are not to be taken back: only those whose lease ran out.
        var resumeAt = Self.t0 + 7
        if backend.shared {
            #expect(try await store.resumeInFlight(now: resumeAt) == 0)
            resumeAt = Self.t0 + Self.lease
        }
        #expect(try await store.resumeInFlight(now: resumeAt) == 2)
        let states = Dictionary(uniqueKeysWithValues: try await store.deliveries().map { ($0.eventID, $0) })
        #expect(states["fresh"]?.status == .pending && states["tried"]?.status == .retrying)
        #expect(states.values.allSatisfy { $0.nextAttemptAt == resumeAt })
        #expect(try await store.claimDue(handler: "h", now: resumeAt, limit: 5).count == 2)
    }

    @Test(arguments: StoreBackend.all)
    func aClaimHoldsItsDeliveryUntilItsLeaseRunsOutUnlessRenewed(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        _ = try await store.store(Self.event("leased", deliveries: Self.to("h")))
        let first = try #require(try await store.claimDue(handler: "h", now: Self.t0, leaseUntil: Self.t0 + 1000, limit: 1).first)
        #expect(try await store.claimDue(handler: "h", now: Self.t0 + 999, leaseUntil: Self.t0 + 2000, limit: 1).isEmpty)
        // Renewed: still held past the first lease.
        #expect(try await store.renewLeases([DeliveryClaim(deliveryID: first.deliveryID, claim: first.claim)], until: Self.t0 + 5000) == 1)
        #expect(try await store.claimDue(handler: "h", now: Self.t0 + 4999, leaseUntil: Self.t0 + 9000, limit: 1).isEmpty)
        // Run out: claimable again (the gate died), with the same attempt number and a new token.
        let second = try #require(try await store.claimDue(handler: "h", now: Self.t0 + 5000, leaseUntil: Self.t0 + 9000, limit: 1).first)
        #expect(second.deliveryID == first.deliveryID && second.attempt == 1 && second.claim != first.claim)
        // The lost claim can neither renew nor move the delivery; its attempt is still recorded.
        #expect(try await store.renewLeases([DeliveryClaim(deliveryID: first.deliveryID, claim: first.claim)], until: Self.t0 + 99_000) == 0)
        try await store.complete([Self.result(first, .dead)])
        #expect(try await store.deliveries().first?.status == .inFlight)
        #expect(try await store.attempts(deliveryID: first.deliveryID).count == 1)
        try await store.complete([Self.result(second, .delivered, succeeded: true)])
        #expect(try await store.deliveries().first?.status == .delivered)
        #expect(try await store.attempts(deliveryID: first.deliveryID).count == 2)
    }

    // MARK: Keys

    @Test(arguments: StoreBackend.all)
    func savedKeysAreReadBackPerProviderAndReplacedByKid(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        #expect(try await store.savedKeys(provider: .plaid).isEmpty)
        let first = try P256PrivateKey.generate().publicJWK(keyID: "k1")
        let second = try P256PrivateKey.generate().publicJWK(keyID: "k2")
        let replacement = try P256PrivateKey.generate().publicJWK(keyID: "k1")
        try await store.saveKey(first, provider: .plaid)
        try await store.saveKey(second, provider: .plaid)
        let both = try await store.savedKeys(provider: .plaid)
        #expect(both.count == 2 && both.contains(first) && both.contains(second))
        #expect(try await store.savedKeys(provider: .linkmoney).isEmpty)
        try await store.saveKey(replacement, provider: .plaid)
        let saved = try await store.savedKeys(provider: .plaid)
        #expect(saved.count == 2 && saved.contains(replacement) && saved.contains(second) && !saved.contains(first))
    }

    // MARK: Queries

    @Test(arguments: StoreBackend.all)
    func eventSummariesFilterAndPage(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        _ = try await store.store(Self.event("p1", provider: .plaid, type: "TRANSACTIONS.DEFAULT_UPDATE", at: Self.t0, deliveries: Self.to("a")))
        _ = try await store.store(Self.event("p2", provider: .plaid, type: "ITEM.ERROR", at: Self.t0 + 10, deliveries: Self.to("b")))
        _ = try await store.store(Self.event("l1", provider: .ledgersync, type: "mfaUpdated", at: Self.t0 + 20))
        _ = try await store.store(Self.event("q1", provider: .plaid, type: "TRANSACTIONS?[x]", at: Self.t0 + 30))
        let job = try #require(try await store.claimDue(handler: "b", now: Self.t0 + 10, limit: 1).first)
        try await store.complete([Self.result(job, .dead)])
        func ids(_ filter: EventFilter) async throws -> [String] { try await store.eventSummaries(filter).map(\.eventID) }
        #expect(try await ids(EventFilter()) == ["q1", "l1", "p2", "p1"])
        #expect(try await ids(EventFilter(provider: .plaid)) == ["q1", "p2", "p1"])
        #expect(try await ids(EventFilter(status: .dead)) == ["p2"])
        #expect(try await ids(EventFilter(handler: "a")) == ["p1"])
        #expect(try await ids(EventFilter(status: .pending, handler: "b")).isEmpty)
        #expect(try await ids(EventFilter(eventType: "TRANSACTIONS.*")) == ["p1"])
        #expect(try await ids(EventFilter(eventType: "TRANSACTIONS*")) == ["q1", "p1"])
        #expect(try await ids(EventFilter(eventType: "TRANSACTIONS?[x]")) == ["q1"])
        #expect(try await ids(EventFilter(eventType: "transactions*")).isEmpty)
        #expect(try await ids(EventFilter(since: Self.t0 + 10, until: Self.t0 + 30)) == ["l1", "p2"])
        let page = try await store.eventSummaries(EventFilter(limit: 2))
        #expect(page.map(\.eventID) == ["q1", "l1"])
        #expect(try await ids(EventFilter(before: page.last?.id, limit: 2)) == ["p2", "p1"])
        let p2 = try #require(try await store.eventSummaries(EventFilter(status: .dead)).first)
        #expect(p2.provider == "plaid" && p2.eventType == "ITEM.ERROR" && p2.receivedAt == Self.t0 + 10)
        #expect(p2.deliveries == [EventSummary.Delivery(id: job.deliveryID, handler: "b", status: .dead, attempts: 1)])
    }

    @Test(arguments: StoreBackend.all)
    func exportListsAndDeliveryListingsFilter(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        _ = try await store.store(Self.event("old", provider: .plaid, at: Self.t0, deliveries: Self.to("a", "b")))
        _ = try await store.store(Self.event("new", provider: .plaid, at: Self.t0 + 100, deliveries: Self.to("a")))
        _ = try await store.store(Self.event("other", provider: .linkmoney, at: Self.t0 + 200, deliveries: Self.to("a")))
        #expect(try await store.events(provider: .plaid, since: nil, limit: 10).map(\.eventID) == ["new", "old"])
        #expect(try await store.events(provider: nil, since: Self.t0 + 100, limit: 10).map(\.eventID) == ["other", "new"])
        #expect(try await store.events(provider: nil, since: nil, limit: 1).map(\.eventID) == ["other"])
        #expect(try await store.deliveries(provider: .linkmoney).map(\.eventID) == ["other"])
        #expect(try await store.deliveries(handler: "b").map(\.eventID) == ["old"])
        #expect(try await store.deliveries(handler: "a", limit: 2).map(\.eventID) == ["other", "new"])
        #expect(try await store.deliveries(status: .dead).isEmpty)
    }

    @Test(arguments: StoreBackend.all)
    func countsForStatsCoverEveryStateAndTheOldestWaitingDelivery(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        #expect(try await store.deliveryCounts(now: Self.t0) == DeliveryCounts())
        _ = try await store.store(Self.event("e", at: Self.t0, deliveries: Self.to("ok", "retry", "dead", "busy", "waiting")))
        _ = try await store.store(Self.event("f", at: Self.t0 + 1000))
        for (handler, next) in [("ok", AttemptResult.Next.delivered), ("retry", .retry(at: Self.t0 + 5000)), ("dead", .dead)] {
            let job = try #require(try await store.claimDue(handler: handler, now: Self.t0, limit: 1).first)
            try await store.complete([Self.result(job, next, succeeded: next == .delivered)])
        }
        _ = try await store.claimDue(handler: "busy", now: Self.t0, limit: 1)
        let counts = try await store.deliveryCounts(now: Self.t0 + 4000)
        #expect(counts.pending == 1 && counts.retrying == 1 && counts.inFlight == 1 && counts.delivered == 1 && counts.dead == 1)
        #expect(counts.oldestPendingSeconds == 4)
        let size = try await store.size()
        #expect(size.events == 2 && size.bytes > 0)
    }

    @Test(arguments: StoreBackend.all)
    func retentionPrunesOldEventsWithTheirDeliveriesAndAttempts(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        _ = try await store.store(Self.event("old", at: Self.t0, deliveries: Self.to("h")))
        _ = try await store.store(Self.event("kept", at: Self.t0 + 10_000, deliveries: Self.to("h")))
        let job = try #require(try await store.claimDue(handler: "h", now: Self.t0, limit: 1).first)
        try await store.complete([Self.result(job, .dead)])
        #expect(try await store.prune(receivedBefore: Self.t0 + 10_000) == 1)
        #expect(try await store.event(provider: .ledgersync, eventID: "old") == nil)
        #expect(try await store.deliveries().map(\.eventID) == ["kept"])
        #expect(try await store.attempts(deliveryID: job.deliveryID).isEmpty)
        #expect(try await store.deliveryCounts(now: Self.t0).dead == 0)
        #expect(try await store.store(Self.event("old", at: Self.t0 + 20_000)) == .accepted)  // the retention is the dedup window
        #expect(await store.writeProblem() == nil)
    }
}

extension DeliveryQueue {
    /// Claims with the tests' usual lease (``StoreContractTests/lease``).
    func claimDue(handler: String, now: Int64, limit: Int) async throws -> [DeliveryJob] {
        try await claimDue(handler: handler, now: now, leaseUntil: now + StoreContractTests.lease, limit: limit)
    }
}
