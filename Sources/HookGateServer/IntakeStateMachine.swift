import HookGateCore
import NIOCore
import NIOHTTP1

/// What one public connection does, as a value: ``IntakeHandler`` hands it each event (a
/// request part, a half-close, a decoder error, a deadline, the store's answer, the end
/// of a write) and performs the ``Action`` it returns; nothing here touches a channel, so
/// every transition is tested alone (`IntakeStateMachineTests`).
///
/// - Requests are handled one at a time, in order. What arrives while a webhook is being
///   verified and stored, or while an answer is being written, waits in ``deferred`` and
///   is handled once the answer is written (after that write returns, so thousands of
///   pipelined requests are answered one after another, not in nested calls). While
///   anything waits there, the connection is not read: a client that pipelines gets
///   backpressure, one that waits for each answer (every sender) has its socket left
///   registered for reading, so no `epoll_ctl` is spent per request.
/// - Graceful shutdown (``quiesce()``): an idle connection closes at once; one with a
///   request under way closes after that request's answer, which says `Connection: close`.
///   Requests pipelined behind it are dropped unanswered.
/// - A request after one that asked to close (`Connection: close`, HTTP/1.0) is dropped
///   unread: that connection closes after its answer.
/// - Answers decided from the head alone (404, 405, 403, a declared `Content-Length` over
///   the limit) are written at once; the rest of that body is read and dropped.
/// - `Expect: 100-continue` (HTTP/1.1) is answered `100 Continue` once the head is
///   admitted; refused from the head, such a request gets its final answer instead and
///   its connection is closed, as the client sends no body.
/// - `server.read_timeout` runs from the head to the body's end: a stalled body is
///   answered 408. An oversized or stalled body's connection is closed 200 ms after the
///   answer, so the client can read it before the socket goes.
/// - A connection with no request under way is closed silently after `read_timeout` + 2 s:
///   between requests, and while a head trickles in.
/// - A client that does not keep the connection alive (`Connection: close`, HTTP/1.0)
///   or half-closes it has it closed once the answer is written (200 ms later when the
///   answer came before the body's end).
/// - A request the decoder cannot parse (garbage, an oversized header block, a bad
///   `Content-Length`, a body cut off by a half-close) is answered `400` and its
///   connection closed: `malformed_body` (logged, counted) when it was a webhook's body,
///   `bad_request` otherwise. A body cut off by a reset is logged and counted as
///   `malformed_body`, and the connection closed without a word.
///
/// Actions are plain values (no closures, no existentials, no boxes): no allocation per event.
struct IntakeStateMachine {
    enum State {
        /// Between requests (or before the first).
        case idle
        /// A POST to an intake route whose body is arriving.
        case reading(Reading)
        /// Answered before the body ended: the rest is read and dropped.
        case skipping
        /// The body is complete; the intake is verifying and storing it.
        case storing
    }

    /// A webhook request whose body is arriving.
    struct Reading {
        let intake: WebhookIntake
        let credential: String?
        let headers: RequestHeaders
        let contentType: String?
        let entry: IntakeLog.Entry
        var body: ByteBuffer
        /// The request target and every header, for the quarantine (headers `nil` when it is off).
        let path: String
        let allHeaders: HTTPHeaders?
    }

    /// When the connection closes after an answer.
    enum Closing {
        case keepAlive, afterAnswer
        /// 200 ms after the answer: closing at once could reset the connection while the
        /// client is still sending, and a reset can discard the answer before it is read.
        case soonAfterAnswer
    }

    /// What the channel reports.
    enum Inbound {
        case part(HTTPServerRequestPart), inputClosed, failed(any Error)
    }

    /// An answer to write: its content, the request id it carries and the closing after it.
    struct Answer {
        enum Content {
            /// `200 {"status":"accepted"|"duplicate","event_id":…}`.
            case stored(eventID: String, outcome: StoreOutcome)
            /// The error's answer (``HookGateError/answerHeaders``, ``HookGateError/answerBody``).
            case refused(HookGateError)
        }

        let content: Content
        let requestID: String
        let closing: Closing
    }

    /// The one deadline of a connection.
    enum Deadline {
        case unchanged, cancel
        /// Cancel any, then report ``idleDeadlineFired()`` after `read_timeout` + 2 s.
        case armIdle
        /// Cancel any, then report ``bodyDeadlineFired()`` after `read_timeout`.
        case armBody
    }

    /// What the handler does with the channel.
    enum Output {
        /// Nothing; `read` passes the `read` on.
        case none, read, close
        /// Write and flush `100 Continue`.
        case sendContinue
        /// Write the answer, then report ``answerWritten()``.
        case answer(Answer)
        /// Verify and store the body on a task, then report ``stored(_:entry:)`` on the event loop.
        case store(Reading)
        /// Something now waits: handle it (``nextDeferred()``, then ``drained()``).
        case drain
    }

    /// What to do, in this order: the deadline, the log line (and its metrics), the output.
    struct Action {
        var deadline = Deadline.unchanged
        var log: IntakeLog.Entry?
        var output = Output.none
    }

    private let routes: IntakeRoutes
    /// `server.read_timeout`, in seconds.
    let readTimeout: Int
    private(set) var state = State.idle
    private var peer: IPAddress?
    private var allocator = ByteBufferAllocator()
    private var keepAlive = true
    private var inputClosed = false
    private var removed = false
    /// A request after one that asked to close (`Connection: close`, HTTP/1.0): dropped unread.
    private var dropping = false
    /// The decoder failed: nothing more can be read from this connection.
    private var unparsable = false
    /// Inside a write: what arrives while an answer is written (flushing can read more)
    /// waits until the write returns; answering it there would nest one call per
    /// pipelined request.
    private var writing = false
    /// What arrived while a webhook was stored or an answer written, handled in order once
    /// the answer is written (and flushed).
    private var deferred = CircularBuffer<Inbound>()
    /// A `read` held back while ``deferred`` is not empty.
    private var readHeld = false
    /// Graceful shutdown began: close after the request under way.
    private var quiescing = false

    init(routes: IntakeRoutes, readTimeout: Int) {
        self.routes = routes
        self.readTimeout = readTimeout
    }

    /// The handler joined the connection's pipeline.
    mutating func added(peer: IPAddress?, allocator: ByteBufferAllocator) -> Action {
        self.peer = peer
        self.allocator = allocator
        return Action(deadline: .armIdle)
    }

    /// The handler left the pipeline: nothing more is written.
    mutating func removedFromPipeline() -> Action {
        removed = true
        return Action(deadline: .cancel)
    }

    /// A `read` passes while nothing waits in ``deferred``; otherwise it is held until drained.
    mutating func read() -> Action {
        if deferred.isEmpty { return Action(output: .read) }
        readHeld = true
        return Action()
    }

    /// Handles `inbound` now, or once the webhook under way is answered and the write
    /// under way has returned. A half-close or an error waits only behind what already
    /// waits: alone, it is noted at once (``closing(for:)`` reads it).
    mutating func receive(_ inbound: Inbound) -> Action {
        var storing = false
        if case .part = inbound, case .storing = state { storing = true }
        if writing || storing || !deferred.isEmpty {
            deferred.append(inbound)
            return writing ? Action() : Action(output: .drain)
        }
        return handle(inbound)
    }

    /// The next of what waits, while it can be handled (no write, no webhook under way).
    mutating func nextDeferred() -> Action? {
        guard !writing, !isStoring, let next = deferred.popFirst() else { return nil }
        return handle(next)
    }

    /// Draining ended: a held `read` goes through once nothing waits.
    mutating func drained() -> Action {
        guard deferred.isEmpty, readHeld else { return Action() }
        readHeld = false
        return Action(output: .read)
    }

    /// The write of an ``Output/answer(_:)`` returned: what waits can be handled.
    mutating func answerWritten() -> Action {
        writing = false
        return Action(output: .drain)
    }

    /// Graceful shutdown: close an idle connection now, a busy one after its answer.
    mutating func quiesce() -> Action {
        quiescing = true
        if case .idle = state, deferred.isEmpty, !writing { return Action(output: .close) }
        keepAlive = false  // the answer says `Connection: close`, closes, and later requests are dropped
        return Action()
    }

    /// The idle deadline passed: a connection with no request under way closes silently.
    mutating func idleDeadlineFired() -> Action {
        if case .idle = state { return Action(output: .close) }
        return Action()
    }

    /// The body deadline passed: a body still arriving is answered 408; a skipped one closes.
    mutating func bodyDeadlineFired() -> Action {
        switch state {
        case .reading(let reading):
            state = .skipping
            return answer(.failure(HookGateError(.requestTimeout, "body not received within \(readTimeout) s")), entry: reading.entry)
        case .skipping:
            return Action(output: .close)
        case .idle, .storing:
            return Action()
        }
    }

    /// The intake verified and stored the webhook (or refused it): answer it.
    mutating func stored(_ result: Result<(String, StoreOutcome), HookGateError>, entry: IntakeLog.Entry) -> Action {
        state = .idle
        return answer(result, entry: entry)
    }

    private var isStoring: Bool {
        if case .storing = state { return true }
        return false
    }

    private mutating func handle(_ inbound: Inbound) -> Action {
        let part: HTTPServerRequestPart
        switch inbound {
        case .part(let received): part = received
        case .inputClosed: return inputClosedByClient()
        case .failed(let error): return failed(error)
        }
        if case .head = part, !keepAlive { dropping = true }
        guard !dropping else { return Action() }
        switch part {
        case .head(let head):
            return self.head(head)
        case .body(let chunk):
            guard case .reading(var reading) = state else { return Action() }
            state = .storing  // drops the enum's reference, so appending does not copy the buffer
            let limit = reading.intake.maxBodyBytes
            guard reading.body.readableBytes + chunk.readableBytes <= limit else {
                state = .skipping
                return answer(.failure(HookGateError(.bodyTooLarge, "body exceeds max_body_bytes \(limit)")), entry: reading.entry)
            }
            reading.body.writeImmutableBuffer(chunk)
            state = .reading(reading)
            return Action()
        case .end:
            switch state {
            case .reading(let reading):
                state = .storing
                return Action(deadline: .cancel, output: .store(reading))
            case .skipping:
                state = .idle
                if inputClosed || quiescing { return Action(deadline: .cancel, output: .close) }
                return Action(deadline: .armIdle)
            case .idle, .storing:
                return Action(deadline: .cancel)
            }
        }
    }

    /// The client half-closed: nothing more will arrive. Close once the request under way
    /// is answered; a body cut off before its end is answered `400 malformed_body`.
    private mutating func inputClosedByClient() -> Action {
        inputClosed = true
        switch state {
        case .idle, .skipping:
            return Action(output: .close)
        case .reading(let reading):
            state = .skipping
            return answer(.failure(HookGateError(.malformedBody, "the client closed its side before the body's end")), entry: reading.entry)
        case .storing:
            return Action()  // closing(for:) closes after the answer
        }
    }

    private mutating func head(_ head: HTTPRequestHead) -> Action {
        let started = ContinuousClock.now
        keepAlive = head.isKeepAlive
        let requestID = RequestID.make(from: head.headers.first(name: "X-Request-Id"))
        // RFC 9110 §10.1.1: HTTP/1.0 requests' expectations are ignored.
        let expectsContinue = head.version != .http1_0 && head.headers[canonicalForm: "Expect"].contains { $0.lowercased() == "100-continue" }
        // The client waits for `100 Continue` before sending its body: refused early, it sends none, so the connection closes.
        if expectsContinue { keepAlive = false }
        guard let intake = routes.intake(for: head.uri) else {
            state = .skipping
            return write(.refused(HookGateError(.notFound, "no intake route")), requestID: requestID, closing: closing(for: nil), deadline: .armBody)
        }
        guard head.method == .POST else {
            state = .skipping
            let error = HookGateError(.methodNotAllowed, "intake routes take POST")
            return write(.refused(error), requestID: requestID, closing: closing(for: nil), deadline: .armBody)
        }
        let client = routes.resolver.clientAddress(peer: peer, forwardedFor: head.headers["X-Forwarded-For"])
        let entry = IntakeLog.Entry(provider: intake.provider, requestID: requestID, client: client?.description, started: started)
        let declared = head.headers.first(name: "Content-Length").flatMap { Int($0) }
        do {
            try intake.admit(client: client, declaredLength: declared)
        } catch {
            state = .skipping
            return answer(.failure(error), entry: entry, deadline: .armBody)
        }
        state = .reading(
            Reading(
                intake: intake, credential: intake.credentialHeader.flatMap { head.headers.first(name: $0) },
                headers: RequestHeaders(intake.headerNames.compactMap { name in head.headers.first(name: name).map { (name, $0) } }),
                contentType: head.headers.first(name: "Content-Type"), entry: entry,
                body: allocator.buffer(capacity: min(declared ?? 1024, intake.maxBodyBytes)), path: head.uri,
                allHeaders: intake.quarantine == nil ? nil : head.headers))
        guard expectsContinue else { return Action(deadline: .armBody) }
        keepAlive = head.isKeepAlive
        return Action(deadline: .armBody, output: .sendContinue)
    }

    /// A request the decoder cannot parse, or a reset (see the type's documentation).
    private mutating func failed(_ error: any Error) -> Action {
        if case .storing = state {
            unparsable = true  // answered once stored, then closed (closing(for:))
            return Action()
        }
        if error is HTTPParserError, keepAlive, !dropping {
            unparsable = true
            if case .reading(let reading) = state {
                state = .skipping
                return answer(.failure(HookGateError(.malformedBody, "the request could not be parsed: \(error)")), entry: reading.entry)
            }
            state = .skipping
            let refusal = HookGateError(.badRequest, "the request could not be parsed: \(error)")
            return write(.refused(refusal), requestID: RequestID.make(from: nil), closing: .afterAnswer)
        }
        // A reset, or bytes after a request that asked to close (the decoder refuses them): close without a word.
        var action = Action(output: .close)
        if case .reading(let reading) = state {
            state = .skipping
            var entry = reading.entry
            entry.refuse(HookGateError(.malformedBody, "the body could not be read: \(error)"))
            action.log = entry
        }
        return action
    }

    /// Logs, counts and writes the answer to an intake request.
    private mutating func answer(
        _ result: Result<(String, StoreOutcome), HookGateError>, entry: IntakeLog.Entry, deadline: Deadline = .unchanged
    ) -> Action {
        var entry = entry
        switch result {
        case .success(let (eventID, outcome)):
            entry.eventID = eventID
            entry.outcome = outcome.rawValue
            entry.status = 200
            let content = Answer.Content.stored(eventID: eventID, outcome: outcome)
            return write(content, requestID: entry.requestID, closing: closing(for: nil), deadline: deadline, log: entry)
        case .failure(let error):
            entry.refuse(error)
            return write(.refused(error), requestID: entry.requestID, closing: closing(for: error), deadline: deadline, log: entry)
        }
    }

    private func closing(for error: HookGateError?) -> Closing {
        if error?.closesConnection == true { return .soonAfterAnswer }
        return keepAlive && !inputClosed && !unparsable ? .keepAlive : .afterAnswer
    }

    /// An answer, unless the handler left the pipeline (the log line is written anyway).
    private mutating func write(
        _ content: Answer.Content, requestID: String, closing: Closing, deadline: Deadline = .unchanged, log: IntakeLog.Entry? = nil
    ) -> Action {
        var action = Action(deadline: deadline, log: log)
        guard !removed else { return action }
        var closing = closing
        // Answered before its body ended: closing at once could reset the connection while the body still arrives.
        if closing == .afterAnswer, case .skipping = state, !inputClosed { closing = .soonAfterAnswer }
        // Armed now: a pipelined request, handled once this write returns, replaces it with its body deadline.
        if closing == .keepAlive, case .idle = state { action.deadline = .armIdle }
        writing = true
        action.output = .answer(Answer(content: content, requestID: requestID, closing: closing))
        return action
    }
}
