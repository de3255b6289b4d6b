import Foundation
import HookGateCore
import HookGateServer
import HookGateStore
import JOSE
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A full disk under the database: `503 store_unavailable` with `Retry-After`, `/readyz`
/// unready saying why (and `hookgate_ready` 0 in `/metrics`), nothing acknowledged lost, accepting again once space is back.
/// Runs on a small tmpfs mounted for the test (needs root, as CI has).
@Suite(.serialized, .enabled(if: getuid() == 0, "mounting a small filesystem needs root"))
struct FullDiskTests {
    static func shell(_ command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw RawHTTP.Failure(description: "\(command) exited \(process.terminationStatus)") }
    }

    /// Writes zeros into `path` until the filesystem refuses (ENOSPC).
    static func fill(_ path: String) -> Int {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 4096)
        var total = 0
        while true {
            let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written <= 0 { return total }
            total += written
        }
    }

    @Test func fullDiskAnswers503ReadyzSaysWhyAndNothingAcknowledgedIsLost() async throws {
        let mount = try CommandLineTests.temporaryDirectory()
        try Self.shell("mount -t tmpfs -o size=24m tmpfs '\(mount.path)'")
        defer { try? Self.shell("umount -l '\(mount.path)'") }
        let database = mount.appendingPathComponent("gate.sqlite").path
        let acknowledged = try await withGate(
            yaml: TestConfig.pinned().replacingOccurrences(of: "max_body_bytes: 4096", with: "max_body_bytes: 262144")
                + "\ndatabase:\n  path: \(database)\n  durability: full\n") { harness in
            #expect(try await harness.admin("/readyz").status == 200)
            let filler = mount.appendingPathComponent("filler").path
            var acknowledged: [String] = []
            var refused: [([UInt8], RawHTTP.Response)] = []
            var n = 0
            // Leave a little room, then send 100 KB webhooks until the store refuses one.
            _ = Self.fill(filler)
            try Self.shell("truncate -s -300K '\(filler)'")
            while refused.isEmpty && n < 200 {
                n += 1
                let body = Array(
                    (#"{"webhook_type":"TRANSACTIONS","webhook_code":"DEFAULT_UPDATE","item_id":"full-\#(n)","pad":""#
                        + String(repeating: "p", count: 100_000) + #""}"#).utf8)
                let response = try await harness.post("/webhooks/plaid", body: body, headers: [("Plaid-Verification", try Signer.token(body: body))])
                if response.status == 200 {
                    acknowledged.append("sha256:" + SHA256.hexHash(body))
                } else {
                    refused.append((body, response))
                }
            }
            let (refusedBody, answer) = try #require(refused.first, "the store never refused a webhook on a full disk")
            #expect(answer.status == 503)
            #expect(answer.text == #"{"error":"store_unavailable"}"#)
            #expect(Int(answer.header("Retry-After") ?? "") ?? 0 >= 1)
            let unready = try await harness.admin("/readyz")
            #expect(unready.status == 503)
            #expect(unready.text.contains("full"), "\(unready.text)")
            #expect(try await MonitoringTests.readyGauge(harness) == 0, "/metrics still answers, with hookgate_ready 0")
            // Space comes back: ready again without any event having to arrive first, then accepting.
            try FileManager.default.removeItem(atPath: filler)
            #expect(await eventually(seconds: 10) { (try? await harness.admin("/readyz").status) == 200 })
            #expect(try await MonitoringTests.readyGauge(harness) == 1)
            let retried = try await harness.post(
                "/webhooks/plaid", body: refusedBody, headers: [("Plaid-Verification", try Signer.token(body: refusedBody))])
            #expect(retried.status == 200 && retried.text.contains("accepted"), "\(retried.text)")
            acknowledged.append("sha256:" + SHA256.hexHash(refusedBody))
            return acknowledged
        }
        // Every acknowledged event is in the database, which is sound.
        let store = try SQLiteEventStore(path: database, durability: .full)
        for id in acknowledged {
            #expect(try await store.event(provider: .plaid, eventID: id) != nil, "acknowledged \(id) is missing")
        }
        #expect(try await store.integrityCheck() == "ok")
        #expect(acknowledged.count >= 2)
    }
}
