import ArgumentParser
import Foundation
import HookGateCore
import HookGateDispatch
import JOSE
import NIOCore
import NIOHTTP1
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `hookgate replay`: sends captured or fixture bodies to a running gate, signed fresh.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Send webhook bodies or captures (files or folders) to a running gate and summarise its answers.",
        discussion: """
            A body file's provider comes from --provider or from a plaid/, linkmoney/ or ledgersync/ folder in its path. \
            Bodies are signed fresh (iat now, request_body_sha256 of the bytes) with the development key, or --key/--kid, \
            in the provider's header (Plaid-Verification, Webhook-Verification). Captures written by `hookgate events export` \
            are signed fresh too, unless --as-captured resends their original headers unchanged.
            Exit status: 0 when every answer is accepted or duplicate (with --as-captured, stale_token too), 1 otherwise, 2 usage error.
            """)

    @Argument(help: "Body files, *.capture.json files, or folders of them (*.json, recursively).")
    var paths: [String]

    @Option(help: "The gate's public base URL.")
    var to: String = "http://127.0.0.1:8080"

    @Option(help: "The provider of body files whose path does not say: plaid, linkmoney or ledgersync.")
    var provider: String?

    @Option(help: "Sign with this PEM private key instead of the development key (with --kid).")
    var key: String?

    @Option(help: "The kid to sign with (default: \(DevelopmentKeys.keyID) for the development key).")
    var kid: String?

    @Flag(name: .customLong("as-captured"), help: "Resend captures' original headers (including the old token) unchanged.")
    var asCaptured = false

    @Option(help: "Requests in flight at once.")
    var concurrency: Int = 4

    @Option(help: "At most this many requests per second.")
    var rate: Double?

    @Option(help: "Send everything this many times.")
    var `repeat`: Int = 1

    @Option(name: .customLong("header"), help: "An extra header, \"Name: value\" (repeatable; e.g. a LedgerSync shared secret).")
    var headers: [String] = []

    func validate() throws {
        if let provider, Provider(rawValue: provider) == nil { throw ValidationError("--provider must be plaid, linkmoney or ledgersync") }
        if key != nil && kid == nil { throw ValidationError("with --key, give --kid") }
        if concurrency < 1 || concurrency > 256 { throw ValidationError("--concurrency must be 1 to 256") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
        if `repeat` < 1 { throw ValidationError("--repeat must be at least 1") }
        guard let url = URL(string: to), url.scheme == "http" || url.scheme == "https", url.host != nil else { throw ValidationError("--to must be an http(s) URL") }
        for header in headers where !header.contains(":") { throw ValidationError("--header must be \"Name: value\"") }
    }

    struct Item: Sendable {
        var label: String
        var provider: Provider
        var body: [UInt8]
        var captured: [(String, String)]?
        var contentType: String?
    }

    func collect() throws -> [Item] {
        var files: [String] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ValidationError("no such file or folder: \(path)") }
            if isDirectory.boolValue {
                let found = (manager.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []).filter { $0.hasSuffix(".json") }.sorted()
                files += found.map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        guard !files.isEmpty else { throw ValidationError("no *.json files in \(paths.joined(separator: ", "))") }
        return try files.map { file in
            let data = try readFile(file, what: "file")
            if let capture = CaptureFile.decode(data) {
                guard let provider = Provider(rawValue: capture.provider) else { throw ValidationError("\(file): unknown provider \(capture.provider)") }
                let body: [UInt8]
                do { body = try capture.bodyBytes() } catch { throw ValidationError("\(file): \(error)") }
                let pairs = capture.headers.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
                let contentType = pairs.first { $0.0.lowercased() == "content-type" }?.1
                return Item(label: file, provider: provider, body: body, captured: pairs, contentType: contentType)
            }
            let inferred = provider.flatMap(Provider.init) ?? file.split(separator: "/").reversed().compactMap { Provider(rawValue: String($0)) }.first
            guard let inferred else {
                throw ValidationError("cannot tell the provider of \(file): put it under a plaid/, linkmoney/ or ledgersync/ folder, or pass --provider")
            }
            return Item(label: file, provider: inferred, body: Array(data), captured: nil, contentType: nil)
        }
    }

    func run() async throws {
        let items = try collect()
        let signingKey: P256PrivateKey
        do {
            signingKey = try P256PrivateKey(pem: try key.map { String(decoding: try readFile($0, what: "key"), as: UTF8.self) } ?? DevelopmentKeys.privateKeyPEM)
        } catch let error as JOSEError {
            throw ValidationError("\(key ?? "development key"): \(error.reason)")
        }
        let keyID = kid ?? DevelopmentKeys.keyID
        let extra = headers.map { header -> (String, String) in
            let colon = header.firstIndex(of: ":")!
            return (String(header[..<colon]).trimmingCharacters(in: .whitespaces), String(header[header.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        let base = URL(string: to)!
        let sender = Sender(base: base)
        let total = items.count * `repeat`
        let progress = Progress(total: total, enabled: isatty(STDERR_FILENO) == 1 && total >= 10)
        let tally = Tally()
        let started = Date()
        let asCaptured = self.asCaptured
        let rate = self.rate
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<min(concurrency, total) {
                group.addTask {
                    while true {
                        let index = tally.take()
                        guard index < total else { return }
                        if let rate {
                            let due = started.addingTimeInterval(Double(index) / rate)
                            let wait = due.timeIntervalSinceNow
                            if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
                        }
                        let item = items[index % items.count]
                        var requestHeaders: [(String, String)]
                        if asCaptured, let captured = item.captured {
                            requestHeaders = captured
                        } else {
                            let token = try CompactJWS.sign(
                                header: [("kid", .string(keyID)), ("typ", .string("JWT"))],
                                claims: [("iat", .number(String(Int64(Date().timeIntervalSince1970)))), ("request_body_sha256", .string(SHA256.hexHash(item.body)))],
                                key: signingKey)
                            requestHeaders = [("Content-Type", item.contentType ?? "application/json"), (item.provider.defaultVerificationHeader, token)]
                        }
                        requestHeaders += extra
                        let answer = await sender.send(path: "/webhooks/\(item.provider.rawValue)", headers: requestHeaders, body: item.body)
                        tally.record(provider: item.provider.rawValue, answer: answer)
                        progress.advance()
                    }
                }
            }
            try await group.waitForAll()
        }
        progress.finish()
        sender.shutdown()
        let elapsed = Date().timeIntervalSince(started)
        let counts = tally.counts()
        var rows: [[String]] = []
        var unexpected = 0
        var answers = Set<String>()
        for provider in counts.keys.sorted() {
            for (answer, count) in counts[provider]!.sorted(by: { $0.key < $1.key }) {
                rows.append([provider, answer, String(count)])
                answers.insert(answer)
                let expected = answer == "accepted" || answer == "duplicate" || (asCaptured && (answer == "stale_token" || answer == "future_token"))
                if !expected { unexpected += count }
            }
        }
        rows.append(["total", "", String(total)])
        print(Table.render(header: ["PROVIDER", "ANSWER", "COUNT"], rows: rows))
        print(String(format: "%d requests in %.2f s (%.0f/s) to %@", total, elapsed, Double(total) / max(elapsed, 0.001), to))
        if answers.contains("stale_token") {
            print("note: stale_token means the token's iat is older than the gate's max_age (300 s by default)."
                  + (asCaptured ? " --as-captured resends the original token, so a capture older than that is refused; replay without --as-captured to sign it fresh." : ""))
        }
        if answers.contains("unknown_key") || answers.contains("bad_signature") {
            print("note: the gate does not trust the signing key; the embedded defaults trust the development key (Keys/dev.jwks.json).")
        }
        if answers.contains("unreachable") {
            print("note: unreachable means no answer from \(to); is the gate running (swift run hookgate serve)?")
        }
        if unexpected > 0 { throw ExitCode(1) }
    }

    /// The next request index and the answers so far, shared by the workers.
    final class Tally: Sendable {
        private let next = Mutex(0)
        private let results = Mutex<[String: [String: Int]]>([:])

        func take() -> Int { next.withLock { value in defer { value += 1 }; return value } }
        func record(provider: String, answer: String) { results.withLock { $0[provider, default: [:]][answer, default: 0] += 1 } }
        func counts() -> [String: [String: Int]] { results.withLock { $0 } }
    }

    /// Sends requests: plain HTTP on pooled keep-alive connections, HTTPS through URLSession.
    final class Sender: Sendable {
        let base: URL
        let pool = HTTPConnectionPool()

        init(base: URL) {
            self.base = base
        }

        /// The answer: `accepted`, `duplicate`, an error code, `HTTP <status>` or `unreachable`.
        func send(path: String, headers: [(String, String)], body: [UInt8]) async -> String {
            let status: Int
            let answer: [UInt8]
            do {
                if base.scheme == "https" {
                    var request = URLRequest(url: base.appendingPathComponent(path), timeoutInterval: 30)
                    request.httpMethod = "POST"
                    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
                    request.httpBody = Data(body)
                    let (data, response) = try await URLSession.shared.data(for: request)
                    status = (response as? HTTPURLResponse)?.statusCode ?? 0
                    answer = Array(data)
                } else {
                    let prefix = base.path == "/" ? "" : base.path
                    let response = try await pool.execute(
                        host: base.host ?? "127.0.0.1", port: base.port ?? 80, method: .POST, path: prefix + path, headers: headers, body: body, timeout: .seconds(30))
                    status = response.status
                    answer = response.bodyExcerpt
                }
            } catch {
                return "unreachable"
            }
            let json = try? JSONParser.parse(answer)
            if status == 200, let value = json?["status"]?.stringValue { return value }
            return json?["error"]?.stringValue ?? "HTTP \(status)"
        }

        func shutdown() {
            pool.shutdown()
        }
    }

    /// A progress bar on standard error, only on a terminal (scripts get the summary alone).
    final class Progress: Sendable {
        let total: Int
        let enabled: Bool
        private let done = Mutex(0)

        init(total: Int, enabled: Bool) {
            self.total = total
            self.enabled = enabled
        }

        func advance() {
            let count = done.withLock { value -> Int in value += 1; return value }
            guard enabled, count == total || count % max(1, total / 100) == 0 else { return }
            let width = 40
            let filled = width * count / total
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            FileHandle.standardError.write(Data("\r[\(bar)] \(count)/\(total)".utf8))
        }

        func finish() {
            if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
        }
    }
}
