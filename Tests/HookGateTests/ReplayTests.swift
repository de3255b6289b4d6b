import Foundation
import HookGateCore
import HookGateServer
import JOSE
import Testing

/// Fixtures, `hookgate replay` and `hookgate events export`.
@Suite(.serialized) struct ReplayTests {
    static let fixtures = Signer.repositoryRoot.appendingPathComponent("Fixtures")

    static func fixtureFiles() throws -> [(Provider, URL)] {
        try Provider.builtIn.flatMap { provider in
            try FileManager.default.contentsOfDirectory(at: fixtures.appendingPathComponent(provider.rawValue), includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "json" }.map { (provider, $0) }
        }
    }

    /// The shared-secret senders' fixtures: Fixtures/<kind>/, bodies (Stripe) and captures.
    static func senderFixtures() throws -> [(ProviderKind, URL)] {
        try [ProviderKind.stripe, .github, .shopify, .standardWebhooks].flatMap { kind in
            try FileManager.default.contentsOfDirectory(at: fixtures.appendingPathComponent(kind.rawValue), includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "json" }.map { (kind, $0) }
        }
    }

    /// Each sender's captures carry a genuine signature by the kind's development secret (or the
    /// development Ed25519 key) made at their captured timestamp, and classify as their names say.
    @Test func senderFixturesAreGenuinelySignedCaptures() throws {
        let defaults = GateConfiguration.embeddedDefaults
        let files = try Self.senderFixtures()
        #expect(files.count == 7)
        var versions: Set<String> = []
        for (kind, url) in files {
            let settings = try #require(defaults.settings(for: Provider(rawValue: kind.rawValue)!))
            let data = try Data(contentsOf: url)
            guard let capture = CaptureFile.decode(data) else {
                // A plain body (Stripe's): id and type are in it.
                let classified = try EventClassifier.classifyParsed(identity: settings.identity, body: Array(data), headers: RequestHeaders())
                #expect(classified.type + ".json" == url.lastPathComponent && classified.id.hasPrefix("evt_"))
                continue
            }
            guard case .signature(let scheme) = settings.verification else { throw ReplayFailure("\(kind) is not a signature scheme") }
            let headers = RequestHeaders(capture.headers.map { ($0[0], $0[1]) })
            let body = try capture.bodyBytes()
            let timestamp = Int64(headers.first("webhook-timestamp") ?? "") ?? 1_800_000_000
            try SignatureVerifier.verify(scheme, headers: headers, body: body, now: timestamp)
            if let signature = headers.first("webhook-signature") { versions.insert(String(signature.prefix { $0 != "," })) }
            let classified = try EventClassifier.classifyParsed(identity: settings.identity, body: body, headers: headers)
            #expect(classified.id == capture.eventId && classified.type == capture.eventType && capture.provider == kind.rawValue)
        }
        #expect(versions == ["v1", "v1a"])
    }

    struct ReplayFailure: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    @Test func everyFixtureParsesAsItsProviderExpects() throws {
        let files = try Self.fixtureFiles()
        #expect(files.filter { $0.0 == .plaid }.count >= 14)
        #expect(files.filter { $0.0 == .linkmoney }.count >= 14)
        #expect(files.filter { $0.0 == .ledgersync }.count >= 4)
        for (provider, url) in files {
            let body = Array(try Data(contentsOf: url))
            let (_, type) = try EventClassifier.classify(provider: provider, body: body)
            let name = url.deletingPathExtension().lastPathComponent
            #expect(type == name, "\(url.lastPathComponent) classifies as \(type)")
            if provider != .ledgersync {
                #expect(String(decoding: body, as: UTF8.self).contains("\n  \"webhook_type\""), "\(url.lastPathComponent) is not 2-space indented")
            }
        }
        // The LedgerSync sample is the documented one, trailing comma and all.
        let sample = String(decoding: try Data(contentsOf: Self.fixtures.appendingPathComponent("ledgersync/accountAdded.json")), as: UTF8.self)
        #expect(sample.contains("\"b52e0e1c-611f-43fb-89c4-401a34eb91ba \"") && sample.contains(", }") && sample.contains("2024-07-15 13:07:07.727"))
    }

    @Test func replayFixturesAcceptedThenDuplicateOnEmbeddedDefaults() async throws {
        try await withGate(yaml: GateHarness.embedded) { harness in
            let first = try await CommandLineTests.run(["replay", "--to", "http://127.0.0.1:\(harness.publicPort)", Self.fixtures.path])
            #expect(first.status == 0, "\(first.output)\(first.error)")
            let total = try Self.fixtureFiles().count + Self.senderFixtures().count
            #expect(first.output.contains("total"))
            // Plain text for scripts: no progress bar escapes on a non-terminal.
            #expect(!first.output.contains("\r") && !first.output.contains("\u{1B}") && !first.error.contains("\r"))
            let rows = first.output.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            #expect(
                rows.contains(["plaid", "accepted", "14"]) && rows.contains(["linkmoney", "accepted", "14"])
                    && rows.contains(["ledgersync", "accepted", "4"]) && rows.contains(["stripe", "accepted", "2"])
                    && rows.contains(["github", "accepted", "2"]) && rows.contains(["shopify", "accepted", "1"])
                    && rows.contains(["standard-webhooks", "accepted", "2"]))
            #expect(rows.contains(["total", String(total)]))
            #expect(try await harness.gate.store.size().events == total)

            let second = try await CommandLineTests.run([
                "replay", "--to", "http://127.0.0.1:\(harness.publicPort)", "--concurrency", "8", Self.fixtures.path,
            ])
            #expect(second.status == 0)
            let again = second.output.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            #expect(again.contains(["plaid", "duplicate", "14"]) && again.contains(["ledgersync", "duplicate", "4"]))
            #expect(again.contains(["stripe", "duplicate", "2"]) && again.contains(["standard-webhooks", "duplicate", "2"]))
            #expect(!second.output.contains("accepted"))

            // Rejections make the exit status non-zero and are named.
            let other = try CommandLineTests.temporaryDirectory()
            let generate = try await CommandLineTests.run(["keys", "generate", "--kid", "stranger", "--out", other.path])
            #expect(generate.status == 0)
            let rejected = try await CommandLineTests.run([
                "replay", "--to", "http://127.0.0.1:\(harness.publicPort)", "--key", other.appendingPathComponent("stranger-private.pem").path,
                "--kid", "stranger", Self.fixtures.appendingPathComponent("plaid/ITEM.ERROR.json").path,
            ])
            #expect(rejected.status == 1 && rejected.output.contains("unknown_key"))
            try await harness.stop()

            let unreachable = try await CommandLineTests.run([
                "replay", "--to", "http://127.0.0.1:\(harness.publicPort)", Self.fixtures.appendingPathComponent("plaid").path,
            ])
            #expect(unreachable.status == 1 && unreachable.output.contains("unreachable"))
            #expect(try await CommandLineTests.run(["replay", "/nonexistent"]).status == 2)
            let loose = try CommandLineTests.temporaryDirectory().appendingPathComponent("body.json")
            try Data("{}".utf8).write(to: loose)
            #expect(try await CommandLineTests.run(["replay", loose.path]).status == 2)  // provider unknown
        }
    }

    @Test func exportThenReplayAsCapturedRoundTripsBytesExactly() async throws {
        try await withGate(yaml: GateHarness.embedded) { source in
            let replay = try await CommandLineTests.run(["replay", "--to", "http://127.0.0.1:\(source.publicPort)", Self.fixtures.path])
            #expect(replay.status == 0)
            let database = source.directory.appendingPathComponent("hookgate.sqlite").path
            let out = try CommandLineTests.temporaryDirectory()
            let export = try await CommandLineTests.run(["events", "export", "--database", database, "--since", "0", "--out", out.path])
            #expect(export.status == 0)
            let originals = try await source.gate.store.events(limit: 1000)
            #expect(export.output.contains("exported \(originals.count) events"))
            let one = try await CommandLineTests.run([
                "events", "export", "--database", database, "--out", out.appendingPathComponent("single").path, "b52e0e1c-611f-43fb-89c4-401a34eb91ba",
            ])
            #expect(one.status == 0 && one.output.contains("exported 1 event"))
            try await source.stop()

            try await withGate(yaml: GateHarness.embedded) { fresh in
                let resend = try await CommandLineTests.run(["replay", "--as-captured", "--to", "http://127.0.0.1:\(fresh.publicPort)", out.path])
                #expect(resend.status == 0, "\(resend.output)")
                let copies = try await fresh.gate.store.events(limit: 1000)
                #expect(copies.count == originals.count)
                for original in originals {
                    let copy = try #require(copies.first { $0.provider == original.provider && $0.eventID == original.eventID })
                    #expect(copy.bodySHA256 == original.bodySHA256 && copy.body == original.body)
                    #expect(copy.headers.first { $0.0 == "Content-Type" }?.1 == original.headers.first { $0.0 == "Content-Type" }?.1)
                    // As captured: the very token the source gate received.
                    let header = original.provider.defaultVerificationHeader
                    #expect(copy.headers.first { $0.0 == header }?.1 == original.headers.first { $0.0 == header }?.1)
                }
            }
        }
    }

    @Test func staleCapturesAreExplained() async throws {
        try await withGate(yaml: GateHarness.embedded) { harness in
            let body = try Signer.fixture("plaid/ITEM.ERROR.json")
            let old = try Signer.token(body: body, iat: Int64(Date().timeIntervalSince1970) - 3600)
            let capture = CaptureFile(
                provider: .plaid, eventID: "x", eventType: "ITEM.ERROR", receivedAt: Date(),
                headers: [("Content-Type", "application/json"), ("Plaid-Verification", old)], body: body)
            let dir = try CommandLineTests.temporaryDirectory()
            try capture.encoded().write(to: dir.appendingPathComponent("old.capture.json"))
            let asCaptured = try await CommandLineTests.run(["replay", "--as-captured", "--to", "http://127.0.0.1:\(harness.publicPort)", dir.path])
            #expect(asCaptured.status == 0)  // expected with --as-captured
            #expect(asCaptured.output.contains("stale_token") && asCaptured.output.contains("replay without --as-captured to sign it fresh"))
            let fresh = try await CommandLineTests.run(["replay", "--to", "http://127.0.0.1:\(harness.publicPort)", dir.path])
            #expect(fresh.status == 0 && fresh.output.contains("accepted"))
        }
    }
}
