import Foundation
import HookGateCore
import HookGateDispatch
import HookGateServer
import HookGateStore
import JOSE
import Testing

/// The fan-out against real loopback handlers, commands and files.
@Suite(.serialized) struct FanOutTests {
    static let secretKey = Array("0123456789abcdef0123456789abcdef".utf8)
    static let secret = "whsec_" + Data(secretKey).base64EncodedString()

    /// A gate with pinned dev keys and the given `handlers:` YAML (and a fast retry schedule).
    static func yaml(handlers: String, delivery: String = "initial_backoff: 0.05\n  max_backoff: 0.2\n  give_up_after: 60") -> String {
        TestConfig.pinned() + "\ndelivery:\n  \(delivery)\nhandlers:\n" + handlers
    }

    /// One HTTP handler, `backend`, taking every event to `sink`.
    static func backend(_ sink: HTTPSink) -> String {
        """
          - name: backend
            match: ["*"]
            http:
              url: \(sink.url)
        """
    }

    static func send(_ harness: GateHarness, _ body: [UInt8], provider: String = "plaid") async throws -> RawHTTP.Response {
        let header = provider == "plaid" ? "Plaid-Verification" : "Webhook-Verification"
        return try await harness.post(
            "/webhooks/\(provider)", body: body,
            headers: [(header, try Signer.token(body: body)), ("Content-Type", "application/json; charset=utf-8")])
    }

    /// HMAC-SHA256 written from RFC 2104 on top of SHA-256 alone, independent of OpenSSL's HMAC.
    static func referenceHMAC(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var block = key.count > 64 ? SHA256.hash(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        let inner = SHA256.hash(block.map { $0 ^ 0x36 } + message)
        return SHA256.hash(block.map { $0 ^ 0x5c } + inner)
    }

    @Test func matchingHandlersReceiveByteExactWithContractHeadersAndSignature() async throws {
        let sink = try await HTTPSink()
        let other = try await HTTPSink()
        try await withGate(
            yaml: Self.yaml(
                handlers: """
                      - name: backend
                        match: ["plaid:TRANSACTIONS.*", "ledgersync:accountAdded"]
                        http:
                          url: \(sink.url)
                          timeout: 5
                          secret: \(Self.secret)
                      - name: items
                        match: ["plaid:ITEM.*"]
                        http:
                          url: \(other.url)
                    """)) { harness in
            let transactions = Signer.plaidBody(11)
            let item = try Signer.fixture("plaid/ITEM.ERROR.json")
            let ledger = try Signer.fixture("ledgersync/accountAdded.json")
            #expect(try await Self.send(harness, transactions).status == 200)
            #expect(try await Self.send(harness, item).status == 200)
            #expect(try await Self.send(harness, ledger, provider: "ledgersync").status == 200)
            #expect(try await Self.send(harness, transactions).text.contains("duplicate"))
            #expect(await eventually { sink.received.count == 2 && other.received.count == 1 })
            // The duplicate was not fanned out again: it wrote no outbox row, and each of the
            // three deliveries was made once (no second attempt can reach a sink later).
            #expect(await eventually { (try? await harness.gate.store.deliveryCounts().delivered) == 3 })
            let made = try await harness.gate.store.deliveries(limit: 10)
            #expect(made.count == 3 && made.allSatisfy { $0.status == .delivered && $0.attempts == 1 })
            #expect(sink.received.count == 2)
            #expect(other.received.count == 1)

            let first = try #require(sink.received.first { $0.header("hookgate-provider") == "plaid" })
            #expect(first.body == transactions)
            #expect(first.header("content-type") == "application/json; charset=utf-8")
            #expect(first.header("hookgate-event-id") == "sha256:" + SHA256.hexHash(transactions))
            #expect(first.header("hookgate-event-type") == "TRANSACTIONS.DEFAULT_UPDATE")
            #expect(first.header("hookgate-attempt") == "1")
            let deliveryID = try #require(first.header("hookgate-delivery-id"))
            #expect(first.header("webhook-id") == deliveryID)
            let timestamp = try #require(first.header("webhook-timestamp"))
            #expect(abs((Int64(timestamp) ?? 0) - Int64(Date().timeIntervalSince1970)) < 30)
            let expected =
                "v1,"
                + Data(Self.referenceHMAC(key: Self.secretKey, message: Array("\(deliveryID).\(timestamp).".utf8) + transactions)).base64EncodedString()
            #expect(first.header("webhook-signature") == expected)

            let ledgerDelivery = try #require(sink.received.first { $0.header("hookgate-provider") == "ledgersync" })
            #expect(ledgerDelivery.body == ledger)
            #expect(ledgerDelivery.header("hookgate-event-id") == "b52e0e1c-611f-43fb-89c4-401a34eb91ba")
            #expect(ledgerDelivery.header("hookgate-event-type") == "accountAdded")
            #expect(other.received[0].body == item)
            #expect(other.received[0].header("webhook-signature") == nil)  // no secret, no signature
        }
        await sink.stop()
        await other.stop()
    }

    @Test func sinkDownForAWhileThenUpLosesNothing() async throws {
        let sink = try await HTTPSink()
        let port = sink.port
        await sink.stop()
        try await withGate(
            yaml: Self.yaml(
                handlers: """
                      - name: backend
                        match: ["*"]
                        http:
                          url: http://127.0.0.1:\(port)/hooks
                          timeout: 2
                    """)) { harness in
            let bodies = (0..<30).map { Signer.plaidBody(1000 + $0) }
            for body in bodies { #expect(try await Self.send(harness, body).status == 200) }
            // Every delivery has failed at least once against the stopped sink before it starts.
            #expect(
                await eventually {
                    let waiting = (try? await harness.gate.store.deliveries(limit: 100)) ?? []
                    return waiting.count == 30 && waiting.allSatisfy { $0.attempts >= 1 }
                })
            try await sink.start(port: port)
            #expect(await eventually { Set(sink.received.map(\.body)).count == 30 })
            #expect(Set(sink.received.map(\.body)) == Set(bodies))
            #expect(await eventually { (try? await harness.gate.store.deliveryCounts().delivered) == 30 })
            let deliveries = try await harness.gate.store.deliveries(status: .delivered, limit: 100)
            #expect(deliveries.allSatisfy { $0.attempts >= 2 })  // every one failed at least once while the sink was down
            let attempts = try await harness.gate.store.attempts(deliveryID: deliveries[0].id)
            #expect(attempts.count == deliveries[0].attempts)
            #expect(attempts.last?.succeeded == true && attempts.first?.succeeded == false)
            #expect(attempts.first?.excerpt?.contains("connect") == true)
        }
        await sink.stop()
    }

    /// An attempt that runs longer than `delivery.lease` keeps its claim: the dispatcher
    /// renews the lease every third of it while the attempt runs. A second event sent after
    /// the lease would have run out wakes the dispatcher; had the first claim lapsed, that
    /// claim would take the first delivery again and the sink would see it twice.
    @Test func anAttemptLongerThanTheLeaseKeepsItsClaim() async throws {
        let sink = try await HTTPSink()
        let answers = Latch()
        defer { answers.open() }
        sink.holdAnswers(until: answers)
        let clock = SkippingClock()
        try await withGate(
            yaml: Self.yaml(
                handlers: """
                      - name: slow
                        match: ["*"]
                        http:
                          url: \(sink.url)
                          timeout: 10
                    """, delivery: "initial_backoff: 0.05\n  max_backoff: 0.2\n  give_up_after: 60\n  lease: 2"), clock: clock) { harness in
            let first = Signer.plaidBody(7001)
            let second = Signer.plaidBody(7002)
            #expect(try await Self.send(harness, first).status == 200)
            #expect(await eventually { sink.received.count == 1 })
            // Past the 2 s lease of the first claim, in two steps of 1.5 s: after each, the lease
            // keeper (it waits a third of the lease between renewals) has renewed and waits
            // again. A renewal made just before a step still holds after it (1.5 s < 2 s).
            let keeperPause = Duration.milliseconds(2000 / 3)
            for _ in 0..<2 {
                let passes = clock.waitsBegun(lasting: keeperPause)
                clock.advance(by: .milliseconds(1500))
                #expect(await eventually { clock.waitsBegun(lasting: keeperPause) > passes })
            }
            #expect(try await Self.send(harness, second).status == 200)
            // The claim that takes the second delivery would have taken a lapsed first one with it.
            #expect(await eventually { sink.received.count >= 2 })
            answers.open()
            #expect(await eventually(seconds: 15) { (try? await harness.gate.store.deliveryCounts().delivered) == 2 })
            #expect(sink.received.filter { $0.body == first }.count == 1)
            #expect(sink.received.filter { $0.body == second }.count == 1)
            for delivery in try await harness.gate.store.deliveries(status: .delivered, limit: 10) {
                #expect(delivery.attempts == 1)
                #expect(try await harness.gate.store.attempts(deliveryID: delivery.id).count == 1)
            }
        }
        await sink.stop()
    }

    @Test func failingForeverGoesDeadThenRedeliverDelivers() async throws {
        let sink = try await HTTPSink()
        sink.setStatus(500)
        try await withGate(
            yaml: Self.yaml(
                handlers: Self.backend(sink), delivery: "initial_backoff: 0.02\n  max_backoff: 0.05\n  give_up_after: 2")) { harness in
            let body = Signer.plaidBody(77)
            #expect(try await Self.send(harness, body).status == 200)
            #expect(await eventually { (try? await harness.gate.store.deliveryCounts().dead) == 1 })
            let dead = try #require(try await harness.gate.store.deliveries(status: .dead).first)
            #expect(dead.lastError?.contains("HTTP 500") == true)
            // It was retried until the give-up window (2 s: room for two attempts on a loaded machine) ran out, however slow the machine made each
            // attempt: dead only once the next retry (at most max_backoff + 20 % jitter away) fell
            // past created + 2 s, and a retry only when it was scheduled inside the window. A retry
            // is scheduled at least 80 % of its backoff after the attempt before it ended; it may
            // start later than scheduled on a loaded machine, so what is checked is the schedule:
            // each retry's earliest time lay inside the window, and no retry started before it.
            let failed = try await harness.gate.store.attempts(deliveryID: dead.id)
            let created = try #require(try await harness.gate.store.event(id: dead.eventRow)).receivedAt
            #expect(failed.count == dead.attempts && failed.count >= 2)
            #expect(failed.allSatisfy { !$0.succeeded && $0.statusCode == 500 })
            let schedule = RetrySchedule(initial: 0.02, maximum: 0.05, giveUpAfter: 2)
            for (previous, retry) in zip(failed, failed.dropFirst()) {
                let previousEnd = Double(previous.startedAt) + previous.durationMilliseconds
                let earliest = previousEnd + 0.8 * schedule.baseDelay(afterAttempt: previous.number) * 1000
                // 2 ms for the whole-millisecond rounding of the recorded and scheduled times.
                #expect(earliest <= Double(created) + 2000 + 2, "retry \(retry.number) scheduled \(earliest - Double(created)) ms after creation")
                #expect(Double(retry.startedAt) >= earliest - 2, "retry \(retry.number) started before its backoff")
            }
            let last = try #require(failed.last)
            let lastEnd = Double(last.startedAt) + last.durationMilliseconds
            #expect(lastEnd + 0.05 * 1.2 * 1000 >= Double(created) + 2000 - 5, "dead \(lastEnd - Double(created)) ms after creation")
            // Dead means no more attempts: no claim, however late, takes it (the dispatcher claims nothing else).
            let farFuture = Int64(Date().timeIntervalSince1970 * 1000) + 86_400_000
            #expect(try await harness.gate.store.claimDue(handler: "backend", now: farFuture, leaseUntil: farFuture + 1000, limit: 10).isEmpty)
            #expect(sink.received.count == failed.count)

            sink.setStatus(200)
            let admin = try await RawHTTP.request(port: harness.adminPort, method: "POST", path: "/deliveries/redeliver-dead")
            #expect(admin.text == #"{"redelivering":1}"#)
            #expect(await eventually { (try? await harness.gate.store.deliveryCounts().delivered) == 1 })
            let attempts = try await harness.gate.store.attempts(deliveryID: dead.id)
            #expect(attempts.last?.succeeded == true && attempts.last?.statusCode == 200)
            #expect(sink.received.last?.header("hookgate-attempt") == String(attempts.count))

            // The admin listing and detail show it.
            let list = try await harness.admin("/events?status=delivered")
            #expect(list.status == 200 && list.text.contains("\"status\":\"delivered\""))
            let detail = try await harness.admin("/events/\(dead.eventRow)")
            let json = try JSONParser.parse(detail.body)
            #expect(json["event_id"]?.stringValue == "sha256:" + SHA256.hexHash(body))
            #expect(json["body"]?.stringValue == String(decoding: body, as: UTF8.self))
            #expect(try await harness.admin("/events?status=bogus").status == 400)
            #expect(try await harness.admin("/events/999999").status == 404)
        }
        await sink.stop()
    }

    @Test func retryAfterFromTheHandlerIsHonoured() async throws {
        let sink = try await HTTPSink()
        sink.setStatus(429, retryAfter: "1")
        let clock = SkippingClock()
        try await withGate(
            yaml: Self.yaml(
                handlers: Self.backend(sink), delivery: "initial_backoff: 0.02\n  max_backoff: 5\n  give_up_after: 60"), clock: clock) { harness in
            #expect(try await Self.send(harness, Signer.plaidBody()).status == 200)
            #expect(await eventually { sink.received.count == 1 })
            // The retry is scheduled 1 s after the attempt (the Retry-After), not 20 ms later (the backoff).
            #expect(await eventually { (try? await harness.gate.store.deliveries(limit: 1).first?.status) == .retrying })
            let delivery = try #require(try await harness.gate.store.deliveries(limit: 1).first)
            let attempt = try #require(try await harness.gate.store.attempts(deliveryID: delivery.id).first)
            #expect(delivery.nextAttemptAt - attempt.startedAt >= 1000, "retry due \(delivery.nextAttemptAt - attempt.startedAt) ms after the attempt")
            #expect(sink.received.count == 1)  // without Retry-After it would have retried ~20 times in 600 ms
            sink.setStatus(200)
            clock.advance(by: .seconds(1))
            #expect(await eventually(seconds: 5) { (try? await harness.gate.store.deliveryCounts().delivered) == 1 })
        }
        await sink.stop()
    }

    @Test func redirectsAreNotFollowed() async throws {
        let sink = try await HTTPSink()
        let elsewhere = try await HTTPSink()
        sink.setStatus(307, location: elsewhere.url)
        try await withGate(
            yaml: Self.yaml(
                handlers: Self.backend(sink), delivery: "initial_backoff: 30\n  max_backoff: 60\n  give_up_after: 600")) { harness in
            #expect(try await Self.send(harness, Signer.plaidBody(307)).status == 200)
            #expect(await eventually { ((try? await harness.gate.store.deliveries(limit: 1))?.first?.attempts ?? 0) >= 1 })
            let delivery = try #require(try await harness.gate.store.deliveries(limit: 1).first)
            #expect(delivery.status == .retrying)
            let attempt = try #require(try await harness.gate.store.attempts(deliveryID: delivery.id).first)
            #expect(attempt.succeeded == false && attempt.statusCode == 307)
            #expect(attempt.excerpt?.hasPrefix("HTTP 307") == true)
            // The attempt is recorded once its exchange has ended: a followed redirect would
            // have reached `elsewhere` before.
            #expect(sink.received.count == 1)
            #expect(elsewhere.received.isEmpty)  // the Location was not followed
        }
        await sink.stop()
        await elsewhere.stop()
    }

    @Test func orderedDeliveryHoldsBackOnlyItsOwnKey() async throws {
        let sink = try await HTTPSink()
        sink.failFirst(4, containing: "\"item-A\"")
        try await withGate(
            yaml: Self.yaml(
                handlers: """
                      - name: backend
                        match: ["*"]
                        order_key: item_id
                        http:
                          url: \(sink.url)
                    """)) { harness async throws in
            func body(_ item: String, _ n: Int) -> [UInt8] {
                Array(
                    "{\n  \"webhook_type\": \"TRANSACTIONS\",\n  \"webhook_code\": \"DEFAULT_UPDATE\",\n  \"item_id\": \"\(item)\",\n  \"n\": \(n)\n}"
                        .utf8)
            }
            #expect(try await Self.send(harness, body("item-A", 1)).status == 200)
            #expect(try await Self.send(harness, body("item-A", 2)).status == 200)
            #expect(try await Self.send(harness, body("item-B", 1)).status == 200)
            #expect(await eventually { (try? await harness.gate.store.deliveryCounts().delivered) == 3 })
            let order = sink.received.map { String(decoding: $0.body, as: UTF8.self) }
            func index(_ item: String, _ n: Int, success: Bool = true) -> Int {
                let text = String(decoding: body(item, n), as: UTF8.self)
                return success ? order.lastIndex(of: text)! : order.firstIndex(of: text)!
            }
            // B was not held back by A's failures; A2 went only after A1 succeeded.
            #expect(index("item-B", 1) < index("item-A", 1))
            #expect(index("item-A", 1) < index("item-A", 2, success: false))
            #expect(order.filter { $0.contains("item-A") && $0.contains("\"n\": 2") }.count == 1)
        }
        await sink.stop()
    }

    @Test func execHandlerSuccessFailureAndTimeoutKill() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hookgate-exec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let script = dir.appendingPathComponent("handler.sh")
        try Data(
            """
            #!/bin/sh
            out="$1/$HOOKGATE_DELIVERY_ID"
            cat > "$out.body"
            echo "$HOOKGATE_EVENT_ID|$HOOKGATE_PROVIDER|$HOOKGATE_EVENT_TYPE|$HOOKGATE_ATTEMPT" > "$out.env"
            case "$HOOKGATE_EVENT_TYPE" in
              ITEM.ERROR) echo "refusing" >&2; exit 3 ;;
              ITEM.PENDING_EXPIRATION) sleep 30 & echo $! > "$out.child"; sleep 30 ;;
            esac
            echo done
            """.utf8
        ).write(to: script)
        chmod(script.path, 0o755)
        try await withGate(
            yaml: Self.yaml(
                handlers: """
                      - name: notify
                        match: ["plaid:*"]
                        exec:
                          command: ["\(script.path)", "\(dir.path)"]
                          timeout: 1
                    """, delivery: "initial_backoff: 30\n  max_backoff: 60\n  give_up_after: 600")) { harness in
            let ok = Signer.plaidBody(5)
            let failing = try Signer.fixture("plaid/ITEM.ERROR.json")
            let hanging = try Signer.fixture("plaid/ITEM.PENDING_EXPIRATION.json")
            for body in [ok, failing, hanging] { #expect(try await Self.send(harness, body).status == 200) }
            #expect(
                await eventually {
                    (try? await harness.gate.store.deliveries(limit: 10).allSatisfy { $0.attempts >= 1 && $0.status != .inFlight }) == true
                })
            let deliveries = try await harness.gate.store.deliveries(limit: 10)
            let byType = Dictionary(uniqueKeysWithValues: deliveries.map { ($0.eventType, $0) })
            let success = try #require(byType["TRANSACTIONS.DEFAULT_UPDATE"])
            #expect(success.status == .delivered)
            #expect(try Data(contentsOf: dir.appendingPathComponent("\(success.id).body")) == Data(ok))
            let env = try String(contentsOf: dir.appendingPathComponent("\(success.id).env"), encoding: .utf8)
            #expect(env == "sha256:\(SHA256.hexHash(ok))|plaid|TRANSACTIONS.DEFAULT_UPDATE|1\n")
            let successAttempt = try #require(try await harness.gate.store.attempts(deliveryID: success.id).first)
            #expect(successAttempt.statusCode == 0 && successAttempt.excerpt?.contains("stdout: done") == true)

            let failure = try #require(byType["ITEM.ERROR"])
            #expect(failure.status == .retrying)
            let failureAttempt = try #require(try await harness.gate.store.attempts(deliveryID: failure.id).first)
            #expect(failureAttempt.statusCode == 3 && failureAttempt.excerpt?.contains("stderr: refusing") == true)

            let timeout = try #require(byType["ITEM.PENDING_EXPIRATION"])
            let timeoutAttempt = try #require(try await harness.gate.store.attempts(deliveryID: timeout.id).first)
            #expect(timeoutAttempt.succeeded == false && timeoutAttempt.excerpt?.contains("timed out") == true)
            #expect(timeoutAttempt.durationMilliseconds >= 900 && timeoutAttempt.durationMilliseconds < 5000)
            // The whole process group was killed, including the background child.
            let child = try #require(
                Int32(
                    try String(contentsOf: dir.appendingPathComponent("\(timeout.id).child"), encoding: .utf8).trimmingCharacters(
                        in: .whitespacesAndNewlines)))
            #expect(await eventually(seconds: 3) { kill(child, 0) != 0 })
        }
    }

    @Test func fileHandlerUnderConcurrentAppends() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hookgate-file-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("audit.jsonl").path
        try await withGate(
            yaml: Self.yaml(
                handlers: """
                      - name: audit
                        match: ["*"]
                        concurrency: 32
                        file:
                          path: \(path)
                    """), directory: dir) { harness in
            let bodies = (0..<200).map { Signer.plaidBody(5000 + $0) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for body in bodies { group.addTask { _ = try await Self.send(harness, body) } }
                try await group.waitForAll()
            }
            #expect(await eventually { (try? await harness.gate.store.deliveryCounts().delivered) == 200 })
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.last == "")  // every line is complete
            let records = try lines.dropLast().map { try JSONParser.parse(Array($0.utf8)) }
            #expect(records.count == 200)
            #expect(Set(records.compactMap { $0["body"]?.stringValue }) == Set(bodies.map { String(decoding: $0, as: UTF8.self) }))
            #expect(
                records.allSatisfy {
                    $0["provider"]?.stringValue == "plaid" && $0["type"]?.stringValue == "TRANSACTIONS.DEFAULT_UPDATE" && $0["received_at"] != nil
                })
        }
    }

    @Test func deliveriesLeftInFlightAreResumedAfterRestart() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hookgate-test-\(UUID().uuidString)")
        let sink = try await HTTPSink()
        let port = sink.port
        await sink.stop()
        let handlers = """
              - name: backend
                match: ["*"]
                http:
                  url: http://127.0.0.1:\(port)/hooks
            """
        let bodies = try await withGate(
            yaml: Self.yaml(handlers: handlers, delivery: "initial_backoff: 30\n  max_backoff: 60\n  give_up_after: 600"), directory: dir) { first async throws -> [[UInt8]] in
            let bodies = (0..<5).map { Signer.plaidBody(9000 + $0) }
            for body in bodies { #expect(try await Self.send(first, body).status == 200) }
            return bodies
        }
        // As if the process had died mid-attempt: a delivery claimed but never finished.
        let store = try SQLiteEventStore(path: dir.appendingPathComponent("hookgate.sqlite").path, durability: .full)
        let claimed = try await store.claimDue(handler: "backend", now: Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000, limit: 1)
        #expect(claimed.count == 1)
        try await sink.start(port: port)
        try await withGate(yaml: Self.yaml(handlers: handlers), directory: dir) { second in
            #expect(await eventually { Set(sink.received.map(\.body)).count >= 1 })
            // The in-flight one is resumed at once; the others wait for their (30 s) retry, so redeliver them now.
            for delivery in try await second.gate.store.deliveries(status: .retrying) {
                _ = try await second.gate.store.redeliver(eventRow: delivery.eventRow)
            }
            second.gate.dispatcher.notify()
            #expect(await eventually { Set(sink.received.map(\.body)) == Set(bodies) })
        }
        await sink.stop()
    }
}

/// `hookgate events` on the database of a running gate.
@Suite(.serialized) struct EventsCommandTests {
    @Test func listShowAndRedeliverWhileTheGateRuns() async throws {
        let sink = try await HTTPSink()
        sink.setStatus(500)
        try await withGate(
            yaml: FanOutTests.yaml(
                handlers: FanOutTests.backend(sink), delivery: "initial_backoff: 0.02\n  max_backoff: 0.05\n  give_up_after: 0.2")) { harness in
            let body = try Signer.fixture("plaid/ITEM.ERROR.json")
            #expect(try await FanOutTests.send(harness, body).status == 200)
            #expect(await eventually { (try? await harness.gate.store.deliveryCounts().dead) == 1 })
            let database = harness.directory.appendingPathComponent("hookgate.sqlite").path

            let list = try await CommandLineTests.run(["events", "list", "--database", database, "--status", "dead"])
            #expect(list.status == 0)
            #expect(list.output.contains("ITEM.ERROR") && list.output.contains("backend=dead"))
            let listed = try await CommandLineTests.run(["events", "list", "--database", database, "--status", "dead", "--json"])
            let listedJSON = try JSONParser.parse(Array(listed.output.utf8))
            guard case .array(let events)? = listedJSON["events"], case .array(let deliveries)? = events.first?["deliveries"] else {
                Issue.record("events list --json: no events with deliveries in \(listed.output)")
                return
            }
            #expect(deliveries.first?["status"]?.stringValue == "dead")  // the wire string, as before DeliveryStatus
            #expect(try await CommandLineTests.run(["events", "list", "--database", database, "--status", "in_flight"]).status == 0)
            let eventID = "sha256:" + SHA256.hexHash(body)
            let show = try await CommandLineTests.run(["events", "show", "--database", database, eventID])
            #expect(show.status == 0)
            #expect(show.output.contains("delivery") && show.output.contains("HTTP 500") && show.output.contains("\"webhook_code\": \"ERROR\""))
            let json = try await CommandLineTests.run(["events", "show", "--database", database, "--json", eventID])
            #expect(try JSONParser.parse(Array(json.output.utf8))["event_id"]?.stringValue == eventID)
            #expect(try await CommandLineTests.run(["events", "list", "--database", database, "--status", "lost"]).status == 2)
            #expect(try await CommandLineTests.run(["events", "show", "--database", database, "nope"]).status == 1)
            #expect(try await CommandLineTests.run(["events", "list", "--database", "/nonexistent.sqlite"]).status == 2)

            sink.setStatus(200)
            let redeliver = try await CommandLineTests.run(["events", "redeliver", "--database", database, "--dead"])
            #expect(redeliver.status == 0 && redeliver.output.contains("redelivering 1 dead delivery"))
            // The running gate picks the change up from the shared database file by itself.
            #expect(await eventually(seconds: 5) { (try? await harness.gate.store.deliveryCounts().delivered) == 1 })
            // Redelivering a delivered event sends it once more.
            let before = sink.received.count
            let again = try await CommandLineTests.run(["events", "redeliver", "--database", database, eventID])
            #expect(again.status == 0 && again.output.contains("redelivering 1 delivery"))
            #expect(await eventually(seconds: 5) { sink.received.count == before + 1 })
            #expect(sink.received.last?.body == body)
            #expect(await eventually(seconds: 5) { (try? await harness.gate.store.deliveryCounts().delivered) == 1 })
        }
        await sink.stop()
    }
}

/// A handler's answer is read within bounds: an endless body costs an excerpt of memory
/// and the handler's `timeout` of time, then the attempt fails and is retried.
@Suite struct HandlerAnswerBoundsTests {
    @Test func endlessHandlerAnswerIsCutOffAtTheTimeout() async throws {
        let endless = try HostileKeyEndpoint(.endless)
        let before = ProcessInfo.processInfo.residentMegabytes
        try await withGate(
            yaml: FanOutTests.yaml(
                handlers: """
                      - name: endless
                        match: ["*"]
                        http:
                          url: http://127.0.0.1:\(endless.port)/hooks
                          timeout: 1
                    """, delivery: "initial_backoff: 30\n  max_backoff: 60\n  give_up_after: 600")) { harness in
            #expect(try await FanOutTests.send(harness, Signer.plaidBody(4242)).status == 200)
            let attempted = await eventually(seconds: 10) { ((try? await harness.gate.store.deliveries(limit: 1))?.first?.attempts ?? 0) >= 1 }
            #expect(attempted)
            let delivery = try #require(try await harness.gate.store.deliveries(limit: 1).first)
            #expect(delivery.status == .retrying)
            let attempt = try #require(try await harness.gate.store.attempts(deliveryID: delivery.id).first)
            #expect(attempt.succeeded == false)
            #expect(attempt.durationMilliseconds >= 900 && attempt.durationMilliseconds < 5000, "\(attempt.durationMilliseconds) ms")
            #expect((attempt.excerpt ?? "").utf8.count <= DeliveryOutcomeLimit.excerpt + 8)
            // Tens of MB/s were offered for a second; the gate kept an excerpt.
            #expect(ProcessInfo.processInfo.residentMegabytes - before < 200)
        }
        endless.stop()
    }
}

enum DeliveryOutcomeLimit {
    /// `DeliveryOutcome.maxExcerpt`, plus the ellipsis.
    static let excerpt = 512
}
