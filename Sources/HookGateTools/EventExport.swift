import Foundation
import HookGateCore

/// Writes stored events as capture files (`hookgate events export`), one subfolder per
/// provider, each file owner-readable only: what `hookgate replay` reads back.
package enum EventExport {
    /// The capture file name of `event`: its row id and its event id made file-safe (at most 80 characters).
    package static func fileName(_ event: StoredEvent) -> String {
        let safe = String(
            event.eventID.unicodeScalars.map { scalar -> Character in
                let c = Character(scalar)
                return c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "." || c == "_") ? c : "_"
            }.prefix(80))
        return "\(event.id)-\(safe).capture.json"
    }

    /// Writes `events` under `folder` (created if missing), mode 0600.
    /// - Throws: ``ToolError`` naming a file that cannot be written; the file system's error for a folder.
    package static func write(_ events: [StoredEvent], to folder: String) throws {
        let manager = FileManager.default
        for event in events {
            let providerFolder = (folder as NSString).appendingPathComponent(event.provider.rawValue)
            try manager.createDirectory(atPath: providerFolder, withIntermediateDirectories: true)
            let capture = CaptureFile(
                provider: event.provider, eventID: event.eventID, eventType: event.eventType,
                receivedAt: Date(timeIntervalSince1970: Double(event.receivedAt) / 1000), headers: event.headers, body: event.body)
            let path = (providerFolder as NSString).appendingPathComponent(fileName(event))
            guard manager.createFile(atPath: path, contents: try capture.encoded(), attributes: [.posixPermissions: 0o600]) else {
                throw ToolError("cannot write \(path)")
            }
        }
    }
}
