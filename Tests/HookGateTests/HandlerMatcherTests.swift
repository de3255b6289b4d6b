import HookGateCore
import JOSE
import Testing

/// Which handlers an event goes to, and the order-key value each sees.
@Suite struct HandlerMatcherTests {
    static func handler(_ name: String, _ patterns: [String], orderKey: String? = nil) -> GateConfiguration.Handler {
        GateConfiguration.Handler(
            name: name, match: patterns.compactMap(EventPattern.init), kind: .file(path: "/dev/null", durability: .normal), orderKey: orderKey)
    }

    let matcher = HandlerMatcher(handlers: [
        handler("everything", ["*"]),
        handler("items", ["plaid:ITEM.*", "linkmoney:ITEM.*"], orderKey: "item_id"),
        handler("accounts", ["ledgersync:account*"], orderKey: "payload.account.id"),
    ])

    static func json(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test func matchingHandlersInConfigurationOrderWithTheirOrderKeys() throws {
        let planned = matcher.deliveries(provider: .plaid, type: "ITEM.ERROR", json: try Self.json(#"{"item_id":"item-1"}"#))
        #expect(planned == [PlannedDelivery(handler: "everything", orderKey: nil), PlannedDelivery(handler: "items", orderKey: "item-1")])
        #expect(matcher.deliveries(provider: .plaid, type: "TRANSACTIONS.DEFAULT_UPDATE", json: nil).map(\.handler) == ["everything"])
        #expect(matcher.deliveries(provider: .linkmoney, type: "ITEM.ERROR", json: nil).map(\.handler) == ["everything", "items"])
        #expect(matcher.deliveries(provider: .ledgersync, type: "ITEM.ERROR", json: nil).map(\.handler) == ["everything"])
    }

    @Test func noHandlerMeansNoDelivery() {
        #expect(HandlerMatcher(handlers: []).deliveries(provider: .plaid, type: "ITEM.ERROR", json: nil).isEmpty)
        let narrow = HandlerMatcher(handlers: [Self.handler("one", ["ledgersync:accountAdded"])])
        #expect(narrow.deliveries(provider: .ledgersync, type: "accountAddedLater", json: nil).isEmpty)
        #expect(narrow.deliveries(provider: .ledgersync, type: "accountAdded", json: nil).count == 1)
    }

    @Test func orderKeyFollowsADottedPath() throws {
        let body = try Self.json(#"{"payload":{"account":{"id":"acc-9"}}}"#)
        let planned = matcher.deliveries(provider: .ledgersync, type: "accountAdded", json: body)
        #expect(planned.last == PlannedDelivery(handler: "accounts", orderKey: "acc-9"))
    }

    @Test func orderKeyOfAbsentNullAndNonStringValues() throws {
        func key(_ body: String) throws -> String? {
            matcher.deliveries(provider: .plaid, type: "ITEM.ERROR", json: try Self.json(body)).first { $0.handler == "items" }?.orderKey
        }
        #expect(try key(#"{"other":"x"}"#) == nil)
        #expect(try key(#"{"item_id":null}"#) == nil)
        #expect(try key(#"{"item_id":42}"#) == "42")
        #expect(try key(#"{"item_id":["a",1]}"#) == #"["a",1]"#)
        #expect(try key(#"{"item_id":"with \"quotes\""}"#) == #"with "quotes""#)  // a string is its text, not its JSON
        #expect(matcher.deliveries(provider: .plaid, type: "ITEM.ERROR", json: nil).last?.orderKey == nil)  // body not parsed
    }
}
