import Foundation
import HTTPTypes
import HookGateCore
import Hummingbird
import JOSE
import Logging
import NIOCore

/// One provider's intake route: raw bytes in, verified, durably stored, answered.
///
/// The sender gets `200` only after the event's transaction has committed; every
/// failure is answered with the contract's code (the log line says why).
struct WebhookIntake: Sendable {
    let settings: GateConfiguration.ProviderSettings
    let verifier: WebhookVerifier
    let store: any EventStore
    let resolver: ClientAddressResolver
    let maxBodyBytes: Int
    let readTimeout: Double
    let credentialHeader: HTTPField.Name?
    let matcher: HandlerMatcher

    init(
        settings: GateConfiguration.ProviderSettings, verifier: WebhookVerifier, store: any EventStore, resolver: ClientAddressResolver,
        maxBodyBytes: Int, readTimeout: Double, matcher: HandlerMatcher
    ) {
        self.matcher = matcher
        self.settings = settings
        self.verifier = verifier
        self.store = store
        self.resolver = resolver
        self.maxBodyBytes = maxBodyBytes
        self.readTimeout = readTimeout
        switch settings.verification {
        case .jwt(let header, _, _), .token(let header, _): credentialHeader = HTTPField.Name(header)
        case .none: credentialHeader = nil
        }
    }

    /// Answers one webhook: `200` with `{"status":"accepted"|"duplicate","event_id":...}`
    /// once the event is committed.
    /// - Throws: ``HookGateError`` for every refusal (answered by its ``HookGateError/response(from:context:)``);
    ///   an oversized or stalled body also gets its connection closed once answered.
    func handle(_ request: Request, context: GateRequestContext) async throws(HookGateError) -> Response {
        let peer = context.remoteAddress?.ipAddress.flatMap(IPAddress.init)
        let client = resolver.clientAddress(peer: peer, forwardedFor: request.headers[values: .forwardedFor])
        context.intakeNote?.begin(provider: settings.provider, client: client)
        do {
            let (id, result) = try await process(request, context: context, requestID: context.requestID, client: client)
            context.intakeNote?.finish(eventID: id, outcome: result)
            // Built by hand on the hot path: a JSONEncoder costs more than the rest of the answer.
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"\(result.rawValue)\",\"event_id\":\(JSONValue.quote(id))}")))
        } catch {
            if error.code == .bodyTooLarge || error.code == .requestTimeout {
                // Do not read (or wait for) the rest of an oversized or stalled body: close once answered.
                let channel = context.channel
                channel.eventLoop.scheduleTask(in: .milliseconds(200)) { channel.close(promise: nil) }
            }
            throw error
        }
    }

    private func process(
        _ request: Request, context: GateRequestContext, requestID: String, client: IPAddress?
    ) async throws(HookGateError) -> (String, StoreOutcome) {
        if let allowed = settings.allowedIPs {
            guard let client, allowed.contains(where: { $0.contains(client) }) else {
                throw HookGateError(.forbiddenSource, "client \(client?.description ?? "unknown") is not in allowed_ips")
            }
        }
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxBodyBytes {
            throw HookGateError(.bodyTooLarge, "Content-Length \(declared) exceeds max_body_bytes \(maxBodyBytes)")
        }
        let body = try await readBody(request)
        let credential = credentialHeader.flatMap { request.headers[$0] }
        let now = Int64(Date().timeIntervalSince1970)
        let token = try await verifier.verify(credential: credential, body: body, now: now)
        let (eventID, eventType, json) = try EventClassifier.classifyParsed(provider: settings.provider, body: body, bodySHA256: token?.bodySHA256)
        var kept: [(String, String)] = []
        if let contentType = request.headers[.contentType] { kept.append(("Content-Type", contentType)) }
        if case .jwt(let header, _, _) = settings.verification, let credential { kept.append((header, credential)) }
        let event = IncomingEvent(
            provider: settings.provider, eventID: eventID, eventType: eventType, body: body,
            receivedAt: Int64(Date().timeIntervalSince1970 * 1000), headers: kept, clientIP: client?.description, requestID: requestID,
            claims: token.map { $0.claims.compactText },
            deliveries: matcher.deliveries(provider: settings.provider, type: eventType, json: json))
        return (eventID, try await store.store(event))
    }

    /// Reads the whole body, at most `maxBodyBytes`, within `readTimeout` seconds.
    private func readBody(_ request: Request) async throws(HookGateError) -> [UInt8] {
        let limit = maxBodyBytes
        let body = request.body
        do {
            // read_timeout is enforced on the event loop by BodyDeadlineHandler.
            let buffer = try await body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is BodyDeadlineHandler.BodyDeadlineExceeded {
            throw HookGateError(.requestTimeout, "body not received within \(readTimeout) s")
        } catch is NIOTooManyBytesError {
            throw HookGateError(.bodyTooLarge, "body exceeds max_body_bytes \(limit)")
        } catch {
            throw HookGateError(.malformedBody, "body could not be read: \(error)")
        }
    }
}

/// Formatting for the per-request log line, without Foundation's `String(format:)` (the
/// log line is written for every webhook at the default level).
public enum RequestLineFormat {
    /// `elapsed` in milliseconds with three decimals, e.g. `1.234`.
    public static func milliseconds(_ elapsed: Duration) -> String {
        let (seconds, attoseconds) = elapsed.components
        let micros = max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        let fraction = micros % 1000
        let padding = fraction < 10 ? "00" : fraction < 100 ? "0" : ""
        return "\(micros / 1000).\(padding)\(fraction)"
    }
}
