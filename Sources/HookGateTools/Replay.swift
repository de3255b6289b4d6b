import Foundation
import HookGateCore

/// Sends webhook bodies to a running gate and tallies its answers: `hookgate replay`.
///
/// Bodies are signed fresh (iat now, `request_body_sha256` of the bytes) in the provider's
/// verification header; with ``asCaptured``, captures are resent with their original
/// headers instead. Requests go out ``concurrency`` at a time, at most ``rate`` per second.
package struct Replay: Sendable {
    /// The gate's public base URL (http or https).
    package var base: URL
    /// Signs bodies sent fresh.
    package var signer: WebhookSigner
    /// Resend captures' original headers unchanged.
    package var asCaptured: Bool
    /// Requests in flight at once.
    package var concurrency: Int
    /// At most this many requests per second, when set.
    package var rate: Double?
    /// Send everything this many times.
    package var repetitions: Int
    /// Headers added to every request, after the others.
    package var extraHeaders: [(String, String)]
    /// Where each provider's route and signing scheme come from.
    package var directory: SenderDirectory
    /// The secret shared-secret kinds are signed with (default: the provider's first configured
    /// secret, which without `--config` is the kind's development secret).
    package var secret: String?

    /// A replay to `base`; see each property.
    package init(
        base: URL, signer: WebhookSigner, asCaptured: Bool = false, concurrency: Int = 4, rate: Double? = nil, repetitions: Int = 1,
        extraHeaders: [(String, String)] = [], directory: SenderDirectory = SenderDirectory(configuration: nil), secret: String? = nil
    ) {
        self.directory = directory
        self.secret = secret
        self.base = base
        self.signer = signer
        self.asCaptured = asCaptured
        self.concurrency = concurrency
        self.rate = rate
        self.repetitions = repetitions
        self.extraHeaders = extraHeaders
    }

    /// Sends every item ``repetitions`` times and returns the answers by provider.
    /// - Parameter showProgress: draw a progress bar on standard error (for a terminal; 10 requests or more).
    /// - Throws: ``JOSEError`` when a token cannot be signed, or cancellation.
    package func run(_ items: [ReplayItem], showProgress: Bool = false) async throws -> ReplayReport {
        var table: [Provider: Route] = [:]
        for provider in Set(items.map(\.provider)) { table[provider] = try route(for: provider) }
        let routes = table
        let sender = ReplaySender(base: base, connections: concurrency)
        let total = items.count * repetitions
        let progress = ReplayProgress(total: total, enabled: showProgress && total >= 10)
        let tally = ReplayTally()
        let started = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<min(concurrency, total) {
                group.addTask {
                    while true {
                        let index = tally.take()
                        guard index < total else { return }
                        if let rate {
                            let wait = started.addingTimeInterval(Double(index) / rate).timeIntervalSinceNow
                            if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
                        }
                        let item = items[index % items.count]
                        let route = routes[item.provider]!
                        let requestHeaders = try headers(for: item, route: route)
                        let answer = await sender.send(path: route.path, headers: requestHeaders, body: item.body)
                        tally.record(provider: item.provider.rawValue, answer: answer)
                        progress.advance()
                    }
                }
            }
            try await group.waitForAll()
        }
        progress.finish()
        await sender.shutdown()
        return ReplayReport(
            counts: tally.counts(), total: total, elapsed: Date().timeIntervalSince(started), target: base.absoluteString, asCaptured: asCaptured)
    }

    /// How one provider's items are sent: its path and how they are signed.
    struct Route: Sendable {
        let path: String
        /// The JWT header, for the JWT family.
        let tokenHeader: String?
        /// The signer, for the shared-secret kinds.
        let signer: SenderSigner?
    }

    func route(for provider: Provider) throws -> Route {
        let settings = try directory.settings(for: provider)
        switch settings.verification {
        case .signature:
            do {
                return Route(path: settings.path, tokenHeader: nil, signer: try SenderSigner(settings: settings, secret: secret))
            } catch {
                throw ToolError("\(provider): \(error.description)")
            }
        case .jwt(let header, _, _):
            return Route(path: settings.path, tokenHeader: header, signer: nil)
        case .token, .none:
            return Route(path: settings.path, tokenHeader: settings.kind.defaultVerificationHeader, signer: nil)
        }
    }

    /// The request headers of `item`: its captured ones, or a fresh signature; then ``extraHeaders``.
    func headers(for item: ReplayItem, route: Route) throws -> [(String, String)] {
        if asCaptured, let captured = item.captured { return captured + extraHeaders }
        if let signer = route.signer {
            do {
                return try signer.headers(body: item.body, captured: item.captured ?? [], now: Int64(Date().timeIntervalSince1970)) + extraHeaders
            } catch {
                throw ToolError("\(item.label): \(error.description)")
            }
        }
        let token = try signer.token(body: item.body)
        return [("Content-Type", item.contentType ?? "application/json"), (route.tokenHeader ?? item.provider.defaultVerificationHeader, token)]
            + extraHeaders
    }
}
