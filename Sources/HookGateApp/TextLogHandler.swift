import Logging

/// The gate's text log handler (`--log-format text`, the default): the line swift-log's
/// `StreamLogHandler.standardError` writes, byte for byte, at a fraction of its cost:
///
///     2026-11-22T15:12:48+0000 info hookgate: client_ip=127.0.0.1 outcome=accepted … [HookGateServer] webhook
///
/// The timestamp (local time), the level, the label and a colon; the metadata sorted by
/// key as `key=value` (the handler's own, then the metadata provider's, then the
/// event's, later ones winning; an error adds `error.message` and `error.type`); the
/// source module in brackets; the message.
///
/// Why not `StreamLogHandler` itself: the intake writes one such line per webhook at the
/// default level, and the line cost 8 % of the gate's CPU per webhook (`Benchmarks/ab.sh`
/// with `--log-level warning` against `info`: 0.918). `StreamLogHandler` formats the
/// timestamp with `localtime` and `strftime` on every line, builds the metadata through
/// several intermediate strings and arrays, and writes through `fwrite` and `fflush`.
/// This handler builds the line in one string, takes the timestamp from ``LogOutput``
/// (formatted once per second) and writes it with one `writev`.
package struct TextLogHandler: LogHandler {
    package var logLevel: Logger.Level = .info
    package var metadata: Logger.Metadata = [:]
    /// Metadata added to every line, as `StreamLogHandler` takes it from `LoggingSystem`.
    package var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: LogOutput

    /// A handler for `label`'s logger writing to `output`.
    package init(label: String, output: LogOutput = .standardError, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.label = label
        self.output = output
        self.metadataProvider = metadataProvider
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { merged.merge(provided) { $1 } }
        if let explicit = event.metadata, !explicit.isEmpty {
            if merged.isEmpty { merged = explicit } else { merged.merge(explicit) { $1 } }
        }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        var line = " "
        line.reserveCapacity(256)
        line.append(event.level.rawValue)
        if !label.isEmpty { line.append(" ") }
        line.append(label)
        line.append(":")
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line.append(" ")
            line.append(key)
            line.append("=")
            if case .string(let text) = value { line.append(text) } else { line.append(value.description) }
        }
        line.append(" [")
        line.append(event.source)
        line.append("] ")
        line.append(event.message.description)
        line.append("\n")
        output.writeStamped(line)
    }
}
