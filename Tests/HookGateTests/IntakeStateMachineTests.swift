import HookGateCore
import NIOCore
import NIOHTTP1
import Testing

@testable import HookGateServer

/// ``IntakeStateMachine`` alone, without a channel: each state (idle, reading, skipping,
/// storing, writing an answer, with requests waiting) against each event that matters to
/// it, and the exact actions it returns. Actions are compared through ``summary``: the
/// deadline, the log line (outcome and status), then the output (an answer's status,
/// code, closing and request id).
@Suite struct IntakeStateMachineTests {
    typealias Machine = IntakeStateMachine

    static let path = "/webhooks/ledgersync"
    static let limit = 64

    static func machine(readTimeout: Int = 10) -> Machine {
        let settings = GateConfiguration.ProviderSettings(provider: .ledgersync, path: path, verification: .none)
        let intake = WebhookIntake(
            settings: settings, verifier: WebhookVerifier(provider: .ledgersync, scheme: .none), store: IntakeHandlerTests.HeldStore(),
            maxBodyBytes: limit, matcher: HandlerMatcher(handlers: []))
        let routes = IntakeRoutes([(path: path, intake: intake)], resolver: ClientAddressResolver(trustedProxies: []))
        var machine = Machine(routes: routes, readTimeout: readTimeout)
        #expect(machine.added(peer: nil, allocator: ByteBufferAllocator()).summary == "armIdle")
        return machine
    }

    static func head(
        _ uri: String = path, method: HTTPMethod = .POST, id: String, length: Int? = nil, close: Bool = false, version: HTTPVersion = .http1_1,
        expect: Bool = false
    ) -> Machine.Inbound {
        var head = HTTPRequestHead(version: version, method: method, uri: uri)
        head.headers.add(name: "X-Request-Id", value: id)
        if let length { head.headers.add(name: "Content-Length", value: String(length)) }
        if close { head.headers.add(name: "Connection", value: "close") }
        if expect { head.headers.add(name: "Expect", value: "100-continue") }
        return .part(.head(head))
    }

    static func body(_ text: String) -> Machine.Inbound { .part(.body(ByteBuffer(string: text))) }
    static let end = Machine.Inbound.part(.end(nil))
    static let parseError = Machine.Inbound.failed(HTTPParserError.invalidCharactersUsed)
    static let reset = Machine.Inbound.failed(IOError(errnoCode: 104, reason: "read"))

    /// A machine whose webhook `id` has been read to its end and handed to the store; returns the log entry the store's answer takes.
    static func storing(_ machine: inout Machine, id: String = "w", close: Bool = false) -> IntakeLog.Entry? {
        _ = machine.receive(head(id: id, length: 2, close: close))
        _ = machine.receive(body("{}"))
        let action = machine.receive(end)
        #expect(action.summary == "cancel, store {}")
        return reading(action)?.entry
    }

    static func reading(_ action: Machine.Action) -> Machine.Reading? {
        if case .store(let reading) = action.output { return reading }
        return nil
    }

    static let accepted = Result<(String, StoreOutcome), HookGateError>.success(("e-1", .accepted))

    // MARK: idle

    @Test func idleWebhookIsReadThenStoredThenAnsweredAndKeptAlive() throws {
        var machine = Self.machine()
        #expect(machine.receive(Self.head(id: "a", length: 2)).summary == "armBody")
        #expect(machine.receive(Self.body("{")).summary == "")
        #expect(machine.receive(Self.body("}")).summary == "")
        let stored = machine.receive(Self.end)
        #expect(stored.summary == "cancel, store {}")
        let reading = try #require(Self.reading(stored))
        #expect(reading.entry.requestID == "a" && reading.path == Self.path && reading.allHeaders == nil)
        #expect(machine.stored(Self.accepted, entry: reading.entry).summary == "armIdle, log accepted 200, answer 200 accepted e-1 keepAlive #a")
        #expect(machine.answerWritten().summary == "drain")
        #expect(machine.nextDeferred() == nil)
        #expect(machine.drained().summary == "")
    }

    @Test func idleUnknownPathIs404NotFoundAndTheRestOfItsBodyIsDropped() {
        var machine = Self.machine()
        #expect(machine.receive(Self.head("/nowhere", id: "n", length: 3)).summary == "armBody, answer 404 not_found keepAlive #n")
        #expect(machine.answerWritten().summary == "drain")
        #expect(machine.receive(Self.body("abc")).summary == "")
        #expect(machine.receive(Self.end).summary == "armIdle")
    }

    @Test func idleWrongMethodIs405MethodNotAllowed() {
        var machine = Self.machine()
        #expect(machine.receive(Self.head(method: .GET, id: "g")).summary == "armBody, answer 405 method_not_allowed keepAlive #g")
        #expect(machine.answerWritten().summary == "drain")
        #expect(machine.receive(Self.end).summary == "armIdle")
    }

    @Test func idleDeclaredLengthOverTheLimitIs413FromTheHeadAndClosesSoon() {
        var machine = Self.machine()
        let action = machine.receive(Self.head(id: "big", length: Self.limit + 1))
        #expect(action.summary == "armBody, log body_too_large 413, answer 413 body_too_large soonAfterAnswer #big")
    }

    @Test func idleExpectContinueIsAnsweredContinueOnceAdmittedAndClosesWhenRefused() {
        var machine = Self.machine()
        #expect(machine.receive(Self.head(id: "c", length: 2, expect: true)).summary == "armBody, continue")
        _ = machine.receive(Self.body("{}"))
        #expect(machine.receive(Self.end).summary == "cancel, store {}")
        var refused = Self.machine()
        #expect(refused.receive(Self.head("/nowhere", id: "r", expect: true)).summary == "armBody, answer 404 not_found soonAfterAnswer #r")
        // HTTP/1.0 expectations are ignored.
        var old = Self.machine()
        #expect(old.receive(Self.head(id: "o", length: 2, version: .http1_0, expect: true)).summary == "armBody")
    }

    @Test func idleRequestAskingToCloseIsAnsweredThenClosedAndWhatFollowsIsDropped() throws {
        var machine = Self.machine()
        let entry = try #require(Self.storing(&machine, id: "last", close: true))
        #expect(machine.stored(Self.accepted, entry: entry).summary == "log accepted 200, answer 200 accepted e-1 afterAnswer #last")
        #expect(machine.answerWritten().summary == "drain")
        #expect(machine.receive(Self.head(id: "dropped", length: 2)).summary == "")
        #expect(machine.receive(Self.body("{}")).summary == "")
        #expect(machine.receive(Self.end).summary == "")
        #expect(machine.receive(Self.parseError).summary == "close")
    }

    @Test func idleHalfCloseClosesAtOnce() {
        var machine = Self.machine()
        #expect(machine.receive(.inputClosed).summary == "close")
    }

    @Test func idleParseErrorIs400BadRequestThenClose() {
        var machine = Self.machine()
        let action = machine.receive(Self.parseError)
        #expect(action.summary.hasPrefix("answer 400 bad_request soonAfterAnswer #"))
        #expect(machine.answerWritten().summary == "drain")
    }

    @Test func idleResetClosesWithoutAWord() {
        var machine = Self.machine()
        #expect(machine.receive(Self.reset).summary == "close")
    }

    @Test func idleDeadlinesCloseOnlyAnIdleConnection() {
        var machine = Self.machine()
        #expect(machine.bodyDeadlineFired().summary == "")
        #expect(machine.idleDeadlineFired().summary == "close")
        _ = machine.receive(Self.head(id: "a", length: 2))
        #expect(machine.idleDeadlineFired().summary == "")
    }

    @Test func idleQuiesceClosesAtOnce() {
        var machine = Self.machine()
        #expect(machine.quiesce().summary == "close")
    }

    @Test func idleEndWithoutARequestCancelsTheDeadline() {
        var machine = Self.machine()
        #expect(machine.receive(Self.end).summary == "cancel")
        #expect(machine.receive(Self.body("x")).summary == "")
    }

    // MARK: reading

    @Test func readingBodyOverTheLimitIs413AndClosesSoon() {
        var machine = Self.machine()
        _ = machine.receive(Self.head(id: "chunked"))
        #expect(machine.receive(Self.body(String(repeating: "a", count: Self.limit))).summary == "")
        let action = machine.receive(Self.body("b"))
        #expect(action.summary == "log body_too_large 413, answer 413 body_too_large soonAfterAnswer #chunked")
        #expect(machine.answerWritten().summary == "drain")
        #expect(machine.receive(Self.body("more")).summary == "")
        #expect(machine.receive(Self.end).summary == "armIdle")
    }

    @Test func readingStalledBodyIs408AndTheSkippedRestClosesAtTheNextDeadline() {
        var machine = Self.machine(readTimeout: 3)
        _ = machine.receive(Self.head(id: "slow", length: 10))
        let action = machine.bodyDeadlineFired()
        #expect(action.summary == "log request_timeout 408, answer 408 request_timeout soonAfterAnswer #slow")
        #expect(action.log?.reason == "body not received within 3 s")
        #expect(machine.answerWritten().summary == "drain")
        #expect(machine.bodyDeadlineFired().summary == "close")
    }

    @Test func readingHalfCloseIs400MalformedBodyThenClose() {
        var machine = Self.machine()
        _ = machine.receive(Self.head(id: "cut", length: 10))
        _ = machine.receive(Self.body("{\"a"))
        #expect(machine.receive(.inputClosed).summary == "log malformed_body 400, answer 400 malformed_body afterAnswer #cut")
    }

    @Test func readingParseErrorIs400MalformedBodyThenClose() {
        var machine = Self.machine()
        _ = machine.receive(Self.head(id: "bad", length: 10))
        #expect(machine.receive(Self.parseError).summary == "log malformed_body 400, answer 400 malformed_body soonAfterAnswer #bad")
    }

    @Test func readingResetIsLoggedAsMalformedBodyAndCloses() {
        var machine = Self.machine()
        _ = machine.receive(Self.head(id: "reset", length: 10))
        #expect(machine.receive(Self.reset).summary == "log malformed_body 400, close")
    }

    @Test func readingQuiesceAnswersWithCloseAfterTheBody() throws {
        var machine = Self.machine()
        _ = machine.receive(Self.head(id: "q", length: 2))
        #expect(machine.quiesce().summary == "")
        _ = machine.receive(Self.body("{}"))
        let reading = try #require(Self.reading(machine.receive(Self.end)))
        #expect(machine.stored(Self.accepted, entry: reading.entry).summary == "log accepted 200, answer 200 accepted e-1 afterAnswer #q")
    }

    // MARK: skipping

    @Test func skippingHalfCloseClosesAndEndAfterHalfCloseOrQuiesceCloses() {
        var machine = Self.machine()
        _ = machine.receive(Self.head("/nowhere", id: "n", length: 5))
        _ = machine.answerWritten()
        #expect(machine.receive(.inputClosed).summary == "close")
        var quiescing = Self.machine()
        _ = quiescing.receive(Self.head("/nowhere", id: "n", length: 5))
        _ = quiescing.answerWritten()
        #expect(quiescing.quiesce().summary == "")
        #expect(quiescing.receive(Self.end).summary == "cancel, close")
    }

    @Test func skippingParseErrorAnswersAgainAndResetCloses() {
        var machine = Self.machine()
        _ = machine.receive(Self.head("/nowhere", id: "n", length: 5))
        _ = machine.answerWritten()
        #expect(machine.receive(Self.parseError).summary.hasPrefix("answer 400 bad_request soonAfterAnswer #"))
        var reset = Self.machine()
        _ = reset.receive(Self.head("/nowhere", id: "n", length: 5))
        _ = reset.answerWritten()
        #expect(reset.receive(Self.reset).summary == "close")
    }

    // MARK: storing

    @Test func storingAnswersEveryOutcome() throws {
        var machine = Self.machine()
        var entry = try #require(Self.storing(&machine, id: "1"))
        let duplicate = machine.stored(.success(("e-2", .duplicate)), entry: entry)
        #expect(duplicate.summary == "armIdle, log duplicate 200, answer 200 duplicate e-2 keepAlive #1")
        _ = machine.answerWritten()
        entry = try #require(Self.storing(&machine, id: "2"))
        let refused = machine.stored(.failure(HookGateError(.badSignature, "no")), entry: entry)
        #expect(refused.summary == "armIdle, log bad_signature 401, answer 401 bad_signature keepAlive #2")
        _ = machine.answerWritten()
        entry = try #require(Self.storing(&machine, id: "3"))
        let unavailable = machine.stored(.failure(HookGateError(.storeUnavailable, "down")), entry: entry)
        #expect(unavailable.summary == "armIdle, log store_unavailable 503, answer 503 store_unavailable keepAlive #3")
    }

    @Test func storingWhatArrivesWaitsInOrderAndHoldsReads() throws {
        var machine = Self.machine()
        #expect(machine.read().summary == "read")
        let entry = try #require(Self.storing(&machine, id: "first"))
        // The client waits for its answer: reads pass.
        #expect(machine.read().summary == "read")
        #expect(machine.receive(Self.head("/nowhere", method: .GET, id: "missing")).summary == "drain")
        #expect(machine.nextDeferred() == nil)
        #expect(machine.drained().summary == "")
        #expect(machine.receive(Self.end).summary == "drain")
        #expect(machine.nextDeferred() == nil)
        #expect(machine.read().summary == "")
        #expect(machine.drained().summary == "")
        #expect(machine.stored(Self.accepted, entry: entry).summary == "armIdle, log accepted 200, answer 200 accepted e-1 keepAlive #first")
        // While the answer is written, what arrives waits without a drain.
        #expect(machine.receive(Self.head(id: "second", length: 2)).summary == "")
        #expect(machine.nextDeferred() == nil)
        #expect(machine.answerWritten().summary == "drain")
        #expect(machine.nextDeferred()?.summary == "armBody, answer 404 not_found keepAlive #missing")
        #expect(machine.nextDeferred() == nil)
        #expect(machine.answerWritten().summary == "drain")
        #expect(machine.nextDeferred()?.summary == "armIdle")
        #expect(machine.nextDeferred()?.summary == "armBody")
        #expect(machine.nextDeferred() == nil)
        #expect(machine.drained().summary == "read")
        #expect(machine.drained().summary == "")
        #expect(machine.read().summary == "read")
    }

    @Test func storingHalfCloseIsNotedAndTheAnswerCloses() throws {
        var machine = Self.machine()
        let entry = try #require(Self.storing(&machine, id: "h"))
        #expect(machine.receive(.inputClosed).summary == "")
        #expect(machine.stored(Self.accepted, entry: entry).summary == "log accepted 200, answer 200 accepted e-1 afterAnswer #h")
    }

    @Test func storingParseErrorIsNotedAndTheAnswerCloses() throws {
        var machine = Self.machine()
        let entry = try #require(Self.storing(&machine, id: "p"))
        #expect(machine.receive(Self.parseError).summary == "")
        #expect(machine.stored(Self.accepted, entry: entry).summary == "log accepted 200, answer 200 accepted e-1 afterAnswer #p")
    }

    @Test func storingQuiesceAnswersWithCloseAndDropsWhatWaits() throws {
        var machine = Self.machine()
        let entry = try #require(Self.storing(&machine, id: "busy"))
        #expect(machine.receive(Self.head("/nowhere", method: .GET, id: "pipelined")).summary == "drain")
        #expect(machine.nextDeferred() == nil)
        #expect(machine.quiesce().summary == "")
        #expect(machine.stored(Self.accepted, entry: entry).summary == "log accepted 200, answer 200 accepted e-1 afterAnswer #busy")
        #expect(machine.quiesce().summary == "")  // writing: not closed under the write
        #expect(machine.answerWritten().summary == "drain")
        #expect(machine.nextDeferred()?.summary == "")
        #expect(machine.nextDeferred() == nil)
    }

    @Test func storingDeadlinesDoNothing() throws {
        var machine = Self.machine()
        _ = try #require(Self.storing(&machine))
        #expect(machine.idleDeadlineFired().summary == "")
        #expect(machine.bodyDeadlineFired().summary == "")
    }

    // MARK: removed

    @Test func removedCancelsTheDeadlineAndLaterAnswersAreOnlyLogged() throws {
        var machine = Self.machine()
        let entry = try #require(Self.storing(&machine, id: "gone"))
        #expect(machine.removedFromPipeline().summary == "cancel")
        #expect(machine.stored(Self.accepted, entry: entry).summary == "log accepted 200")
        #expect(machine.receive(Self.head("/nowhere", id: "n")).summary == "armBody")
    }
}

extension IntakeStateMachine.Action {
    /// The deadline, the log line's outcome and status, then the output, comma-separated.
    var summary: String {
        var parts: [String] = []
        switch deadline {
        case .unchanged: break
        case .cancel: parts.append("cancel")
        case .armIdle: parts.append("armIdle")
        case .armBody: parts.append("armBody")
        }
        if let log { parts.append("log \(log.outcome) \(log.status)") }
        switch output {
        case .none: break
        case .read: parts.append("read")
        case .close: parts.append("close")
        case .sendContinue: parts.append("continue")
        case .drain: parts.append("drain")
        case .store(let reading): parts.append("store \(String(buffer: reading.body))")
        case .answer(let answer):
            let content: String
            switch answer.content {
            case .stored(let eventID, let outcome): content = "200 \(outcome.rawValue) \(eventID)"
            case .refused(let error): content = "\(error.status.code) \(error.code.rawValue)"
            }
            parts.append("answer \(content) \(answer.closing) #\(answer.requestID)")
        }
        return parts.joined(separator: ", ")
    }
}
