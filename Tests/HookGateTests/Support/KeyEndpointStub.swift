import Foundation
import HTTPTypes
import HookGateCore
import Hummingbird
import JOSE
import Logging
import ServiceLifecycle
import Synchronization

/// A real loopback HTTP server standing in for Plaid's / LinkMoney's key endpoint:
/// `POST` `{client_id, secret|client_secret, key_id}` → `{"key": JWK, "request_id": ...}`,
/// 400 for an unknown `key_id`, 503 while "down".
final class KeyEndpointStub: Sendable {
    struct State {
        var keys: [String: JWK] = [:]
        var down = false
        var requests: [String] = []
        var bodies: [String] = []
    }

    final class Shared: Sendable {
        let mutex = Mutex(State())
        func withLock<T>(_ body: (inout State) -> T) -> T { mutex.withLock { body(&$0) } }
    }

    let state = Shared()
    private let group: ServiceGroup
    let port: Int
    private let task: Task<Void, any Error>

    var url: String { "http://127.0.0.1:\(port)/webhook_verification_key/get" }
    var requestCount: Int { state.withLock { $0.requests.count } }
    func requests(for kid: String) -> Int { state.withLock { $0.requests.filter { $0 == kid }.count } }
    func setDown(_ down: Bool) { state.withLock { $0.down = down } }
    func publish(_ jwk: JWK) { state.withLock { $0.keys[jwk.keyID!] = jwk } }

    init() async throws {
        let state = self.state
        let router = Router()
        router.post("/webhook_verification_key/get") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 4096)
            let text = String(buffer: body)
            guard case .object? = try? JSONParser.parse(Array(text.utf8)), let kid = (try? JSONParser.parse(Array(text.utf8)))?["key_id"]?.stringValue
            else {
                return Response(status: .badRequest)
            }
            let (down, key) = state.withLock { state -> (Bool, JWK?) in
                state.requests.append(kid)
                state.bodies.append(text)
                return (state.down, state.keys[kid])
            }
            if down { return Response(status: .serviceUnavailable) }
            guard let key else {
                return Response(
                    status: .badRequest, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: #"{"error_code":"INVALID_WEBHOOK_VERIFICATION_KEY_ID"}"#)))
            }
            let json = String(decoding: try JSONEncoder().encode(key), as: UTF8.self)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: "{\"key\":\(json),\"request_id\":\"stub\"}")))
        }
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "key-stub")
        logger.logLevel = .error
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? -1) }, logger: logger)
        let group = ServiceGroup(services: [app], logger: logger)
        self.group = group
        task = Task { try await group.run() }
        var iterator = stream.makeAsyncIterator()
        port = await iterator.next() ?? -1
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}
