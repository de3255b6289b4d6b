import Foundation
import HookGateCore

/// One body to send: from a plain body file, or from a capture written by `hookgate events export`.
package struct ReplayItem: Sendable {
    /// The file it came from.
    package var label: String
    /// The provider whose route it goes to.
    package var provider: Provider
    /// The body, byte for byte.
    package var body: [UInt8]
    /// A capture's original headers (token included), in order; `nil` for a body file.
    package var captured: [(String, String)]?
    /// A capture's `Content-Type`.
    package var contentType: String?

    /// An item; ``collect(paths:provider:)`` makes them from files.
    package init(label: String, provider: Provider, body: [UInt8], captured: [(String, String)]?, contentType: String?) {
        self.label = label
        self.provider = provider
        self.body = body
        self.captured = captured
        self.contentType = contentType
    }

    /// Reads `paths` (files, or folders searched recursively for `*.json`, in name order).
    /// A body file's provider is `provider`, else the nearest folder in its path named after a
    /// provider `directory` knows (`plaid/`, `stripe/`, ..., or a provider of `--config`).
    /// - Throws: ``ToolError`` for a missing path, no files, an unreadable file, a capture that
    ///   does not decode, or a body file whose provider cannot be told.
    package static func collect(
        paths: [String], provider: Provider?, directory: SenderDirectory = SenderDirectory(configuration: nil)
    ) throws(ToolError) -> [ReplayItem] {
        var files: [String] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ToolError("no such file or folder: \(path)") }
            if isDirectory.boolValue {
                let found = (manager.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []).filter { $0.hasSuffix(".json") }.sorted()
                files += found.map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        guard !files.isEmpty else { throw ToolError("no *.json files in \(paths.joined(separator: ", "))") }
        var items: [ReplayItem] = []
        for file in files { items.append(try item(file, provider: provider, directory: directory)) }
        return items
    }

    static func item(_ file: String, provider: Provider?, directory: SenderDirectory) throws(ToolError) -> ReplayItem {
        guard let data = FileManager.default.contents(atPath: file) else { throw ToolError("cannot read file \(file)") }
        if let capture = CaptureFile.decode(data) {
            guard let provider = Provider(rawValue: capture.provider) else { throw ToolError("\(file): unknown provider \(capture.provider)") }
            let body: [UInt8]
            do { body = try capture.bodyBytes() } catch { throw ToolError("\(file): \(error)") }
            let pairs = capture.headers.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
            let contentType = pairs.first { $0.0.lowercased() == "content-type" }?.1
            return ReplayItem(label: file, provider: provider, body: body, captured: pairs, contentType: contentType)
        }
        let inferred = provider ?? file.split(separator: "/").dropLast().reversed().lazy.compactMap { directory.knows(String($0)) }.first
        guard let inferred else {
            throw ToolError("cannot tell the provider of \(file): put it under a folder named after its provider (plaid/, stripe/, ...), or pass --provider")
        }
        return ReplayItem(label: file, provider: inferred, body: Array(data), captured: nil, contentType: nil)
    }
}
