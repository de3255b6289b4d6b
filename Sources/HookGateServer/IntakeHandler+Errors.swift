import HookGateCore
import NIOCore
import NIOHTTP1

/// What the decoder or the socket reports: unparsable requests and resets.
extension IntakeHandler {
    /// A request NIO's decoder cannot parse (garbage, an oversized header block, a bad
    /// `Content-Length`, a body cut off by a half-close) is answered `400` and its
    /// connection closed: `{"error":"malformed_body"}` with the request id when it was a
    /// webhook's body, an empty `400` otherwise. A body cut off by a reset is logged and
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
                write(status: .badRequest, headers: [], body: nil, requestID: RequestID.make(from: nil), closing: .afterAnswer, context: context)
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
}
