import Foundation
import HookGateCore
import Hummingbird
import NIOCore

/// The one encoder of the gate's JSON answers: ``SnakeCaseJSON`` (snake_case keys,
/// sorted, unescaped slashes) with `Content-Type: application/json`. Every
/// `ResponseEncodable` a route returns goes through it (``GateRequestContext`` names it).
package struct GateJSONEncoder: ResponseEncoder {
    /// The encoder.
    package init() {}

    package func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        let data = try SnakeCaseJSON.encoder().encode(value)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
