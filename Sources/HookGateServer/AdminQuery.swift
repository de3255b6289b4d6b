import HookGateCore
import Hummingbird

/// Reads and checks the query parameters of an admin request; every bad value throws an
/// ``AdminError`` answered `400 {"error":"bad_request","message":"..."}` saying which parameter and why.
struct AdminQuery {
    let parameters: Parameters

    init(_ request: Request) {
        parameters = request.uri.queryParameters
    }

    /// A delivery state (`DeliveryStatus`), or a 400 naming the accepted ones.
    func status() throws -> DeliveryStatus? {
        guard let name = parameters["status"].map(String.init) else { return nil }
        guard let status = DeliveryStatus(rawValue: name) else {
            throw AdminError(.badRequest, "status must be one of \(DeliveryStatus.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return status
    }

    /// A configured provider's name.
    func provider() throws -> Provider? {
        guard let name = parameters["provider"] else { return nil }
        guard let provider = Provider(rawValue: String(name)) else { throw AdminError(.badRequest, "\(name) is not a provider name") }
        return provider
    }

    /// A non-empty text of at most `maxLength` bytes.
    func text(_ name: String, maxLength: Int = 256) throws -> String? {
        guard let value = parameters[Substring(name)].map(String.init) else { return nil }
        guard !value.isEmpty, value.utf8.count <= maxLength else { throw AdminError(.badRequest, "\(name) must be 1 to \(maxLength) bytes") }
        return value
    }

    /// A whole number in `range`.
    func integer(_ name: String, in range: ClosedRange<Int64>, meaning: String) throws -> Int64? {
        guard let text = parameters[Substring(name)] else { return nil }
        guard let value = Int64(text), range.contains(value) else { throw AdminError(.badRequest, "\(name) must be \(meaning)") }
        return value
    }

    /// `limit`: a whole number, clamped to 1...`maximum` (as before the console: 0 means 1); `fallback` when absent.
    func limit(fallback: Int, maximum: Int = 1000) throws -> Int {
        guard let text = parameters["limit"] else { return fallback }
        guard let value = Int(text) else { throw AdminError(.badRequest, "limit must be a whole number from 1 to \(maximum)") }
        return min(max(value, 1), maximum)
    }

    /// `since` and `until` (Unix ms), with `since` not after `until`.
    func timeRange() throws -> (since: Int64?, until: Int64?) {
        let since = try integer("since", in: 0...Int64.max, meaning: "Unix milliseconds")
        let until = try integer("until", in: 0...Int64.max, meaning: "Unix milliseconds")
        if let since, let until, since > until { throw AdminError(.badRequest, "since must not be after until") }
        return (since, until)
    }
}
