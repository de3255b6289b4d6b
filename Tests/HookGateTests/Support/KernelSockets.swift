import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The kernel's own view of this machine's TCP sockets (`/proc/net/tcp` and `tcp6`), so a
/// test can see what the gate has done with a connection (accepted it or left it in the
/// backlog, read its bytes or not) as a fact, instead of waiting a while and hoping.
enum KernelSockets {
    /// One row of the table: ports, state, and the receive queue (for a listening socket,
    /// the connections waiting to be accepted; for a connection, the bytes not yet read).
    struct Row {
        var localPort: Int
        var remotePort: Int
        var listening: Bool
        var receiveQueue: Int
    }

    static func rows() -> [Row] {
        ["/proc/net/tcp", "/proc/net/tcp6"].flatMap { path -> [Row] in
            guard let text = read(path) else { return [] }
            return text.split(separator: "\n").dropFirst().compactMap { line -> Row? in
                let fields = line.split(separator: " ")
                guard fields.count > 4,
                    let local = fields[1].split(separator: ":").last.flatMap({ Int($0, radix: 16) }),
                    let remote = fields[2].split(separator: ":").last.flatMap({ Int($0, radix: 16) }),
                    let queue = fields[4].split(separator: ":").last.flatMap({ Int($0, radix: 16) })
                else { return nil }
                return Row(localPort: local, remotePort: remote, listening: fields[3] == "0A", receiveQueue: queue)
            }
        }
    }

    /// The whole of a `/proc` file, read until its end (its size says 0, and a reader that
    /// trusts the size stops after the first page).
    private static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = Glibc.read(fd, &chunk, chunk.count)
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Connections waiting in the backlog of the socket listening on `port`, not yet
    /// accepted; `nil` when nothing listens there.
    static func backlog(port: Int) -> Int? {
        rows().first { $0.listening && $0.localPort == port }?.receiveQueue
    }

    /// Bytes the server listening on `port` has not yet read from the connection whose
    /// client end is `clientFD`; `nil` when the kernel has no such connection.
    static func unread(serverPort port: Int, client clientFD: Int32) -> Int? {
        let client = localPort(clientFD)
        return rows().first { !$0.listening && $0.localPort == port && $0.remotePort == client }?.receiveQueue
    }

    /// The local port a connected socket was given.
    static func localPort(_ fd: Int32) -> Int {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }
}
