import Foundation
import HookGateCore

/// `hookgate rejected`'s requests to a running gate's quarantine routes (`GET /rejected`,
/// `GET /rejected/{id}`, `POST /rejected/{id}/recover`, `POST /rejected/recover`). Recovery
/// runs in the gate, which verifies with its own keys and configuration; every recovery
/// asked from here is recorded as coming from the CLI (`"via": "cli"`).
package struct RejectedClient: Sendable {
    package let admin: AdminClient

    /// Which rejected requests a listing or a bulk recovery takes; `nil` is no condition.
    package struct Filter: Sendable, Equatable {
        package var provider: String?
        /// A refusal code (`bad_signature`, `stale_token`, ...).
        package var reason: String?
        /// Received at or after this time, Unix milliseconds.
        package var since: Int64?

        package init(provider: String? = nil, reason: String? = nil, since: Int64? = nil) {
            self.provider = provider
            self.reason = reason
            self.since = since
        }
    }

    /// What recovering one rejected request did.
    package enum Outcome: Sendable, Equatable {
        /// Verified and stored now (`accepted`, fanned out) or already stored (`duplicate`), as event `eventID`.
        case stored(status: String, eventID: String)
        /// Still refused, with this code (`bad_signature`, `stale_token`, `provider_not_configured`, ...).
        case refused(String)
    }

    package init(admin: AdminClient) {
        self.admin = admin
    }

    /// At most `limit` rejected requests matching `filter`, newest first (as many pages as
    /// that takes), and whether older ones match too.
    /// - Throws: ``AdminClient/Failure`` saying what the gate answered instead.
    package func list(_ filter: Filter, limit: Int) async throws(AdminClient.Failure) -> (rejected: [RejectedSummary], more: Bool) {
        var found: [RejectedSummary] = []
        var before: Int64?
        while found.count < limit {
            var query = Self.query(filter)
            query.append(("limit", String(min(limit - found.count, 1000))))
            if let before { query.append(("before", String(before))) }
            let answer = try await admin.get("rejected", query: query)
            guard answer.status == 200, let page = answer.decoded(RejectedPage.self) else { throw Self.unexpected(answer, expecting: "a list") }
            found += page.rejected
            guard let next = page.nextBefore, !page.rejected.isEmpty else { return (found, false) }
            before = next
        }
        return (found, true)
    }

    /// Rejected request `id`, whole (credential headers masked by the gate).
    /// - Throws: ``AdminClient/Failure``; for an unknown id, "no rejected request `id`".
    package func show(_ id: Int64) async throws(AdminClient.Failure) -> RejectedDocument {
        let answer = try await admin.get("rejected/\(id)")
        guard answer.status == 200, let document = answer.decoded(RejectedDocument.self) else {
            throw Self.unexpected(answer, expecting: "a rejected request")
        }
        return document
    }

    /// Verifies rejected request `id` again in the gate (`ignoreAge`: without the freshness
    /// check) and stores it if it verifies.
    /// - Throws: ``AdminClient/Failure`` when the gate did not decide (unknown id, unreachable, ...).
    package func recover(_ id: Int64, ignoreAge: Bool) async throws(AdminClient.Failure) -> Outcome {
        let answer = try await admin.post("rejected/\(id)/recover", body: RecoveryRequest(ignoreAge: ignoreAge, via: "cli"))
        if answer.status == 409, let code = answer.error { return .refused(code) }
        guard answer.status == 200, let stored = answer.decoded(RecoveryAnswer.self) else { throw Self.unexpected(answer, expecting: "a recovery") }
        return .stored(status: stored.status, eventID: stored.eventID)
    }

    /// Recovers every rejected request matching `filter` not yet recovered (at most `limit`,
    /// the gate's default 1,000 when `nil`), oldest first.
    /// - Throws: ``AdminClient/Failure`` when the gate did not answer a tally.
    package func recover(_ filter: Filter, ignoreAge: Bool, limit: Int?) async throws(AdminClient.Failure) -> RecoveryTally {
        let body = RecoveryRequest(ignoreAge: ignoreAge, via: "cli", provider: filter.provider, reason: filter.reason, since: filter.since, limit: limit)
        let answer = try await admin.post("rejected/recover", body: body)
        guard answer.status == 200, let tally = answer.decoded(RecoveryTally.self) else { throw Self.unexpected(answer, expecting: "a tally") }
        return tally
    }

    static func query(_ filter: Filter) -> [(String, String)] {
        var query: [(String, String)] = []
        if let provider = filter.provider { query.append(("provider", provider)) }
        if let reason = filter.reason { query.append(("reason", reason)) }
        if let since = filter.since { query.append(("since", String(since))) }
        return query
    }

    /// The failure for an answer that is not the one expected: the gate's own error message when it gave one.
    static func unexpected(_ answer: AdminClient.Answer, expecting what: String) -> AdminClient.Failure {
        if let line = answer.errorLine { return AdminClient.Failure(description: line) }
        return AdminClient.Failure(
            description: "\(answer.url) answered \(answer.status), not \(what) (is it a HookGate admin listener of this version?)")
    }
}
