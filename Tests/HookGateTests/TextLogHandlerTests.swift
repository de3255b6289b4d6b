import Foundation
import Logging
import Synchronization
import Testing

@testable import HookGateApp

/// The text log line is swift-log's `StreamLogHandler` line, byte for byte: the two
/// handlers log the same events and their lines are compared (the timestamp against the
/// clock read around the call).
@Suite struct TextLogHandlerTests {
    /// A `TextOutputStream` that keeps what `StreamLogHandler` writes.
    final class Captured: TextOutputStream, @unchecked Sendable {
        private let text = Mutex("")
        func write(_ string: String) { text.withLock { $0 += string } }
        var lines: [String] { text.withLock { $0 }.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
    }

    /// A pipe whose read end collects what a ``LogOutput`` writes to its write end.
    struct Pipe {
        let read: Int32
        let write: Int32
        init() throws {
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else { throw POSIXError(.EMFILE) }
            (read, write) = (ends[0], ends[1])
        }
        /// Closes the write end and returns everything written.
        func drain() -> String {
            close(write)
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = Glibc.read(read, &chunk, chunk.count)
                if count <= 0 { break }
                bytes += chunk[..<count]
            }
            close(read)
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String { "the disk is full" }
    }

    /// Logs through both handlers as `configure` sets them up.
    func compare(
        label: String = "hookgate", provider: Logger.MetadataProvider? = nil, handlerMetadata: Logger.Metadata = [:],
        _ log: (inout Logger) -> Void
    ) throws {
        let pipe = try Pipe()
        let output = LogOutput(fileDescriptor: pipe.write)
        let captured = Captured()
        var ours = Logger(label: label) { TextLogHandler(label: $0, output: output, metadataProvider: provider) }
        var theirs = Logger(label: label) { StreamLogHandler(label: $0, stream: captured, metadataProvider: provider) }
        for (key, value) in handlerMetadata {
            ours[metadataKey: key] = value
            theirs[metadataKey: key] = value
        }
        let before = time(nil)
        log(&ours)
        log(&theirs)
        let after = time(nil)
        let ourLines = pipe.drain().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let theirLines = captured.lines
        #expect(ourLines.count == theirLines.count)
        #expect(ourLines.count > 1, "nothing was logged")
        let stamps = Set((before...after).map { String(decoding: LogOutput.localTimestamp($0), as: UTF8.self) })
        for (our, their) in zip(ourLines, theirLines) where !our.isEmpty || !their.isEmpty {
            let ourStamp = our.prefix { $0 != " " }
            let theirStamp = their.prefix { $0 != " " }
            #expect(stamps.contains(String(ourStamp)), "timestamp \(ourStamp) is not one of \(stamps)")
            #expect(stamps.contains(String(theirStamp)), "StreamLogHandler's timestamp \(theirStamp) is not one of \(stamps)")
            #expect(our.dropFirst(ourStamp.count) == their.dropFirst(theirStamp.count))
        }
    }

    @Test func theIntakeLineIsStreamLogHandlersLine() throws {
        try compare { logger in
            logger.info(
                "webhook",
                metadata: [
                    "request_id": "8c1d2e", "client_ip": "127.0.0.1", "provider": "plaid", "outcome": "accepted", "status": "200",
                    "duration_ms": "1.789", "event_id": "sha256:d575",
                ])
            logger.warning("webhook", metadata: ["outcome": "store_unavailable", "reason": "commit failed: disk I/O error", "status": "503"])
        }
    }

    @Test func withoutMetadataAndWithAnEmptyLabel() throws {
        try compare(label: "") { logger in
            logger.notice("running on the embedded development defaults")
            logger.error("no metadata at all", metadata: [:])
        }
    }

    @Test func handlerProviderAndEventMetadataMergeInThatOrder() throws {
        let provider = Logger.MetadataProvider { ["gate": "a", "trace": "from-provider"] }
        try compare(provider: provider, handlerMetadata: ["gate": "handler", "component": "dispatcher"]) { logger in
            logger.info("merged", metadata: ["trace": "from-event", "attempt": "2"])
            logger.info("only the handler's and the provider's")
        }
    }

    @Test func valuesOtherThanStringsAndErrors() throws {
        try compare { logger in
            logger.info(
                "shapes",
                metadata: [
                    "list": ["a", "b \"quoted\""], "nested": ["k": "v"], "empty": [:], "number": .stringConvertible(42),
                    "unicode": "é ✓", "spaces": "two words",
                ])
            logger.error("failed", error: Failure())
            logger.error("failed with metadata", error: Failure(), metadata: ["handler": "ledger"])
        }
    }

    @Test func theLevelFilterIsTheLoggers() throws {
        try compare { logger in
            logger.logLevel = .warning
            logger.info("not written")
            logger.warning("written")
        }
    }

    @Test func concurrentLinesNeverInterleave() async throws {
        let pipe = try Pipe()
        let output = LogOutput(fileDescriptor: pipe.write)
        let reader = Task.detached { pipe.drainKeepingWriteEnd() }
        let logger = Logger(label: "hookgate") { TextLogHandler(label: $0, output: output) }
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for line in 0..<500 {
                        logger.info("line", metadata: ["writer": "\(writer)", "line": "\(line)", "padding": "\(String(repeating: "x", count: 200))"])
                    }
                }
            }
        }
        close(pipe.write)
        let lines = await reader.value.split(separator: "\n").map(String.init)
        #expect(lines.count == 8 * 500)
        let pattern = /^\S+ info hookgate: line=\d+ padding=x{200} writer=\d \[HookGateTests\] line$/
        #expect(lines.allSatisfy { $0.wholeMatch(of: pattern) != nil })
    }
}

extension TextLogHandlerTests.Pipe {
    /// Reads until every writer has closed the write end (the test closes it).
    func drainKeepingWriteEnd() -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = Glibc.read(read, &chunk, chunk.count)
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        close(read)
        return String(decoding: bytes, as: UTF8.self)
    }
}
