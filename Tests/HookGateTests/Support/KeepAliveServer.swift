import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback HTTP/1.1 server on blocking sockets (a thread per connection) that keeps
/// connections alive and counts what the client did: connections accepted, the most open
/// at once, requests read and answered. It can hold its answers until a ``Latch`` opens, or
/// betray a kept-alive connection on its second request: close it unanswered (the idle close that crossed the request on the
/// wire) or after half an answer.
final class KeepAliveServer: Sendable {
    enum SecondRequest: Sendable {
        /// Answered like the first.
        case answer
        /// The connection is closed without a byte of answer.
        case closeUnanswered
        /// Half a status line is sent, then the connection is closed.
        case closeMidAnswer
    }

    struct Counts: Sendable {
        var accepted = 0
        var open = 0
        var mostOpen = 0
        /// Requests read in full (answered or not yet).
        var requests = 0
        var answered = 0
        var dropped = 0
    }

    let port: Int
    private let listener: Int32
    private let hold: Latch?
    private let second: SecondRequest
    private let counts = Mutex(Counts())

    var figures: Counts { counts.withLock { $0 } }
    var url: String { "http://127.0.0.1:\(port)/hooks" }

    /// - Parameter hold: when given, every answer waits until it opens.
    init(hold: Latch? = nil, second: SecondRequest = .answer) throws {
        self.hold = hold
        self.second = second
        (listener, port) = try RawHTTP.listen(backlog: 64)
        RawHTTP.serveOnThreads(listener, accepted: { [self] in
            counts.withLock {
                $0.accepted += 1
                $0.open += 1
                $0.mostOpen = max($0.mostOpen, $0.open)
            }
        }) { [self] in serve($0) }
    }

    private func serve(_ fd: Int32) {
        defer {
            close(fd)
            counts.withLock { $0.open -= 1 }
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var served = 0
        while true {
            // One request: the head, then Content-Length bytes of body.
            var headEnd = RawHTTP.find(pending, Array("\r\n\r\n".utf8))
            while headEnd == nil {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count <= 0 { return }
                pending += buffer[0..<count]
                headEnd = RawHTTP.find(pending, Array("\r\n\r\n".utf8))
            }
            let head = String(decoding: pending[0..<headEnd!], as: UTF8.self).lowercased()
            let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            let total = headEnd! + 4 + length
            while pending.count < total {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count <= 0 { return }
                pending += buffer[0..<count]
            }
            pending.removeFirst(total)
            counts.withLock { $0.requests += 1 }
            served += 1
            if served == 2 && second != .answer {
                counts.withLock { $0.dropped += 1 }
                if second == .closeMidAnswer {
                    let half = Array("HTTP/1.1 2".utf8)
                    _ = half.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                }
                return
            }
            hold?.waitBlocking()
            counts.withLock { $0.answered += 1 }
            let answer = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok".utf8)
            guard answer.withUnsafeBytes({ Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == answer.count else { return }
        }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
    }
}
