import Foundation
import HookGateCore
import Testing

/// Files that hold webhook bodies are 0600 whatever the umask: the SQLite database, its
/// `-wal` and `-shm` files, the file handler's output and exported captures, made by the
/// real binary started under umask 022 (which leaves 0644 to files created 0666). The
/// same gate logs as JSON; its request and delivery lines carry numbers as numbers.
@Suite(.serialized) struct FileModeTests {
    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int) & 0o777
    }

    @Test func dataFilesAre0600UnderUmask022() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hookgate-modes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = dir.appendingPathComponent("hookgate.sqlite").path
        let audit = dir.appendingPathComponent("audit.jsonl").path
        let gate = try GateProcess(
            yaml: """
                server:
                  host: 127.0.0.1
                  port: PUBLIC_PORT
                admin:
                  host: 127.0.0.1
                  port: ADMIN_PORT
                database:
                  path: \(database)
                providers:
                  plaid:
                    keys_file: \(TestConfig.devKeys)
                handlers:
                  - name: audit
                    match: ["*"]
                    file:
                      path: \(audit)
                """, directory: dir)
        gate.umask = "022"
        gate.arguments = ["--log-format", "json", "--log-level", "debug"]
        try await gate.start()
        defer { gate.stop() }
        let body = Signer.plaidBody()
        let answer = try await RawHTTP.request(
            port: gate.publicPort, path: "/webhooks/plaid", headers: [("Plaid-Verification", try Signer.token(body: body))], body: body)
        #expect(answer.status == 200, "\(answer.text)")
        #expect(await eventually { ((try? FileManager.default.attributesOfItem(atPath: audit))?[.size] as? Int ?? 0) > 0 }, "the file handler wrote")
        // A refused webhook too: the quarantine's own database holds its headers and body.
        let forged = try await RawHTTP.request(port: gate.publicPort, path: "/webhooks/plaid", headers: [("Plaid-Verification", "x.y.z")], body: body)
        #expect(forged.status == 401)
        let quarantine = database + ".quarantine"
        #expect(await eventually { FileManager.default.fileExists(atPath: quarantine + "-wal") }, "the quarantine was written")
        for path in [database, database + "-wal", database + "-shm", quarantine, quarantine + "-wal", quarantine + "-shm", audit] {
            let mode = try Self.mode(path)
            #expect(mode == 0o600, "\(path): \(String(mode, radix: 8))")
        }

        // The JSON log: the request line and the delivery line (debug) with numbers as numbers.
        #expect(await eventually { (try? String(contentsOf: gate.log, encoding: .utf8))?.contains(#""msg":"delivered""#) == true })
        let lines = try String(contentsOf: gate.log, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("{") }
        let objects = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "\($0)") }
        let request = try #require(objects.first { $0["msg"] as? String == "webhook" }, "\(lines)")
        #expect(request["status"] as? Int == 200 && request["duration_ms"] is NSNumber, "\(request)")
        let webhookLine = try #require(lines.first { $0.contains(#""msg":"webhook""#) })
        #expect(webhookLine.contains(#""status":200"#), "\(webhookLine)")
        let delivered = try #require(objects.first { $0["msg"] as? String == "delivered" }, "\(lines)")
        #expect(delivered["attempt"] as? Int == 1 && delivered["delivery_id"] is NSNumber && delivered["duration_ms"] is NSNumber, "\(delivered)")
        #expect(
            delivered["outcome"] as? String == "delivered" && delivered["handler"] as? String == "audit"
                && delivered["provider"] as? String == "plaid")
        #expect(delivered["event_id"] as? String == request["event_id"] as? String, "one event id joins the two lines")
        gate.stop()

        // Exported captures, under the same umask; the provider folder shows the umask applied (0755).
        let captures = dir.appendingPathComponent("captures").path
        let (executable, arguments) = GateProcess.command(
            ["events", "export", "--provider", "plaid", "--database", database, "--out", captures], umask: "022")
        let status = try await RawHTTP.onThread { () -> Int32 in
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        #expect(status == 0)
        let folder = captures + "/plaid"
        #expect(try Self.mode(folder) == 0o755, "folders follow the umask")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(files.count == 1)
        for file in files { #expect(try Self.mode(folder + "/" + file) == 0o600, "\(file)") }
    }
}
