import HookGateCore
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Synchronization
import Testing

@testable import HookGateServer

/// ``IntakeHandler`` on a `NIOAsyncTestingChannel` (its event loop is a queue of its own,
/// so the store's completions may come from any thread, as in the gate), with a store that commits only when the
/// test says so: what arrives while a webhook is stored waits, in order, and holds the
/// connection's reads; a connection keeps reading while its client waits for the answer;
/// graceful shutdown closes idle connections at once and busy ones after their answer.
@Suite struct IntakeHandlerTests {
    /// A store whose commits complete when ``commitAll()`` is called.
    final class HeldStore: EventStore {
        private let held = Mutex<[@Sendable (Result<StoreOutcome, HookGateError>) -> Void]>([])

        var waiting: Int { held.withLock { $0.count } }

        /// Completes every held commit `accepted`.
        func commitAll() {
            let completions = held.withLock { held in
                defer { held.removeAll() }
                return held
            }
            for completion in completions { completion(.success(.accepted)) }
        }

        func store(_ event: IncomingEvent) async throws(HookGateError) -> StoreOutcome { .accepted }
        func store(_ event: IncomingEvent, completion: @escaping @Sendable (Result<StoreOutcome, HookGateError>) -> Void) {
            held.withLock { $0.append(completion) }
        }
        func prune(receivedBefore cutoff: Int64) async throws -> Int { 0 }
        func writeProblem() async -> String? { nil }
        func run() async throws {}
        func waitUntilRunning() async {}
    }

    struct Connection {
        let channel: NIOAsyncTestingChannel
        let store: HeldStore
        let reads: ReadCounter

        init() async throws {
            let store = HeldStore()
            let settings = GateConfiguration.ProviderSettings(provider: .ledgersync, path: "/webhooks/ledgersync", verification: .none)
            let intake = WebhookIntake(
                settings: settings, verifier: WebhookVerifier(provider: .ledgersync, scheme: .none), store: store, maxBodyBytes: 65536,
                matcher: HandlerMatcher(handlers: []))
            let routes = IntakeRoutes([(path: "/webhooks/ledgersync", intake: intake)], resolver: ClientAddressResolver(trustedProxies: []))
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let log = IntakeLog(metrics: GateMetrics(), logger: logger)
            let channel = NIOAsyncTestingChannel()
            try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000)).get()
            let reads = ReadCounter()
            try await channel.testingEventLoop.executeInContext {
                try channel.pipeline.syncOperations.addHandler(reads)
                try channel.pipeline.syncOperations.addHandler(IntakeHandler(routes: routes, log: log, readTimeout: 10))
            }
            (self.channel, self.store, self.reads) = (channel, store, reads)
        }

        /// Asks the channel to read, on its event loop; returns once the handlers have seen it.
        func read() async throws {
            let channel = channel
            try await channel.testingEventLoop.executeInContext { channel.read() }
        }

        /// Graceful shutdown's event, on the channel's event loop.
        func quiesce() async throws {
            let channel = channel
            try await channel.testingEventLoop.executeInContext { channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
        }

        /// Hands in one request, as NIO's decoder would.
        func send(_ uri: String, method: HTTPMethod = .POST, body: String? = nil, id: String, close: Bool = false) async throws {
            var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri)
            head.headers.add(name: "X-Request-Id", value: id)
            if let body { head.headers.add(name: "Content-Length", value: String(body.utf8.count)) }
            if close { head.headers.add(name: "Connection", value: "close") }
            try await channel.writeInbound(HTTPServerRequestPart.head(head))
            if let body { try await channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(string: body))) }
            try await channel.writeInbound(HTTPServerRequestPart.end(nil))
        }

        /// The answers written so far: status and request id of each.
        func answers() async throws -> [(status: UInt, id: String, connection: String?)] {
            var answers: [(UInt, String, String?)] = []
            while let part = try await channel.readOutbound(as: HTTPServerResponsePart.self) {
                if case .head(let head) = part {
                    answers.append((head.status.code, head.headers.first(name: "X-Request-Id") ?? "", head.headers.first(name: "Connection")))
                }
            }
            return answers
        }

        /// Waits until the intake task has handed `count` events to the store.
        func waitForCommits(_ count: Int) async throws {
            try #require(await eventually { store.waiting >= count })
            try #require(store.waiting == count)
        }

        /// Commits what waits, then runs the event loop until `count` answers are written,
        /// and returns them.
        func commit(answers count: Int) async throws -> [(status: UInt, id: String, connection: String?)] {
            store.commitAll()
            var written: [(status: UInt, id: String, connection: String?)] = []
            _ = try await eventually {
                await channel.testingEventLoop.run()
                written += try await answers()
                return written.count >= count
            }
            return written
        }
    }

    static let event = #"{"eventId":"e-1","eventType":"invoice.paid"}"#

    @Test func requestsBehindAStoredWebhookWaitInOrderAndHoldReads() async throws {
        let connection = try await Connection()
        try await connection.read()
        #expect(connection.reads.reads == 1)
        try await connection.send("/webhooks/ledgersync", body: Self.event, id: "first")
        try await connection.waitForCommits(1)
        // While it is stored, the client waits: reading goes on, nothing is held.
        try await connection.read()
        #expect(connection.reads.reads == 2)
        // Pipelined behind it: a 404 and a second webhook wait; so does the next read.
        try await connection.send("/nowhere", method: .GET, id: "missing")
        try await connection.send("/webhooks/ledgersync", body: Self.event, id: "second")
        try await connection.read()
        #expect(connection.reads.reads == 2)
        #expect(try await connection.answers().isEmpty)
        // The first is answered, then the 404; the second webhook is being stored and
        // nothing waits behind it any more: the held read goes through.
        let answered = try await connection.commit(answers: 2)
        try await connection.waitForCommits(1)
        #expect(answered.map(\.id) == ["first", "missing"])
        #expect(connection.reads.reads == 3)
        let last = try await connection.commit(answers: 1)
        #expect(last.map(\.status) == [200])
        #expect(last.map(\.id) == ["second"])
        #expect(connection.reads.reads == 3)
        #expect(connection.channel.isActive)
        _ = try await connection.channel.finish()
    }

    @Test func gracefulShutdownClosesAnIdleConnectionAtOnce() async throws {
        let connection = try await Connection()
        try await connection.send("/nowhere", method: .GET, id: "before")
        #expect(try await connection.answers().map(\.status) == [404])
        #expect(connection.channel.isActive)
        try await connection.quiesce()
        #expect(!connection.channel.isActive)
    }

    @Test func gracefulShutdownClosesABusyConnectionAfterItsAnswerAndDropsWhatFollows() async throws {
        let connection = try await Connection()
        try await connection.send("/webhooks/ledgersync", body: Self.event, id: "under-way")
        try await connection.waitForCommits(1)
        try await connection.send("/nowhere", method: .GET, id: "pipelined")
        try await connection.quiesce()
        #expect(connection.channel.isActive)
        let answers = try await connection.commit(answers: 1)
        #expect(answers.map(\.id) == ["under-way"])
        #expect(answers.first?.connection == "close")
        #expect(!connection.channel.isActive)
    }
}
