import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A deliberately dumb HTTP/1.1 client on a blocking loopback socket, run on its own
/// thread (never on the cooperative pool, which the server under test needs). It
/// sends exactly the bytes it is given, so tests control every header and can send
/// malformed or slow requests.
struct RawHTTP {
    struct Response: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `work` on a new thread and returns its result.
    static func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do { continuation.resume(returning: try work()) } catch { continuation.resume(throwing: error) }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// A listening socket on 127.0.0.1 at a port the OS chooses: (its descriptor, the port).
    /// The caller accepts on it and closes it.
    static func listen(backlog: Int32) throws -> (fd: Int32, port: Int) {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        guard withUnsafePointer(to: &address, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }) == 0,
            Glibc.listen(listener, backlog) == 0
        else {
            close(listener)
            throw Failure(description: "cannot listen")
        }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        return (listener, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// Accepts connections on `listener` on a thread of its own and serves each on a new
    /// thread, calling `accepted` on the accepting thread first; until `shutdown(listener)`,
    /// after which it closes the listener itself (closed by the caller instead, the number
    /// could already be another test server's listener when this thread calls accept()).
    static func serveOnThreads(
        _ listener: Int32, accepted: @escaping @Sendable () -> Void = {}, serve: @escaping @Sendable (Int32) -> Void
    ) {
        Thread {
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 {
                    close(listener)
                    return
                }
                accepted()
                Thread { serve(client) }.start()
            }
        }.start()
    }

    /// Opens a TCP connection to 127.0.0.1:`port`.
    static func connect(port: Int, timeout: Double = 10) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw Failure(description: "connect to port \(port) failed: errno \(errno)")
        }
        return fd
    }

    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure(description: "send failed: errno \(errno)") }
            offset += sent
        }
    }

    /// Reads one response (Content-Length framed, or until close); the answer to a `HEAD`
    /// (`bodyless`) ends with its head, whatever its Content-Length says (RFC 9110, 9.3.2).
    static func readResponse(_ fd: Int32, bodyless: Bool = false) throws -> Response {
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Int?
        var contentLength: Int?
        while true {
            if let end = headerEnd {
                if bodyless { break }
                if let length = contentLength, buffer.count >= end + length { break }
            }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 {
                if headerEnd != nil && contentLength == nil { break }
                throw Failure(description: buffer.isEmpty ? "connection closed without a response (errno \(errno))" : "truncated response")
            }
            buffer += chunk[0..<count]
            if headerEnd == nil, let range = find(buffer, Array("\r\n\r\n".utf8)) {
                headerEnd = range + 4
                let head = String(decoding: buffer[0..<range], as: UTF8.self)
                for line in head.split(separator: "\r\n").dropFirst() where line.lowercased().hasPrefix("content-length:") {
                    contentLength = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces))
                }
            }
        }
        let end = headerEnd!
        let head = String(decoding: buffer[0..<(end - 4)], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line \(lines[0])") }
        let headers = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let bodyEnd = bodyless ? end : contentLength.map { end + $0 } ?? buffer.count
        return Response(status: status, headers: headers, body: Array(buffer[end..<bodyEnd]))
    }

    static func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index..<(index + needle.count)].elementsEqual(needle) {
            return index
        }
        return nil
    }

    /// Sends one request and reads its response on a fresh connection.
    static func request(
        port: Int, method: String = "POST", path: String, headers: [(String, String)] = [], body: [UInt8] = [], timeout: Double = 10
    ) async throws -> Response {
        try await onThread {
            let fd = try connect(port: port, timeout: timeout)
            defer { close(fd) }
            var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            if method != "GET" || !body.isEmpty { head += "Content-Length: \(body.count)\r\n" }
            head += "\r\n"
            try sendAll(fd, Array(head.utf8) + body)
            return try readResponse(fd, bodyless: method == "HEAD")
        }
    }

    /// Sends raw bytes and reads whatever response comes back.
    static func raw(port: Int, bytes: [UInt8], timeout: Double = 10) async throws -> Response {
        try await onThread {
            let fd = try connect(port: port, timeout: timeout)
            defer { close(fd) }
            try sendAll(fd, bytes)
            return try readResponse(fd)
        }
    }
}
