import Foundation
import HookGateCore
import JOSE
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Delivers by appending one JSON line per event to a file: event id, provider,
/// type, received time, and the body (as a string when it is UTF-8, else base64).
///
/// Each line is written with one `write` on an `O_APPEND` descriptor, one at a time
/// on a serial queue of the handler's own (never on Swift's cooperative threads, which
/// an fsync would stall), so concurrent deliveries never interleave; with
/// `durability: full` the file is `fdatasync`ed before the delivery counts as done.
package final class FileDeliverer: Deliverer {
    let path: String
    let durability: GateConfiguration.Durability
    private let descriptor = Mutex<Int32>(-1)
    private let queue = DispatchQueue(label: "hookgate.file-handler")

    package init(path: String, durability: GateConfiguration.Durability) {
        self.path = path
        self.durability = durability
    }

    deinit {
        descriptor.withLock { fd in if fd >= 0 { close(fd) } }
    }

    /// The line written for a job (without the trailing newline).
    static func line(for job: DeliveryJob) -> String {
        let received = Date(timeIntervalSince1970: Double(job.receivedAt) / 1000).formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        var fields: [(String, String)] = [
            ("event_id", JSONValue.quote(job.eventID)), ("provider", JSONValue.quote(job.provider.rawValue)),
            ("type", JSONValue.quote(job.eventType)), ("received_at", JSONValue.quote(received)),
            ("delivery_id", String(job.deliveryID)),
        ]
        switch EncodedBody(job.body) {
        case .utf8(let text): fields.append(("body", JSONValue.quote(text)))
        case .base64(let encoded): fields.append(("body_base64", JSONValue.quote(encoded)))
        }
        return "{" + fields.map { "\(JSONValue.quote($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    package func deliver(_ job: DeliveryJob) async -> DeliveryOutcome {
        let line = Array((FileDeliverer.line(for: job) + "\n").utf8)
        let path = self.path
        let sync = durability == .full
        return await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: self.append(line, path: path, sync: sync)) }
        }
    }

    private func append(_ line: [UInt8], path: String, sync: Bool) -> DeliveryOutcome {
        descriptor.withLock { fd -> DeliveryOutcome in
            if fd < 0 {
                fd = PrivateFile.openForAppending(path)
                if fd < 0 { return DeliveryOutcome(succeeded: false, excerpt: "cannot open \(path): \(String(cString: strerror(errno)))") }
            }
            let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == line.count else {
                let reason = written < 0 ? String(cString: strerror(errno)) : "short write (\(written) of \(line.count) bytes)"
                close(fd)
                fd = -1
                return DeliveryOutcome(succeeded: false, excerpt: "cannot append to \(path): \(reason)")
            }
            if sync && fdatasync(fd) != 0 {
                return DeliveryOutcome(succeeded: false, excerpt: "fdatasync \(path) failed: \(String(cString: strerror(errno)))")
            }
            return DeliveryOutcome(succeeded: true, excerpt: "appended \(line.count) bytes")
        }
    }
}
