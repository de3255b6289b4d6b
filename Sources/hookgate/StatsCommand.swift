import ArgumentParser
import Foundation
import HookGateHTTPClient
import HookGateServer
import HookGateTools

/// `hookgate stats`: the live figures of a running gate's `/stats`.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show a running gate's live figures (from its admin listener's /stats).",
        discussion: "Intake and key counters count since the gate started; deliveries and store are totals from the database.")

    @Option(help: "The admin listener's base URL.")
    var admin: String = "http://127.0.0.1:9091"

    @Option(help: "The admin token (admin.token). Default: the environment variable HOOKGATE_ADMIN_TOKEN.")
    var token: String?

    @Flag(help: "Print the raw JSON document.")
    var json = false

    @Option(help: "Refresh every this many seconds, with rates per second between refreshes.")
    var watch: Double?

    func validate() throws {
        guard let url = URL(string: admin), url.scheme == "http" || url.scheme == "https" else {
            throw ValidationError("--admin must be an http(s) URL")
        }
        if let watch, watch < 0.2 { throw ValidationError("--watch must be at least 0.2 seconds") }
    }

    /// One connection, lives as long as the process; a refused connection fails at once
    /// (no reconnect backoff: a gate that is down is reported, not waited for).
    static let client = BoundedHTTPClient(connectionsPerHost: 1, retryConnecting: false)

    func fetch() async throws -> (Data, StatsDocument) {
        let url = URL(string: admin)!.appendingPathComponent("stats")
        var headers: [(String, String)] = []
        if let token = token ?? ProcessInfo.processInfo.environment["HOOKGATE_ADMIN_TOKEN"], !token.isEmpty {
            headers.append(("Authorization", "Bearer \(token)"))
        }
        // The package's own HTTP client (AsyncHTTPClient), not URLSession: no libcurl in the binary.
        let answer: BoundedHTTPClient.Answer
        do {
            answer = try await Self.client.send(.GET, url: url.absoluteString, headers: headers, body: [], limit: 4 << 20, timeout: 30)
        } catch {
            FileHandle.standardError.write(Data("cannot reach \(url): \(error.description)\n".utf8))
            throw ExitCode(1)
        }
        let data = Data(answer.body)
        if answer.status == 401 {
            FileHandle.standardError.write(Data("\(url) needs the admin token: pass --token or set HOOKGATE_ADMIN_TOKEN\n".utf8))
            throw ExitCode(1)
        }
        guard answer.status == 200, let document = try? StatsDocument.decode(data) else {
            FileHandle.standardError.write(Data("\(url) did not answer a stats document\n".utf8))
            throw ExitCode(1)
        }
        return (data, document)
    }

    func run() async throws {
        var previous: (StatsDocument, Date)?
        let interactive = isatty(STDOUT_FILENO) == 1
        while true {
            let (data, document) = try await fetch()
            let now = Date()
            if json {
                print(String(decoding: data, as: UTF8.self))
            } else {
                if interactive && watch != nil { print("\u{1B}[H\u{1B}[2J", terminator: "") }
                print(StatsCommand.render(document, previous: previous.map { ($0.0, now.timeIntervalSince($0.1)) }))
            }
            guard let watch else { return }
            if !interactive { print("") }
            previous = (document, now)
            try await Task.sleep(for: .milliseconds(Int(watch * 1000)))
        }
    }

    /// The table; with `previous`, a rate column per second since it.
    static func render(_ document: StatsDocument, previous: (StatsDocument, Double)?) -> String {
        var lines = [
            "HookGate \(document.version), up \(duration(document.uptimeSeconds)) (intake and keys: since start; deliveries and store: database totals)"
        ]
        var header = ["PROVIDER", "RECEIVED", "ACCEPTED", "DUPLICATES", "REJECTED"]
        if previous != nil { header.append("RECEIVED/S") }
        header.append("REJECTIONS")
        let rows = document.providers.keys.sorted().map { name -> [String] in
            let figures = document.providers[name]!
            var row = [
                name, String(figures.received), String(figures.accepted), String(figures.duplicates), String(figures.rejected.values.reduce(0, +)),
            ]
            if let (before, seconds) = previous, seconds > 0 {
                let earlier = before.providers[name]?.received ?? 0
                row.append(String(format: "%.1f", Double(figures.received - earlier) / seconds))
            }
            let reasons = figures.rejected.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            row.append(reasons.isEmpty ? "-" : reasons)
            return row
        }
        lines.append(TextTable.render(header: header, rows: rows))
        let keys = document.keys
        lines.append(
            "keys:        cached \(keys.cached), fetches \(keys.fetches), fetch failures \(keys.fetchFailures), negative-cache hits \(keys.negativeHits), rate-limited \(keys.rateLimited)"
        )
        let d = document.deliveries
        var deliveries =
            "deliveries:  pending \(d.pending), retrying \(d.retrying), in flight \(d.inFlight), succeeded \(d.delivered), dead \(d.dead), oldest pending \(duration(d.oldestPendingSeconds))"
        if let (before, seconds) = previous, seconds > 0 {
            deliveries += String(format: ", %.1f delivered/s", Double(d.delivered - before.deliveries.delivered) / seconds)
        }
        lines.append(deliveries)
        let l = document.intakeLatencyMs
        lines.append(String(format: "latency ms:  p50 %.2f, p90 %.2f, p99 %.2f, max %.2f (last %d requests)", l.p50, l.p90, l.p99, l.max, l.window))
        lines.append("store:       \(document.store.events) events, \(bytes(document.store.bytes))")
        return lines.joined(separator: "\n")
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let total = Int(seconds)
        if total < 3600 { return "\(total / 60)m\(total % 60)s" }
        return "\(total / 3600)h\((total % 3600) / 60)m"
    }

    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }
}
