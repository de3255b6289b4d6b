import Foundation
import HookGateCore
import Logging
import Testing

@testable import HookGateApp
@testable import HookGateServer

/// The JSON log (`--log-format json`): one object per line; numbers and booleans keep
/// their JSON types; the metadata provider's metadata is there; the intake line's
/// `status` and `duration_ms` are numbers.
@Suite struct JSONLogHandlerTests {
    struct Failure: Error, CustomStringConvertible {
        var description: String { "the disk is full" }
    }

    /// Logs through a JSON handler and returns each line parsed.
    func lines(
        provider: Logger.MetadataProvider? = nil, handlerMetadata: Logger.Metadata = [:], _ log: (Logger) -> Void
    ) throws -> [(text: String, object: [String: Any])] {
        let pipe = try TextLogHandlerTests.Pipe()
        let output = LogOutput(fileDescriptor: pipe.write)
        var logger = Logger(label: "hookgate") { JSONLogHandler(label: $0, output: output, metadataProvider: provider) }
        logger.logLevel = .debug
        for (key, value) in handlerMetadata { logger[metadataKey: key] = value }
        log(logger)
        return try pipe.drain().split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            return (String(line), object)
        }
    }

    @Test func numbersAndBooleansAreJSONNumbersAndBooleans() throws {
        let logged = try lines { logger in
            logger.info(
                "typed",
                metadata: [
                    "status": .stringConvertible(200), "duration_ms": .stringConvertible(2.229), "delivery_id": .stringConvertible(Int64(42)),
                    "ok": .stringConvertible(true), "quoted": "200", "negative": .stringConvertible(-1.5e-7),
                    "not_a_number": .stringConvertible(Double.nan), "list": .array([.stringConvertible(1), "a"]),
                    "nested": .dictionary(["b": .stringConvertible(false), "a": "x"]),
                ])
        }
        let line = try #require(logged.first)
        #expect(line.text.contains(#""status":200"#) && line.text.contains(#""duration_ms":2.229"#) && line.text.contains(#""ok":true"#))
        #expect(line.text.contains(#""quoted":"200""#), "a .string stays a string")
        #expect(line.text.contains(#""not_a_number":"nan""#))
        #expect(line.text.contains(#""list":[1,"a"]"#) && line.text.contains(#""nested":{"a":"x","b":false}"#))
        #expect((line.object["status"] as? NSNumber)?.intValue == 200)
        #expect((line.object["delivery_id"] as? NSNumber)?.int64Value == 42)
        #expect((line.object["negative"] as? NSNumber)?.doubleValue == -1.5e-7)
        #expect(
            line.object["msg"] as? String == "typed" && line.object["level"] as? String == "info" && line.object["label"] as? String == "hookgate")
        // The fixed fields first, then the metadata sorted by key.
        #expect(line.text.hasPrefix(#"{"ts":""#))
        let keys = ["delivery_id", "duration_ms", "list", "negative", "nested", "not_a_number", "ok", "quoted", "status"]
        let positions = keys.map { line.text.range(of: "\"\($0)\":")!.lowerBound }
        #expect(positions == positions.sorted())
    }

    @Test func theMetadataProviderHandlerMetadataAndErrorsAreWritten() throws {
        let provider = Logger.MetadataProvider { ["trace_id": "abc", "shared": "provider", "sampled": .stringConvertible(true)] }
        let logged = try lines(provider: provider, handlerMetadata: ["shared": "handler", "service": "gate"]) { logger in
            logger.warning("one", metadata: ["shared": "event"])
            logger.info("two")
            logger.error("three", error: Failure())
        }
        try #require(logged.count == 3)
        #expect(logged[0].object["trace_id"] as? String == "abc" && logged[0].object["service"] as? String == "gate")
        #expect(logged[0].object["shared"] as? String == "event", "the event's metadata wins over the provider's and the handler's")
        #expect(logged[1].object["shared"] as? String == "provider", "the provider's wins over the handler's")
        #expect(logged[1].text.contains(#""sampled":true"#), "a provider's boolean is a JSON boolean")
        #expect(logged[2].object["error.message"] as? String == "the disk is full")
        #expect((logged[2].object["error.type"] as? String)?.hasSuffix("JSONLogHandlerTests.Failure") == true)
    }

    @Test func stringsAreEscaped() throws {
        let logged = try lines { $0.info("quote \" and \n newline", metadata: ["path": "C:\\tmp\t\"x\"", "emoji": "✓"]) }
        let line = try #require(logged.first)
        #expect(line.object["msg"] as? String == "quote \" and \n newline")
        #expect(line.object["path"] as? String == "C:\\tmp\t\"x\"" && line.object["emoji"] as? String == "✓")
        #expect(!line.text.dropLast().contains("\n"), "one line")
    }

    @Test func jsonNumberGrammar() {
        for number in ["0", "-0", "200", "2.229", "-1.5e-07", "1E+5", "1e5", "0.5"] { #expect(JSONLogFormat.isJSONNumber(number), "\(number)") }
        for text in ["", "-", "01", "1.", ".5", "+1", "nan", "inf", "-inf", "1e", "1e+", "0x10", "1 ", "12a", "--1"] {
            #expect(!JSONLogFormat.isJSONNumber(text), "\(text)")
        }
    }

    @Test func theIntakeLineHasANumericStatusAndDuration() throws {
        let pipe = try TextLogHandlerTests.Pipe()
        let output = LogOutput(fileDescriptor: pipe.write)
        let logger = Logger(label: "hookgate") { JSONLogHandler(label: $0, output: output, metadataProvider: nil) }
        let log = IntakeLog(metrics: GateMetrics(), logger: logger)
        var entry = IntakeLog.Entry(provider: .plaid, requestID: "r-1", client: "127.0.0.1", started: .now - .microseconds(2229))
        entry.eventID = "evt-1"
        entry.outcome = "accepted"
        entry.status = 200
        log.record(entry)
        let text = pipe.drain()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(text.contains(#""status":200"#), "\(text)")
        let duration = try #require(object["duration_ms"] as? NSNumber, "\(text)")
        #expect(duration.doubleValue >= 2.229 && duration.doubleValue < 1000)
        #expect(object["request_id"] as? String == "r-1" && object["event_id"] as? String == "evt-1" && object["provider"] as? String == "plaid")
    }
}
