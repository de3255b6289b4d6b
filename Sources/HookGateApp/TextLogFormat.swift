import Logging

/// The text log line (`--log-format text`, the default): the line swift-log's
/// `StreamLogHandler.standardError` writes, byte for byte, at a fraction of its cost:
///
///     2026-11-22T15:12:48+0000 info hookgate: client_ip=127.0.0.1 outcome=accepted … [HookGateServer] webhook
///
/// The timestamp (local time), the level, the label and a colon; the metadata sorted by
/// key as `key=value` (merged by ``LineLogHandler``); the source module in brackets; the message.
///
/// Why not `StreamLogHandler` itself: the intake writes one such line per webhook at the
/// default level, and the line cost 8 % of the gate's CPU per webhook (`Benchmarks/ab.sh`
/// with `--log-level warning` against `info`: 0.918). `StreamLogHandler` formats the
/// timestamp with `localtime` and `strftime` on every line, builds the metadata through
/// several intermediate strings and arrays, and writes through `fwrite` and `fflush`.
/// This handler builds the line in one string, takes the timestamp from ``LogOutput``
/// (formatted once per second) and writes it with one `writev`.
package enum TextLogFormat: LogLineFormat {
    package static func write(_ event: LogEvent, label: String, metadata merged: Logger.Metadata, to output: LogOutput) {
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
