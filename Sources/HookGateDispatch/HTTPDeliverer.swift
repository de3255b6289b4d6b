import Foundation
import HookGateCore
import HookGateHTTPClient
import JOSE
import NIOCore

/// Delivers by `POST` to an HTTP handler: the body byte for byte with the sender's
/// `Content-Type`, the contract's `Hookgate-*` headers, and, when the handler has a
/// `secret`, Standard Webhooks signature headers. A 2xx within `timeout` is success;
/// anything else (including 3xx: redirects are not followed) is retried, honouring
/// the handler's `Retry-After`.
///
/// Transport is the dispatcher's ``OutboundHTTPClient``: `http://` handlers on its SwiftNIO
/// pool (HTTP/1.1 keep-alive, one flush per request), `https://` handlers on AsyncHTTPClient
/// (swift-nio-ssl). Either way the whole exchange, answer included, is bounded by `timeout`,
/// and only the first ``excerptBytes`` of the answer are kept.
package struct HTTPDeliverer: Deliverer {
    /// How much of a handler's answer is kept (the rest is read and dropped).
    static let excerptBytes = 1024

    let url: URL
    let timeout: Double
    let secretKey: [UInt8]?
    let client: OutboundHTTPClient
    private let target: String

    /// - Parameter secret: `whsec_` + base64 key bytes, or `nil` for no signature.
    package init(url: URL, timeout: Double, secret: String?, client: OutboundHTTPClient) {
        self.url = url
        self.timeout = timeout
        self.client = client
        secretKey = secret.flatMap { Data(base64Encoded: String($0.dropFirst("whsec_".count))) }.map { Array($0) }
        target = url.absoluteString
    }

    /// The headers of one attempt (contract README, "What an HTTP handler receives").
    func headers(for job: DeliveryJob, now: Int64) -> [(String, String)] {
        var headers: [(String, String)] = [
            ("Content-Type", job.contentType ?? "application/json"),
            ("Hookgate-Event-Id", job.eventID),
            ("Hookgate-Provider", job.provider.rawValue),
            ("Hookgate-Event-Type", job.eventType),
            ("Hookgate-Delivery-Id", String(job.deliveryID)),
            ("Hookgate-Attempt", String(job.attempt)),
            ("User-Agent", "HookGate"),
        ]
        if let secretKey {
            let id = String(job.deliveryID)
            let timestamp = String(now)
            let signed = Array("\(id).\(timestamp).".utf8) + job.body
            let mac = HMACSHA256.authenticationCode(for: signed, key: secretKey)
            headers += [("webhook-id", id), ("webhook-timestamp", timestamp), ("webhook-signature", "v1," + Data(mac).base64EncodedString())]
        }
        return headers
    }

    package func deliver(_ job: DeliveryJob) async -> DeliveryOutcome {
        let headers = headers(for: job, now: Int64(Date().timeIntervalSince1970))
        let status: Int
        let responseHeaders: [(String, String)]
        let excerpt: [UInt8]
        do {
            let answer = try await client.send(
                .POST, url: target, headers: headers, body: job.body, limit: HTTPDeliverer.excerptBytes, overflow: .discard, timeout: timeout)
            (status, responseHeaders, excerpt) = (answer.status, answer.headers, answer.body)
        } catch {
            return DeliveryOutcome(succeeded: false, excerpt: "\(error)")
        }
        let text = String(decoding: excerpt, as: UTF8.self)
        if (200..<300).contains(status) { return DeliveryOutcome(succeeded: true, statusCode: status, excerpt: text) }
        let retryAfter = responseHeaders.first { $0.0.lowercased() == "retry-after" }.flatMap { HTTPDeliverer.parseRetryAfter($0.1) }
        return DeliveryOutcome(succeeded: false, statusCode: status, excerpt: "HTTP \(status): \(text)", retryAfter: retryAfter)
    }

    /// `Retry-After` as seconds: delta-seconds or an HTTP date.
    static func parseRetryAfter(_ value: String) -> Double? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return max(0, date.timeIntervalSinceNow)
    }
}
