import Foundation
import HookGateHTTPClient
import Testing

/// Issue 24: the one outbound client, on real loopback servers. Its `http://` transport
/// caps the connections it opens per host (not only the idle ones) and sends a request
/// once more only when a kept-alive connection was dropped before any byte of answer.
@Suite struct OutboundHTTPClientTests {
    @Test func concurrentRequestsNeverOpenMoreConnectionsThanTheCap() async throws {
        let answers = Latch()
        let server = try KeepAliveServer(hold: answers)
        defer { server.stop() }
        let client = OutboundHTTPClient(connectionsPerHost: 2)
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            defer { answers.open() }
            for index in 0..<8 {
                group.addTask {
                    try await client.send(.POST, url: server.url, headers: [], body: Array("request \(index)".utf8), limit: 1024, timeout: 20).status
                }
            }
            // With the answers held, two requests reach the server and six wait for a connection.
            #expect(await eventually { server.figures.requests == 2 })
            #expect(server.figures.open == 2)
            answers.open()
            return try await group.reduce(into: []) { $0.append($1) }
        }
        await client.shutdown()
        #expect(statuses == Array(repeating: 200, count: 8))
        let figures = server.figures
        #expect(figures.answered == 8)
        #expect(figures.accepted <= 2, "accepted \(figures.accepted) connections")
        #expect(figures.mostOpen <= 2)
    }

    @Test func aRequestWaitingForAConnectionGivesUpAtItsDeadline() async throws {
        let answers = Latch()
        let server = try KeepAliveServer(hold: answers)
        defer { server.stop() }
        let client = OutboundHTTPClient(connectionsPerHost: 1)
        async let first = client.send(.POST, url: server.url, headers: [], body: [], limit: 1024, timeout: 10)
        // The first request holds the only connection, unanswered, while the second waits.
        #expect(await eventually { server.figures.requests == 1 })
        let started = ContinuousClock.now
        await #expect(throws: OutboundHTTPClient.Failure.self) {
            _ = try await client.send(.POST, url: server.url, headers: [], body: [], limit: 1024, timeout: 0.5)
        }
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(450) && waited < .seconds(5), "gave up after \(waited)")
        answers.open()
        #expect(try await first.status == 200)
        await client.shutdown()
        #expect(server.figures.accepted == 1)
        #expect(server.figures.answered == 1)
    }

    @Test func aKeptAliveConnectionDroppedUnansweredIsRetriedOnceOnANewOne() async throws {
        let server = try KeepAliveServer(second: .closeUnanswered)
        defer { server.stop() }
        let client = OutboundHTTPClient(connectionsPerHost: 4)
        #expect(try await client.send(.POST, url: server.url, headers: [], body: Array("one".utf8), limit: 1024, timeout: 10).status == 200)
        let second = try await client.send(.POST, url: server.url, headers: [], body: Array("two".utf8), limit: 1024, timeout: 10)
        await client.shutdown()
        #expect(second.status == 200)
        #expect(second.body == Array("ok".utf8))
        let figures = server.figures
        #expect(figures.dropped == 1)
        #expect(figures.answered == 2, "each request processed once")
        #expect(figures.accepted == 2)
    }

    @Test func aRequestThatGotPartOfAnAnswerIsNeverSentAgain() async throws {
        let server = try KeepAliveServer(second: .closeMidAnswer)
        defer { server.stop() }
        let client = OutboundHTTPClient(connectionsPerHost: 4)
        #expect(try await client.send(.POST, url: server.url, headers: [], body: [], limit: 1024, timeout: 10).status == 200)
        await #expect(throws: OutboundHTTPClient.Failure.self) {
            _ = try await client.send(.POST, url: server.url, headers: [], body: [], limit: 1024, timeout: 10)
        }
        await client.shutdown()
        #expect(server.figures.dropped == 1)
        #expect(server.figures.accepted == 1, "no second connection, no second send")
    }

    @Test func aNewConnectionThatFailsIsNotRetried() async throws {
        let server = try KeepAliveServer(second: .answer)
        server.stop()
        let client = OutboundHTTPClient(connectionsPerHost: 1)
        await #expect(throws: OutboundHTTPClient.Failure.self) {
            _ = try await client.send(.GET, url: server.url, headers: [], body: [], limit: 1024, timeout: 5)
        }
        await client.shutdown()
        #expect(server.figures.accepted == 0)
    }

    @Test func anAnswerOverTheLimitFailsOrIsCut() async throws {
        let server = try KeepAliveServer()
        defer { server.stop() }
        let client = OutboundHTTPClient(connectionsPerHost: 1)
        await #expect(throws: OutboundHTTPClient.Failure.self) {
            _ = try await client.send(.GET, url: server.url, headers: [], body: [], limit: 1, overflow: .fail, timeout: 5)
        }
        let cut = try await client.send(.GET, url: server.url, headers: [], body: [], limit: 1, overflow: .discard, timeout: 5)
        await client.shutdown()
        #expect(cut.status == 200)
        #expect(cut.body == Array("o".utf8))
    }

    /// `https://` goes to AsyncHTTPClient, which speaks TLS: a plain HTTP server sees the
    /// connection and the exchange fails (no local TLS server here: the façade trusts only
    /// the system's roots, so an https answer is not tested end to end).
    @Test func httpsGoesThroughTLSAndOtherSchemesAreRefused() async throws {
        let server = try KeepAliveServer()
        defer { server.stop() }
        let client = OutboundHTTPClient(connectionsPerHost: 1, retryConnecting: false)
        await #expect(throws: OutboundHTTPClient.Failure.self) {
            _ = try await client.send(.GET, url: "https://127.0.0.1:\(server.port)/hooks", headers: [], body: [], limit: 1024, timeout: 2)
        }
        await #expect(throws: OutboundHTTPClient.Failure.self) {
            _ = try await client.send(.GET, url: "ftp://127.0.0.1:\(server.port)/hooks", headers: [], body: [], limit: 1024, timeout: 5)
        }
        await client.shutdown()
        #expect(server.figures.accepted == 1)
        #expect(server.figures.answered == 0)
    }
}
