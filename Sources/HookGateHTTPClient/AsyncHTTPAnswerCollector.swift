import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// Collects one answer for ``AsyncHTTPClientPool``: status, headers and at most `limit`
/// body bytes. With ``OutboundHTTPClient/Overflow/fail``, an answer announcing or
/// sending more fails the exchange (AsyncHTTPClient then closes the connection); with
/// ``OutboundHTTPClient/Overflow/discard`` the rest is read and dropped.
final class AsyncHTTPAnswerCollector: HTTPClientResponseDelegate, Sendable {
    typealias Response = OutboundHTTPClient.Answer

    private let limit: Int
    private let overflow: OutboundHTTPClient.Overflow
    private let answer = Mutex(OutboundHTTPClient.Answer(status: 0, headers: [], body: []))

    init(limit: Int, overflow: OutboundHTTPClient.Overflow) {
        self.limit = limit
        self.overflow = overflow
    }

    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        if case .fail = overflow, let announced = head.headers.first(name: "content-length").flatMap(Int.init), announced > limit {
            return task.eventLoop.makeFailedFuture(
                OutboundHTTPClient.Failure(description: "answer announces \(announced) bytes; the limit is \(limit)"))
        }
        answer.withLock { answer in
            answer.status = Int(head.status.code)
            answer.headers = head.headers.map { ($0.name, $0.value) }
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        let overflowed = answer.withLock { answer -> Bool in
            let room = limit - answer.body.count
            if room > 0 { answer.body += buffer.readableBytesView.prefix(room) }
            return buffer.readableBytes > room
        }
        if overflowed, case .fail = overflow {
            return task.eventLoop.makeFailedFuture(OutboundHTTPClient.Failure(description: "answer is longer than \(limit) bytes"))
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response {
        answer.withLock { $0 }
    }
}
