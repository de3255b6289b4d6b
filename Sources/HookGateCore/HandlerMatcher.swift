import JOSE

/// Decides which handlers want an event, and the order-key value each sees.
public struct HandlerMatcher: Sendable {
    public let handlers: [GateConfiguration.Handler]

    public init(handlers: [GateConfiguration.Handler]) {
        self.handlers = handlers
    }

    /// The deliveries for an event of `provider`/`type` whose parsed body is `json`.
    public func deliveries(provider: Provider, type: String, json: JSONValue?) -> [PlannedDelivery] {
        handlers.compactMap { handler in
            guard handler.match.contains(where: { $0.matches(provider: provider, type: type) }) else { return nil }
            let key = handler.orderKey.flatMap { path in json.flatMap { HandlerMatcher.value(at: path, in: $0) } }
            return PlannedDelivery(handler: handler.name, orderKey: key)
        }
    }

    /// The value at a dotted path (`payload.accounts`), as text; `nil` when absent or null.
    static func value(at path: String, in json: JSONValue) -> String? {
        var current = json
        for component in path.split(separator: ".") {
            guard let next = current[String(component)] else { return nil }
            current = next
        }
        switch current {
        case .null: return nil
        case .string(let text): return text
        default: return current.compactText
        }
    }
}
