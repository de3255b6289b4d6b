import Foundation
import NIOCore
import ServiceLifecycle

/// A listener's service, whose failure to bind becomes a ``ListenerError`` naming the
/// listener and its address.
struct ListenerService: Service {
    let wrapped: any Service
    let listener: String
    let host: String
    let port: Int
    let settings: String

    func run() async throws {
        do {
            try await wrapped.run()
        } catch let error as IOError where error.description.hasPrefix("bind(") {
            let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            let code: ListenerError.Code
            switch error.errnoCode {
            case EADDRINUSE: code = .addressInUse
            case EADDRNOTAVAIL: code = .addressUnavailable
            case EACCES: code = .permissionDenied
            default: code = .other
            }
            throw ListenerError(code, listener: listener, address: address, settings: settings, detail: "\(error)")
        }
    }
}
