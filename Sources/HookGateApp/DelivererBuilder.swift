import Foundation
import HookGateCore
import HookGateDispatch

/// Builds the dispatcher's handlers from `handlers:`: an ``HTTPDeliverer``, ``ExecDeliverer``
/// or ``FileDeliverer`` each, the HTTP ones sharing one ``HandlerClients``.
///
/// The one place deliverers are made: the composition root hands them to the dispatcher.
struct DelivererBuilder {
    let configuration: GateConfiguration

    /// The clients of the `http` handlers: as many connections per host as attempts can
    /// run at once, so none waits for a connection.
    func makeClients() -> HandlerClients {
        let connections = max(configuration.delivery.concurrency, configuration.handlers.map(\.concurrency).max() ?? 1)
        return HandlerClients(connectionsPerHost: connections)
    }

    /// One ``DeliveryHandler`` per configured handler, in the configuration's order.
    /// The configuration loader has checked every `http` URL, so each one parses.
    func makeHandlers(clients: HandlerClients) -> [DeliveryHandler] {
        configuration.handlers.map { handler in
            let deliverer: any Deliverer
            switch handler.kind {
            case .http(let url, let timeout, let secret):
                deliverer = HTTPDeliverer(url: URL(string: url)!, timeout: timeout, secret: secret, client: clients.client)
            case .exec(let command, let timeout):
                deliverer = ExecDeliverer(command: command, timeout: timeout)
            case .file(let path, let durability):
                deliverer = FileDeliverer(path: path, durability: durability)
            }
            return DeliveryHandler(name: handler.name, deliverer: deliverer, concurrency: handler.concurrency)
        }
    }
}
