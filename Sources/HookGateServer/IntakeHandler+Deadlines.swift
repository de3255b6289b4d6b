import HookGateCore
import NIOCore

/// The read timeout and the idle close of a public connection.
extension IntakeHandler {
    /// No request under way: close silently after `read_timeout` + 2 s without a complete head.
    func armIdleDeadline(context: ChannelHandlerContext) {
        deadline?.cancel()
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: .seconds(Int64(readTimeout) + 2)) {
            let (handler, context) = bound.value
            handler.deadline = nil
            if case .idle = handler.state { context.close(promise: nil) }
        }
    }

    /// A head arrived: its body must be complete within `read_timeout`.
    func armBodyDeadline(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: .seconds(Int64(readTimeout))) {
            let (handler, context) = bound.value
            handler.deadline = nil
            switch handler.state {
            case .reading(let reading):
                handler.state = .skipping
                handler.answer(
                    .failure(HookGateError(.requestTimeout, "body not received within \(handler.readTimeout) s")), entry: reading.entry,
                    context: context)
            case .skipping:
                context.close(promise: nil)
            case .idle, .storing:
                break
            }
        }
    }
}
