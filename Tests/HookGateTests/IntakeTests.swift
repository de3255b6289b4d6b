import Foundation
import HookGateCore
import HookGateServer
import JOSE
import Testing

/// Live-socket tests of the intake answers of ../shared/contract/README.md.
@Suite(.serialized) struct IntakeTests {
    static func errorCode(_ response: RawHTTP.Response) -> String? {
        (try? JSONParser.parse(response.body))?["error"]?.stringValue
    }

    @Test func acceptedThenDuplicateAndStoredByteExact() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let body = try Signer.fixture("plaid/ITEM.ERROR.json")
            let token = try Signer.token(body: body)
            let first = try await harness.post(
                "/webhooks/plaid", body: body, headers: [("Plaid-Verification", token), ("Content-Type", "application/json")])
            #expect(first.status == 200)
            let id = "sha256:" + SHA256.hexHash(body)
            #expect(first.text == "{\"status\":\"accepted\",\"event_id\":\"\(id)\"}")
            #expect(first.header("X-Request-Id") != nil)
            let second = try await harness.post("/webhooks/plaid", body: body, headers: [("plaid-verification", try Signer.token(body: body))])
            #expect(second.status == 200)
            #expect(second.text == "{\"status\":\"duplicate\",\"event_id\":\"\(id)\"}")
            let stored = try #require(try await harness.gate.store.event(provider: .plaid, eventID: id))
            #expect(stored.body == body)
            #expect(stored.bodySHA256 == SHA256.hexHash(body))
            #expect(stored.eventType == "ITEM.ERROR")
            #expect(stored.headers.contains { $0.0 == "Content-Type" && $0.1 == "application/json" })
            #expect(stored.claims?.contains("request_body_sha256") == true)
            #expect(try await harness.gate.store.size().events == 1)
        }
    }

    @Test func twoSpaceIndentedBodyIsHashedAsReceived() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let body = Signer.plaidBody(7)
            #expect(String(decoding: body, as: UTF8.self).contains("\n  \"webhook_type\""))
            let response = try await harness.post("/webhooks/linkmoney", body: body, headers: [("Webhook-Verification", try Signer.token(body: body))])
            #expect(response.status == 200)
            // The same JSON re-serialised compactly is a different body: its hash no longer matches the token.
            let compact = Array(
                #"{"webhook_type":"TRANSACTIONS","webhook_code":"DEFAULT_UPDATE","item_id":"item-7","new_transactions":3,"environment":"sandbox"}"#.utf8)
            let mismatch = try await harness.post("/webhooks/linkmoney", body: compact, headers: [("Webhook-Verification", try Signer.token(body: body))])
            #expect(mismatch.status == 401)
            #expect(Self.errorCode(mismatch) == "body_mismatch")
        }
    }

    @Test func ledgerSyncDocumentedSampleIsAcceptedByteExact() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let documented = Array(
                #"{"eventType": "accountAdded", "eventId": "b52e0e1c-611f-43fb-89c4-401a34eb91ba ", "timestamp": "2024-07-15 13:07:07.727", "payload": {"accounts": "[1542, 1367, 1257]", }}"#
                    .utf8)
            for body in [documented, try Signer.fixture("ledgersync/accountAdded.json")] {
                let response = try await harness.post(
                    "/webhooks/ledgersync", body: body, headers: [("Webhook-Verification", try Signer.token(body: body))])
                #expect(response.status == 200)
                #expect(response.text.contains("\"event_id\":\"b52e0e1c-611f-43fb-89c4-401a34eb91ba\""))
            }
            let stored = try #require(try await harness.gate.store.event(provider: .ledgersync, eventID: "b52e0e1c-611f-43fb-89c4-401a34eb91ba"))
            #expect(stored.body == documented)
            #expect(stored.bodySHA256 == SHA256.hexHash(documented))  // first copy stored; the second (same trimmed eventId) was a duplicate
            #expect(stored.eventType == "accountAdded")
            let noID = Array(#"{"eventType": "mfaUpdated", "eventId": "   ", "payload": {}}"#.utf8)
            let missing = try await harness.post("/webhooks/ledgersync", body: noID, headers: [("Webhook-Verification", try Signer.token(body: noID))])
            #expect(missing.status == 400)
            #expect(Self.errorCode(missing) == "missing_event_id")
            let absent = Array(#"{"eventType": "mfaUpdated"}"#.utf8)
            #expect(
                Self.errorCode(
                    try await harness.post("/webhooks/ledgersync", body: absent, headers: [("Webhook-Verification", try Signer.token(body: absent))]))
                    == "missing_event_id")
        }
    }

    @Test func everyVerificationFailureHasItsCode() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let body = Signer.plaidBody()
            let now = Int64(Date().timeIntervalSince1970)
            let other = try P256PrivateKey.generate()
            let good = try Signer.token(body: body)
            let parts = good.split(separator: ".").map(String.init)
            var flipped = try Base64URL.decode(parts[2])
            flipped[5] ^= 1
            let cases: [(String, [(String, String)], String)] = [
                ("missing_signature", [], "no header"),
                ("malformed_token", [("Plaid-Verification", "not.a-token")], "garbage"),
                (
                    "malformed_token", [("Plaid-Verification", try Signer.token(body: body, extraHeader: [("jwk", .object([("kty", .string("EC"))]))]))],
                    "embedded jwk"
                ),
                ("unsupported_algorithm", [("Plaid-Verification", try Signer.token(body: body, alg: "HS256"))], "HS256"),
                ("unsupported_algorithm", [("Plaid-Verification", try Signer.token(body: body, alg: "none"))], "none"),
                ("missing_key_id", [("Plaid-Verification", try Signer.token(body: body, kid: nil))], "no kid"),
                ("unknown_key", [("Plaid-Verification", try Signer.token(body: body, kid: "someone-else"))], "unknown kid"),
                ("bad_signature", [("Plaid-Verification", try Signer.token(body: body, key: other))], "other key"),
                ("bad_signature", [("Plaid-Verification", parts[0] + "." + parts[1] + "." + Base64URL.encode(flipped))], "flipped bit"),
                ("stale_token", [("Plaid-Verification", try Signer.token(body: body, iat: now - 301))], "old"),
                ("future_token", [("Plaid-Verification", try Signer.token(body: body, iat: now + 120))], "future"),
                ("body_mismatch", [("Plaid-Verification", try Signer.token(body: Signer.plaidBody()))], "other body"),
                ("malformed_token", [("Plaid-Verification", try Signer.token(body: body, claims: [("iat", .number(String(now)))]))], "no hash claim"),
            ]
            for (code, headers, label) in cases {
                let response = try await harness.post("/webhooks/plaid", body: body, headers: headers)
                #expect(response.status == 401, "\(label)")
                #expect(response.text == "{\"error\":\"\(code)\"}", "\(label): \(response.text)")
            }
            #expect(try await harness.gate.store.size().events == 0)
            let counters = try #require(try await harness.gate.server.stats().providers["plaid"])
            #expect(counters.received == cases.count)
            #expect(counters.rejected["malformed_token"] == 3)
        }
    }

    @Test func expiredPinnedKeyIsRejected() async throws {
        let key = try P256PrivateKey.generate()
        var jwk = key.publicJWK(keyID: "old-1")
        jwk.expiredAt = 1_700_000_000
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hookgate-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let keys = dir.appendingPathComponent("keys.jwks.json")
        try JSONEncoder().encode(JWKSet(keys: [jwk])).write(to: keys)
        try await withGate(
            yaml: TestConfig.pinned(extraLedgerSync: "verification: jwt\n    keys_file: \(keys.path)"), directory: dir) { harness in
            let body = Array(#"{"eventType":"mfaUpdated","eventId":"e-1"}"#.utf8)
            let response = try await harness.post(
                "/webhooks/ledgersync", body: body, headers: [("Webhook-Verification", try Signer.token(body: body, key: key, kid: "old-1"))])
            #expect(Self.errorCode(response) == "expired_key")
        }
    }

    @Test func sharedSecretSchemeAndExplicitNone() async throws {
        let secret = "s3cret-s3cret-s3cret"
        let body = Array(#"{"eventType":"mfaUpdated","eventId":"tok-1"}"#.utf8)
        try await withGate(
            yaml: TestConfig.pinned(extraLedgerSync: "verification: token\n    header: X-LedgerSync-Token\n    token: ${LS_TOKEN}"),
            environment: ["LS_TOKEN": secret]) { harness in
            #expect(Self.errorCode(try await harness.post("/webhooks/ledgersync", body: body)) == "missing_signature")
            #expect(
                Self.errorCode(try await harness.post("/webhooks/ledgersync", body: body, headers: [("X-LedgerSync-Token", secret + "x")])) == "bad_token"
            )
            let ok = try await harness.post("/webhooks/ledgersync", body: body, headers: [("X-LedgerSync-Token", secret)])
            #expect(ok.status == 200)
            let stored = try #require(try await harness.gate.store.event(provider: .ledgersync, eventID: "tok-1"))
            #expect(!stored.headers.contains { $0.1.contains(secret) })  // a shared secret is never stored
        }

        try await withGate(yaml: TestConfig.pinned(extraLedgerSync: "verification: none")) { open async throws in
            #expect(try await open.post("/webhooks/ledgersync", body: body).status == 200)
        }
    }

    @Test func badBodiesSizesPathsAndMethods() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let notJSON = Array("hello".utf8)
            let malformed = try await harness.post("/webhooks/plaid", body: notJSON, headers: [("Plaid-Verification", try Signer.token(body: notJSON))])
            #expect(malformed.status == 400)
            #expect(Self.errorCode(malformed) == "malformed_body")
            let big = [UInt8](repeating: UInt8(ascii: "a"), count: 5000)
            let tooLarge = try await harness.post("/webhooks/plaid", body: big, headers: [("Plaid-Verification", try Signer.token(body: big))])
            #expect(tooLarge.status == 413)
            #expect(Self.errorCode(tooLarge) == "body_too_large")
            // Chunked, with no Content-Length: refused while reading.
            let chunk = String(repeating: "b", count: 3000)
            let chunked =
                "POST /webhooks/plaid HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "\(String(3000, radix: 16))\r\n\(chunk)\r\n\(String(3000, radix: 16))\r\n\(chunk)\r\n0\r\n\r\n"
            let chunkedResponse = try await RawHTTP.raw(port: harness.publicPort, bytes: Array(chunked.utf8))
            #expect(chunkedResponse.status == 413)
            let unknown = try await harness.post("/webhooks/unknown", body: notJSON)
            #expect(unknown.status == 404 && Self.errorCode(unknown) == "not_found")
            let wrongMethod = try await RawHTTP.request(port: harness.publicPort, method: "GET", path: "/webhooks/plaid")
            #expect(wrongMethod.status == 405 && Self.errorCode(wrongMethod) == "method_not_allowed")
            #expect(try await RawHTTP.request(port: harness.publicPort, method: "PUT", path: "/webhooks/plaid").header("Allow") == "POST")
            // The admin endpoints are not on the public listener.
            #expect(try await RawHTTP.request(port: harness.publicPort, method: "GET", path: "/healthz").status == 404)
            let malformedHTTP = try await RawHTTP.raw(port: harness.publicPort, bytes: Array("THIS IS NOT HTTP\r\n\r\n".utf8))
            #expect(malformedHTTP.status == 400 && Self.errorCode(malformedHTTP) == "bad_request")
            #expect(malformedHTTP.header("Content-Type") == "application/json" && malformedHTTP.header("Connection") == "close")
        }
    }

    @Test func hundredConcurrentCopiesStoreOnce() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let body = Signer.plaidBody()
            let statuses = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        let response = try await harness.post(
                            "/webhooks/plaid", body: body, headers: [("Plaid-Verification", try Signer.token(body: body))])
                        return response.status == 200
                            ? ((try? JSONParser.parse(response.body))?["status"]?.stringValue ?? "?") : "HTTP \(response.status)"
                    }
                }
                var all: [String] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(statuses.filter { $0 == "accepted" }.count == 1)
            #expect(statuses.filter { $0 == "duplicate" }.count == 99)
            #expect(try await harness.gate.store.size().events == 1)
        }
    }

    @Test func forwardedForIsBelievedOnlyFromTrustedProxies() async throws {
        try await withGate(yaml: TestConfig.pinned(server: "  trusted_proxies: [127.0.0.1/32]")) { trusted in
            let body1 = Signer.plaidBody(1)
            _ = try await trusted.post(
                "/webhooks/plaid", body: body1,
                headers: [("Plaid-Verification", try Signer.token(body: body1)), ("X-Forwarded-For", "203.0.113.9, 10.9.9.9, 127.0.0.1")])
            let stored1 = try #require(try await trusted.gate.store.event(provider: .plaid, eventID: "sha256:" + SHA256.hexHash(body1)))
            // Right-most untrusted address: 10.9.9.9 (127.0.0.1 is trusted; 203.0.113.9 could be forged by the client).
            #expect(stored1.clientIP == "10.9.9.9")
        }

        try await withGate(yaml: TestConfig.pinned(server: "  trusted_proxies: [10.0.0.0/8]")) { untrusted in
            let body2 = Signer.plaidBody(2)
            _ = try await untrusted.post(
                "/webhooks/plaid", body: body2, headers: [("Plaid-Verification", try Signer.token(body: body2)), ("X-Forwarded-For", "203.0.113.9")])
            let stored2 = try #require(try await untrusted.gate.store.event(provider: .plaid, eventID: "sha256:" + SHA256.hexHash(body2)))
            #expect(stored2.clientIP == "127.0.0.1")
        }
    }

    @Test func allowedIPsRestrictTheRoute() async throws {
        try await withGate(
            yaml: TestConfig.pinned().replacingOccurrences(
                of: "    path: /webhooks/plaid\n", with: "    path: /webhooks/plaid\n    allowed_ips: [52.21.26.131]\n")) { harness in
            let body = Signer.plaidBody()
            let response = try await harness.post("/webhooks/plaid", body: body, headers: [("Plaid-Verification", try Signer.token(body: body))])
            #expect(response.status == 403)
            #expect(Self.errorCode(response) == "forbidden_source")
        }
    }

    @Test func slowBodyIsCutOffAndOthersAreServed() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let port = harness.publicPort
            let stalled = Task {
                try await RawHTTP.onThread { () -> Int in
                    let fd = try RawHTTP.connect(port: port, timeout: 15)
                    defer { close(fd) }
                    try RawHTTP.sendAll(fd, Array("POST /webhooks/plaid HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{".utf8))
                    return try RawHTTP.readResponse(fd).status
                }
            }
            let body = Signer.plaidBody()
            let started = Date()
            let served = try await harness.post("/webhooks/plaid", body: body, headers: [("Plaid-Verification", try Signer.token(body: body))])
            #expect(served.status == 200)
            #expect(Date().timeIntervalSince(started) < 2)
            #expect(try await stalled.value == 408)  // read_timeout is 3 s in the test config
        }
    }

    @Test func readinessAndShutdown() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            #expect(try await harness.admin("/healthz").status == 200)
            let ready = try await harness.admin("/readyz")
            #expect(ready.status == 200)
            #expect(ready.text == #"{"status":"ready"}"#)
            #expect(harness.gate.server.readiness.problems().isEmpty)
            try await harness.stop()
            #expect(harness.gate.server.readiness.problems().contains("shutting down"))
        }
    }

    @Test func restartKeepsDedup() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hookgate-test-\(UUID().uuidString)")
        let body = Signer.plaidBody()
        try await withGate(yaml: TestConfig.pinned(), directory: dir) { first async throws in
            #expect(
                try await first.post("/webhooks/plaid", body: body, headers: [("Plaid-Verification", try Signer.token(body: body))]).text.contains(
                    "accepted"))
        }
        try await withGate(yaml: TestConfig.pinned(), directory: dir) { second async throws in
            #expect(
                try await second.post("/webhooks/plaid", body: body, headers: [("Plaid-Verification", try Signer.token(body: body))]).text.contains(
                    "duplicate"))
        }
    }
}

/// The log line's duration formatting (three decimals, no Foundation formatting).
@Suite struct RequestLineTests {
    @Test(arguments: [
        (Duration.microseconds(1234), "1.234"), (.microseconds(5), "0.005"), (.microseconds(50), "0.050"), (.zero, "0.000"),
        (.milliseconds(1500), "1500.000"), (.nanoseconds(999), "0.000"),
    ])
    func milliseconds(duration: Duration, text: String) {
        #expect(RequestLineFormat.milliseconds(duration) == text)
    }
}
