import ArgumentParser
import Foundation
import HookGateHTTPClient
import HookGateServer

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

    @Option(
        help: """
            Refresh every this many seconds, with rates per second between refreshes. On a terminal the table is redrawn; \
            otherwise (a pipe, a file) each refresh is one line of key=value pairs.
            """)
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
            let since = previous.map { ($0.0, now.timeIntervalSince($0.1)) }
            if json {
                print(String(decoding: data, as: UTF8.self))
            } else if watch != nil && !interactive {
                print(document.line(previous: since, at: now))
            } else {
                if interactive && watch != nil { print("\u{1B}[H\u{1B}[2J", terminator: "") }
                print(document.table(previous: since))
            }
            // Standard output is block-buffered when it is not a terminal: without this, a
            // watch into a pipe wrote nothing until several kilobytes had piled up.
            fflush(nil)  // every output stream: standard output is the only one written
            guard let watch else { return }
            previous = (document, now)
            try await Task.sleep(for: .milliseconds(Int(watch * 1000)))
        }
    }
}
