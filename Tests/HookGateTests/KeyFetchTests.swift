import Foundation
import HookGateCore
import HookGateServer
import JOSE
import Testing

/// The key cache against a real loopback key endpoint.
@Suite(.serialized) struct KeyFetchTests {
    static func yaml(_ stub: KeyEndpointStub?, cooldown: Int = 60, rate: Int = 30, keyURL: String? = nil) -> String {
        """
        server:
          host: 127.0.0.1
          port: 0
        admin:
          host: 127.0.0.1
          port: 0
        keys:
          cooldown: \(cooldown)
          max_fetches_per_minute: \(rate)
        providers:
          plaid:
            key_url: \(keyURL ?? stub?.url ?? "")
            client_id: ${PLAID_CLIENT_ID}
            secret: ${PLAID_SECRET}
            key_timeout: 2
          linkmoney:
            key_url: \(keyURL ?? stub?.url ?? "")
            client_id: lm-client
            client_secret: lm-secret
        """
    }

    static let environment = ["PLAID_CLIENT_ID": "client-1", "PLAID_SECRET": "secret-1"]

    static func send(_ harness: GateHarness, key: P256PrivateKey, kid: String, path: String = "/webhooks/plaid") async throws -> RawHTTP.Response {
        let body = Signer.plaidBody()
        let header = path.hasSuffix("plaid") ? "Plaid-Verification" : "Webhook-Verification"
        return try await harness.post(path, body: body, headers: [(header, try Signer.token(body: body, key: key, kid: kid))])
    }

    @Test func unknownKidIsFetchedOnceWithCredentialsAndShared() async throws {
        let stub = try await KeyEndpointStub()
        let key = try P256PrivateKey.generate()
        stub.publish(key.publicJWK(keyID: "kid-a"))
        try await withGate(yaml: Self.yaml(stub), environment: Self.environment) { harness in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 { group.addTask { try await Self.send(harness, key: key, kid: "kid-a").status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 200 })
            #expect(stub.requests(for: "kid-a") == 1)
            let body = try #require(stub.state.withLock { $0.bodies.first })
            let json = try JSONParser.parse(Array(body.utf8))
            #expect(json["client_id"]?.stringValue == "client-1")
            #expect(json["secret"]?.stringValue == "secret-1")
            #expect(json["key_id"]?.stringValue == "kid-a")
            // LinkMoney's endpoint gets client_secret.
            #expect(try await Self.send(harness, key: key, kid: "kid-a", path: "/webhooks/linkmoney").status == 200)
            let linkBody = try #require(stub.state.withLock { $0.bodies.last })
            #expect(try JSONParser.parse(Array(linkBody.utf8))["client_secret"]?.stringValue == "lm-secret")
            let stats = try #require(try await harness.gate.server.stats().keysByProvider["plaid"])
            #expect(stats.fetches == 1 && stats.cached == 1)
        }
        await stub.stop()
    }

    @Test func endpointDownAnswers503ThenRecovers() async throws {
        let stub = try await KeyEndpointStub()
        let key = try P256PrivateKey.generate()
        stub.publish(key.publicJWK(keyID: "kid-b"))
        stub.setDown(true)
        try await withGate(yaml: Self.yaml(stub), environment: Self.environment) { harness in
            let down = try await Self.send(harness, key: key, kid: "kid-b")
            #expect(down.status == 503)
            #expect(down.text == #"{"error":"key_unavailable"}"#)
            #expect(Int(down.header("Retry-After") ?? "") != nil)
            stub.setDown(false)
            #expect(try await Self.send(harness, key: key, kid: "kid-b").status == 200)
            #expect(try await harness.gate.server.stats().keysByProvider["plaid"]?.fetchFailures == 1)
        }
        await stub.stop()
    }

    @Test func unreachableEndpointAnswers503() async throws {
        let stub = try await KeyEndpointStub()
        let deadURL = stub.url
        await stub.stop()  // nothing listens on that port any more
        try await withGate(yaml: Self.yaml(stub, keyURL: deadURL), environment: Self.environment) { harness in
            let response = try await Self.send(harness, key: try P256PrivateKey.generate(), kid: "kid-x")
            #expect(response.status == 503)
            #expect(response.text == #"{"error":"key_unavailable"}"#)
        }
    }

    @Test func unknownKidIsRejectedAndNegativelyCached() async throws {
        let stub = try await KeyEndpointStub()
        try await withGate(yaml: Self.yaml(stub), environment: Self.environment) { harness in
            let key = try P256PrivateKey.generate()
            for _ in 0..<5 {
                let response = try await Self.send(harness, key: key, kid: "nobody")
                #expect(response.text == #"{"error":"unknown_key"}"#)
            }
            #expect(stub.requests(for: "nobody") == 1)
            #expect(try await harness.gate.server.stats().keysByProvider["plaid"]?.negativeHits == 4)
        }
        await stub.stop()
    }

    @Test func randomKidFloodCausesBoundedFetches() async throws {
        let stub = try await KeyEndpointStub()
        try await withGate(yaml: Self.yaml(stub, rate: 10), environment: Self.environment) { harness in
            let key = try P256PrivateKey.generate()
            var codes: [String: Int] = [:]
            try await withThrowingTaskGroup(of: String.self) { group in
                for n in 0..<300 {
                    group.addTask {
                        let response = try await Self.send(harness, key: key, kid: "random-\(n)-\(UUID().uuidString)")
                        return (try? JSONParser.parse(response.body))?["error"]?.stringValue ?? "status \(response.status)"
                    }
                    if n % 50 == 49 { for try await code in group { codes[code, default: 0] += 1 } }
                }
                for try await code in group { codes[code, default: 0] += 1 }
            }
            // A bucket of 10 (refilling 10/min) bounds the fetches; the rest are refused without one.
            #expect(stub.requestCount <= 11)
            #expect(codes["unknown_key", default: 0] == stub.requestCount)
            #expect(codes["key_unavailable", default: 0] == 300 - stub.requestCount)
        }
        await stub.stop()
    }

    @Test func rotationLearnsNewKidAndExpiryOfTheOld() async throws {
        let stub = try await KeyEndpointStub()
        let old = try P256PrivateKey.generate()
        let new = try P256PrivateKey.generate()
        stub.publish(old.publicJWK(keyID: "old"))
        let clock = SkippingClock()
        try await withGate(yaml: Self.yaml(stub, cooldown: 1), environment: Self.environment, clock: clock) { harness in
            #expect(try await Self.send(harness, key: old, kid: "old").status == 200)
            // The sender rotates: a new key, and the old one gets expired_at.
            var expired = old.publicJWK(keyID: "old")
            expired.expiredAt = Int64(Date().timeIntervalSince1970)
            stub.publish(expired)
            stub.publish(new.publicJWK(keyID: "new"))
            clock.advance(by: .milliseconds(1100))  // past the 1 s cooldown
            #expect(try await Self.send(harness, key: new, kid: "new").status == 200)
            let answer = try await eventuallyValue(seconds: 3) { () -> String? in
                let answer = try await Self.send(harness, key: old, kid: "old").text
                return answer.contains("expired_key") ? answer : nil
            }
            #expect(answer == #"{"error":"expired_key"}"#)
            #expect(stub.requests(for: "old") == 2)
        }
        await stub.stop()
    }

    @Test func restartKeepsFetchedKeys() async throws {
        let stub = try await KeyEndpointStub()
        let key = try P256PrivateKey.generate()
        stub.publish(key.publicJWK(keyID: "kid-p"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hookgate-test-\(UUID().uuidString)")
        try await withGate(yaml: Self.yaml(stub), directory: dir, environment: Self.environment) { first in
            #expect(try await Self.send(first, key: key, kid: "kid-p").status == 200)
            // The key is saved in the background: wait (bounded) until the store holds it.
            let saved = try await eventually(seconds: 5) { try await first.gate.store.savedKeys(provider: .plaid).contains { $0.keyID == "kid-p" } }
            #expect(saved)
        }
        stub.setDown(true)  // a restarted gate must not need the endpoint for a key it already has
        try await withGate(yaml: Self.yaml(stub), directory: dir, environment: Self.environment) { second async throws in
            #expect(try await Self.send(second, key: key, kid: "kid-p").status == 200)
            #expect(stub.requests(for: "kid-p") == 1)
        }
        await stub.stop()
    }
}

/// Key endpoints that misbehave: every answer HookGate reads is bounded in size and
/// time, and a broken answer is `key_unavailable` (503 + Retry-After), never a verdict.
@Suite(.serialized) struct HostileKeyEndpointTests {
    static func expectUnavailable(_ mode: HostileKeyEndpoint.Mode, maxSeconds: Double) async throws -> HostileKeyEndpoint {
        let endpoint = try HostileKeyEndpoint(mode)
        try await withGate(yaml: KeyFetchTests.yaml(nil, keyURL: endpoint.url), environment: KeyFetchTests.environment) { harness in
            let key = try P256PrivateKey.generate()
            let started = ContinuousClock.now
            let response = try await KeyFetchTests.send(harness, key: key, kid: "kid-hostile")
            let elapsed = ContinuousClock.now - started
            #expect(response.status == 503, "\(mode): \(response.text)")
            #expect(response.text == #"{"error":"key_unavailable"}"#)
            #expect(response.header("Retry-After") != nil)
            #expect(elapsed < .seconds(maxSeconds), "\(mode) took \(elapsed)")
            // Not negatively cached as unknown: the next try asks again (no verdict was taken).
            #expect(try await KeyFetchTests.send(harness, key: key, kid: "kid-hostile").status == 503)
        }
        endpoint.stop()
        return endpoint
    }

    @Test func endlessBodyIsCutOffAtTheLimit() async throws {
        let before = ProcessInfo.processInfo.residentMegabytes
        let endpoint = try await Self.expectUnavailable(.endless, maxSeconds: 4)
        // The gate stopped reading soon after the limit: far less than the endpoint could send.
        #expect(ProcessInfo.processInfo.residentMegabytes - before < 200)
        #expect(endpoint.connections >= 2)
    }

    @Test func slowBodyIsCutOffAtKeyTimeout() async throws {
        // key_timeout is 2 s in KeyFetchTests.yaml; the drip would take ~30 s.
        _ = try await Self.expectUnavailable(.drip, maxSeconds: 4)
    }

    @Test func hugeAnnouncedBodyIsRefused() async throws {
        let endpoint = try await Self.expectUnavailable(.huge, maxSeconds: 4)
        #expect(endpoint.bytesWritten < 64 << 20)
    }

    @Test(arguments: ["not json at all", "[1,2,3]", #"{"key":42}"#, #"{"key":{"kty":"RSA","kid":"kid-hostile"}}"#, "{\"key\":"])
    func unparseableAnswerIsUnavailableNotUnknown(body: String) async throws {
        _ = try await Self.expectUnavailable(.body(body), maxSeconds: 4)
    }

    @Test func answerWithoutAKeyIsAnUnknownKey() async throws {
        let endpoint = try HostileKeyEndpoint(.body(#"{"key":null,"request_id":"x"}"#))
        try await withGate(yaml: KeyFetchTests.yaml(nil, keyURL: endpoint.url), environment: KeyFetchTests.environment) { harness in
            let response = try await KeyFetchTests.send(harness, key: try P256PrivateKey.generate(), kid: "kid-none")
            #expect(response.status == 401)
            #expect(response.text == #"{"error":"unknown_key"}"#)
        }
        endpoint.stop()
    }
}

extension ProcessInfo {
    /// This process's resident set size in MiB (from /proc/self/statm).
    var residentMegabytes: Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let pages = Int(text.split(separator: " ")[1]) ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / (1 << 20)
    }
}
