import Logging

/// How a ``LineLogHandler`` writes one event: the line's layout, given the metadata
/// already merged.
package protocol LogLineFormat: Sendable {
    /// Writes `event` of the logger `label` as one line to `output`; `metadata` is the
    /// handler's own, the provider's and the event's merged (later ones winning), with
    /// `error.message` and `error.type` when the event carries an error.
    static func write(_ event: LogEvent, label: String, metadata: Logger.Metadata, to output: LogOutput)
}

/// The gate's log handlers: one line per event, written whole to a ``LogOutput``, in the
/// layout of `Format` (``TextLogHandler``, the default, or ``JSONLogHandler``).
///
/// The metadata of a line: the handler's own, then the metadata provider's, then the
/// event's, later ones winning; an error adds `error.message` and `error.type`.
package struct LineLogHandler<Format: LogLineFormat>: LogHandler {
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
        Format.write(event, label: label, metadata: merged, to: output)
    }
}

/// The text log handler (`--log-format text`, the default): see ``TextLogFormat``.
package typealias TextLogHandler = LineLogHandler<TextLogFormat>

/// The JSON log handler (`--log-format json`): see ``JSONLogFormat``.
package typealias JSONLogHandler = LineLogHandler<JSONLogFormat>
