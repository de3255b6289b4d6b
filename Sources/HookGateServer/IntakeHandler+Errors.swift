import HookGateCore
import NIOCore
import NIOHTTP1

/// What the decoder or the socket reports: unparsable requests and resets.
extension IntakeHandler {
    /// A request NIO's decoder cannot parse (garbage, an oversized header block, a bad
    /// `Content-Length`, a body cut off by a half-close) is answered `400` and its
    /// connection closed: `{"error":"malformed_body"}` with the request id when it was a
    /// webhook's body, `{"error":"bad_request"}` otherwise. A body cut off by a reset is logged and
    /// counted as `malformed_body`.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        receive(.failed(error), context: context)
    }

    func failed(_ error: any Error, context: ChannelHandlerContext) {
        if case .storing = state {
            unparsable = true  // answered once stored, then closed (closing(for:))
            return
        }
        if error is HTTPParserError, keepAlive, !dropping {
            unparsable = true
            if case .reading(let reading) = state {
                state = .skipping
                answer(.failure(HookGateError(.malformedBody, "the request could not be parsed: \(error)")), entry: reading.entry, context: context)
            } else {
                state = .skipping
                let refusal = HookGateError(.badRequest, "the request could not be parsed: \(error)")
                refuse(refusal, requestID: RequestID.make(from: nil), closing: .afterAnswer, context: context)
            }
            return
        }
        // A reset, or bytes after a request that asked to close (the decoder refuses them): close without a word.
        if case .reading(let reading) = state {
            state = .skipping
            var entry = reading.entry
            entry.refuse(HookGateError(.malformedBody, "the body could not be read: \(error)"))
            log.record(entry)
        }
        context.close(promise: nil)
    }

    /// Writes the answer to a request no route took (not logged, not counted).
    func refuse(_ error: HookGateError, requestID: String, closing: Closing, context: ChannelHandlerContext) {
        write(
            status: HTTPResponseStatus(statusCode: Int(error.status.code)), headers: error.answerHeaders, body: error.answerBody,
            requestID: requestID, closing: closing, context: context)
    }
}
