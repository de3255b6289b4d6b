import Foundation
import HookGateCore
import JOSE
import Testing

/// An exec handler gets the whole body or does not run, even when the gate is killed
/// (SIGKILL) while it feeds handlers; every acknowledged event still reaches the handler.
@Suite(.serialized) struct ExecCrashTests {
    /// A Plaid-shaped body of about `size` bytes (larger than a pipe's buffer).
    static func largeBody(_ n: Int, size: Int) -> [UInt8] {
        let padding = String(repeating: "x", count: size)
        return Array(#"{"webhook_type":"TRANSACTIONS","webhook_code":"DEFAULT_UPDATE","item_id":"item-\#(n)","padding":"\#(padding)"}"#.utf8)
    }

    @Test func sigkillDuringExecDeliveriesNeverFeedsAPartialBody() async throws {
        let dir = try CommandLineTests.temporaryDirectory()
        let runs = dir.appendingPathComponent("runs")
        try FileManager.default.createDirectory(at: runs, withIntermediateDirectories: true)
        let script = dir.appendingPathComponent("handler.sh")
        // Records what arrived on standard input, works a while, then marks itself done.
        try Data(
            """
            #!/bin/sh
            run="$1/$HOOKGATE_EVENT_ID.$HOOKGATE_ATTEMPT.$$"
            cat > "$run.body"
            sleep 0.4
            echo ok > "$run.done"
            """.utf8
        ).write(to: script)
        chmod(script.path, 0o755)
        let gate = try GateProcess(
            yaml: """
                server:
                  host: 127.0.0.1
                  port: PUBLIC_PORT
                  max_body_bytes: 1048576
                admin:
                  host: 127.0.0.1
                  port: ADMIN_PORT
                database:
                  path: \(dir.appendingPathComponent("gate.sqlite").path)
                providers:
                  plaid:
                    keys_file: \(TestConfig.devKeys)
                delivery:
                  initial_backoff: 0.05
                  max_backoff: 0.2
                handlers:
                  - name: exec
                    match: ["plaid:*"]
                    concurrency: 8
                    exec:
                      command: ["\(script.path)", "\(runs.path)"]
                      timeout: 20
                """, directory: dir)
        try await gate.start()
        var expected: [String: [UInt8]] = [:]
        for n in 0..<24 {
            let body = Self.largeBody(n, size: 400_000 + n)
            let response = try await RawHTTP.request(
                port: gate.publicPort, path: "/webhooks/plaid", headers: [("Plaid-Verification", try Signer.token(body: body))], body: body)
            #expect(response.status == 200, "webhook \(n): \(response.text)")
            expected["sha256:" + SHA256.hexHash(body)] = body
        }
        // Kill the gate while handlers are being fed and are running.
        #expect(await eventually(seconds: 20) { (try? FileManager.default.contentsOfDirectory(atPath: runs.path).count) ?? 0 >= 4 })
        gate.kill9()
        let startedBeforeKill = try FileManager.default.contentsOfDirectory(atPath: runs.path).filter { $0.hasSuffix(".body") }.count
        try await gate.start()
        // Every acknowledged event is handled to the end (by a run that survived the kill or by a retry).
        let eventIDs = Set(expected.keys)
        let allDone = await eventually(seconds: 90) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? []
            let done = Set(names.filter { $0.hasSuffix(".done") }.map { String($0.split(separator: ".")[0]) })
            return eventIDs.isSubset(of: done)
        }
        gate.stop()
        #expect(allDone, "not every event reached the handler; log: \(gate.log.path)")
        // Let handlers that outlived the first gate finish writing: every run that read a
        // body marks itself done (a run is never killed, the gate's death included).
        #expect(
            await eventually(seconds: 20) {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? []
                let done = Set(names.filter { $0.hasSuffix(".done") }.map { $0.dropLast(".done".count) })
                return names.filter { $0.hasSuffix(".body") }.allSatisfy { done.contains($0.dropLast(".body".count)) }
            })
        let bodies = try FileManager.default.contentsOfDirectory(atPath: runs.path).filter { $0.hasSuffix(".body") }
        #expect(startedBeforeKill >= 1)
        #expect(bodies.count >= expected.count)
        var partial = 0
        for name in bodies {
            let eventID = String(name.split(separator: ".")[0])
            let received = Array(try Data(contentsOf: runs.appendingPathComponent(name)))
            let body = try #require(expected[eventID], "a run for an unknown event \(eventID)")
            if received != body { partial += 1 }
        }
        #expect(partial == 0, "\(partial) of \(bodies.count) runs saw a partial body")
    }
}
