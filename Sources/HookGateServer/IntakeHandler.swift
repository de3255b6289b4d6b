import HookGateCore
import NIOCore
import NIOHTTP1

/// The public listener's handler, one per connection, on the connection's event loop:
/// routes each request to its provider's ``WebhookIntake``, collects the body within
/// `max_body_bytes`, hands the complete body to the intake on a task (verification runs
/// there, the commit on the store's writer) and writes the answer back on the event loop
/// once the event is committed.
///
/// What happens when (pipelining, keep-alive, limits, deadlines, half-close, parse
/// errors, graceful shutdown) is decided by ``IntakeStateMachine``; this handler hands it
/// every event and performs the actions it returns: the deadline timer, the log line, the
/// writes, the store's task and closing.
///
/// - While anything waits behind the request under way, the connection is not read
///   (``read(context:)``). NIO's pipelining handler, which this replaces, stopped and
///   restarted reading around every request: two `epoll_ctl` calls per webhook, 2.5 % of
///   the gate's CPU per webhook (`Benchmarks/ab.sh`, 4 rounds: 0.963–0.987).
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

    private var machine: IntakeStateMachine
    private let log: IntakeLog
    private var deadline: Scheduled<Void>?
    /// Inside ``drainDeferred(context:)``: an answer written there (which drains again when
    /// it returns) leaves the rest to the loop under way instead of nesting one call per
    /// pipelined request.
    private var draining = false

    init(routes: IntakeRoutes, log: IntakeLog, readTimeout: Int) {
        machine = IntakeStateMachine(routes: routes, readTimeout: readTimeout)
        self.log = log
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let peer = context.channel.remoteAddress?.ipAddress.flatMap(IPAddress.init)
        perform(machine.added(peer: peer, allocator: context.channel.allocator), context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        perform(machine.removedFromPipeline(), context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        perform(machine.receive(.part(unwrapInboundIn(data))), context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            perform(machine.receive(.inputClosed), context: context)
            return
        }
        if event is ChannelShouldQuiesceEvent {
            perform(machine.quiesce(), context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// A request NIO's decoder cannot parse is answered `400` and its connection closed;
    /// a reset closes it (``IntakeStateMachine``).
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        perform(machine.receive(.failed(error)), context: context)
    }

    /// Reads while nothing waits behind the request under way; the `read` is held until then.
    func read(context: ChannelHandlerContext) {
        perform(machine.read(), context: context)
    }

    /// Does what the state machine decided, in order: the deadline, the log line, the output.
    private func perform(_ action: IntakeStateMachine.Action, context: ChannelHandlerContext) {
        switch action.deadline {
        case .unchanged:
            break
        case .cancel:
            deadline?.cancel()
            deadline = nil
        case .armIdle:
            armIdleDeadline(context: context)
        case .armBody:
            armBodyDeadline(context: context)
        }
        if let entry = action.log { log.record(entry) }
        switch action.output {
        case .none:
            break
        case .read:
            context.read()
        case .close:
            context.close(promise: nil)
        case .sendContinue:
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
        case .answer(let answer):
            write(answer, context: context)
            perform(machine.answerWritten(), context: context)
        case .store(let reading):
            store(reading, context: context)
        case .drain:
            drainDeferred(context: context)
        }
    }

    private func drainDeferred(context: ChannelHandlerContext) {
        guard !draining else { return }
        draining = true
        while let action = machine.nextDeferred() { perform(action, context: context) }
        draining = false
        perform(machine.drained(), context: context)
    }

    /// No request under way: close silently after `read_timeout` + 2 s without a complete head.
    private func armIdleDeadline(context: ChannelHandlerContext) {
        deadline?.cancel()
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: .seconds(Int64(machine.readTimeout) + 2)) {
            let (handler, context) = bound.value
            handler.deadline = nil
            handler.perform(handler.machine.idleDeadlineFired(), context: context)
        }
    }

    /// A head arrived: its body must be complete within `read_timeout`.
    private func armBodyDeadline(context: ChannelHandlerContext) {
        deadline?.cancel()
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: .seconds(Int64(machine.readTimeout))) {
            let (handler, context) = bound.value
            handler.deadline = nil
            handler.perform(handler.machine.bodyDeadlineFired(), context: context)
        }
    }

    /// Verifies the body on a task, hands the event to the store's group commit and answers
    /// back on the event loop once it is committed. No task waits for the commit: the
    /// store's completion schedules the answer.
    ///
    /// Both builds loaded side by side at once (`Benchmarks/ab.sh`), 4 rounds each:
    /// - the completion instead of a task awaiting the commit: 2–4 % less CPU per webhook;
    /// - verifying on the event loop, measured and not kept: 13–17 % more.
    private func store(_ reading: IntakeStateMachine.Reading, context: ChannelHandlerContext) {
        let loop = context.eventLoop
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: loop)
        let entry = reading.entry
        var request = WebhookIntake.Received(
            body: Array(reading.body.readableBytesView), credential: reading.credential, headers: reading.headers, contentType: reading.contentType,
            client: entry.client, requestID: entry.requestID)
        (request.path, request.allHeaders) = (reading.path, reading.allHeaders)
        let intake = reading.intake
        @Sendable func answer(_ result: Result<(String, StoreOutcome), HookGateError>) {
            loop.execute {
                let (handler, context) = bound.value
                handler.perform(handler.machine.stored(result, entry: entry), context: context)
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

    /// Writes an answer with `Content-Length`, `X-Request-Id`, `Date` and, unless the
    /// connection stays open, `Connection: close`; then closes as `answer.closing` says.
    private func write(_ answer: IntakeStateMachine.Answer, context: ChannelHandlerContext) {
        var fields: HTTPHeaders
        let status: HTTPResponseStatus
        let body: ByteBuffer
        switch answer.content {
        case .stored(let eventID, let outcome):
            status = .ok
            fields = HTTPHeaders([("Content-Type", "application/json")])
            body = WebhookIntake.acceptedBody(eventID: eventID, outcome: outcome)
        case .refused(let error):
            status = HTTPResponseStatus(statusCode: Int(error.status.code))
            fields = HTTPHeaders(error.answerHeaders)
            body = error.answerBody
        }
        fields.add(name: "Content-Length", value: String(body.readableBytes))
        fields.add(name: "X-Request-Id", value: answer.requestID)
        fields.add(name: "Date", value: HTTPDate.now())
        if answer.closing != .keepAlive, !fields.contains(name: "Connection") { fields.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: fields))), promise: nil)
        if body.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        switch answer.closing {
        case .keepAlive:
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        case .afterAnswer:
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        case .soonAfterAnswer:
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            context.eventLoop.scheduleTask(in: .milliseconds(200)) { channel.close(promise: nil) }
        }
    }
}
