import Foundation
import HookGateCore
import JOSE
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The public listener's HTTP/1.1 behaviour on live sockets (``IntakeHandler`` on NIO's
/// channel handlers): request ids, routes, keep-alive, pipelining, half-close, limits
/// and the connection deadlines.
@Suite(.serialized) struct IntakeListenerTests {
    /// Sends `bytes`, half-closes, and reads until the gate closes: every answer it wrote.
    static func exchange(port: Int, _ bytes: [UInt8], halfClose: Bool = true, timeout: Double = 10) async throws -> (
        answers: [RawHTTP.Response], closed: Bool
    ) {
        try await RawHTTP.onThread {
            let fd = try RawHTTP.connect(port: port, timeout: timeout)
            defer { close(fd) }
            try RawHTTP.sendAll(fd, bytes)
            if halfClose { shutdown(fd, Int32(SHUT_WR)) }
            var buffer = [UInt8]()
            var chunk = [UInt8](repeating: 0, count: 65536)
            var closed = false
            while true {
                let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count == 0 { closed = true }
                if count <= 0 { break }
                buffer += chunk[0..<count]
            }
            return (try split(buffer), closed)
        }
    }

    /// The answers in `buffer`, each framed by its Content-Length.
    static func split(_ buffer: [UInt8]) throws -> [RawHTTP.Response] {
        var answers: [RawHTTP.Response] = []
        var rest = buffer[...]
        while let end = RawHTTP.find(Array(rest), Array("\r\n\r\n".utf8)) {
            let head = String(decoding: rest.prefix(end), as: UTF8.self)
            let lines = head.split(separator: "\r\n")
            let status = Int(lines[0].split(separator: " ")[1]) ?? 0
            let headers = lines.dropFirst().compactMap { line -> (String, String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            let length = Int(headers.first { $0.0.lowercased() == "content-length" }?.1 ?? "0") ?? 0
            let start = rest.startIndex + end + 4
            answers.append(RawHTTP.Response(status: status, headers: headers, body: Array(rest[start..<(start + length)])))
            rest = rest[(start + length)...]
        }
        return answers
    }

    static func post(_ path: String, _ body: [UInt8], headers: [(String, String)] = [], version: String = "1.1") -> [UInt8] {
        var head = "POST \(path) HTTP/\(version)\r\nHost: gate\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        return Array((head + "\r\n").utf8) + body
    }

    @Test func everyAnswerCarriesTheRequestIDAndADate() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let body = Signer.plaidBody()
            let port = harness.publicPort
            let accepted = try await harness.post(
                "/webhooks/plaid", body: body, headers: [("Plaid-Verification", try Signer.token(body: body)), ("X-Request-Id", "caller-1")])
            let refused = try await harness.post("/webhooks/plaid", body: body, headers: [("X-Request-Id", "caller-2")])
            let missing = try await RawHTTP.request(port: port, method: "GET", path: "/nowhere", headers: [("X-Request-Id", "caller-3")])
            let wrongMethod = try await RawHTTP.request(port: port, method: "GET", path: "/webhooks/plaid", headers: [("X-Request-Id", "caller-4")])
            let insane = try await harness.post("/webhooks/plaid", body: body, headers: [("X-Request-Id", String(repeating: "x", count: 200))])
            #expect(accepted.status == 200 && accepted.header("X-Request-Id") == "caller-1")
            #expect(refused.status == 401 && refused.header("X-Request-Id") == "caller-2")
            #expect(missing.status == 404 && missing.header("X-Request-Id") == "caller-3" && missing.text == #"{"error":"not_found"}"#)
            #expect(wrongMethod.status == 405 && wrongMethod.header("Allow") == "POST" && wrongMethod.header("X-Request-Id") == "caller-4")
            #expect(wrongMethod.text == #"{"error":"method_not_allowed"}"#)
            #expect(missing.header("Content-Type") == "application/json" && wrongMethod.header("Content-Type") == "application/json")
            // An insane caller id (over 128 bytes) is replaced by a fresh one.
            #expect(insane.header("X-Request-Id")?.count == 24 && insane.header("X-Request-Id")?.allSatisfy(\.isHexDigit) == true)
            for answer in [accepted, refused, missing, wrongMethod, insane] {
                #expect(answer.header("Date")?.hasSuffix(" GMT") == true)
            }
            let stored = try #require(try await harness.gate.store.event(provider: .plaid, eventID: "sha256:" + SHA256.hexHash(body)))
            #expect(stored.requestID == "caller-1")
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderOnOneConnection() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let bodies = (0..<3).map { _ in Signer.plaidBody() }
            var bytes: [UInt8] = []
            for (n, body) in bodies.enumerated() {
                bytes += Self.post(
                    "/webhooks/plaid", body, headers: [("Plaid-Verification", try Signer.token(body: body)), ("X-Request-Id", "pipelined-\(n)")])
                bytes += Array("GET /nowhere HTTP/1.1\r\nHost: gate\r\nX-Request-Id: missing-\(n)\r\n\r\n".utf8)
            }
            bytes += Self.post(
                "/webhooks/plaid", bodies[0], headers: [("Plaid-Verification", try Signer.token(body: bodies[0])), ("X-Request-Id", "again")])
            // Sent in one write and half-closed: every answer comes back, in order, then the gate closes.
            let (answers, closed) = try await Self.exchange(port: harness.publicPort, bytes)
            #expect(answers.map(\.status) == [200, 404, 200, 404, 200, 404, 200])
            #expect(
                answers.map { $0.header("X-Request-Id") ?? "" } == [
                    "pipelined-0", "missing-0", "pipelined-1", "missing-1", "pipelined-2", "missing-2", "again",
                ])
            #expect(answers.last?.text.contains("\"status\":\"duplicate\"") == true)
            #expect(closed)
            #expect(try await harness.gate.store.size().events == 3)
        }
    }

    @Test func keepAliveUnlessTheClientSaysOtherwise() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let port = harness.publicPort
            let body = Signer.plaidBody()
            let token = try Signer.token(body: body)
            // HTTP/1.1 without half-close: answered and kept open (the read times out, nothing closed).
            let (kept, keptClosed) = try await Self.exchange(
                port: port, Self.post("/webhooks/plaid", body, headers: [("Plaid-Verification", token)]), halfClose: false, timeout: 1)
            #expect(kept.map(\.status) == [200] && !keptClosed && kept[0].header("Connection") == nil)
            // HTTP/1.0 without keep-alive, and HTTP/1.1 with Connection: close: answered, then closed.
            for request in [
                Self.post("/webhooks/plaid", body, headers: [("Plaid-Verification", token)], version: "1.0"),
                Self.post("/webhooks/plaid", body, headers: [("Plaid-Verification", token), ("Connection", "close")]),
            ] {
                let (answers, closed) = try await Self.exchange(port: port, request, halfClose: false, timeout: 5)
                #expect(answers.map(\.status) == [200] && closed && answers[0].header("Connection") == "close")
            }
        }
    }

    @Test func routesIgnoreTheQueryAndEmptySegmentsButNotCase() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let port = harness.publicPort
            for path in ["/webhooks/plaid/", "/webhooks/plaid?source=test", "//webhooks//plaid", "http://gate/webhooks/plaid"] {
                let body = Signer.plaidBody()
                let answer = try await RawHTTP.request(
                    port: port, path: path, headers: [("Plaid-Verification", try Signer.token(body: body))], body: body)
                #expect(answer.status == 200, "\(path)")
            }
            for path in ["/Webhooks/plaid", "/webhooks/plaid/extra", "/webhooks"] {
                let answer = try await RawHTTP.request(port: port, path: path, body: Signer.plaidBody())
                #expect(answer.status == 404, "\(path)")
            }
        }
    }

    @Test func aChunkedBodyOverTheLimitIsRefusedAndTheConnectionClosed() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in  // max_body_bytes: 4096
            var bytes = Array("POST /webhooks/plaid HTTP/1.1\r\nHost: gate\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
            for _ in 0..<5 { bytes += Array("400\r\n".utf8) + [UInt8](repeating: 0x20, count: 1024) + Array("\r\n".utf8) }
            let (answers, closed) = try await Self.exchange(port: harness.publicPort, bytes, halfClose: false, timeout: 5)
            #expect(answers.map(\.status) == [413])
            #expect(answers.first?.text == #"{"error":"body_too_large"}"#)
            #expect(answers.first?.header("Connection") == "close")
            #expect(closed)
            #expect(try await harness.gate.store.size().events == 0)
        }
    }

    @Test func idleAndTricklingConnectionsAreClosedAfterTheReadTimeout() async throws {
        try await withGate(yaml: TestConfig.pinned().replacingOccurrences(of: "read_timeout: 3", with: "read_timeout: 1")) { harness in
            let port = harness.publicPort
            let started = ContinuousClock.now
            // Nothing sent, then a head trickled one byte every 300 ms: both closed without an answer after read_timeout + 2 s.
            let idle = Task { try await Self.exchange(port: port, [], halfClose: false, timeout: 10) }
            let trickle = Task {
                try await RawHTTP.onThread { () -> Bool in
                    let fd = try RawHTTP.connect(port: port, timeout: 10)
                    defer { close(fd) }
                    for byte in Array("POST /webhooks/plaid HTTP/1.1\r\nHost: gate\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaa".utf8) {
                        let sent = withUnsafePointer(to: byte) { send(fd, $0, 1, Int32(MSG_NOSIGNAL)) }
                        if sent <= 0 { return true }
                        usleep(300_000)  // timeout under test
                    }
                    var chunk = [UInt8](repeating: 0, count: 16)
                    return recv(fd, &chunk, 16, 0) == 0
                }
            }
            let (answers, closed) = try await idle.value
            #expect(answers.isEmpty && closed)
            #expect(try await trickle.value)
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= .seconds(2.5) && elapsed < .seconds(9), "closed after \(elapsed)")
        }
    }

    @Test func connectionsPastMaxConnectionsWaitForAFreeSlot() async throws {
        try await withGate(
            yaml: TestConfig.pinned().replacingOccurrences(of: "read_timeout: 3", with: "read_timeout: 3\n  max_connections: 16")) { harness in
            let port = harness.publicPort
            let held = try await RawHTTP.onThread { try (0..<16).map { _ in try RawHTTP.connect(port: port) } }  // the minimum max_connections
            // The gate has accepted all 16: the kernel's backlog is empty.
            #expect(await eventually { KernelSockets.backlog(port: port) == 0 })
            let body = Signer.plaidBody()
            let request = Self.post("/webhooks/plaid", body, headers: [("Plaid-Verification", try Signer.token(body: body))])
            let answered = Flag()
            let fd = try await RawHTTP.onThread { try RawHTTP.connect(port: port) }
            try await RawHTTP.onThread { try RawHTTP.sendAll(fd, request) }
            let seventeenth = Task {
                try await RawHTTP.onThread { () -> RawHTTP.Response in
                    defer { close(fd) }
                    let answer = try RawHTTP.readResponse(fd)
                    answered.set()
                    return answer
                }
            }
            // The 17th stays in the kernel's backlog, its request unread, while 16 are open.
            #expect(await eventually { KernelSockets.backlog(port: port) == 1 })
            #expect(KernelSockets.unread(serverPort: port, client: fd) == request.count)
            #expect(!answered.isSet, "a 17th connection was served while 16 were open")
            close(held[0])
            let answer = try await seventeenth.value
            #expect(answer.status == 200)
            for fd in held.dropFirst() { close(fd) }
        }
    }

    @Test func gracefulShutdownFinishesTheRequestUnderWay() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookgate-test-\(UUID().uuidString)")
        try await withGate(yaml: TestConfig.pinned(), directory: directory) { harness in
            let port = harness.publicPort
            let body = Signer.plaidBody()
            let token = try Signer.token(body: body)
            let request = Self.post("/webhooks/plaid", body, headers: [("Plaid-Verification", token)])
            let half = request.count - body.count / 2
            // Half the body is sent, then shutdown begins, then the rest: the request is answered and its connection closed.
            let fd = try await RawHTTP.onThread { try RawHTTP.connect(port: port) }
            try await RawHTTP.onThread { try RawHTTP.sendAll(fd, Array(request[..<half])) }
            #expect(await eventually { KernelSockets.unread(serverPort: port, client: fd) == 0 }, "the gate read the first half")
            let stopping = Task { try await harness.stop() }
            // The public listener has begun its shutdown: it no longer listens.
            #expect(await eventually { KernelSockets.backlog(port: port) == nil })
            #expect(harness.gate.server.readiness.isShuttingDown)
            let (answer, closedAfter) = try await RawHTTP.onThread { () -> (RawHTTP.Response, Bool) in
                defer { close(fd) }
                try RawHTTP.sendAll(fd, Array(request[half...]))
                let answer = try RawHTTP.readResponse(fd)
                var byte: UInt8 = 0
                return (answer, recv(fd, &byte, 1, 0) == 0)
            }
            #expect(answer.status == 200 && answer.text.contains("\"status\":\"accepted\""))
            #expect(closedAfter)
            try await stopping.value
            // Stored: a gate on the same database answers the same webhook `duplicate`.
            try await withGate(yaml: TestConfig.pinned(), directory: directory) { again async throws in
                #expect(try await again.post("/webhooks/plaid", body: body, headers: [("Plaid-Verification", token)]).text.contains("duplicate"))
            }
        }
    }

    @Test func twentyThousandPipelinedRequestsBehindAWebhookAreAnsweredWithoutNesting() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let body = Signer.plaidBody()
            var bytes = Self.post("/webhooks/plaid", body, headers: [("Plaid-Verification", try Signer.token(body: body))])
            // While the webhook commits, NIO buffers what follows; writing its answer hands them all in at once.
            let count = 20_000
            for _ in 0..<count { bytes += Array("GET /nowhere HTTP/1.1\r\nHost: g\r\n\r\n".utf8) }
            let (answers, closed) = try await Self.exchange(port: harness.publicPort, bytes, timeout: 30)
            #expect(answers.count == count + 1)
            #expect(answers.first?.status == 200)
            #expect(answers.dropFirst().allSatisfy { $0.status == 404 })
            #expect(closed)
        }
    }

    @Test func aHalfCloseAfterPipelinedRequestsLosesNoAnswer() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let body = Signer.plaidBody()
            // The 404 is answered while the webhook's answer is being written; the half-close comes after both.
            let bytes =
                Self.post("/webhooks/plaid", body, headers: [("Plaid-Verification", try Signer.token(body: body))])
                + Array("GET /nowhere HTTP/1.1\r\nHost: g\r\n\r\n".utf8)
            for _ in 0..<20 {
                let (answers, closed) = try await Self.exchange(port: harness.publicPort, bytes)
                #expect(answers.map(\.status) == [200, 404])
                #expect(closed)
            }
        }
    }

    @Test func aBodyCutOffByAHalfCloseIsMalformed() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let head = Array("POST /webhooks/plaid HTTP/1.1\r\nHost: g\r\nContent-Length: 100\r\nX-Request-Id: cut-1\r\n\r\n{\"webhook".utf8)
            let (answers, closed) = try await Self.exchange(port: harness.publicPort, head)
            #expect(answers.map(\.status) == [400])
            #expect(answers.first?.text == #"{"error":"malformed_body"}"#)
            #expect(answers.first?.header("X-Request-Id") == "cut-1")
            #expect(closed)
        }
    }

    @Test func nothingAfterConnectionCloseIsRead() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let first = Signer.plaidBody()
            let second = Signer.plaidBody()
            let bytes =
                Self.post("/webhooks/plaid", first, headers: [("Plaid-Verification", try Signer.token(body: first)), ("Connection", "close")])
                + Self.post("/webhooks/plaid", second, headers: [("Plaid-Verification", try Signer.token(body: second))])
            let (answers, closed) = try await Self.exchange(port: harness.publicPort, bytes, halfClose: false)
            #expect(answers.map(\.status) == [200])
            #expect(closed)
            // The second webhook was neither answered nor stored: its sender will retry it.
            #expect(try await harness.gate.store.event(provider: .plaid, eventID: "sha256:" + SHA256.hexHash(second)) == nil)
            #expect(try await harness.gate.store.size().events == 1)
        }
    }

    /// Reads until the end of one answer's head: the interim `100 Continue` has no body.
    static func readHead(_ fd: Int32) throws -> String {
        var buffer = [UInt8]()
        var byte: UInt8 = 0
        while RawHTTP.find(buffer, Array("\r\n\r\n".utf8)) == nil {
            guard recv(fd, &byte, 1, 0) == 1 else { throw RawHTTP.Failure(description: "closed after \(buffer.count) bytes") }
            buffer.append(byte)
        }
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Seconds from `started` until the gate closes `fd` (reads and drops whatever comes first).
    static func secondsUntilClosed(_ fd: Int32, since started: ContinuousClock.Instant) -> Double {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while chunk.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, 0) }) > 0 {}
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    @Test func expectContinueIsAnsweredOnceTheHeadIsAdmitted() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in  // max_body_bytes: 4096
            let port = harness.publicPort
            let body = Signer.plaidBody()
            let token = try Signer.token(body: body)
            let (interim, final) = try await RawHTTP.onThread {
                let fd = try RawHTTP.connect(port: port, timeout: 5)
                defer { close(fd) }
                // The head alone: the body follows only after `100 Continue`.
                let head =
                    "POST /webhooks/plaid HTTP/1.1\r\nHost: g\r\nContent-Length: \(body.count)\r\nPlaid-Verification: \(token)\r\nExpect: 100-continue\r\n\r\n"
                try RawHTTP.sendAll(fd, Array(head.utf8))
                let interim = try Self.readHead(fd)
                try RawHTTP.sendAll(fd, body)
                return (interim, try RawHTTP.readResponse(fd))
            }
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue\r\n"))
            #expect(final.status == 200 && final.text.contains("\"status\":\"accepted\"") && final.header("Connection") == nil)
            #expect(try await harness.gate.store.size().events == 1)
            // HTTP/1.0 expectations are ignored: the body is sent with the head and answered once.
            let other = Signer.plaidBody()
            let (answers, _) = try await Self.exchange(
                port: port,
                Self.post(
                    "/webhooks/plaid", other, headers: [("Plaid-Verification", try Signer.token(body: other)), ("Expect", "100-continue")], version: "1.0"
                ))
            #expect(answers.map(\.status) == [200])
        }
    }

    @Test func expectContinueRefusedFromTheHeadGetsTheFinalAnswerAndACloseSoonAfter() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in  // max_body_bytes: 4096
            let port = harness.publicPort
            // 404 and 405 would keep the connection alive without the expectation; 413 closes it anyway.
            for (method, path, length, status) in [
                ("POST", "/nowhere", 100, 404), ("PUT", "/webhooks/plaid", 100, 405), ("POST", "/webhooks/plaid", 5000, 413),
            ] {
                let (answer, seconds) = try await RawHTTP.onThread {
                    let fd = try RawHTTP.connect(port: port, timeout: 5)
                    defer { close(fd) }
                    let started = ContinuousClock.now
                    try RawHTTP.sendAll(
                        fd, Array("\(method) \(path) HTTP/1.1\r\nHost: g\r\nContent-Length: \(length)\r\nExpect: 100-continue\r\n\r\n".utf8))
                    let answer = try RawHTTP.readResponse(fd)
                    return (answer, Self.secondsUntilClosed(fd, since: started))
                }
                // No `100 Continue`: the final answer comes first, says it closes, and the gate closes 200 ms later without waiting for a body.
                #expect(answer.status == status && answer.header("Connection") == "close", "\(method) \(path)")
                #expect(seconds >= 0.19 && seconds < 3, "\(method) \(path): closed after \(seconds) s")
            }
        }
    }

    @Test func anEarlyAnswerToARequestThatClosesLeavesTheClientTimeToReadIt() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let port = harness.publicPort
            // HTTP/1.0 (no keep-alive): answered 404 from the head while its body is still to come.
            let (answer, seconds) = try await RawHTTP.onThread {
                let fd = try RawHTTP.connect(port: port, timeout: 5)
                defer { close(fd) }
                let started = ContinuousClock.now
                try RawHTTP.sendAll(fd, Array("POST /nowhere HTTP/1.0\r\nContent-Length: 1000\r\n\r\n".utf8))
                let answer = try RawHTTP.readResponse(fd)
                return (answer, Self.secondsUntilClosed(fd, since: started))
            }
            // Closed 200 ms after the answer, not at once: a close while the body arrives could reset the answer away.
            #expect(answer.status == 404 && answer.header("Connection") == "close")
            #expect(seconds >= 0.19 && seconds < 3, "closed after \(seconds) s")
        }
    }

    @Test func aBodyCutOffByAResetIsCountedMalformedAndNothingIsStored() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let port = harness.publicPort
            let body = Signer.plaidBody()
            let token = try Signer.token(body: body)
            var head = Self.post("/webhooks/plaid", body, headers: [("Plaid-Verification", token)])
            head.removeLast(body.count / 2)
            let sent = head
            let fd = try await RawHTTP.onThread {
                let fd = try RawHTTP.connect(port: port, timeout: 5)
                try RawHTTP.sendAll(fd, sent)
                return fd
            }
            // The reset comes once the gate has read what was sent.
            #expect(await eventually { KernelSockets.unread(serverPort: port, client: fd) == 0 })
            try await RawHTTP.onThread {
                // SO_LINGER 0: close() sends a reset instead of a FIN.
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                close(fd)
            }
            let figures = harness.gate.server.metrics.figures
            let counted = await eventuallyValue(seconds: 5) { () -> Int64? in
                let counted = figures.counter("hookgate_webhooks_total", [("provider", "plaid"), ("outcome", "malformed_body")])
                return counted == 0 ? nil : counted
            }
            #expect(counted == 1)
            #expect(try await harness.gate.store.size().events == 0)
        }
    }
}
