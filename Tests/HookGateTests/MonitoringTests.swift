import Foundation
import HookGateApp
import HookGateCore
import HookGateServer
import JOSE
import Testing

/// `/stats`, `/metrics`, readiness and `hookgate stats` after a scripted mix of webhooks.
@Suite(.serialized) struct MonitoringTests {
    /// Sends: 3 accepted + 2 duplicates (plaid), 1 bad_signature, 1 stale_token, 1 body_mismatch,
    /// 1 missing_signature (plaid); 1 accepted, 1 malformed_body (linkmoney); 1 accepted, 1 missing_event_id (ledgersync).
    static func scriptedMix(_ harness: GateHarness) async throws {
        let now = Int64(Date().timeIntervalSince1970)
        let bodies = (0..<3).map { Signer.plaidBody(700 + $0) }
        for body in bodies {
            _ = try await harness.post("/webhooks/plaid", body: body, headers: [("Plaid-Verification", try Signer.token(body: body))])
        }
        for body in bodies.prefix(2) {
            _ = try await harness.post("/webhooks/plaid", body: body, headers: [("Plaid-Verification", try Signer.token(body: body))])
        }
        let extra = Signer.plaidBody(799)
        _ = try await harness.post(
            "/webhooks/plaid", body: extra, headers: [("Plaid-Verification", try Signer.token(body: extra, key: try P256PrivateKey.generate()))])
        _ = try await harness.post("/webhooks/plaid", body: extra, headers: [("Plaid-Verification", try Signer.token(body: extra, iat: now - 1000))])
        _ = try await harness.post("/webhooks/plaid", body: extra, headers: [("Plaid-Verification", try Signer.token(body: bodies[0]))])
        _ = try await harness.post("/webhooks/plaid", body: extra)
        let link = Signer.plaidBody(800)
        _ = try await harness.post("/webhooks/linkmoney", body: link, headers: [("Webhook-Verification", try Signer.token(body: link))])
        let notJSON = Array("nope".utf8)
        _ = try await harness.post("/webhooks/linkmoney", body: notJSON, headers: [("Webhook-Verification", try Signer.token(body: notJSON))])
        let ledger = Array(#"{"eventType":"mfaUpdated","eventId":"m-1"}"#.utf8)
        _ = try await harness.post("/webhooks/ledgersync", body: ledger, headers: [("Webhook-Verification", try Signer.token(body: ledger))])
        let noID = Array(#"{"eventType":"mfaUpdated"}"#.utf8)
        _ = try await harness.post("/webhooks/ledgersync", body: noID, headers: [("Webhook-Verification", try Signer.token(body: noID))])
    }

    @Test func statsReportExactlyTheScriptedCounts() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            try await Self.scriptedMix(harness)
            let response = try await harness.admin("/stats")
            #expect(response.status == 200)
            let stats = try StatsDocument.decode(Data(response.body))
            #expect(
                stats.providers["plaid"]
                    == StatsDocument.ProviderFigures(
                        received: 9, accepted: 3, duplicates: 2,
                        rejected: ["bad_signature": 1, "stale_token": 1, "body_mismatch": 1, "missing_signature": 1]))
            #expect(
                stats.providers["linkmoney"] == StatsDocument.ProviderFigures(received: 2, accepted: 1, duplicates: 0, rejected: ["malformed_body": 1]))
            #expect(
                stats.providers["ledgersync"] == StatsDocument.ProviderFigures(received: 2, accepted: 1, duplicates: 0, rejected: ["missing_event_id": 1])
            )
            #expect(stats.store.events == 5 && stats.store.bytes > 0)
            #expect(stats.intakeLatencyMs.window == 13 && stats.intakeLatencyMs.p50 > 0 && stats.intakeLatencyMs.max >= stats.intakeLatencyMs.p99)
            #expect(stats.version == Gate.version && stats.uptimeSeconds > 0)
            #expect(stats.scope["providers"] == "since_start" && stats.scope["store"] == "database_totals")
            // The contract's names are in the raw document.
            let raw = try JSONParser.parse(response.body)
            for path in [
                ["providers", "plaid", "rejected"], ["keys", "fetch_failures"], ["deliveries", "oldest_pending_seconds"], ["intake_latency_ms", "p99"],
                ["store", "bytes"],
            ] {
                var node: JSONValue? = raw
                for key in path { node = node?[key] }
                #expect(node != nil, "\(path)")
            }
        }
    }

    @Test func metricsReportTheSameCountsInValidPrometheusText() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            try await Self.scriptedMix(harness)
            let response = try await harness.admin("/metrics")
            #expect(response.status == 200)
            #expect(response.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = response.text
            // An independent parser: the Prometheus project's own Python client.
            let script = """
                import sys, json
                from prometheus_client.parser import text_string_to_metric_families
                out = {}
                for family in text_string_to_metric_families(sys.stdin.read()):
                    for sample in family.samples:
                        key = sample.name + json.dumps(dict(sorted(sample.labels.items())), sort_keys=True)
                        out[key] = sample.value
                print(json.dumps(out))
                """
            let (status, parsedData, errorText) = try await RawHTTP.onThread { () -> (Int32, Data, String) in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["python3", "-c", script]
                let input = Pipe()
                let output = Pipe()
                let errors = Pipe()
                process.standardInput = input
                process.standardOutput = output
                process.standardError = errors
                try process.run()
                input.fileHandleForWriting.write(Data(text.utf8))
                try input.fileHandleForWriting.close()
                let parsed = output.fileHandleForReading.readDataToEndOfFile()
                let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                return (process.terminationStatus, parsed, errorText)
            }
            #expect(status == 0, "prometheus_client could not parse /metrics (pip install prometheus-client): \(errorText)")
            let samples = try JSONDecoder().decode([String: Double].self, from: parsedData)
            func value(_ name: String, _ labels: [String: String]) -> Double? {
                let encoder = JSONEncoder()
                encoder.outputFormatting = .sortedKeys
                let key =
                    name
                    + String(decoding: try! encoder.encode(labels), as: UTF8.self).replacingOccurrences(of: ":", with: ": ").replacingOccurrences(
                        of: ",", with: ", ")
                return samples[key]
            }
            #expect(value("hookgate_webhooks_total", ["provider": "plaid", "outcome": "accepted"]) == 3)
            #expect(value("hookgate_webhooks_total", ["provider": "plaid", "outcome": "duplicate"]) == 2)
            #expect(value("hookgate_webhooks_total", ["provider": "plaid", "outcome": "bad_signature"]) == 1)
            #expect(value("hookgate_webhooks_total", ["provider": "plaid", "outcome": "missing_signature"]) == 1)
            #expect(value("hookgate_webhooks_total", ["provider": "linkmoney", "outcome": "malformed_body"]) == 1)
            #expect(value("hookgate_webhooks_total", ["provider": "ledgersync", "outcome": "missing_event_id"]) == 1)
            #expect(value("hookgate_intake_duration_seconds_count", ["provider": "plaid"]) == 9)
            #expect(value("hookgate_store_events", [:]) == 5)
            #expect(value("hookgate_deliveries", ["state": "pending"]) == 0)
            #expect(value("hookgate_key_cache_keys", ["provider": "plaid"]) == 1)
            let total = samples.filter { $0.key.hasPrefix("hookgate_webhooks_total{") }.values.reduce(0, +)
            #expect(total == 13)
        }
    }

    @Test func statsCommandPrintsTheTable() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            try await Self.scriptedMix(harness)
            let table = try await CommandLineTests.run(["stats", "--admin", "http://127.0.0.1:\(harness.adminPort)"])
            #expect(table.status == 0)
            #expect(table.output.contains("PROVIDER"))
            let plaidLine = try #require(table.output.split(separator: "\n").first { $0.hasPrefix("plaid") })
            #expect(plaidLine.split(separator: " ", omittingEmptySubsequences: true).prefix(5) == ["plaid", "9", "3", "2", "4"])
            #expect(plaidLine.contains("bad_signature=1"))
            #expect(table.output.contains("store:       5 events"))
            let json = try await CommandLineTests.run(["stats", "--json", "--admin", "http://127.0.0.1:\(harness.adminPort)"])
            #expect(try StatsDocument.decode(Data(json.output.utf8)).providers["plaid"]?.accepted == 3)
            try await harness.stop()
            #expect(try await CommandLineTests.run(["stats", "--admin", "http://127.0.0.1:\(harness.adminPort)"]).status == 1)
        }
    }

    /// Runs `hookgate stats --watch 0.2` with its output into a pipe and returns its first
    /// `count` lines (fewer if they do not come within `seconds`).
    static func watchLines(adminPort: Int, count: Int, seconds: Double = 15) async throws -> [String] {
        try await RawHTTP.onThread {
            let process = Process()
            process.executableURL = CommandLineTests.binary
            process.arguments = ["stats", "--watch", "0.2", "--admin", "http://127.0.0.1:\(adminPort)"]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            defer {
                process.terminate()
                process.waitUntilExit()
            }
            let fd = output.fileHandleForReading.fileDescriptor
            var bytes: [UInt8] = []
            let deadline = Date().addingTimeInterval(seconds)
            while bytes.count(where: { $0 == UInt8(ascii: "\n") }) < count, Date() < deadline {
                var readable = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&readable, 1, 100) > 0 else { continue }
                var chunk = [UInt8](repeating: 0, count: 4096)
                let read = Glibc.read(fd, &chunk, chunk.count)
                if read <= 0 { break }
                bytes += chunk[..<read]
            }
            return String(decoding: bytes, as: UTF8.self).split(separator: "\n").prefix(count).map(String.init)
        }
    }

    @Test func statsWatchStreamsPlainLinesIntoAPipe() async throws {
        let lines = try await withGate(yaml: TestConfig.pinned()) { harness in
            try await Self.scriptedMix(harness)
            return try await Self.watchLines(adminPort: harness.adminPort, count: 2)
        }
        // Standard output into a pipe is block-buffered: each refresh must be flushed as it is written.
        #expect(lines.count == 2, "two refreshes within 15 s, got \(lines)")
        for line in lines {
            #expect(line.hasPrefix("time=") && !line.contains("\u{1B}"), "\(line)")
            #expect(line.contains(" received=13 accepted=5 duplicates=2 rejected=6 "), "\(line)")
            #expect(line.contains(" pending=0 retrying=0 in_flight=0 delivered=0 dead=0 "), "\(line)")
            #expect(line.contains(" events=5 "), "\(line)")
        }
        #expect(lines.first?.contains("per_second") == false)
        #expect(lines.last?.contains("received_per_second=0.0 delivered_per_second=0.0") == true, "\(lines)")
    }

    /// Sends `method path` with `Connection: close` and reads to the end: (status line, headers, bytes after the head).
    static func exchange(port: Int, method: String, path: String) async throws -> (status: Int, headers: [String: String], rest: [UInt8]) {
        try await RawHTTP.onThread {
            let fd = try RawHTTP.connect(port: port)
            defer { close(fd) }
            try RawHTTP.sendAll(fd, Array("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(fd, &chunk, chunk.count, 0)
                if count <= 0 { break }
                bytes += chunk[..<count]
            }
            guard let end = RawHTTP.find(bytes, Array("\r\n\r\n".utf8)) else { throw RawHTTP.Failure(description: "no response head") }
            let lines = String(decoding: bytes[..<end], as: UTF8.self).split(separator: "\r\n")
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1)
                headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces)
            }
            return (Int(lines[0].split(separator: " ")[1]) ?? 0, headers, Array(bytes[(end + 4)...]))
        }
    }

    @Test func probesAnswerHeadAsGetWithoutABody() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            for path in ["/healthz", "/readyz"] {
                let get = try await Self.exchange(port: harness.adminPort, method: "GET", path: path)
                let head = try await Self.exchange(port: harness.adminPort, method: "HEAD", path: path)
                #expect(get.status == 200 && head.status == 200, "\(path)")
                #expect(!get.rest.isEmpty && head.rest.isEmpty, "\(path): HEAD has no body")
                #expect(head.headers["content-length"] == String(get.rest.count), "\(path): HEAD's Content-Length is GET's")
                #expect(head.headers["content-type"] == get.headers["content-type"], "\(path)")
            }
        }
    }

    /// `hookgate_ready` in a `/metrics` answer (nil when absent).
    static func readyGauge(_ harness: GateHarness) async throws -> Double? {
        try MetricsConventionTests.Exposition(try await harness.admin("/metrics").text).value("hookgate_ready")
    }

    @Test func readyzTurnsUnreadyWhileShuttingDown() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            #expect(try await harness.admin("/readyz").status == 200)
            #expect(try await Self.readyGauge(harness) == 1, "hookgate_ready is /readyz's answer")
            // Hold a request open so the public listener's shutdown waits on it.
            let port = harness.publicPort
            let fd = try await RawHTTP.onThread { () -> Int32 in
                let fd = try RawHTTP.connect(port: port)
                try RawHTTP.sendAll(fd, Array("POST /webhooks/plaid HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{".utf8))
                return fd
            }
            let slow = Task {
                try await RawHTTP.onThread { () -> Int in
                    defer { close(fd) }
                    return try RawHTTP.readResponse(fd).status
                }
            }
            #expect(await eventually { KernelSockets.unread(serverPort: port, client: fd) == 0 }, "the gate read the request's head")
            await harness.group.triggerGracefulShutdown()
            #expect(await eventually(seconds: 3) { (try? await harness.admin("/readyz"))?.status == 503 })
            let unready = try await harness.admin("/readyz")
            #expect(unready.text.contains("shutting down"))
            #expect(try await Self.readyGauge(harness) == 0, "hookgate_ready turns 0 with /readyz")
            _ = try? await slow.value
        }
    }
}
