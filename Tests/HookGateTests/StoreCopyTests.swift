import Foundation
import HookGateApp
import HookGateCore
import HookGatePostgres
import HookGateStore
import HookGateServer
import HookGateTools
import JOSE
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `hookgate store copy` (docs/store-copy.md), driven through the real binary: SQLite to
/// PostgreSQL while a gate still writes, the rest with `--since-last`, gates taking over on
/// PostgreSQL; interrupted copies; refused targets; the way back. The stores are set up and
/// inspected through their APIs. PostgreSQL tests run when the test command provides a cluster.
@Suite(.serialized) struct StoreCopyTests {
    /// One side of a copy.
    enum Side: Sendable, CustomTestStringConvertible {
        case sqlite(String)
        case postgres(DatabaseURL)

        /// What `--from`/`--to` takes (the URL with its password: only where the test means it).
        var argument: String {
            switch self {
            case .sqlite(let path): path
            case .postgres(let url): TestPostgres.text(url)
            }
        }

        var testDescription: String {
            switch self {
            case .sqlite: "SQLite"
            case .postgres: "PostgreSQL"
            }
        }

        /// Opens the store, as a gate would (creating and migrating it).
        func open() async throws -> any GateStore & StoreCopySource & StoreCopyTarget {
            switch self {
            case .sqlite(let path): return try SQLiteEventStore(path: path, durability: .normal, checkpointInterval: nil)
            case .postgres(let url): return try await PostgresEventStore.open(url: url, durability: .normal).startRunning()
            }
        }

        /// A fresh, empty side of this kind.
        static func fresh(postgres: Bool) async throws -> Side {
            if postgres { return .postgres(try await TestPostgres.createDatabase()) }
            return .sqlite(try CommandLineTests.temporaryDirectory().appendingPathComponent("copy.sqlite").path)
        }
    }

    static let now = Int64(Date().timeIntervalSince1970 * 1000)
    static let t0 = now - 3_600_000
    /// Far enough ahead that every waiting delivery is due.
    static let later = now + 3 * 3_600_000
    static let accounts = 4

    /// A LedgerSync webhook's body, as a gate with `verification: none` takes it.
    static func body(_ id: String, account: Int) -> [UInt8] {
        Array(#"{"eventId":"\#(id)","eventType":"accountAdded","account":"acct-\#(account)","note":"caf\#u{00e9}"}"#.utf8)
    }

    /// An event as the gate in ``gateYAML(database:)`` would store it: to `ordered` (by account) and `plain`.
    static func event(_ n: Int, prefix: String = "e", at receivedAt: Int64? = nil) -> IncomingEvent {
        let id = "\(prefix)-\(n)"
        return IncomingEvent(
            provider: .ledgersync, eventID: id, eventType: "accountAdded", body: body(id, account: n % accounts),
            receivedAt: receivedAt ?? t0 + Int64(n),
            headers: [("Content-Type", "application/json"), ("X-Trace", "t-\(n)")], clientIP: "192.0.2.\(n % 250)", requestID: "req-\(id)",
            claims: n % 2 == 0 ? #"{"iat":\#(n)}"# : nil,
            deliveries: [PlannedDelivery(handler: "ordered", orderKey: "acct-\(n % accounts)"), PlannedDelivery(handler: "plain", orderKey: nil)])
    }

    static func result(_ job: DeliveryJob, _ next: AttemptResult.Next, succeeded: Bool = false) -> AttemptResult {
        AttemptResult(
            deliveryID: job.deliveryID, claim: job.claim, attempt: job.attempt, startedAt: now - 1000, durationMilliseconds: 12.5,
            succeeded: succeeded,
            statusCode: succeeded ? 200 : 503, excerpt: succeeded ? "ok" : "handler says 503", next: next)
    }

    /// Fills a store: `count` events; of `plain`, 5 dead letters, 3 retrying and 2 claims in
    /// flight; of `ordered`, 2 delivered and 2 claims in flight (the rest pending behind them); two saved keys;
    /// 5 rejected requests in the quarantine, the oldest recovered as event e-0 (which says so).
    static func seed(_ store: any GateStore, count: Int = 40) async throws {
        for n in 0..<count { #expect(try await store.store(event(n)) == .accepted) }
        let plain = try await store.claimDue(handler: "plain", now: t0 + 1_000_000, leaseUntil: later, limit: 10)
        var results = plain.prefix(5).map { result($0, .dead) }
        results += plain.dropFirst(5).prefix(3).map { result($0, .retry(at: now + 3_600_000)) }
        let ordered = try await store.claimDue(handler: "ordered", now: t0 + 1_000_000, leaseUntil: later, limit: 10)
        results += ordered.prefix(2).map { result($0, .delivered, succeeded: true) }
        try await store.complete(results)
        for kid in ["kid-a", "kid-b"] {
            try await store.saveKey(try P256PrivateKey.generate().publicJWK(keyID: kid), provider: .ledgersync)
        }
        try await store.quarantine((0..<5).map { QuarantineContractTests.rejected($0, provider: .ledgersync) }, maxBytes: 1 << 30)
        var oldest = try #require(try await store.rejected(RejectedFilter(limit: 10)).last)
        oldest.recovery = .init(at: now, outcome: .accepted, eventID: "e-0", via: "cli")
        try await store.markRecovered(oldest)
    }

    /// Everything a store holds, as comparable text: events in row order (without row ids) with
    /// their deliveries (claims put back as the copy puts them back) and attempt records, and the keys.
    static func dump(_ store: any StoreCopySource) async throws -> [String] {
        var lines: [String] = []
        for copied in try await store.copyEvents(afterRow: 0, throughRow: Int64.max, limit: 1_000_000) {
            let e = copied.event
            lines.append(
                "\(e.provider)|\(e.eventID)|\(e.eventType)|\(Hex.encode(e.body))|\(e.bodySHA256)|\(e.headers.map { "\($0.0)=\($0.1)" })|"
                    + "\(e.clientIP ?? "-")|\(e.requestID)|\(e.receivedAt)|\(e.claims ?? "-")|\(e.recovered?.json ?? "-")")
            for d in copied.releasingClaims(now: Int64.max).deliveries {
                lines.append(
                    "  \(d.handler)|\(d.status)|\(d.attempts)|\(d.nextAttemptAt)|\(d.orderKey ?? "-")|\(d.createdAt)|\(d.lastError ?? "-")|"
                        + d.records.map {
                            "\($0.number),\($0.startedAt),\($0.durationMilliseconds),\($0.succeeded),\($0.statusCode ?? 0),\($0.excerpt ?? "-")"
                        }
                        .joined(separator: ";"))
            }
        }
        lines += try await store.copyKeys().map { "key \($0.provider)|\($0.keyID)|\($0.jwk)" }
        lines += try await store.copyRejected(afterID: 0, limit: 1_000_000).map { r in
            "rejected \(r.id)|\(r.provider)|\(r.reason)|\(r.receivedAt)|\(r.clientIP ?? "-")|\(r.path)|\(r.requestID)|"
                + "\(r.headers.map { "\($0.0)=\($0.1)" })|\(Hex.encode(r.body))|\(r.recovery.map { "\($0)" } ?? "-")"
        }
        return lines
    }

    /// Runs `hookgate store copy`.
    static func copy(_ from: Side, _ to: Side, _ extra: [String] = [], environment: [String: String] = [:]) async throws -> CommandLineTests.Run {
        try await CommandLineTests.run(["store", "copy", "--from", from.argument, "--to", to.argument] + extra, environment: environment)
    }

    // MARK: Sides

    @Test func aSideComesFromItsOptionItsURLFileOrTheEnvironment() throws {
        let environment = [StoreCopySide.toVariable: "postgresql://gate:s3cret@db.internal:5433/hookgate?sslmode=require"]
        let path = try StoreCopySide.resolve(
            argument: "/var/lib/hookgate/hookgate.sqlite", urlFile: nil, variable: StoreCopySide.toVariable,
            option: "to", environment: environment)
        #expect(path.url == nil && path.path == "/var/lib/hookgate/hookgate.sqlite")
        let fromEnvironment = try StoreCopySide.resolve(
            argument: nil, urlFile: nil, variable: StoreCopySide.toVariable, option: "to", environment: environment)
        #expect(fromEnvironment.url?.host == "db.internal" && fromEnvironment.url?.port == 5433 && fromEnvironment.url?.password == "s3cret")
        let file = try CommandLineTests.temporaryDirectory().appendingPathComponent("url")
        try Data("postgresql://copy@127.0.0.1/other\n".utf8).write(to: file)
        let fromFile = try StoreCopySide.resolve(
            argument: nil, urlFile: file.path, variable: StoreCopySide.toVariable, option: "to", environment: environment)
        #expect(fromFile.url?.database == "other")
        #expect(throws: ToolError.self) {
            try StoreCopySide.resolve(argument: "x.sqlite", urlFile: file.path, variable: StoreCopySide.toVariable, option: "to", environment: [:])
        }
        #expect(throws: ToolError("no source: give --from PATH|URL, --from-url-file FILE, or set HOOKGATE_FROM_DATABASE_URL")) {
            try StoreCopySide.resolve(argument: nil, urlFile: nil, variable: StoreCopySide.fromVariable, option: "from", environment: [:])
        }
        do {
            _ = try StoreCopySide.resolve(
                argument: nil, urlFile: nil, variable: StoreCopySide.toVariable, option: "to",
                environment: [StoreCopySide.toVariable: "postgresql://gate:s3cret@db.internal:5433/?sslmode=require"])
            Issue.record("a URL without a database was taken")
        } catch {
            #expect(error.message.contains(StoreCopySide.toVariable) && !error.message.contains("s3cret"), "\(error.message)")
        }
    }

    // MARK: Any backend pair

    @Test(arguments: [false, true])
    func aCopyHoldsEverythingWithClaimsPutBackAsDue(_ postgres: Bool) async throws {
        guard !postgres || TestPostgres.available else { return }
        let source = try await Side.fresh(postgres: false)
        let store = try await source.open()
        try await Self.seed(store)
        let target = try await Side.fresh(postgres: postgres)
        let run = try await Self.copy(source, target)
        #expect(run.status == 0, "\(run.output)\(run.error)")
        #expect(run.output.contains("check: the target matches the source"), "\(run.output)")
        let copied = try await target.open()
        #expect(try await Self.dump(copied) == Self.dump(store))
        let census = try await copied.copyCensus(throughRow: nil)
        #expect(census.deliveries[.inFlight, default: 0] == 0)
        #expect(census.deliveries[.dead] == 5 && census.keys == 2 && census.eventTotal == 40)
        // The four claims in flight on the source are due on the target at once; nothing else of `plain` is.
        let plain = try await copied.claimDue(handler: "plain", now: Self.now, leaseUntil: Self.later, limit: 100)
        #expect(plain.count == 30 + 2 && Set(plain.map(\.eventID)).isSuperset(of: ["e-8", "e-9"]), "\(plain.map(\.eventID))")
        let ordered = try await copied.claimDue(handler: "ordered", now: Self.now, leaseUntil: Self.later, limit: 100)
        #expect(Set(ordered.map(\.eventID)) == ["e-2", "e-3", "e-4", "e-5"], "\(ordered.map(\.eventID))")
        await copied.stopRunning()
        await store.stopRunning()
    }

    @Test(arguments: [false, true])
    func aSecondRunIsRefusedAndSinceLastBringsOverOnlyWhatChanged(_ postgres: Bool) async throws {
        guard !postgres || TestPostgres.available else { return }
        let source = try await Side.fresh(postgres: false)
        let store = try await source.open()
        try await Self.seed(store)
        let target = try await Side.fresh(postgres: postgres)
        #expect(try await Self.copy(source, target).status == 0)
        let again = try await Self.copy(source, target)
        #expect(again.status == 1)
        #expect(again.error.contains("already_copied") && again.error.contains("--since-last"), "\(again.error)")
        let nothingNew = try await Self.copy(source, target, ["--since-last"])
        #expect(nothingNew.status == 0, "\(nothingNew.output)\(nothingNew.error)")
        #expect(nothingNew.output.contains("copied 0 events"), "\(nothingNew.output)")
        // The source moves on: new events, a retry that gives up, a redelivered dead letter.
        for n in 40..<55 { _ = try await store.store(Self.event(n)) }
        let retrying = try await store.claimDue(handler: "plain", now: Self.later, leaseUntil: Self.later + 1000, limit: 1)
        try await store.complete(retrying.map { Self.result($0, .dead) })
        let dead = try #require(try await store.deliveries(status: .dead, limit: 1).first)
        _ = try await store.redeliver(deliveryID: dead.id)
        // ...and its quarantine: a recovery since, and a new refusal.
        var recovered = try #require(try await store.rejected(RejectedFilter(unrecoveredOnly: true, limit: 10)).last)
        recovered.recovery = .init(at: Self.now, outcome: .duplicate, eventID: "e-1", via: "console")
        try await store.markRecovered(recovered)
        try await store.quarantine([QuarantineContractTests.rejected(9, provider: .ledgersync)], maxBytes: 1 << 30)
        let since = try await Self.copy(source, target, ["--since-last"])
        #expect(since.status == 0, "\(since.output)\(since.error)")
        #expect(since.output.contains("copied 15 events"), "\(since.output)")
        let copied = try await target.open()
        #expect(try await Self.dump(copied) == Self.dump(store))
        #expect(try await copied.copyCensus(throughRow: nil).eventTotal == 55)
        await copied.stopRunning()
        await store.stopRunning()
    }

    @Test(arguments: [false, true])
    func aTargetHoldingOtherDataIsRefusedAndLeftAlone(_ postgres: Bool) async throws {
        guard !postgres || TestPostgres.available else { return }
        let source = try await Side.fresh(postgres: false)
        let store = try await source.open()
        try await Self.seed(store, count: 5)
        let target = try await Side.fresh(postgres: postgres)
        let other = try await target.open()
        _ = try await other.store(Self.event(1, prefix: "theirs"))
        let before = try await Self.dump(other)
        let refused = try await Self.copy(source, target)
        #expect(refused.status == 1)
        #expect(refused.error.contains("target_not_empty") && refused.error.contains("copy into an empty database"), "\(refused.error)")
        if case .postgres(let url) = target, let password = url.password { #expect(!refused.error.contains(password)) }
        #expect(try await Self.dump(other) == before)
        // A target holding a copy of another store is refused too.
        let copiedElsewhere = try await Side.fresh(postgres: postgres)
        #expect(try await Self.copy(source, copiedElsewhere).status == 0)
        let secondSource = try await Side.fresh(postgres: false)
        let second = try await secondSource.open()
        try await Self.seed(second, count: 3)
        let otherSource = try await Self.copy(secondSource, copiedElsewhere)
        #expect(otherSource.status == 1 && otherSource.error.contains("other_source"), "\(otherSource.error)")
        let sinceWithout = try await Self.copy(source, try await Side.fresh(postgres: postgres), ["--since-last"])
        #expect(sinceWithout.status == 1 && sinceWithout.error.contains("no_earlier_copy"), "\(sinceWithout.error)")
        await second.stopRunning()
        await other.stopRunning()
        await store.stopRunning()
    }

    /// The check compares the target with the source: a target that changed since (here: a gate
    /// stored an event on it) fails it, and the command says what differs and exits 1. A copy onto
    /// itself is refused.
    @Test(arguments: [false, true])
    func aTargetThatDiffersFromTheSourceFailsTheCheck(_ postgres: Bool) async throws {
        guard !postgres || TestPostgres.available else { return }
        let source = try await Side.fresh(postgres: false)
        let store = try await source.open()
        try await Self.seed(store, count: 20)
        let target = try await Side.fresh(postgres: postgres)
        #expect(try await Self.copy(source, target).status == 0)
        let copied = try await target.open()
        #expect(try await copied.store(Self.event(1, prefix: "extra")) == .accepted)
        let checked = try await Self.copy(source, target, ["--since-last"])
        #expect(checked.status == 1)
        #expect(checked.output.contains("check FAILED: ledgersync events: source 20, target 21"), "\(checked.output)")
        let onto = try await Self.copy(source, source)
        #expect(onto.status == 1 && onto.error.contains("same_store"), "\(onto.error)")
        await copied.stopRunning()
        await store.stopRunning()
    }

    /// Stopped after two batches (as `--stop-after-batches` simulates) or killed with SIGKILL
    /// midway, a copy run again gives the target an uninterrupted copy gives.
    @Test(arguments: [false, true])
    func anInterruptedCopyRunAgainGivesTheSameTarget(_ postgres: Bool) async throws {
        guard !postgres || TestPostgres.available else { return }
        let source = try await Side.fresh(postgres: false)
        let store = try await source.open()
        try await Self.seed(store, count: 1500)
        let whole = try await Side.fresh(postgres: postgres)
        #expect(try await Self.copy(source, whole, ["--batch-size", "25"]).status == 0)
        let expected = try await Self.dump(try await whole.open())

        let stopped = try await Side.fresh(postgres: postgres)
        let first = try await Self.copy(source, stopped, ["--batch-size", "25", "--stop-after-batches", "2"])
        #expect(first.status == 1 && first.error.contains("stopped after 2 batches"), "\(first.error)")
        let stoppedStore = try await stopped.open()
        #expect(try await stoppedStore.copyCensus(throughRow: nil).eventTotal == 50)
        let rest = try await Self.copy(source, stopped, ["--batch-size", "25"])
        #expect(rest.status == 0, "\(rest.output)\(rest.error)")
        #expect(try await Self.dump(stoppedStore) == expected)

        let killed = try await Side.fresh(postgres: postgres)
        let killedStore = try await killed.open()
        let process = Process()
        process.executableURL = CommandLineTests.binary
        process.arguments = ["store", "copy", "--from", source.argument, "--to", killed.argument, "--batch-size", "2"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let midway = await eventually(seconds: 30) { ((try? await killedStore.copyMarker())?.throughRow ?? 0) >= 100 }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(midway)
        let partial = try await killedStore.copyMarker()
        #expect(partial?.complete == false, "killed after it finished: \(String(describing: partial))")
        let resumed = try await Self.copy(source, killed, ["--batch-size", "10"])
        #expect(resumed.status == 0, "\(resumed.output)\(resumed.error)")
        #expect(try await Self.dump(killedStore) == expected)
        await killedStore.stopRunning()
        await stoppedStore.stopRunning()
        await store.stopRunning()
    }

    // MARK: PostgreSQL

    @Test(.enabled(if: TestPostgres.available))
    func postgresToSQLiteRoundTripIsEqual() async throws {
        let source = try await Side.fresh(postgres: false)
        let store = try await source.open()
        try await Self.seed(store, count: 120)
        let middle = try await Side.fresh(postgres: true)
        guard case .postgres(let url) = middle else { return }
        let urlFile = try CommandLineTests.temporaryDirectory().appendingPathComponent("url")
        try Data((TestPostgres.text(url) + "\n").utf8).write(to: urlFile)
        let there = try await CommandLineTests.run(["store", "copy", "--from", source.argument, "--to-url-file", urlFile.path])
        #expect(there.status == 0, "\(there.output)\(there.error)")
        let back = try await Side.fresh(postgres: false)
        let returned = try await CommandLineTests.run(
            ["store", "copy", "--to", back.argument], environment: [StoreCopySide.fromVariable: TestPostgres.text(url)])
        #expect(returned.status == 0, "\(returned.output)\(returned.error)")
        if let password = url.password { #expect(!returned.output.contains(password) && !there.output.contains(password)) }
        let original = try await Self.dump(store)
        let onPostgres = try await middle.open()
        let roundTrip = try await back.open()
        #expect(try await Self.dump(onPostgres) == original)
        #expect(try await Self.dump(roundTrip) == original)
        #expect(try await roundTrip.copyCensus(throughRow: nil) == store.copyCensus(throughRow: nil))
        await roundTrip.stopRunning()
        await onPostgres.stopRunning()
        await store.stopRunning()
    }

    /// A gate's YAML: LedgerSync unverified, Plaid verified with keys fetched from `keyURL`, and
    /// two handlers, `ordered` (one at a time per account) and `plain`. By default both handlers
    /// fail (nothing listens on port 9) and are retried every second: deliveries stay waiting.
    static func gateYAML(
        database: String, keyURL: String, ordered: String = "http://127.0.0.1:9/ordered", plain: String = "http://127.0.0.1:9/plain"
    ) -> String {
        """
        server:
          host: 127.0.0.1
          port: PUBLIC_PORT
        admin:
          host: 127.0.0.1
          port: ADMIN_PORT
        database:
          \(database)
        providers:
          ledgersync:
            verification: none
          plaid:
            key_url: \(keyURL)
            client_id: copy-client
            secret: copy-secret
        delivery:
          initial_backoff: 1
          max_backoff: 1
        handlers:
          - name: ordered
            match: ["ledgersync:*"]
            order_key: account
            http:
              url: \(ordered)
              timeout: 2
          - name: plain
            match: ["ledgersync:*"]
            http:
              url: \(plain)
              timeout: 2
        """
    }

    static func send(_ gate: GateProcess, _ id: String, account: Int) async throws -> RawHTTP.Response {
        try await RawHTTP.request(
            port: gate.publicPort, path: "/webhooks/ledgersync", headers: [("Content-Type", "application/json")], body: body(id, account: account))
    }

    /// A Plaid webhook signed with `key` under `kid` (a fresh token each time).
    static func sendPlaid(_ gate: GateProcess, body: [UInt8], key: P256PrivateKey, kid: String) async throws -> RawHTTP.Response {
        try await RawHTTP.request(
            port: gate.publicPort, path: "/webhooks/plaid",
            headers: [("Content-Type", "application/json"), ("Plaid-Verification", try Signer.token(body: body, key: key, kid: kid))], body: body)
    }

    /// The issue's scenario: a SQLite gate with accepted events, deliveries waiting on a failing
    /// handler, dead letters and a fetched key; the copy runs while the gate still takes webhooks;
    /// the gate stops and `--since-last` brings the rest; then two real gates (`hookgate serve`)
    /// on PostgreSQL with working handlers: every earlier webhook resent is a duplicate, every
    /// waiting delivery reaches its handler exactly once and, per account, in `order_key` order;
    /// dead letters are listed (`hookgate events list`) and redelivered (admin API) once; no key
    /// is fetched again.
    @Test(.enabled(if: TestPostgres.available))
    func aRunningSQLiteGateMovesToPostgres() async throws {
        let dir = try CommandLineTests.temporaryDirectory()
        let path = dir.appendingPathComponent("gate.sqlite").path
        let seeded = try SQLiteEventStore(path: path, durability: .normal, checkpointInterval: nil)
        try await Self.seed(seeded)
        let keys = try await seeded.savedKeys(provider: .ledgersync)
        await seeded.stopRunning()
        let keyEndpoint = try await KeyEndpointStub()
        let plaidKey = try P256PrivateKey.generate()
        keyEndpoint.publish(try plaidKey.publicJWK(keyID: "kid-plaid"))
        let gate = try GateProcess(yaml: Self.gateYAML(database: "path: \(path)", keyURL: keyEndpoint.url), directory: dir)
        try await gate.start()
        defer { gate.stop() }
        var sent = (0..<40).map { "e-\($0)" }
        func send(_ range: Range<Int>) async throws {
            for n in range {
                let response = try await Self.send(gate, "w-\(n)", account: n % Self.accounts)
                #expect(response.status == 200, "\(response.text)")
                sent.append("w-\(n)")
            }
        }
        try await send(0..<60)
        // The SQLite gate fetches Plaid's key once (and saves it in the background).
        let plaidBody = Signer.plaidBody(29)
        let plaid = try await Self.sendPlaid(gate, body: plaidBody, key: plaidKey, kid: "kid-plaid")
        #expect(plaid.status == 200, "\(plaid.text)")
        #expect(keyEndpoint.requestCount == 1)
        let reader = try SQLiteEventStore(path: path, durability: .normal, checkpointInterval: nil, readOnly: true)
        #expect(try await eventually(seconds: 10) { try await !reader.savedKeys(provider: .plaid).isEmpty })
        await reader.stopRunning()
        // The copy begins (it has written its first batch) while the gate takes 60 more webhooks.
        let url = try await TestPostgres.createDatabase()
        let copying = Task {
            try await CommandLineTests.run(
                ["store", "copy", "--from", path, "--batch-size", "5"], environment: [StoreCopySide.toVariable: TestPostgres.text(url)])
        }
        let watcher = try await PostgresEventStore.open(url: url, durability: .normal).startRunning()
        #expect(await eventually(seconds: 30) { (try? await watcher.copyMarker()) != nil })
        await watcher.stopRunning()
        try await send(60..<120)
        let first = try await copying.value
        #expect(first.status == 0, "\(first.output)\(first.error)")
        #expect(first.output.contains("copied 101 events"), "\(first.output)")
        gate.stop()
        let rest = try await CommandLineTests.run(
            ["store", "copy", "--from", path, "--since-last"], environment: [StoreCopySide.toVariable: TestPostgres.text(url)])
        #expect(rest.status == 0, "\(rest.output)\(rest.error)")
        #expect(rest.output.contains("copied 60 events"), "\(rest.output)")
        #expect(rest.output.contains("check: the target matches the source"), "\(rest.output)")
        print("while the gate ran:\n\(first.output)\nwith --since-last, the gate stopped:\n\(rest.output)")

        let source = try SQLiteEventStore(path: path, durability: .normal, checkpointInterval: nil, readOnly: true)
        let expected = try await source.copyCensus(throughRow: nil)
        #expect(expected.eventTotal == 161)
        var database = GateConfiguration.Database()
        database.url = url
        let target = try #require(try await Gate.openStore(database, logger: .init(label: "copy-test")).startRunning() as? PostgresEventStore)
        #expect(try await target.copyCensus(throughRow: nil) == expected)
        #expect(try await Self.dump(target) == Self.dump(source))
        await source.stopRunning()
        #expect(try await target.savedKeys(provider: .ledgersync) == keys)
        #expect(try await target.savedKeys(provider: .plaid).map(\.keyID) == ["kid-plaid"])

        // What waits on the target: nothing claimed; due at once, or (3 seeded retries) in an hour.
        #expect(try await target.deliveries(status: .inFlight, limit: 1000).isEmpty)
        let waiting = try await target.deliveries(status: .pending, limit: 1000) + target.deliveries(status: .retrying, limit: 1000)
        let soon = waiting.filter { $0.nextAttemptAt < Self.now + 600_000 }
        let inAnHour = waiting.filter { $0.nextAttemptAt >= Self.now + 600_000 }
        #expect(inAnHour.count == 3 && inAnHour.allSatisfy { $0.handler == "plain" && $0.status == .retrying })
        #expect(soon.count > 300, "\(soon.count) deliveries due")
        let dead = try await target.deliveries(status: .dead, limit: 1000)
        #expect(dead.count == 5)
        let attemptsBefore = Dictionary(uniqueKeysWithValues: (waiting + dead).map { ($0.id, $0.attempts) })

        // Two gates on PostgreSQL, their handlers answering 200.
        let orderedSink = try await HTTPSink()
        let plainSink = try await HTTPSink()
        let yaml = Self.gateYAML(database: "url: \(TestPostgres.text(url))", keyURL: keyEndpoint.url, ordered: orderedSink.url, plain: plainSink.url)
        let gates = [try GateProcess(yaml: yaml, directory: dir), try GateProcess(yaml: yaml, directory: dir)]
        defer { for gate in gates { gate.stop() } }
        for gate in gates { try await gate.start() }

        // Every earlier webhook, resent to either gate, is a duplicate; the Plaid one too, its
        // token verified with the copied key; a new Plaid webhook under that key is accepted.
        for (n, id) in sent.enumerated() {
            let response = try await Self.send(gates[n % 2], id, account: Int(id.split(separator: "-")[1])! % Self.accounts)
            #expect(response.status == 200 && response.text.contains("duplicate"), "\(id): \(response.text)")
        }
        for gate in gates {
            let again = try await Self.sendPlaid(gate, body: plaidBody, key: plaidKey, kid: "kid-plaid")
            #expect(again.status == 200 && again.text.contains("duplicate"), "\(again.text)")
        }
        let fresh = try await Self.sendPlaid(gates[1], body: Signer.plaidBody(30), key: plaidKey, kid: "kid-plaid")
        #expect(fresh.status == 200 && !fresh.text.contains("duplicate"), "\(fresh.text)")

        // Every delivery due reaches its handler exactly once, each account's in order.
        @Sendable func receivedIDs() -> [Int64] {
            (orderedSink.received + plainSink.received).compactMap { $0.header("Hookgate-Delivery-Id").flatMap { Int64($0) } }
        }
        let soonIDs = Set(soon.map(\.id))
        let arrived = await eventually(seconds: 90) { soonIDs.isSubset(of: Set(receivedIDs())) }
        #expect(arrived, "\(soonIDs.subtracting(receivedIDs()).count) of \(soonIDs.count) deliveries never arrived")
        let firstRound = receivedIDs()
        #expect(firstRound.count == soonIDs.count && Set(firstRound) == soonIDs, "\(firstRound.count) requests for \(soonIDs.count) deliveries")
        let byID = Dictionary(uniqueKeysWithValues: waiting.map { ($0.id, $0) })
        for request in orderedSink.received + plainSink.received {
            guard let id = request.header("Hookgate-Delivery-Id").flatMap({ Int64($0) }), let record = byID[id] else { continue }
            let n = Int(record.eventID.split(separator: "-")[1])!
            #expect(request.body == Self.body(record.eventID, account: n % Self.accounts), "\(record.eventID)")
            #expect(request.header("Hookgate-Event-Id") == record.eventID)
        }
        var orderedSeen: [String: [String]] = [:]
        for request in orderedSink.received {
            guard let record = request.header("Hookgate-Delivery-Id").flatMap({ Int64($0) }).flatMap({ byID[$0] }) else { continue }
            orderedSeen[record.orderKey ?? "-", default: []].append(record.eventID)
        }
        let orderedDue = soon.filter { $0.handler == "ordered" }
        #expect(orderedSeen.values.map(\.count).reduce(0, +) == orderedDue.count)
        for (account, records) in Dictionary(grouping: orderedDue, by: { $0.orderKey ?? "-" }) {
            let inOrder = records.sorted { $0.eventRow < $1.eventRow }.map(\.eventID)
            #expect(orderedSeen[account] == inOrder, "\(account): \(orderedSeen[account] ?? [])")
        }
        // The store agrees: each one delivered, with one attempt more; the hour-later ones untouched.
        let delivered = try await target.deliveries(status: .delivered, limit: 1000)
        for record in delivered where soonIDs.contains(record.id) {
            #expect(record.attempts == attemptsBefore[record.id]! + 1, "delivery \(record.id): \(record.attempts) attempts")
        }
        #expect(Set(delivered.map(\.id)).isSuperset(of: soonIDs))
        let stillWaiting = try await target.deliveries(status: .retrying, limit: 1000)
        #expect(Set(stillWaiting.map(\.id)) == Set(inAnHour.map(\.id)))

        // Dead letters: listed by `hookgate events list`, redelivered through a gate's admin API, once.
        let listed = try await CommandLineTests.run(["events", "list", "--status", "dead", "--json", "--database-url", TestPostgres.text(url)])
        #expect(listed.status == 0, "\(listed.error)")
        let listing = try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [String: Any]
        let deadEvents = (listing?["events"] as? [[String: Any]] ?? []).compactMap { $0["event_id"] as? String }
        #expect(Set(deadEvents) == Set(dead.map(\.eventID)), "\(listed.output)")
        let redeliver = try await RawHTTP.request(port: gates[1].adminPort, method: "POST", path: "/deliveries/redeliver-dead")
        #expect(redeliver.status == 200 && redeliver.text.contains("\"redelivering\":5"), "\(redeliver.text)")
        let deadIDs = Set(dead.map(\.id))
        let redelivered = await eventually(seconds: 30) { soonIDs.union(deadIDs).isSubset(of: Set(receivedIDs())) }
        #expect(redelivered, "\(deadIDs.subtracting(receivedIDs()).count) of 5 dead letters never arrived")
        let all = receivedIDs()
        #expect(all.count == soonIDs.count + deadIDs.count && Set(all) == soonIDs.union(deadIDs), "\(all.count) requests")
        #expect(try await target.deliveries(status: .dead, limit: 1000).isEmpty)

        // No key was fetched again: the endpoint saw only the SQLite gate's one request, and
        // neither gate on PostgreSQL counts a fetch.
        #expect(keyEndpoint.requestCount == 1)
        for gate in gates {
            let stats = try await RawHTTP.request(port: gate.adminPort, method: "GET", path: "/stats")
            let document = try StatsDocument.decode(Data(stats.body))
            #expect(document.keysByProvider["plaid"]?.fetches == 0, "\(stats.text)")
        }
        for gate in gates { gate.stop() }
        await orderedSink.stop()
        await plainSink.stop()
        await keyEndpoint.stop()
        await target.stopRunning()
    }

    // MARK: Rate

    /// The copy's rate for 100,000 events SQLite to PostgreSQL: runs only with HOOKGATE_COPY_BENCH=1
    /// (and a cluster); prints the summary, whose last lines give events/s.
    @Test(.enabled(if: TestPostgres.available && ProcessInfo.processInfo.environment["HOOKGATE_COPY_BENCH"] != nil))
    func copyRateFor100000Events() async throws {
        let count = Int(ProcessInfo.processInfo.environment["HOOKGATE_COPY_BENCH_EVENTS"] ?? "") ?? 100_000
        let source = try await Side.fresh(postgres: false)
        let store = try await source.open()
        for start in stride(from: 0, to: count, by: 2000) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in start..<min(start + 2000, count) { group.addTask { _ = try await store.store(Self.event(n, prefix: "bench")) } }
                try await group.waitForAll()
            }
        }
        let target = try await Side.fresh(postgres: true)
        let run = try await Self.copy(source, target, ["--batch-size", ProcessInfo.processInfo.environment["HOOKGATE_COPY_BENCH_BATCH"] ?? "500"])
        print("store copy of \(count) events, SQLite to PostgreSQL:\n\(run.output)")
        #expect(run.status == 0, "\(run.output)\(run.error)")
        await store.stopRunning()
    }
}
