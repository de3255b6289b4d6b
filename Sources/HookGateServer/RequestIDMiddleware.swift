import HTTPTypes
import Hummingbird
import JOSE

/// Gives every request an id, the caller's `X-Request-Id` when it is sane (at most 128
/// printable ASCII bytes) or a fresh random one, puts it in the context (the log line
/// and the stored event carry it) and on the answer, errors included.
///
/// An ``HTTPResponseError`` thrown further in is turned into its answer here, so the
/// id is on it too; other errors pass through unchanged.
public struct RequestIDMiddleware: RouterMiddleware {
    public typealias Context = GateRequestContext

    /// A middleware.
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.requestID = RequestIDMiddleware.id(from: request.headers[.requestID])
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.requestID] = context.requestID
        return response
    }

    /// The caller's id when it is sane, else 24 random hex digits.
    static func id(from header: String?) -> String {
        if let header, !header.isEmpty, header.utf8.count <= 128, header.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) {
            return header
        }
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = UInt32(truncatingIfNeeded: generator.next() as UInt64)
        return Hex.encode(withUnsafeBytes(of: high.bigEndian) { Array($0) } + withUnsafeBytes(of: low.bigEndian) { Array($0) })
    }
}
