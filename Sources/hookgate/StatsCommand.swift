import ArgumentParser
import Foundation
import HookGateServer
import HookGateTools

/// `hookgate stats`: the live figures of a running gate's `/stats`.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show a running gate's live figures (from its admin listener's /stats).",
        discussion: "Intake and key counters count since the gate started; deliveries and store are totals from the database.")

    @OptionGroup var connection: AdminOptions

    @Flag(help: "Print the raw JSON document.")
    var json = false

    @Option(
        help: """
            Refresh every this many seconds, with rates per second between refreshes. On a terminal the table is redrawn; \
            otherwise (a pipe, a file) each refresh is one line of key=value pairs.
            """)
    var watch: Double?

    func validate() throws {
        if let watch, watch < 0.2 { throw ValidationError("--watch must be at least 0.2 seconds") }
    }

    func fetch() async throws -> (Data, StatsDocument) {
        let answer: AdminClient.Answer
        do throws(AdminClient.Failure) {
            answer = try await connection.client.get("stats")
        } catch {
            FileHandle.standardError.write(Data("\(error.description)\n".utf8))
            throw ExitCode(1)
        }
        guard answer.status == 200, let document = try? StatsDocument.decode(answer.body) else {
            FileHandle.standardError.write(Data("\(answer.url) did not answer a stats document\(answer.errorLine.map { ": " + $0 } ?? "")\n".utf8))
            throw ExitCode(1)
        }
        return (answer.body, document)
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
