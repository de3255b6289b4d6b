import Foundation
import HookGateCore
import JOSE
import Testing

/// The quarantine end to end on a running gate: a refused webhook is kept with its
/// credentials masked when shown, recovered only when it verifies with today's
/// configuration, stored once with its original receipt time, and `/stats` warns.
@Suite struct QuarantineTests {
    static func json(_ response: RawHTTP.Response) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    static func recover(_ harness: GateHarness, _ id: Int64, body: String = "") async throws -> RawHTTP.Response {
        try await RawHTTP.request(port: harness.adminPort, method: "POST", path: "/rejected/\(id)/recover", headers: [], body: Array(body.utf8))
    }

    /// The rejected requests once the writer has written `count` of them (it writes off the intake's path).
    static func waitForRejected(_ harness: GateHarness, count: Int) async throws -> [[String: Any]] {
        let found = try await eventuallyValue { () -> [[String: Any]]? in
            let list = try json(try await harness.admin("/rejected"))["rejected"] as? [[String: Any]] ?? []
            return list.count >= count ? list : nil
        }
        guard let found else {
            Issue.record("the quarantine did not reach \(count) requests")
            return []
        }
        return found
    }

    @Test func aStaleWebhookIsKeptThenRecoveredOnceWithIgnoreAgeKeepingItsReceiptTime() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let body = Signer.plaidBody(7)
            let token = try Signer.token(body: body, iat: Int64(Date().timeIntervalSince1970) - 3600)
            let refused = try await harness.post("/webhooks/plaid?source=<b>", body: body, headers: [("Plaid-Verification", token), ("Cookie", "session=1")])
            #expect(refused.status == 401 && refused.text.contains("stale_token"))
            let listed = try await Self.waitForRejected(harness, count: 1)
            #expect(listed.first?["reason"] as? String == "stale_token" && listed.first?["path"] as? String == "/webhooks/plaid?source=<b>")
            let id = try #require((listed.first?["id"] as? NSNumber)?.int64Value)
            let document = try Self.json(try await harness.admin("/rejected/\(id)"))
            let headers = try #require(document["headers"] as? [[String]])
            #expect(headers.contains(["Plaid-Verification", String(token.prefix(8)) + "…"]), "the token is masked when shown: \(headers)")
            #expect(!headers.contains { $0[0].lowercased() == "cookie" }, "cookies are dropped")
            #expect(document["body"] as? String == String(decoding: body, as: UTF8.self))
            let receivedAt = try #require((listed.first?["received_at"] as? NSNumber)?.int64Value)

            let stillStale = try await Self.recover(harness, id)
            #expect(stillStale.status == 409 && stillStale.text == #"{"error":"stale_token"}"#)
            let recovered = try await Self.recover(harness, id, body: #"{"ignore_age": true, "via": "cli"}"#)
            #expect(recovered.status == 200 && recovered.text.contains(#""status":"accepted""#), "\(recovered.text)")
            let again = try await Self.recover(harness, id, body: #"{"ignore_age": true}"#)
            #expect(again.status == 200 && again.text.contains(#""status":"duplicate""#))

            let eventID = "sha256:" + SHA256.hexHash(body)
            let event = try Self.json(try await harness.admin("/events/\(eventID)"))
            #expect((event["received_at"] as? NSNumber)?.int64Value == receivedAt, "the original receipt time is kept")
            let mark = try #require(event["recovered"] as? [String: Any])
            #expect(mark["via"] as? String == "cli" && mark["reason"] as? String == "stale_token" && (mark["rejected_id"] as? NSNumber)?.int64Value == id)
            let kept = try Self.json(try await harness.admin("/rejected/\(id)"))
            #expect((kept["recovery"] as? [String: Any])?["outcome"] as? String == "accepted", "the first recovery's record stays")
        }
    }

    @Test func aForgedWebhookStaysRefusedWhateverTheRecoveryWaives() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let body = Signer.plaidBody(8)
            let forged = try Signer.token(body: body, key: try P256PrivateKey.generate())
            #expect(try await harness.post("/webhooks/plaid", body: body, headers: [("Plaid-Verification", forged)]).status == 401)
            let tampered = try Signer.token(body: body)
            #expect(try await harness.post("/webhooks/plaid", body: body + [0x20], headers: [("Plaid-Verification", tampered)]).status == 401)
            let listed = try await Self.waitForRejected(harness, count: 2)
            #expect(Set(listed.compactMap { $0["reason"] as? String }) == ["bad_signature", "body_mismatch"])
            let tally = try await RawHTTP.request(
                port: harness.adminPort, method: "POST", path: "/rejected/recover", headers: [], body: Array(#"{"ignore_age": true}"#.utf8))
            let figures = try Self.json(tally)
            #expect((figures["examined"] as? NSNumber)?.intValue == 2 && (figures["accepted"] as? NSNumber)?.intValue == 0)
            #expect(figures["refused"] as? [String: Int] == ["bad_signature": 1, "body_mismatch": 1])
            let events = try Self.json(try await harness.admin("/events"))["events"] as? [Any] ?? []
            #expect(events.isEmpty, "nothing forged was stored")
            let stats = try Self.json(try await harness.admin("/stats"))
            #expect((stats["quarantine"] as? [String: Any])?["requests"] as? Int == 2)
        }
    }

    @Test func refusalsRaiseAStatsWarningAndAreNotKeptWhenTheQuarantineIsOff() async throws {
        try await withGate(yaml: TestConfig.pinned(server: "quarantine:\n  enabled: false")) { harness in
            for n in 0..<4 {
                let body = Signer.plaidBody(n)
                #expect(try await harness.post("/webhooks/plaid", body: body, headers: [("Plaid-Verification", "not-a-token")]).status == 401)
            }
            #expect(try await harness.post("/webhooks/plaid", body: Signer.plaidBody(9), headers: [("Plaid-Verification", try Signer.token(body: Signer.plaidBody(9)))]).status == 200)
            let stats = try Self.json(try await harness.admin("/stats"))
            let warnings = try #require(stats["warnings"] as? [String])
            #expect(warnings.contains { $0.hasPrefix("plaid: 80 % refused in the last hour (4 of 5)") }, "\(warnings)")
            #expect((stats["quarantine"] as? [String: Any])?["enabled"] as? Bool == false)
            let kept = try Self.json(try await harness.admin("/rejected"))["rejected"] as? [Any] ?? []
            #expect(kept.isEmpty, "nothing is kept with the quarantine off")
            #expect(try await Self.recover(harness, 1).status == 404)
            #expect(try await harness.admin("/rejected/abc").status == 400)
            #expect(try await harness.admin("/rejected?reason=body_too_large").status == 400)
        }
    }
}
