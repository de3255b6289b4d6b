import HookGateCore
import NIOCore
import NIOHTTP1

/// The public listener's handler, one per connection, on the connection's event loop:
/// routes each request to its provider's ``WebhookIntake``, collects the body within
/// `max_body_bytes`, hands the complete body to the intake on a task (verification runs
/// there, the commit on the store's writer) and writes the answer back on the event loop
/// once the event is committed.
///
/// - Requests are handled one at a time, in order. What arrives while a webhook is being
///   verified and stored, or while an answer is being written, waits in ``deferred`` and
///   is handled once the answer is written (after that write returns, so thousands of
///   pipelined requests are answered one after another, not in nested calls). While
///   anything waits there, the connection is not read (``read(context:)``): a client
///   that pipelines gets backpressure, one that waits for each answer (every sender) has
///   its socket left registered for reading, so no `epoll_ctl` is spent per request.
///   NIO's pipelining handler, which this replaces, stopped and restarted reading around
///   every request: two `epoll_ctl` calls per webhook, 2.5 % of the gate's CPU per
///   webhook (`Benchmarks/ab.sh`, 4 rounds: 0.963–0.987).
/// - Graceful shutdown (`ChannelShouldQuiesceEvent`): an idle connection closes at once;
///   one with a request under way closes after that request's answer, which says
///   `Connection: close`. Requests pipelined behind it are dropped unanswered.
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
/// - A request the decoder cannot parse is answered `400` and its connection closed
///   (``errorCaught(context:error:)``); a webhook whose body is cut off by a half-close
///   gets `400 malformed_body`, one cut off by a reset is logged and counted as such.
/// - While the client does not read its answers, the connection is not read either
///   (``ReadHoldHandler``).
///
/// Hummingbird's request loop cost about 50 µs more per request than plain NIO on this
/// path (a `404`: 85 against 35 µs of gate CPU), so the public listener is built on NIO's
/// channel handlers; the admin listener keeps Hummingbird's router.
final class IntakeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    // The members without `private` are shared with IntakeHandler+Deadlines.swift and
    // IntakeHandler+Errors.swift; nothing outside the handler uses them.

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

    enum Closing {
        case keepAlive
        case afterAnswer
        case soonAfterAnswer
    }

    private let routes: IntakeRoutes
    let log: IntakeLog
    let readTimeout: Int
    var state = State.idle
    var deadline: Scheduled<Void>?
    private var peer: IPAddress?
    var keepAlive = true
    private var inputClosed = false
    private var removed = false
    /// A request after one that asked to close (`Connection: close`, HTTP/1.0): dropped unread.
    var dropping = false
    /// The decoder failed: nothing more can be read from this connection.
    var unparsable = false
    /// Inside a write: a request handed in while an answer is written (flushing can read
    /// more) waits until the write returns; answering it there would nest one call per
    /// pipelined request.
    private var writing = false
    private var draining = false
    /// What arrived while a webhook was stored or an answer written, handled in order once
    /// the answer is written (and flushed).
    private var deferred = CircularBuffer<Inbound>()
    /// A `read` held back while ``deferred`` is not empty.
    private var readHeld = false
    /// Graceful shutdown began: close after the request under way.
    private var quiescing = false

    enum Inbound {
        case part(HTTPServerRequestPart)
        case inputClosed
        case failed(any Error)
    }

    init(routes: IntakeRoutes, log: IntakeLog, readTimeout: Int) {
        self.routes = routes
        self.log = log
        self.readTimeout = readTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        peer = context.channel.remoteAddress?.ipAddress.flatMap(IPAddress.init)
        armIdleDeadline(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        removed = true
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        receive(.part(unwrapInboundIn(data)), context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            receive(.inputClosed, context: context)
            return
        }
        if event is ChannelShouldQuiesceEvent {
            quiesce(context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Reads while nothing waits in ``deferred``; holds the `read` until it is drained.
    func read(context: ChannelHandlerContext) {
        if deferred.isEmpty {
            context.read()
        } else {
            readHeld = true
        }
    }

    /// Handles `inbound` now, or once the webhook under way is answered and the write
    /// under way has returned (see ``writing``). A half-close or an error waits only behind
    /// what already waits: alone, it is noted at once (``closing(for:)`` reads it).
    func receive(_ inbound: Inbound, context: ChannelHandlerContext) {
        var storing = false
        if case .part = inbound, case .storing = state { storing = true }
        if writing || storing || !deferred.isEmpty {
            deferred.append(inbound)
            if !writing { drainDeferred(context: context) }
            return
        }
        handle(inbound, context: context)
    }

    private func drainDeferred(context: ChannelHandlerContext) {
        guard !draining else { return }
        draining = true
        while !writing, !isStoring, let next = deferred.popFirst() { handle(next, context: context) }
        draining = false
        if deferred.isEmpty, readHeld {
            readHeld = false
            context.read()
        }
    }

    private var isStoring: Bool {
        if case .storing = state { return true }
        return false
    }

    /// Graceful shutdown: close an idle connection now, a busy one after its answer.
    private func quiesce(context: ChannelHandlerContext) {
        quiescing = true
        if case .idle = state, deferred.isEmpty, !writing {
            context.close(promise: nil)
            return
        }
        keepAlive = false  // the answer says `Connection: close`, closes, and later requests are dropped
    }

    private func handle(_ inbound: Inbound, context: ChannelHandlerContext) {
        let part: HTTPServerRequestPart
        switch inbound {
        case .part(let received): part = received
        case .inputClosed: return inputClosedByClient(context: context)
        case .failed(let error): return failed(error, context: context)
        }
        if case .head = part, !keepAlive { dropping = true }
        guard !dropping else { return }
        switch part {
        case .head(let head):
            self.head(head, context: context)
        case .body(let chunk):
            guard case .reading(var reading) = state else { return }
            state = .storing  // drops the enum's reference, so appending does not copy the buffer
            let limit = reading.intake.maxBodyBytes
            guard reading.body.readableBytes + chunk.readableBytes <= limit else {
                state = .skipping
                answer(.failure(HookGateError(.bodyTooLarge, "body exceeds max_body_bytes \(limit)")), entry: reading.entry, context: context)
                return
            }
            reading.body.writeImmutableBuffer(chunk)
            state = .reading(reading)
        case .end:
            deadline?.cancel()
            deadline = nil
            switch state {
            case .reading(let reading):
                state = .storing
                store(reading, context: context)
            case .skipping:
                state = .idle
                if inputClosed || quiescing {
                    context.close(promise: nil)
                } else {
                    armIdleDeadline(context: context)
                }
            case .idle, .storing:
                break
            }
        }
    }

    /// The client half-closed: nothing more will arrive. Close once the request under way
    /// is answered; a body cut off before its end is answered `400 malformed_body`.
    private func inputClosedByClient(context: ChannelHandlerContext) {
        inputClosed = true
        switch state {
        case .idle, .skipping:
            context.close(promise: nil)
        case .reading(let reading):
            state = .skipping
            answer(
                .failure(HookGateError(.malformedBody, "the client closed its side before the body's end")), entry: reading.entry, context: context)
        case .storing:
            break  // closing(for:) closes after the answer
        }
    }

    private func head(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let started = ContinuousClock.now
        deadline?.cancel()
        armBodyDeadline(context: context)
        keepAlive = head.isKeepAlive
        let requestID = RequestID.make(from: head.headers.first(name: "X-Request-Id"))
        // RFC 9110 §10.1.1: HTTP/1.0 requests' expectations are ignored.
        let expectsContinue = head.version != .http1_0 && head.headers[canonicalForm: "Expect"].contains { $0.lowercased() == "100-continue" }
        // The client waits for `100 Continue` before sending its body: refused early, it sends none, so the connection closes.
        if expectsContinue { keepAlive = false }
        guard let intake = routes.intake(for: head.uri) else {
            state = .skipping
            return refuse(HookGateError(.notFound, "no intake route"), requestID: requestID, closing: closing(for: nil), context: context)
        }
        guard head.method == .POST else {
            state = .skipping
            let error = HookGateError(.methodNotAllowed, "intake routes take POST")
            return refuse(error, requestID: requestID, closing: closing(for: nil), context: context)
        }
        let client = routes.resolver.clientAddress(peer: peer, forwardedFor: head.headers["X-Forwarded-For"])
        let entry = IntakeLog.Entry(provider: intake.provider, requestID: requestID, client: client?.description, started: started)
        let declared = head.headers.first(name: "Content-Length").flatMap { Int($0) }
        do {
            try intake.admit(client: client, declaredLength: declared)
        } catch {
            state = .skipping
            answer(.failure(error), entry: entry, context: context)
            return
        }
        state = .reading(
            Reading(
                intake: intake, credential: intake.credentialHeader.flatMap { head.headers.first(name: $0) },
                headers: RequestHeaders(intake.headerNames.compactMap { name in head.headers.first(name: name).map { (name, $0) } }),
                contentType: head.headers.first(name: "Content-Type"), entry: entry,
                body: context.channel.allocator.buffer(capacity: min(declared ?? 1024, intake.maxBodyBytes)), path: head.uri,
                allHeaders: intake.quarantine == nil ? nil : head.headers))
        if expectsContinue {
            keepAlive = head.isKeepAlive
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
        }
    }

    /// Verifies the body on a task, hands the event to the store's group commit and answers
    /// back on the event loop once it is committed. No task waits for the commit: the
    /// store's completion schedules the answer.
    ///
    /// Both builds loaded side by side at once (`Benchmarks/ab.sh`), 4 rounds each:
    /// - the completion instead of a task awaiting the commit: 2–4 % less CPU per webhook;
    /// - verifying on the event loop, measured and not kept: 13–17 % more.
    private func store(_ reading: Reading, context: ChannelHandlerContext) {
        let loop = context.eventLoop
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: loop)
        let entry = reading.entry
        var request = WebhookIntake.Received(
            body: Array(reading.body.readableBytesView), credential: reading.credential, headers: reading.headers, contentType: reading.contentType, client: entry.client,
            requestID: entry.requestID)
        (request.path, request.allHeaders) = (reading.path, reading.allHeaders)
        let intake = reading.intake
        @Sendable func answer(_ result: Result<(String, StoreOutcome), HookGateError>) {
            loop.execute {
                let (handler, context) = bound.value
                handler.state = .idle
                handler.answer(result, entry: entry, context: context)
            }
        }
        Task {
            let event: IncomingEvent
            do throws(HookGateError) {
                event = try await intake.prepare(request)
            } catch {
                intake.quarantine(request, refusal: error)
                return answer(.failure(error))
            }
            intake.commit(event, completion: answer)
        }
    }

    /// Logs, counts and writes the answer to an intake request.
    func answer(_ result: Result<(String, StoreOutcome), HookGateError>, entry: IntakeLog.Entry, context: ChannelHandlerContext) {
        var entry = entry
        switch result {
        case .success(let (eventID, outcome)):
            entry.eventID = eventID
            entry.outcome = outcome.rawValue
            entry.status = 200
            log.record(entry)
            write(
                status: .ok, headers: [("Content-Type", "application/json")], body: WebhookIntake.acceptedBody(eventID: eventID, outcome: outcome),
                requestID: entry.requestID, closing: closing(for: nil), context: context)
        case .failure(let error):
            entry.refuse(error)
            log.record(entry)
            write(
                status: HTTPResponseStatus(statusCode: entry.status), headers: error.answerHeaders, body: error.answerBody,
                requestID: entry.requestID, closing: closing(for: error), context: context)
        }
    }

    private func closing(for error: HookGateError?) -> Closing {
        if error?.closesConnection == true { return .soonAfterAnswer }
        return keepAlive && !inputClosed && !unparsable ? .keepAlive : .afterAnswer
    }

    func write(
        status: HTTPResponseStatus, headers: [(name: String, value: String)], body: ByteBuffer?, requestID: String, closing: Closing,
        context: ChannelHandlerContext
    ) {
        guard !removed else { return }
        var closing = closing
        // Answered before its body ended: closing at once could reset the connection while the body still arrives.
        if closing == .afterAnswer, case .skipping = state, !inputClosed { closing = .soonAfterAnswer }
        writing = true
        defer {
            writing = false
            drainDeferred(context: context)
        }
        var fields = HTTPHeaders(headers)
        fields.add(name: "Content-Length", value: String(body?.readableBytes ?? 0))
        fields.add(name: "X-Request-Id", value: requestID)
        fields.add(name: "Date", value: HTTPDate.now())
        if closing != .keepAlive, !fields.contains(name: "Connection") { fields.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: fields))), promise: nil)
        if let body, body.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        switch closing {
        case .keepAlive:
            // Armed now: a pipelined request, handled once this write returns, replaces it with its body deadline.
            if case .idle = state { armIdleDeadline(context: context) }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        case .afterAnswer:
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        case .soonAfterAnswer:
            // Closing at once could reset the connection while the client is still sending, and
            // a reset can discard the answer before the client reads it.
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            context.eventLoop.scheduleTask(in: .milliseconds(200)) { channel.close(promise: nil) }
        }
    }
}
