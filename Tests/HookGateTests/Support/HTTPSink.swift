import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// A real loopback HTTP server standing in for a handler: records every request and
/// answers with the status the test sets. It can be stopped and started again on
/// the same port (a handler outage).
final class HTTPSink: Sendable {
    struct Received: Sendable {
        var headers: [String: String]
        var body: [UInt8]
        func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    final class Shared: Sendable {
        struct State {
            var received: [Received] = []
            var status = 200
            var failFirst: [String: Int] = [:]
            var retryAfter: String?
            var location: String?
            var hold: Latch?
        }

        let mutex = Mutex(State())
        func withLock<T>(_ body: (inout State) -> T) -> T { mutex.withLock { body(&$0) } }
    }

    let shared = Shared()
    private let running = Mutex<(ServiceGroup, Task<Void, any Error>)?>(nil)
    private let portBox = Mutex(0)
    var port: Int { portBox.withLock { $0 } }
    var url: String { "http://127.0.0.1:\(port)/hooks" }
    var received: [Received] { shared.withLock { $0.received } }
    func setStatus(_ status: Int, retryAfter: String? = nil, location: String? = nil) {
        shared.withLock {
            $0.status = status
            $0.retryAfter = retryAfter
            $0.location = location
        }
    }
    /// Answer every request only once `latch` opens (each is recorded at once).
    func holdAnswers(until latch: Latch) { shared.withLock { $0.hold = latch } }

    /// Answer 500 to the first `count` requests whose body contains `marker`.
    func failFirst(_ count: Int, containing marker: String) { shared.withLock { $0.failFirst[marker] = count } }

    init(port: Int = 0) async throws {
        try await start(port: port)
    }

    func start(port requested: Int? = nil) async throws {
        let shared = self.shared
        let router = Router()
        router.post("/hooks") { request, _ -> Response in
            let body = Array(try await request.body.collect(upTo: 1 << 20).readableBytesView)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let (status, retryAfter, location, hold) = shared.withLock { state -> (Int, String?, String?, Latch?) in
                state.received.append(Received(headers: headers, body: body))
                let text = String(decoding: body, as: UTF8.self)
                for (marker, remaining) in state.failFirst where remaining > 0 && text.contains(marker) {
                    state.failFirst[marker] = remaining - 1
                    return (500, nil, nil, state.hold)
                }
                return (state.status, state.retryAfter, state.location, state.hold)
            }
            await hold?.wait()
            var responseHeaders: HTTPFields = [:]
            if let retryAfter { responseHeaders[.retryAfter] = retryAfter }
            if let location { responseHeaders[.location] = location }
            return Response(status: .init(code: status), headers: responseHeaders, body: .init(byteBuffer: ByteBuffer(string: "sink says \(status)")))
        }
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "sink")
        logger.logLevel = .error
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: requested ?? port)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? -1) }, logger: logger)
        let group = ServiceGroup(services: [app], logger: logger)
        let task = Task { try await group.run() }
        var iterator = stream.makeAsyncIterator()
        let bound = await iterator.next() ?? -1
        portBox.withLock { $0 = bound }
        running.withLock { $0 = (group, task) }
    }

    func stop() async {
        guard
            let (group, task) = running.withLock({ state -> (ServiceGroup, Task<Void, any Error>)? in
                defer { state = nil }
                return state
            })
        else { return }
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}
