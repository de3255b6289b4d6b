import Foundation
import HookGateApp
import HookGateCore
import HookGatePostgres
import HookGateStore
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
            case .postgres(let url): return try await PostgresEventStore.open(url: url, durability: .normal)
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
    /// flight; of `ordered`, 2 delivered and 2 claims in flight (the rest pending behind them); two saved keys.
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
    }

    /// Everything a store holds, as comparable text: events in row order (without row ids) with
    /// their deliveries (claims put back as the copy puts them back) and attempt records, and the keys.
    static func dump(_ store: any StoreCopySource) async throws -> [String] {
        var lines: [String] = []
        for copied in try await store.copyEvents(afterRow: 0, throughRow: Int64.max, limit: 1_000_000) {
            let e = copied.event
            lines.append(
                "\(e.provider)|\(e.eventID)|\(e.eventType)|\(Hex.encode(e.body))|\(e.bodySHA256)|\(e.headers.map { "\($0.0)=\($0.1)" })|"
                    + "\(e.clientIP ?? "-")|\(e.requestID)|\(e.receivedAt)|\(e.claims ?? "-")")
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
        await copied.close()
        await store.close()
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
        let since = try await Self.copy(source, target, ["--since-last"])
        #expect(since.status == 0, "\(since.output)\(since.error)")
        #expect(since.output.contains("copied 15 events"), "\(since.output)")
        let copied = try await target.open()
        #expect(try await Self.dump(copied) == Self.dump(store))
        #expect(try await copied.copyCensus(throughRow: nil).eventTotal == 55)
        await copied.close()
        await store.close()
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
        await second.close()
        await other.close()
        await store.close()
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
        await copied.close()
        await store.close()
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
        await killedStore.close()
        await stoppedStore.close()
        await store.close()
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
        await roundTrip.close()
        await onPostgres.close()
        await store.close()
    }

    /// A gate's YAML: LedgerSync unverified, two handlers that always fail (nothing listens on
    /// port 9), retried an hour later: deliveries stay waiting.
    static func gateYAML(database: String) -> String {
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
        delivery:
          initial_backoff: 3600
          max_backoff: 3600
        handlers:
          - name: ordered
            match: ["ledgersync:*"]
            order_key: account
            http:
              url: http://127.0.0.1:9/ordered
              timeout: 2
          - name: plain
            match: ["ledgersync:*"]
            http:
              url: http://127.0.0.1:9/plain
              timeout: 2
        """
    }

    static func send(_ gate: GateProcess, _ id: String, account: Int) async throws -> RawHTTP.Response {
        try await RawHTTP.request(
            port: gate.publicPort, path: "/webhooks/ledgersync", headers: [("Content-Type", "application/json")], body: body(id, account: account))
    }

    /// The issue's scenario: a SQLite gate with accepted events, deliveries waiting on a failing
    /// handler, dead letters and keys; the copy runs while the gate still takes webhooks; the gate
    /// stops and `--since-last` brings the rest; then, on PostgreSQL, every earlier webhook resent
    /// to a gate is a duplicate, two gates claim every waiting delivery exactly once and in
    /// `order_key` order, dead letters are listed and redeliverable, and the keys are there.
    @Test(.enabled(if: TestPostgres.available))
    func aRunningSQLiteGateMovesToPostgres() async throws {
        let dir = try CommandLineTests.temporaryDirectory()
        let path = dir.appendingPathComponent("gate.sqlite").path
        let seeded = try SQLiteEventStore(path: path, durability: .normal, checkpointInterval: nil)
        try await Self.seed(seeded)
        let keys = try await seeded.savedKeys(provider: .ledgersync)
        await seeded.close()
        let gate = try GateProcess(yaml: Self.gateYAML(database: "path: \(path)"), directory: dir)
        try await gate.start()
        var sent = (0..<40).map { "e-\($0)" }
        func send(_ range: Range<Int>) async throws {
            for n in range {
                let response = try await Self.send(gate, "w-\(n)", account: n % Self.accounts)
                #expect(response.status == 200, "\(response.text)")
                sent.append("w-\(n)")
            }
        }
        try await send(0..<60)
        // The copy begins (it has written its first batch) while the gate takes 60 more webhooks.
        let url = try await TestPostgres.createDatabase()
        let copying = Task {
            try await CommandLineTests.run(
                ["store", "copy", "--from", path, "--batch-size", "5"], environment: [StoreCopySide.toVariable: TestPostgres.text(url)])
        }
        let watcher = try await PostgresEventStore.open(url: url, durability: .normal)
        #expect(await eventually(seconds: 30) { (try? await watcher.copyMarker()) != nil })
        await watcher.close()
        try await send(60..<120)
        let first = try await copying.value
        #expect(first.status == 0, "\(first.output)\(first.error)")
        #expect(first.output.contains("copied 100 events"), "\(first.output)")
        gate.stop()
        let rest = try await CommandLineTests.run(
            ["store", "copy", "--from", path, "--since-last"], environment: [StoreCopySide.toVariable: TestPostgres.text(url)])
        #expect(rest.status == 0, "\(rest.output)\(rest.error)")
        #expect(rest.output.contains("copied 60 events"), "\(rest.output)")
        #expect(rest.output.contains("check: the target matches the source"), "\(rest.output)")
        print("while the gate ran:\n\(first.output)\nwith --since-last, the gate stopped:\n\(rest.output)")

        let source = try SQLiteEventStore(path: path, durability: .normal, checkpointInterval: nil, readOnly: true)
        let expected = try await source.copyCensus(throughRow: nil)
        #expect(expected.eventTotal == 160)
        var database = GateConfiguration.Database()
        database.url = url
        let gates = [
            try await Gate.openStore(database, logger: .init(label: "copy-test")),
            try await Gate.openStore(database, logger: .init(label: "copy-test")),
        ]
        let target = try #require(gates[0] as? PostgresEventStore)
        #expect(try await target.copyCensus(throughRow: nil) == expected)
        #expect(try await Self.dump(target) == Self.dump(source))
        await source.close()

        // Every earlier webhook, resent to a gate on PostgreSQL, is a duplicate.
        let onPostgres = try GateProcess(yaml: Self.gateYAML(database: "url: \(TestPostgres.text(url))"), directory: dir)
        try await onPostgres.start()
        for id in sent {
            let response = try await Self.send(onPostgres, id, account: Int(id.split(separator: "-")[1])! % Self.accounts)
            #expect(response.status == 200 && response.text.contains("duplicate"), "\(id): \(response.text)")
        }
        onPostgres.stop()

        // Two gates claim every waiting delivery once, each key's in the order the events came.
        let waiting = expected.deliveries[.pending, default: 0] + expected.deliveries[.retrying, default: 0]
        var claimed: [Int64] = []
        var orderedSeen: [String: [String]] = [:]
        var turn = 0
        while true {
            var jobs: [DeliveryJob] = []
            for handler in ["ordered", "plain"] {
                jobs += try await gates[turn % 2].claimDue(handler: handler, now: Self.later, leaseUntil: Self.later + 60_000, limit: 7)
            }
            turn += 1
            if jobs.isEmpty { break }
            for job in jobs where job.handler == "ordered" {
                let account = String(decoding: job.body, as: UTF8.self).components(separatedBy: "\"account\":\"")[1].prefix { $0 != "\"" }
                orderedSeen[String(account), default: []].append(job.eventID)
            }
            claimed += jobs.map(\.deliveryID)
            try await gates[turn % 2].complete(jobs.map { Self.result($0, .delivered, succeeded: true) })
        }
        #expect(claimed.count == waiting && Set(claimed).count == claimed.count, "claimed \(claimed.count) of \(waiting)")
        for (account, ids) in orderedSeen {
            let inOrder = sent.filter { ids.contains($0) }
            #expect(ids == inOrder, "\(account): \(ids)")
        }
        // Dead letters are listed and redeliverable; the keys are there (no fetch needed).
        #expect(try await gates[1].deliveries(status: .dead, limit: 100).count == 5)
        #expect(try await gates[1].redeliverDead() == 5)
        #expect(try await gates[0].savedKeys(provider: .ledgersync) == keys)
        for store in gates { await store.close() }
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
        await store.close()
    }
}
