import Foundation
import JOSE
import Logging

/// The JSON log line (`--log-format json`): one JSON object per line,
///
///     {"ts":"2026-11-21T16:09:13.125Z","level":"info","label":"hookgate","msg":"webhook","duration_ms":3.314,"status":200,…}
///
/// `ts` (UTC, milliseconds), `level`, `label` and `msg` first, then the metadata sorted by
/// key (merged by ``LineLogHandler``; an error adds `error.message` and `error.type`).
///
/// Values keep their JSON types where the caller gave one: a `.stringConvertible` value
/// that is a `Bool` is written `true`/`false`, one whose text is a JSON number (an `Int`,
/// a finite `Double`, ``RequestLineFormat/Milliseconds``) is written as that number;
/// `.string` values are always strings (`"\(n)"` interpolation makes a string, on purpose
/// or not: call sites that log numbers pass `.stringConvertible(n)`); arrays and
/// dictionaries become JSON arrays and objects.
package enum JSONLogFormat: LogLineFormat {
    package static func write(_ event: LogEvent, label: String, metadata merged: Logger.Metadata, to output: LogOutput) {
        var line = "{\"ts\":"
        line.reserveCapacity(256)
        line += JSONValue.quote(Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        line += ",\"level\":" + JSONValue.quote(event.level.rawValue)
        line += ",\"label\":" + JSONValue.quote(label)
        line += ",\"msg\":" + JSONValue.quote(event.message.description)
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += "," + JSONValue.quote(key) + ":"
            Self.append(value, to: &line)
        }
        line += "}\n"
        output.write(line)
    }

    /// Appends `value` as JSON.
    static func append(_ value: Logger.MetadataValue, to line: inout String) {
        switch value {
        case .string(let text):
            line += JSONValue.quote(text)
        case .stringConvertible(let convertible):
            if let flag = convertible as? Bool {
                line += flag ? "true" : "false"
                return
            }
            let text = convertible.description
            line += isJSONNumber(text) ? text : JSONValue.quote(text)
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                append(element, to: &line)
            }
            line += "]"
        case .dictionary(let values):
            line += "{"
            for (index, (key, element)) in values.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { line += "," }
                line += JSONValue.quote(key) + ":"
                append(element, to: &line)
            }
            line += "}"
        }
    }

    /// Whether `text` is a number by RFC 8259's grammar (`-? int frac? exp?`); `nan`, `inf`,
    /// `+1`, `01` and `1.` are not.
    static func isJSONNumber(_ text: String) -> Bool {
        var bytes = text.utf8[...]
        func digits() -> Int {
            let count = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.count
            bytes = bytes.dropFirst(count)
            return count
        }
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        if bytes.first == UInt8(ascii: "0") {
            bytes = bytes.dropFirst()
        } else if digits() == 0 {
            return false
        }
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            guard digits() > 0 else { return false }
        }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }
}
