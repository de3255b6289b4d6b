import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback key endpoint that misbehaves on purpose, one way per instance: a body
/// that never ends, a body dripped slower than any timeout, a huge announced body,
/// or a 200 whose body is not a key answer. Each connection is served on a thread of
/// its own and every loop is bounded in time.
final class HostileKeyEndpoint: Sendable {
    enum Mode: Sendable {
        /// 200, no length, 64 KiB chunks until the client goes away (at most 30 s).
        case endless
        /// 200 with a small Content-Length, one byte every 500 ms.
        case drip
        /// 200 announcing 100 MiB, then sending it as fast as it is taken (at most 30 s).
        case huge
        /// 200 with this exact body.
        case body(String)
    }

    let mode: Mode
    let port: Int
    private let listener: Int32
    private let served = Mutex(0)
    /// Bytes written to clients, all connections together.
    private let written = Mutex(0)

    var connections: Int { served.withLock { $0 } }
    var bytesWritten: Int { written.withLock { $0 } }
    var url: String { "http://127.0.0.1:\(port)/webhook_verification_key/get" }

    init(_ mode: Mode) throws {
        self.mode = mode
        (listener, port) = try RawHTTP.listen(backlog: 16)
        RawHTTP.serveOnThreads(listener, accepted: { [self] in served.withLock { $0 += 1 } }) { [self] in serve($0) }
    }

    private func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return false }
            offset += count
            written.withLock { $0 += count }
        }
        return true
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // Read the request head (and whatever body came with it).
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while RawHTTP.find(request, Array("\r\n\r\n".utf8)) == nil && request.count < 65536 {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { return }
            request += buffer[0..<count]
        }
        let deadline = Date().addingTimeInterval(30)
        switch mode {
        case .endless:
            guard send(fd, Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"key\":\"".utf8)) else { return }
            let chunk = [UInt8](repeating: UInt8(ascii: "A"), count: 65536)
            while Date() < deadline, send(fd, chunk) {}
        case .drip:
            let body = Array(#"{"key":null,"padding":"................................"}"#.utf8)
            guard send(fd, Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8)) else { return }
            for byte in body where Date() < deadline {
                guard send(fd, [byte]) else { return }
                usleep(500_000)  // timeout under test
            }
        case .huge:
            guard send(fd, Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n".utf8)) else { return }
            let chunk = [UInt8](repeating: UInt8(ascii: " "), count: 65536)
            while Date() < deadline, send(fd, chunk) {}
        case .body(let text):
            let body = Array(text.utf8)
            _ = send(
                fd,
                Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + body)
        }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
    }
}
