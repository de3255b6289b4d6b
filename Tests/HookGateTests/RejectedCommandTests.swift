import Foundation
import HookGateCore
import Testing

/// `hookgate rejected list|show|recover` against real gates: a gate misconfigured with the
/// wrong Plaid keys refuses a genuine webhook; the gate restarted on the right keys (same
/// database) refuses a stale one and an altered one too; the CLI lists and shows all three,
/// recovers the genuine one, and reports the others as still refused (exit 1) until
/// `--ignore-age` waives what can be waived.
@Suite struct RejectedCommandTests {
    static func yaml(keys: String) -> String {
        """
        server:
          host: 127.0.0.1
          port: 0
        admin:
          host: 127.0.0.1
          port: 0
        providers:
          plaid:
            path: /webhooks/plaid
            keys_file: \(keys)
            max_age: 300
        """
    }

    /// The quarantine's listing, read straight from the admin API (the writer is asynchronous).
    static func kept(_ harness: GateHarness) async throws -> Int {
        let answer = try await harness.admin("/rejected")
        return (try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])?["rejected"].flatMap { $0 as? [Any] }?.count ?? -1
    }

    @Test func listShowAndRecoverRefusedWebhooks() async throws {
        let directory = try CommandLineTests.temporaryDirectory()
        let generated = try await CommandLineTests.run(["keys", "generate", "--kid", "sandbox-1", "--out", directory.path])
        #expect(generated.status == 0, "\(generated.error)")

        // 1. The misconfiguration: Plaid's keys are the wrong ones; a genuine webhook is refused unknown_key.
        let genuine = Signer.plaidBody(1)
        let genuineToken = try Signer.token(body: genuine)
        // Stopped at the block's end: the quarantine's writer flushes on shutdown.
        try await withGate(yaml: Self.yaml(keys: directory.appendingPathComponent("sandbox-1.jwks.json").path), directory: directory) { wrong in
            let refused = try await wrong.post("/webhooks/plaid", body: genuine, headers: [("Plaid-Verification", genuineToken)])
            #expect(refused.status == 401 && refused.text == #"{"error":"unknown_key"}"#)
        }

        // 2. Fixed and restarted on the same database; two webhooks no fix can save arrive.
        try await withGate(yaml: Self.yaml(keys: TestConfig.devKeys), directory: directory) { harness in
            let admin = "http://127.0.0.1:\(harness.adminPort)"
            let stale = Signer.plaidBody(2)
            let staleAnswer = try await harness.post(
                "/webhooks/plaid", body: stale,
                headers: [("Plaid-Verification", try Signer.token(body: stale, iat: Int64(Date().timeIntervalSince1970) - 3600))])
            #expect(staleAnswer.status == 401 && staleAnswer.text.contains("stale_token"))
            let altered = Signer.plaidBody(3)
            let alteredAnswer = try await harness.post("/webhooks/plaid", body: altered, headers: [("Plaid-Verification", try Signer.token(body: stale))])
            #expect(alteredAnswer.status == 401 && alteredAnswer.text.contains("body_mismatch"))
            #expect(await eventually { (try? await Self.kept(harness)) == 3 })

            // list: a table, newest first; filters; JSON in the admin API's shape.
            let table = try await CommandLineTests.run(["rejected", "list", "--admin", admin])
            #expect(table.status == 0, "\(table.error)")
            let lines = table.output.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("ID") == true && lines.first?.contains("REASON") == true, "\(table.output)")
            #expect(lines.count == 4 && lines[1].contains("body_mismatch") && lines[2].contains("stale_token") && lines[3].contains("unknown_key"))
            let ids = lines.dropFirst().compactMap { $0.split(separator: " ").first.map(String.init) }
            let (alteredID, staleID, genuineID) = (ids[0], ids[1], ids[2])
            let filtered = try await CommandLineTests.run(["rejected", "list", "--admin", admin, "--reason", "stale_token", "--since", "1h", "--json"])
            let listing = try JSONSerialization.jsonObject(with: Data(filtered.output.utf8)) as? [String: Any]
            let entries = try #require(listing?["rejected"] as? [[String: Any]])
            #expect(entries.count == 1 && entries[0]["reason"] as? String == "stale_token" && entries[0]["path"] as? String == "/webhooks/plaid")
            let limited = try await CommandLineTests.run(["rejected", "list", "--admin", admin, "--limit", "1"])
            #expect(limited.output.contains("older requests match too"))

            // show: headers with the token masked, the body byte for byte; JSON decodes as the document.
            let shown = try await CommandLineTests.run(["rejected", "show", genuineID, "--admin", admin])
            #expect(shown.status == 0, "\(shown.error)")
            #expect(shown.output.contains("rejected request \(genuineID): plaid unknown_key"))
            #expect(shown.output.contains("Plaid-Verification: \(genuineToken.prefix(8))…") && !shown.output.contains(genuineToken))
            #expect(shown.output.hasSuffix(String(decoding: genuine, as: UTF8.self) + "\n"))
            let document = try SnakeCaseJSON.decoder().decode(
                RejectedDocument.self,
                from: Data(try await CommandLineTests.run(["rejected", "show", genuineID, "--json", "--admin", admin]).output.utf8))
            #expect(document.reason == "unknown_key" && document.body == String(decoding: genuine, as: UTF8.self) && document.recovery == nil)
            let missing = try await CommandLineTests.run(["rejected", "show", "999999", "--admin", admin])
            #expect(missing.status == 1 && missing.error.contains("no rejected request 999999"))

            // recover one: still refused is exit 1 with the code; --ignore-age waives the age, never the body hash.
            let stillStale = try await CommandLineTests.run(["rejected", "recover", staleID, "--admin", admin])
            #expect(stillStale.status == 1 && stillStale.error.contains("still refused: stale_token") && stillStale.error.contains("--ignore-age"))
            let stillAltered = try await CommandLineTests.run(["rejected", "recover", alteredID, "--ignore-age", "--admin", admin])
            #expect(stillAltered.status == 1 && stillAltered.error.contains("still refused: body_mismatch"), "\(stillAltered.error)")
            let aged = try await CommandLineTests.run(["rejected", "recover", staleID, "--ignore-age", "--admin", admin])
            #expect(aged.status == 0 && aged.output.contains("rejected request \(staleID) recovered: accepted as event sha256:"), "\(aged.error)")

            // recover in bulk: the genuine one now verifies; the altered one is still refused (exit 1); a second run finds it alone.
            let bulk = try await CommandLineTests.run(["rejected", "recover", "--provider", "plaid", "--since", "2h", "--admin", admin])
            #expect(bulk.status == 1)
            #expect(bulk.output.contains("examined 2: 1 accepted, 0 duplicate, 1 still refused (body_mismatch=1)"), "\(bulk.output)")
            #expect(bulk.error.contains("still refused: body_mismatch"))
            let again = try await CommandLineTests.run(["rejected", "recover", genuineID, "--admin", admin])
            #expect(again.status == 0 && again.output.contains("duplicate of event sha256:"), "\(again.output) \(again.error)")
            let events = try await harness.admin("/events")
            #expect(events.text.components(separatedBy: "\"event_id\"").count - 1 == 2)

            // The stored event says where it came from.
            let event = try await CommandLineTests.run(["events", "show", "1", "--database", directory.appendingPathComponent("hookgate.sqlite").path])
            #expect(event.output.contains("from rejected request \(staleID) (refused stale_token), via cli"), "\(event.output) \(event.error)")

            // The listing shows what was recovered, how and by whom.
            let after = try await CommandLineTests.run(["rejected", "list", "--admin", admin, "--json"])
            let recovered = try SnakeCaseJSON.decoder().decode([String: [RejectedSummary]].self, from: Data(after.output.utf8))["rejected"] ?? []
            #expect(recovered.compactMap(\.recovery).map(\.via) == ["cli", "cli"])
            #expect(recovered.first { String($0.id) == genuineID }?.recovery?.outcome == .accepted)
        }
    }

    @Test func usageErrorsAndAnUnreachableGate() async throws {
        for arguments in [
            ["rejected", "recover"], ["rejected", "recover", "--ignore-age"], ["rejected", "recover", "7", "--provider", "plaid"],
            ["rejected", "recover", "--all", "--since", "2h"], ["rejected", "list", "--reason", "body_too_large"],
            ["rejected", "list", "--since", "yesterday"], ["rejected", "show", "abc"], ["rejected", "list", "--admin", "localhost:9091"],
        ] {
            let run = try await CommandLineTests.run(arguments)
            #expect(run.status == 2, "\(arguments): \(run.status) \(run.error)")
        }
        let port = try GateProcess.freePort()
        let down = try await CommandLineTests.run(["rejected", "list", "--admin", "http://127.0.0.1:\(port)"])
        #expect(down.status == 1 && down.error.contains("cannot reach http://127.0.0.1:\(port)/rejected"), "\(down.error)")
    }
}
