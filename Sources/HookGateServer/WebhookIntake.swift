import Foundation
import HookGateCore
import JOSE
import Logging
import NIOCore
import NIOHTTP1

/// One provider's intake route: the request's head admitted or refused, then the whole
/// body verified, classified and durably stored.
///
/// ``IntakeHandler`` drives it on the public listener and answers `200` only after the
/// event's transaction has committed; every refusal is a ``HookGateError`` answered with
/// the contract's code (the log line says why).
///
/// A class (immutable, shared): each request's state holds its route, and a struct of
/// this size cost tens of reference-count operations at each copy on the hot path.
final class WebhookIntake: Sendable {
    let settings: GateConfiguration.ProviderSettings
    let verifier: WebhookVerifier
    let store: any EventStore
    let maxBodyBytes: Int
    /// The header carrying the token, `nil` when the provider is not verified.
    let credentialHeader: String?
    let matcher: HandlerMatcher
    /// Where refused requests go (`nil`: `quarantine.enabled: false`).
    let quarantine: QuarantineWriter?

    init(
        settings: GateConfiguration.ProviderSettings, verifier: WebhookVerifier, store: any EventStore, maxBodyBytes: Int, matcher: HandlerMatcher,
        quarantine: QuarantineWriter? = nil
    ) {
        self.matcher = matcher
        self.quarantine = quarantine
        self.settings = settings
        self.verifier = verifier
        self.store = store
        self.maxBodyBytes = maxBodyBytes
        switch settings.verification {
        case .jwt(let header, _, _), .token(let header, _): credentialHeader = header
        case .signature, .none: credentialHeader = nil
        }
        headerNames = settings.requestHeaderNames
    }

    /// The other request headers verification and identity read (the shared-secret kinds'
    /// signature, id and type headers), copied from the head into ``Received/headers``.
    let headerNames: [String]

    /// The provider this route receives for.
    var provider: Provider { settings.provider }

    /// Refusals decided from the head alone, before any body byte is read.
    /// - Throws: `forbidden_source` when `allowed_ips` is set and `client` is not in it;
    ///   `body_too_large` when the declared `Content-Length` exceeds `max_body_bytes`.
    func admit(client: IPAddress?, declaredLength: Int?) throws(HookGateError) {
        if let allowed = settings.allowedIPs {
            guard let client, allowed.contains(where: { $0.contains(client) }) else {
                throw HookGateError(.forbiddenSource, "client \(client?.description ?? "unknown") is not in allowed_ips")
            }
        }
        if let declaredLength, declaredLength > maxBodyBytes {
            throw HookGateError(.bodyTooLarge, "Content-Length \(declaredLength) exceeds max_body_bytes \(maxBodyBytes)")
        }
    }

    /// One complete request, as the intake needs it.
    struct Received: Sendable {
        let body: [UInt8]
        /// The value of ``WebhookIntake/credentialHeader``, if the request had it.
        let credential: String?
        /// The headers named by ``WebhookIntake/headerNames`` the request had.
        let headers: RequestHeaders
        /// The request's `Content-Type`, stored with the event.
        let contentType: String?
        /// The client's address, as stored with the event.
        let client: String?
        let requestID: String
        /// The request target as received (kept with a refused request).
        var path = ""
        /// Every header of the request, kept with a refused request; `nil` when the quarantine is off.
        var allHeaders: HTTPHeaders?
    }

    /// Verifies (fetching the key when it is not cached) and classifies a request: the
    /// event to ``commit(_:completion:)``.
    /// - Throws: ``HookGateError`` for every refusal (verification, body).
    func prepare(_ request: Received) async throws(HookGateError) -> IncomingEvent {
        let token = try await verifier.verify(
            credential: request.credential, headers: request.headers, body: request.body, now: Int64(Date().timeIntervalSince1970))
        return try event(from: request, token: token, receivedAt: Int64(Date().timeIntervalSince1970 * 1000))
    }

    /// Hands a request refused with `refusal` to the quarantine when its code is kept there
    /// (``HookGateError/Code/isQuarantined``). Never waits.
    func quarantine(_ request: Received, refusal: HookGateError) {
        guard let quarantine, refusal.code.isQuarantined else { return }
        guard !quarantine.isFull else { return quarantine.drop() }
        let headers = request.allHeaders.map { fields in fields.map { ($0.name, $0.value) } } ?? []
        quarantine.submit(
            RejectedRequest(
                provider: provider, reason: refusal.code, receivedAt: Int64(Date().timeIntervalSince1970 * 1000), clientIP: request.client,
                path: request.path, requestID: request.requestID, headers: RejectedRequest.keptHeaders(headers, verified: verifiedHeaderNames),
                body: request.body))
    }

    /// The headers verification reads: kept whole with a refused request, for its recovery.
    var verifiedHeaderNames: [String] { (credentialHeader.map { [$0] } ?? []) + headerNames }

    /// A refused request verified again with today's keys and configuration (`ignoreAge`:
    /// without the freshness check, never without the signature or the body hash), as the
    /// event to store, received when it was first received.
    /// - Throws: ``HookGateError`` with the code it is still refused with.
    func recover(_ rejected: RejectedRequest, ignoreAge: Bool) async throws(HookGateError) -> IncomingEvent {
        let headers = RequestHeaders(rejected.headers)
        let request = Received(
            body: rejected.body, credential: credentialHeader.flatMap { headers.first($0) },
            headers: RequestHeaders(headerNames.compactMap { name in headers.first(name).map { (name, $0) } }),
            contentType: headers.first("Content-Type"), client: rejected.clientIP, requestID: rejected.requestID)
        let token = try await verifier.verify(
            credential: request.credential, headers: request.headers, body: request.body, now: ignoreAge ? nil : Int64(Date().timeIntervalSince1970))
        return try event(from: request, token: token, receivedAt: rejected.receivedAt)
    }

    /// Stores `event` and calls `completion` with its id and whether it was new
    /// (`accepted`) or already stored (`duplicate`) once committed, or with the store's
    /// refusal; where the store committed it (a task, or its writer's queue), so `completion` must not block.
    func commit(_ event: IncomingEvent, completion: @escaping @Sendable (Result<(String, StoreOutcome), HookGateError>) -> Void) {
        let eventID = event.eventID
        store.store(event) { outcome in completion(outcome.map { (eventID, $0) }) }
    }

    private func event(from request: Received, token: VerifiedToken?, receivedAt: Int64) throws(HookGateError) -> IncomingEvent {
        let (eventID, eventType, json) = try EventClassifier.classifyParsed(
            identity: settings.identity, body: request.body, headers: request.headers, bodySHA256: token?.bodySHA256)
        var kept: [(String, String)] = []
        if let contentType = request.contentType { kept.append(("Content-Type", contentType)) }
        if case .jwt(let header, _, _) = settings.verification, let credential = request.credential { kept.append((header, credential)) }
        kept += request.headers.pairs
        var event = IncomingEvent(
            provider: settings.provider, eventID: eventID, eventType: eventType, body: request.body,
            receivedAt: receivedAt, headers: kept, clientIP: request.client,
            requestID: request.requestID, claims: token.map { $0.claims.compactText },
            deliveries: matcher.deliveries(provider: settings.provider, type: eventType, json: json))
        event.knownBodySHA256 = token?.bodySHA256 ?? (settings.identity.idIsBodyHash ? String(eventID.dropFirst(7)) : nil)
        return event
    }

    /// The `200` answer's body, `{"status":"accepted"|"duplicate","event_id":...}`, built by
    /// hand: a JSONEncoder costs more than the rest of the answer.
    static func acceptedBody(eventID: String, outcome: StoreOutcome) -> ByteBuffer {
        ByteBuffer(string: "{\"status\":\"\(outcome.rawValue)\",\"event_id\":\(JSONValue.quote(eventID))}")
    }
}
