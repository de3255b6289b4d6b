import Foundation
import HookGateApp
import HookGateCore
import JOSE
import Testing

@testable import HookGateServer

/// One word per delivery state (``DeliveryStatus``'s wire strings: pending, retrying,
/// in_flight, delivered, dead) in `/stats`, `/metrics`, the console and the CLI. `/stats`
/// keeps the contract's `succeeded` and writes `delivered` beside it, the same figure.
@Suite(.serialized) struct DeliveryVocabularyTests {
    static let states = Set(DeliveryStatus.allCases.map(\.rawValue))

    @Test func statsMetricsConsoleAndCommandLineNameTheStatesAlike() async throws {
        #expect(Self.states == ["pending", "retrying", "in_flight", "delivered", "dead"])
        try await withGate(yaml: MetricsConventionTests.yaml()) { harness in
            try await MonitoringTests.scriptedMix(harness)
            #expect(await eventually { (try? await harness.admin("/metrics").text.contains(#"hookgate_deliveries{state="delivered"} 5"#)) == true })

            // /stats: the contract's keys, plus `delivered`, equal to `succeeded`.
            let stats = try JSONParser.parse(try await harness.admin("/stats").body)
            let deliveries = try #require(stats["deliveries"]?.objectMembers)
            let keys = Set(deliveries.map(\.0))
            #expect(keys == Self.states.union(["succeeded", "oldest_pending_seconds"]))
            #expect(stats["deliveries"]?["delivered"]?.int64Value == 5 && stats["deliveries"]?["succeeded"]?.int64Value == 5)
            let decoded = try StatsDocument.decode(Data(try await harness.admin("/stats").body))
            #expect(decoded.deliveries.delivered == 5)

            // /metrics: the state label takes exactly these words; the attempts' outcomes are among them.
            let exposition = try MetricsConventionTests.Exposition(try await harness.admin("/metrics").text)
            let stateLabels = Set(exposition.samples.filter { $0.name == "hookgate_deliveries" }.compactMap { $0.labels["state"] })
            #expect(stateLabels == Self.states)
            let outcomes = Set(exposition.samples.filter { $0.name == "hookgate_delivery_attempts_total" }.compactMap { $0.labels["outcome"] })
            #expect(outcomes == ["delivered", "retrying", "dead"] && outcomes.isSubset(of: Self.states))

            // The CLI: the table's deliveries line and the streamed line.
            let table = try await CommandLineTests.run(["stats", "--admin", "http://127.0.0.1:\(harness.adminPort)"])
            let line = try #require(table.output.split(separator: "\n").first { $0.hasPrefix("deliveries:") })
            #expect(line.contains("delivered 5") && !line.contains("succeeded"), "\(line)")
            let streamed = try await MonitoringTests.watchLines(adminPort: harness.adminPort, count: 1)
            let streamedKeys = Set(try #require(streamed.first).split(separator: " ").map { String($0.split(separator: "=")[0]) })
            #expect(Self.states.isSubset(of: streamedKeys), "\(streamed)")
        }

        // The console: the overview reads each state from /stats by its name, and each has a badge style.
        let console = Signer.repositoryRoot.appendingPathComponent("Sources/HookGateServer/Console")
        let overview = try String(contentsOf: console.appendingPathComponent("overview.js"), encoding: .utf8)
        for state in Self.states { #expect(overview.contains("d.\(state))"), "overview.js reads deliveries.\(state)") }
        #expect(!overview.contains("d.succeeded") && overview.contains(#""Delivered""#))
        let css = try String(contentsOf: console.appendingPathComponent("console.css"), encoding: .utf8)
        for state in Self.states { #expect(css.contains(".badge.\(state)"), "a badge style for \(state)") }
        let event = try String(contentsOf: console.appendingPathComponent("event.js"), encoding: .utf8)
        #expect(!event.contains(#""succeeded""#), "an attempt's badge says delivered or failed")
    }
}
