import Foundation
import HookGateApp
import HookGateCore
import Testing

@testable import HookGateServer

/// `/metrics` by the Prometheus conventions: `promtool check metrics` is clean on a live
/// gate's answer; every family has `# HELP` and `# TYPE` and is in ``MetricFamily``'s
/// catalogue (which docs/operations.md's table lists); the `process_*` series, the build
/// info and the start time are there and plausible; attempts are counted by handler.
@Suite(.serialized) struct MetricsConventionTests {
    /// A gate with three handlers: a file that takes everything, an exec that always fails, and one that matches nothing.
    static func yaml() -> String {
        TestConfig.pinned() + """

            handlers:
              - name: audit
                match: ["*"]
                file:
                  path: DIR/audit.jsonl
              - name: failing
                match: ["plaid:*"]
                exec:
                  command: ["/bin/false"]
              - name: idle
                match: ["ledgersync:neverSent"]
                file:
                  path: DIR/idle.jsonl
            """
    }

    /// One sample of the exposition: `name{labels} value`.
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// The exposition's samples and its `# HELP` and `# TYPE` lines by family.
    struct Exposition {
        var samples: [Sample] = []
        var help: [String: String] = [:]
        var type: [String: String] = [:]

        init(_ text: String) throws {
            for line in text.split(separator: "\n") {
                if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                    let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
                    try #require(parts.count == 4, "\(line)")
                    if parts[1] == "HELP" { help[parts[2]] = parts[3] } else { type[parts[2]] = parts[3] }
                    continue
                }
                let space = try #require(line.lastIndex(of: " "))
                let series = line[..<space]
                let value = try #require(Double(line[line.index(after: space)...]), "\(line)")
                var labels: [String: String] = [:]
                var name = String(series)
                if let brace = series.firstIndex(of: "{") {
                    name = String(series[..<brace])
                    let inside = series[series.index(after: brace)..<series.index(before: series.endIndex)]
                    for pair in inside.split(separator: ",") {
                        let halves = pair.split(separator: "=", maxSplits: 1)
                        labels[String(halves[0])] = String(halves[1].dropFirst().dropLast())
                    }
                }
                samples.append(Sample(name: name, labels: labels, value: value))
            }
        }

        /// The family a sample belongs to (histograms' `_bucket`, `_sum` and `_count` belong to the histogram).
        func family(of sample: Sample) -> String {
            for suffix in ["_bucket", "_sum", "_count"] where sample.name.hasSuffix(suffix) {
                let base = String(sample.name.dropLast(suffix.count))
                if type[base] == "histogram" { return base }
            }
            return sample.name
        }

        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            samples.first { $0.name == name && $0.labels == labels }?.value
        }
    }

    /// `promtool` on the PATH, if Debian's `prometheus` package (or a release of Prometheus) is installed.
    static let promtool: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/promtool" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Starts the gate, sends the scripted mix, and waits until the handlers' attempts are counted.
    static func liveGate() async throws -> (GateHarness, String) {
        try await withGate(yaml: yaml()) { harness in
            try await MonitoringTests.scriptedMix(harness)
            let counted = await eventually(seconds: 10) {
                guard let text = try? await harness.admin("/metrics").text, let exposition = try? Exposition(text) else { return false }
                return exposition.value("hookgate_delivery_attempts_total", ["handler": "audit", "outcome": "delivered"]) == 5
                    && (exposition.value("hookgate_delivery_attempts_total", ["handler": "failing", "outcome": "retrying"]) ?? 0) >= 3
            }
            #expect(counted, "the handlers' attempts were counted")
            return (harness, try await harness.admin("/metrics").text)
        }
    }

    @Test(
        .enabled(
            if: MetricsConventionTests.promtool != nil,
            "promtool is not installed: Debian's prometheus package provides it (Tests/run.sh installs it); the promtool check is skipped"))
    func promtoolFindsNoProblemInALiveExposition() async throws {
        let (harness, text) = try await Self.liveGate()
        try await harness.stop()
        let promtool = try #require(Self.promtool)
        let (status, output) = try await RawHTTP.onThread { () -> (Int32, String) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: promtool)
            process.arguments = ["check", "metrics"]
            let input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = output
            try process.run()
            input.fileHandleForWriting.write(Data(text.utf8))
            try input.fileHandleForWriting.close()
            let answer = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, answer)
        }
        #expect(status == 0 && output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool check metrics: \(output)")
    }

    @Test func everyFamilyIsDescribedAndInTheCatalogue() async throws {
        let (harness, text) = try await Self.liveGate()
        try await harness.stop()
        let exposition = try Exposition(text)
        let families = Set(exposition.samples.map { exposition.family(of: $0) })
        let catalogue = Dictionary(uniqueKeysWithValues: MetricFamily.all.map { ($0.name, $0) })
        #expect(
            families == Set(catalogue.keys),
            "exposed but not catalogued: \(families.subtracting(catalogue.keys)); catalogued but not exposed: \(Set(catalogue.keys).subtracting(families))"
        )
        for family in families {
            let entry = try #require(catalogue[family])
            #expect(exposition.type[family] == entry.kind.rawValue, "\(family)")
            #expect(exposition.help[family] == entry.help && !entry.help.isEmpty, "\(family)")
        }
        for sample in exposition.samples {
            let entry = try #require(catalogue[exposition.family(of: sample)])
            #expect(Set(sample.labels.keys).subtracting(["le"]) == Set(entry.labels), "\(sample.name) \(sample.labels)")
        }
        // Naming guide: counters end in _total, nothing else does; the uptime gauge is gone.
        for entry in MetricFamily.all { #expect(entry.name.hasSuffix("_total") == (entry.kind == .counter), "\(entry.name)") }
        #expect(exposition.value("hookgate_uptime_seconds") == nil)
    }

    @Test func operationsDocumentListsEveryFamily() throws {
        let text = try String(contentsOf: Signer.repositoryRoot.appendingPathComponent("docs/operations.md"), encoding: .utf8)
        var listed: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| `hookgate_") || line.hasPrefix("| `process_") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            listed[cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = cells[1]
        }
        #expect(Set(listed.keys) == Set(MetricFamily.all.map(\.name)))
        for family in MetricFamily.all { #expect(listed[family.name] == family.kind.rawValue, "\(family.name)") }
    }

    @Test func processBuildAndStartFiguresArePlausible() async throws {
        let before = Date().timeIntervalSince1970
        let (harness, text) = try await Self.liveGate()
        try await harness.stop()
        let exposition = try Exposition(text)
        let now = Date().timeIntervalSince1970
        let build = try #require(exposition.samples.first { $0.name == "hookgate_build_info" })
        #expect(build.value == 1 && build.labels["version"] == GateServer.version && build.labels["commit"] == GateMetrics.commit)
        #expect(!GateMetrics.commit.isEmpty)
        let started = try #require(exposition.value("hookgate_start_time_seconds"))
        #expect(started >= before - 1 && started <= now)
        let processStart = try #require(exposition.value("process_start_time_seconds"))
        #expect(processStart <= started + 1 && processStart > now - 86400 * 7, "the test process started before the gate")
        #expect(try #require(exposition.value("process_cpu_seconds_total")) > 0)
        let resident = try #require(exposition.value("process_resident_memory_bytes"))
        let virtual = try #require(exposition.value("process_virtual_memory_bytes"))
        #expect(resident > 1_000_000 && virtual >= resident)
        let open = try #require(exposition.value("process_open_fds"))
        let max = try #require(exposition.value("process_max_fds"))
        #expect(open >= 3 && max >= open)
    }

    @Test func openFileDescriptorsAreCounted() throws {
        let before = try #require(ProcessFigures.current().openFileDescriptors)
        let descriptors = (0..<96).map { _ in open("/dev/null", O_RDONLY) }
        defer { for descriptor in descriptors { close(descriptor) } }
        #expect(descriptors.allSatisfy { $0 >= 0 })
        // Tests running beside this one open and close descriptors meanwhile (a gate stopping
        // closes dozens at once): the 96 are seen, give or take 40 of theirs.
        let after = try #require(ProcessFigures.current().openFileDescriptors)
        #expect(after - before >= 96 - 40 && after - before <= 96 + 40, "\(before) -> \(after)")
        #expect(ProcessFigures.statFields("12 (a) b (c) S 1 2")?.first == "S", "the command name may hold spaces and parentheses")
    }

    @Test func attemptsAreCountedByHandlerAndOutcome() async throws {
        let (harness, text) = try await Self.liveGate()
        try await harness.stop()
        let exposition = try Exposition(text)
        // 5 events accepted: all to audit (delivered), the 3 Plaid ones to failing (retrying); idle matches none.
        #expect(exposition.value("hookgate_delivery_attempts_total", ["handler": "audit", "outcome": "delivered"]) == 5)
        #expect(exposition.value("hookgate_delivery_attempts_total", ["handler": "audit", "outcome": "retrying"]) == 0)
        #expect(exposition.value("hookgate_delivery_attempts_total", ["handler": "failing", "outcome": "delivered"]) == 0)
        #expect(try #require(exposition.value("hookgate_delivery_attempts_total", ["handler": "failing", "outcome": "retrying"])) >= 3)
        for outcome in ["delivered", "retrying", "dead"] {
            #expect(exposition.value("hookgate_delivery_attempts_total", ["handler": "idle", "outcome": outcome]) == 0, "present at 0")
        }
        #expect(exposition.value("hookgate_delivery_attempt_duration_seconds_count", ["handler": "audit"]) == 5)
        #expect(exposition.value("hookgate_deliveries", ["state": "delivered"]) == 5)
    }
}
