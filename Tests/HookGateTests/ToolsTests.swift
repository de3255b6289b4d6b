import Foundation
import HookGateCore
import HookGateTools
import JOSE
import Testing

/// The library behind the commands: the webhook signer, the verify report, replay's
/// inputs and summary, export file names and the event document.
@Suite struct ToolsTests {
    static let body = Array(#"{"webhook_type":"ITEM","webhook_code":"ERROR"}"#.utf8)
    static let devKeys = try! PinnedKeySource(json: DevelopmentKeys.jwksJSON, origin: "dev")

    @Test func theSignerWritesAPlaidStyleTokenTheGateVerifies() throws {
        let token = try WebhookSigner(pem: nil, keyID: nil).token(body: Self.body, issuedAt: 1_700_000_000)
        let jws = try WebhookVerifier.parse(token)
        #expect(jws.header.compactText == #"{"alg":"ES256","kid":"hookgate-dev-1","typ":"JWT"}"#)
        #expect(try WebhookVerifier.checkHeader(jws) == DevelopmentKeys.keyID)
        let key = try Self.devKeys.key(for: DevelopmentKeys.keyID).publicKey()
        let verified = try WebhookVerifier.check(jws, keyID: DevelopmentKeys.keyID, key: key, body: Self.body, now: 1_700_000_010, maxAge: 300)
        #expect(verified.issuedAt == 1_700_000_000)
        #expect(jws.claims["request_body_sha256"]?.stringValue == SHA256.hexHash(Self.body))
        #expect(throws: JOSEError.self) { try WebhookSigner(pem: "not a key", keyID: "k") }
    }

    @Test func theVerifyReportExplainsEachStepAndTheVerdict() throws {
        let token = try WebhookSigner(pem: nil, keyID: nil).token(body: Self.body, issuedAt: 1_700_000_000)
        let verified = VerifyReport(token: token, keys: Self.devKeys, keyOrigin: "dev.jwks", body: Self.body, now: 1_700_000_010, maxAge: 300)
        #expect(verified.rejection == nil)
        #expect(verified.lines.first?.hasPrefix("header:  ") == true)
        #expect(verified.lines.contains("key:     kid hookgate-dev-1 from dev.jwks"))
        #expect(verified.lines.last == "verdict: VERIFIED (signature, age and body hash)")
        let bodiless = VerifyReport(token: token, keys: Self.devKeys, keyOrigin: "dev.jwks", body: nil, now: 1_700_000_010, maxAge: 300)
        #expect(bodiless.lines.last == "verdict: VERIFIED (signature and age; pass --body to check request_body_sha256)")
        let stale = VerifyReport(token: token, keys: Self.devKeys, keyOrigin: "dev.jwks", body: Self.body, now: 1_700_000_400, maxAge: 300)
        #expect(stale.rejection?.code == .staleToken && stale.lines.suffix(2).first == "verdict: REJECTED stale_token")
        let garbage = VerifyReport(token: "a.b", keys: Self.devKeys, keyOrigin: "dev.jwks", body: nil, now: 0, maxAge: 300)
        #expect(garbage.rejection != nil && garbage.lines.count == 2)
    }

    @Test func keyChoiceRefusesUnknownAndExpiredKeysAsTheGateDoes() throws {
        let stranger = try WebhookSigner(key: P256PrivateKey.generate(), keyID: "stranger").token(body: Self.body, issuedAt: 1_700_000_000)
        let unknown = VerifyReport(token: stranger, keys: Self.devKeys, keyOrigin: "dev.jwks", body: Self.body, now: 1_700_000_010, maxAge: 300)
        #expect(unknown.rejection?.code == .unknownKey && unknown.rejection?.reason.hasSuffix(" in dev.jwks") == true)
        var retired = try Self.devKeys.key(for: DevelopmentKeys.keyID)
        retired.expiredAt = 1_600_000_000
        let token = try WebhookSigner(pem: nil, keyID: nil).token(body: Self.body, issuedAt: 1_700_000_000)
        let expired = VerifyReport(
            token: token, keys: PinnedKeySource(keySet: JWKSet(keys: [retired])), keyOrigin: "old", body: Self.body, now: 1_700_000_010, maxAge: 300)
        #expect(expired.rejection?.code == .expiredKey)
        // A lone key without a kid is used whatever kid the token names.
        var unnamed = try Self.devKeys.key(for: DevelopmentKeys.keyID)
        unnamed.keyID = nil
        #expect(try PinnedKeySource(keySet: JWKSet(keys: [unnamed])).key(for: "anything") == unnamed)
        #expect(throws: HookGateError.self) { try PinnedKeySource(keySet: JWKSet(keys: [retired, retired])).key(for: DevelopmentKeys.keyID) }
    }

    @Test func replayInputsTakeTheProviderFromTheFolderOrTheCapture() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hookgate-tools-\(UUID().uuidString)")
        let plaid = folder.appendingPathComponent("plaid")
        try FileManager.default.createDirectory(at: plaid, withIntermediateDirectories: true)
        try Data(Self.body).write(to: plaid.appendingPathComponent("b.json"))
        let capture = CaptureFile(
            provider: .linkmoney, eventID: "e", eventType: "t", receivedAt: Date(), headers: [("Content-Type", "text/plain"), ("X", "1")],
            body: [0xFF])
        try capture.encoded().write(to: folder.appendingPathComponent("a.capture.json"))
        let items = try ReplayItem.collect(paths: [folder.path], provider: nil)
        #expect(items.map(\.provider) == [.linkmoney, .plaid])
        #expect(items[0].body == [0xFF] && items[0].contentType == "text/plain" && items[0].captured?.count == 2)
        #expect(items[1].body == Self.body && items[1].captured == nil)
        #expect(throws: ToolError("no such file or folder: /nonexistent")) { try ReplayItem.collect(paths: ["/nonexistent"], provider: nil) }
        let loose = folder.appendingPathComponent("loose.json")
        try Data(Self.body).write(to: loose)
        #expect(throws: ToolError.self) { try ReplayItem.collect(paths: [loose.path], provider: nil) }
        #expect(try ReplayItem.collect(paths: [loose.path], provider: .ledgersync).first?.provider == .ledgersync)
    }

    @Test func replaySignsFreshAndTalliesTheGatesAnswers() async throws {
        let report = try await withGate(yaml: GateHarness.embedded) { harness in
            let items = [ReplayItem(label: "one", provider: .plaid, body: Signer.plaidBody(), captured: nil, contentType: nil)]
            let base = try #require(URL(string: "http://127.0.0.1:\(harness.publicPort)"))
            let replay = Replay(base: base, signer: try WebhookSigner(pem: nil, keyID: nil), concurrency: 2, repetitions: 3)
            return try await replay.run(items)
        }
        #expect(report.counts == ["plaid": ["accepted": 1, "duplicate": 2]] && report.total == 3 && report.unexpected == 0)
    }

    @Test func theReplaySummaryCountsUnexpectedAnswersAndExplainsThem() {
        let fresh = ReplayReport(
            counts: ["plaid": ["accepted": 3, "stale_token": 1], "linkmoney": ["unreachable": 2]], total: 6, elapsed: 0.5,
            target: "http://127.0.0.1:1", asCaptured: false)
        #expect(fresh.unexpected == 3)
        let lines = fresh.summary().split(separator: "\n").map(String.init)
        #expect(lines[0] == "PROVIDER   ANSWER       COUNT")
        #expect(lines.contains("total                   6"))
        #expect(lines.contains("6 requests in 0.50 s (12/s) to http://127.0.0.1:1"))
        #expect(lines.contains { $0.hasPrefix("note: stale_token") } && lines.contains { $0.hasPrefix("note: unreachable") })
        var captured = fresh
        captured.asCaptured = true
        #expect(captured.unexpected == 2)
    }

    @Test func exportNamesAreFileSafe() {
        let event = StoredEvent(
            id: 7, provider: .plaid, eventID: "a/b c:é" + String(repeating: "x", count: 100), eventType: "t", body: [], bodySHA256: "", headers: [],
            clientIP: nil, requestID: "r", receivedAt: 0, claims: nil)
        let name = EventExport.fileName(event)
        #expect(name.hasPrefix("7-a_b_c__xx") && name.hasSuffix(".capture.json"))
        #expect(name.count == "7-".count + 80 + ".capture.json".count)
    }

    @Test(arguments: StoreBackend.all)
    func theEventDocumentHoldsTheBodyDeliveriesAndAttempts(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        let event = IncomingEvent(
            provider: .plaid, eventID: "doc", eventType: "ITEM.ERROR", body: Self.body, receivedAt: 1000,
            headers: [("Content-Type", "application/json")], clientIP: nil, requestID: "r", claims: nil,
            deliveries: [PlannedDelivery(handler: "a", orderKey: nil), PlannedDelivery(handler: "b", orderKey: nil)])
        _ = try await store.store(event)
        let job = try #require(try await store.claimDue(handler: "b", now: 1000, limit: 1).first)
        try await store.complete([
            AttemptResult(
                deliveryID: job.deliveryID, claim: job.claim, attempt: 1, startedAt: 1001, durationMilliseconds: 1, succeeded: true, statusCode: 204,
                excerpt: "",
                next: .delivered)
        ])
        let document = try await store.document(of: try #require(try await store.event(provider: .plaid, eventID: "doc")))
        #expect(document.body == String(decoding: Self.body, as: UTF8.self) && document.bodyBase64 == nil)
        #expect(document.headers == [["Content-Type", "application/json"]] && document.bodySha256 == SHA256.hexHash(Self.body))
        #expect(document.deliveries.map(\.delivery.handler) == ["a", "b"])
        #expect(document.deliveries.map(\.attempts.count) == [0, 1])
        let json = String(decoding: try SnakeCaseJSON.encoder().encode(document), as: UTF8.self)
        #expect(json.contains(#""event_id":"doc""#) && json.contains(#""body_sha256":"#))
    }
}
