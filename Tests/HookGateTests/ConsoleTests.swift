import Foundation
import HookGateCore
import HookGateServer
import JOSE
import Testing

/// The operator console's routes: its embedded assets and their security headers, and the
/// admin API additions it reads (event filters and pagination, dead deliveries, redelivery of one).
@Suite(.serialized) struct ConsoleTests {
    static let assets = [
        "console.css", "api.js", "chart.js", "overview.js", "events.js", "event.js", "dead.js", "rejected.js", "rejection.js", "console.js",
    ]

    static func object(_ response: RawHTTP.Response) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    static func ids(_ response: RawHTTP.Response) throws -> [Int] {
        let events = try #require(try object(response)["events"] as? [[String: Any]])
        return events.compactMap { $0["id"] as? Int }
    }

    static func expectSecurityHeaders(_ response: RawHTTP.Response, _ path: String) {
        #expect(response.header("Content-Security-Policy") == ConsoleRoutes.contentSecurityPolicy, "\(path)")
        #expect(response.header("X-Frame-Options") == "DENY", "\(path)")
        #expect(response.header("X-Content-Type-Options") == "nosniff", "\(path)")
        #expect(response.header("Referrer-Policy") == "no-referrer", "\(path)")
        #expect(response.header("Cache-Control") == "no-store", "\(path)")
    }

    @Test func pageAndAssetsAreServedWithTheSecurityHeaders() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let page = try await harness.admin("/console")
            #expect(page.status == 200)
            #expect(page.header("Content-Type") == "text/html; charset=utf-8")
            Self.expectSecurityHeaders(page, "/console")
            let html = page.text
            #expect(html.contains(#"<input id="signin-token" name="token" type="password""#))
            #expect(html.contains(#"<form id="signin-form" method="post""#))
            // No inline script, no inline style, nothing from another origin.
            #expect(html.components(separatedBy: "<script").dropFirst().allSatisfy { $0.hasPrefix(#" src="/console/"#) })
            #expect(!html.contains("style="))
            #expect(!html.contains("<style"))
            #expect(!html.contains("http://") && !html.contains("https://"))
            #expect(ConsoleRoutes.contentSecurityPolicy.contains("script-src 'self'"))
            #expect(ConsoleRoutes.contentSecurityPolicy.contains("frame-ancestors 'none'"))
            #expect(!ConsoleRoutes.contentSecurityPolicy.contains("unsafe"))

            for name in Self.assets {
                let asset = try await harness.admin("/console/\(name)")
                #expect(asset.status == 200, "\(name)")
                #expect(asset.header("Content-Type") == (name.hasSuffix(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8"))
                Self.expectSecurityHeaders(asset, name)
                #expect(!asset.body.isEmpty)
                #expect(html.contains("/console/\(name)"), "index.html loads \(name)")
            }
            let missing = try await harness.admin("/console/secrets.js")
            #expect(missing.status == 404)
            Self.expectSecurityHeaders(missing, "404")
            #expect(try await harness.admin("/console/").status == 200)
        }
    }

    /// With `admin.token` the page and its assets open without it (they hold no data), while
    /// every call the page makes for data or to change state needs it.
    @Test func withATokenThePageIsOpenAndItsCallsAreNot() async throws {
        let token = "console-test-token-0123456789abcdef"
        let admin = "admin:\n  host: 127.0.0.1\n  port: 0\n  token: \(token)"
        try await withGate(yaml: AdminAuthenticationTests.yaml(admin: admin)) { harness in
            let page = try await harness.admin("/console")
            #expect(page.status == 200 && page.header("WWW-Authenticate") == nil)
            for name in Self.assets { #expect(try await harness.admin("/console/\(name)").status == 200, "\(name)") }
            let calls = [
                ("GET", "/stats"), ("GET", "/events"), ("GET", "/events/1"), ("GET", "/deliveries?status=dead"), ("POST", "/deliveries/1/redeliver"),
                ("POST", "/deliveries/redeliver-dead"), ("POST", "/events/1/redeliver"), ("POST", "/console"), ("GET", "/rejected"),
                ("GET", "/rejected/1"), ("POST", "/rejected/1/recover"), ("POST", "/rejected/recover"),
            ]
            for (method, path) in calls {
                let refused = try await harness.admin(path, method: method)
                #expect(refused.status == 401 && refused.text == #"{"error":"unauthorized"}"#, "\(method) \(path)")
                #expect(refused.header("WWW-Authenticate") == "Bearer")
            }
            let bearer = [("Authorization", "Bearer \(token)")]
            #expect(try await harness.admin("/stats", headers: bearer).status == 200)
            #expect(try await harness.admin("/deliveries?status=dead", headers: bearer).text == #"{"deliveries":[]}"#)
            #expect(try await harness.admin("/deliveries/1/redeliver", method: "POST", headers: bearer).status == 404)
        }
    }

    /// Values from senders must never be parsed as markup: the scripts build the page with
    /// createElement and textContent only (the browser suite checks the same in Chromium).
    @Test func scriptsNeverTurnTextIntoMarkup() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            for name in Self.assets where name.hasSuffix(".js") {
                let script = try await harness.admin("/console/\(name)").text
                for forbidden in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", ".style."] {
                    #expect(!script.contains(forbidden), "\(name) uses \(forbidden)")
                }
            }
        }
    }

    @Test func eventsFilterByTypeTimeAndStateAndPaginate() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let item = try Signer.fixture("plaid/ITEM.ERROR.json")
            #expect(try await FanOutTests.send(harness, item).status == 200)
            let start = Int64(Date().timeIntervalSince1970 * 1000)
            // The next events' receipt times must fall after `start`: let the millisecond turn.
            while Int64(Date().timeIntervalSince1970 * 1000) <= start { await Task.yield() }
            for n in 0..<5 { #expect(try await FanOutTests.send(harness, Signer.plaidBody(900 + n)).status == 200) }

            let all = try Self.ids(try await harness.admin("/events"))
            #expect(all.count == 6 && all == all.sorted(by: >))
            #expect(try Self.object(try await harness.admin("/events"))["next_before"] == nil)
            #expect(try Self.ids(try await harness.admin("/events?event_type=ITEM.ERROR")) == [all.last!])
            #expect(try Self.ids(try await harness.admin("/events?event_type=TRANSACTIONS.*")).count == 5)
            #expect(try Self.ids(try await harness.admin("/events?event_type=*.DEFAULT_UPDATE&provider=plaid")).count == 5)
            #expect(try Self.ids(try await harness.admin("/events?event_type=ITEM.%3F%3F%3F%3F%3F")).isEmpty)  // `?` is no wildcard
            #expect(try Self.ids(try await harness.admin("/events?event_type=transactions.*")).isEmpty)  // case-sensitive
            #expect(try Self.ids(try await harness.admin("/events?since=\(start)")).count == 5)
            #expect(try Self.ids(try await harness.admin("/events?until=\(start)")) == [all.last!])
            #expect(try Self.ids(try await harness.admin("/events?provider=ledgersync")).isEmpty)
            #expect(try Self.ids(try await harness.admin("/events?status=dead")).isEmpty)  // no handler, no delivery

            // Pages of 4 then 2, following next_before.
            let first = try await harness.admin("/events?limit=4")
            #expect(try Self.ids(first) == Array(all.prefix(4)))
            let cursor = try #require(try Self.object(first)["next_before"] as? Int)
            #expect(cursor == all[3])
            let second = try await harness.admin("/events?limit=4&before=\(cursor)")
            #expect(try Self.ids(second) == Array(all.suffix(2)))
            #expect(try Self.object(second)["next_before"] == nil)
            #expect(try Self.ids(try await harness.admin("/events?limit=0")).count == 1)  // clamped, as before

            for bad in [
                "limit=abc", "before=0", "before=x", "since=-1", "since=yesterday", "until=1.5", "since=10&until=5", "event_type=",
                "handler=", "provider=No%21pe", "status=gone", "event_type=" + String(repeating: "A", count: 300),
            ] {
                let answer = try await harness.admin("/events?\(bad)")
                #expect(answer.status == 400, "\(bad)")
                #expect(answer.header("Content-Type") == "application/json")
                #expect((try? Self.object(answer)["error"] as? String)?.isEmpty == false, "\(bad)")
            }
            #expect(try await harness.admin("/events/\(all[0])?provider=Acme%21").status == 400)
            // A well-formed provider name that received nothing (or no longer is configured) filters to nothing.
            #expect(try Self.ids(try await harness.admin("/events?provider=acme")).isEmpty)
            #expect(try await harness.admin("/events/\(all[0])/redeliver?handler=", method: "POST").status == 400)
            #expect(try await harness.admin("/deliveries/redeliver-dead?provider=plaid&handler=", method: "POST").status == 400)
        }
    }

    @Test func deadDeliveriesAreListedAndOneIsRedelivered() async throws {
        let sink = try await HTTPSink()
        sink.setStatus(500)
        try await withGate(
            yaml: FanOutTests.yaml(
                handlers: """
                      - name: backend
                        match: ["*"]
                        http:
                          url: \(sink.url)
                      - name: audit
                        match: ["plaid:ITEM.*"]
                        http:
                          url: \(sink.url)
                    """, delivery: "initial_backoff: 0.02\n  max_backoff: 0.05\n  give_up_after: 0.3")) { harness in
            #expect(try await FanOutTests.send(harness, Signer.plaidBody(41)).status == 200)
            #expect(try await FanOutTests.send(harness, try Signer.fixture("plaid/ITEM.ERROR.json")).status == 200)
            #expect(await eventually { (try? await harness.gate.store.deliveryCounts().dead) == 3 })

            let dead = try await harness.admin("/deliveries?status=dead")
            #expect(dead.status == 200)
            let listed = try #require(try Self.object(dead)["deliveries"] as? [[String: Any]])
            #expect(listed.count == 3)
            #expect(listed.allSatisfy { $0["status"] as? String == "dead" && ($0["last_error"] as? String)?.contains("HTTP 500") == true })
            let audit = try #require(try Self.object(try await harness.admin("/deliveries?status=dead&handler=audit"))["deliveries"] as? [[String: Any]])
            #expect(audit.count == 1 && audit[0]["event_type"] as? String == "ITEM.ERROR")
            #expect((try Self.object(try await harness.admin("/deliveries?provider=plaid&limit=2"))["deliveries"] as? [Any])?.count == 2)
            #expect((try Self.object(try await harness.admin("/deliveries?provider=acme"))["deliveries"] as? [Any])?.isEmpty == true)
            for bad in ["status=lost", "provider=Acme%21", "limit=many", "handler="] {
                #expect(try await harness.admin("/deliveries?\(bad)").status == 400, "\(bad)")
            }

            sink.setStatus(200)
            let id = try #require(audit[0]["id"] as? Int)
            let answer = try await RawHTTP.request(port: harness.adminPort, method: "POST", path: "/deliveries/\(id)/redeliver")
            #expect(answer.status == 200 && answer.text == #"{"redelivering":1}"#)
            #expect(await eventually { (try? await harness.gate.store.deliveryCounts().delivered) == 1 })
            #expect(try await harness.gate.store.deliveries(status: .delivered).map(\.id) == [Int64(id)])
            #expect(try await harness.gate.store.deliveryCounts().dead == 2)  // only that one
            #expect(try await harness.gate.store.attempts(deliveryID: Int64(id)).last?.succeeded == true)

            let unknown = try await RawHTTP.request(port: harness.adminPort, method: "POST", path: "/deliveries/999999/redeliver")
            #expect(unknown.status == 404 && unknown.text.contains("no delivery 999999"))
            #expect(try await RawHTTP.request(port: harness.adminPort, method: "POST", path: "/deliveries/abc/redeliver").status == 400)
            #expect(try await RawHTTP.request(port: harness.adminPort, method: "POST", path: "/deliveries/-3/redeliver").status == 400)
            // The older bulk endpoint is unchanged.
            let rest = try await RawHTTP.request(port: harness.adminPort, method: "POST", path: "/deliveries/redeliver-dead?handler=backend")
            #expect(rest.text == #"{"redelivering":2}"#)
            #expect(await eventually { (try? await harness.gate.store.deliveryCounts().delivered) == 3 })
        }
        await sink.stop()
    }
}
