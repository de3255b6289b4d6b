import Foundation
import HTTPTypes
import HookGateCore
import Hummingbird
import HummingbirdCore
import JOSE
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The gate's HTTP side: the public intake listener and the private admin listener,
/// over the store contract's protocols and a ``DeliveryWaker`` (the composition root,
/// `Gate` in HookGateApp, supplies the backend, the verifiers and the dispatcher).
///
/// Graceful shutdown: `/readyz` turns unready, the public listener stops accepting and
/// finishes in-flight requests (each one commits before it is answered), then the admin
/// listener stops.
package final class GateServer: Sendable {
    /// The configuration the listeners run on.
    package let configuration: GateConfiguration
    /// The backend events are stored in and read from.
    package let store: any GateStore
    /// Listener and shutdown state for `/readyz`.
    package let readiness = Readiness()
    /// The key caches of the providers that verify tokens (for `/stats`).
    package let keyCaches: [Provider: KeyCache]
    /// When the gate started (uptime's origin; its metrics were made then).
    package var startedAt: Date { metrics.startedAt }
    /// Told after a redelivery so due deliveries go out now.
    package let waker: any DeliveryWaker
    /// The gate's one metrics pipeline, behind `/stats` and `/metrics`.
    package let metrics: GateMetrics
    /// The version `/stats` and `hookgate --version` report.
    package static let version = "0.1.0"
    let verifiers: [Provider: WebhookVerifier]
    let logger: Logger
    /// Writes refused webhooks to the store's quarantine (`nil` with `quarantine.enabled: false`);
    /// run as a service among ``makeServices(onListening:)``.
    package let quarantineWriter: QuarantineWriter?

    /// A server over `store`, verifying with `verifiers` (one per provider to receive);
    /// `metrics` is the pipeline the key caches emit into too.
    package init(
        configuration: GateConfiguration, store: any GateStore, verifiers: [Provider: WebhookVerifier], keyCaches: [Provider: KeyCache],
        waker: any DeliveryWaker, metrics: GateMetrics, logger: Logger
    ) {
        self.metrics = metrics
        self.configuration = configuration
        self.store = store
        self.verifiers = verifiers
        self.keyCaches = keyCaches
        self.waker = waker
        self.logger = logger
        quarantineWriter =
            configuration.quarantine.enabled
            ? QuarantineWriter(store: store, maxBytes: configuration.quarantine.maxBytes, metrics: metrics, logger: logger) : nil
    }

    /// The public listener's routes: one per provider (`POST` only; other methods get 405,
    /// other paths 404), nothing else.
    func makeIntakeRoutes() -> IntakeRoutes {
        let intakes = makeIntakes().map { (path: $0.settings.path, intake: $0) }
        return IntakeRoutes(intakes, resolver: ClientAddressResolver(trustedProxies: configuration.server.trustedProxies))
    }

    /// One intake route per provider with a verifier: what the listener serves and recovery verifies with.
    func makeIntakes() -> [WebhookIntake] {
        let matcher = HandlerMatcher(handlers: configuration.handlers)
        return configuration.providers.compactMap { settings -> WebhookIntake? in
            guard let verifier = verifiers[settings.provider] else { return nil }
            return WebhookIntake(
                settings: settings, verifier: verifier, store: store, maxBodyBytes: configuration.server.maxBodyBytes, matcher: matcher,
                quarantine: quarantineWriter)
        }
    }

    /// The admin router: the console's page and assets, health, readiness, stats, metrics, and the event and delivery routes.
    ///
    /// With `admin.token` set, the authentication middleware is added before any route, so
    /// every route, including any added later, needs the token unless the middleware names
    /// it open (``AdminAuthenticationMiddleware/isOpen(_:)``).
    package func makeAdminRouter() -> Router<GateRequestContext> {
        let router = Router(context: GateRequestContext.self)
        router.add(middleware: AdminErrorMiddleware(logger: logger))
        if let token = configuration.admin.token {
            router.add(middleware: AdminAuthenticationMiddleware(token: token))
        }
        // Open without a token (isOpen: GET of /console and /console/*): the page holds no data and signs in by itself.
        ConsoleRoutes.add(to: router)
        // The probes answer HEAD as GET (status and headers, Content-Length included), without the body.
        let health: @Sendable (Request, GateRequestContext) async throws -> Response = { request, context in
            try ProbeAnswer(status: "ok").response(from: request, context: context)
        }
        let ready: @Sendable (Request, GateRequestContext) async throws -> Response = { [self] request, context in
            let problems = await self.readinessProblems()
            let answer =
                problems.isEmpty
                ? EditedResponse(status: .ok, response: ProbeAnswer(status: "ready"))
                : EditedResponse(status: .serviceUnavailable, response: ProbeAnswer(status: "unready", reasons: problems))
            return try answer.response(from: request, context: context)
        }
        router.get("/healthz", use: health)
        router.head("/healthz") { request, context in try await health(request, context).createHeadResponse() }
        router.get("/readyz", use: ready)
        router.head("/readyz") { request, context in try await ready(request, context).createHeadResponse() }
        router.get("/openapi.json") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: GateServer.openAPIDocument)))
        }
        router.get("/stats") { [self] _, _ in try await self.stats() }
        router.get("/metrics") { [self] _, _ -> Response in
            // Readiness first, and the exposition even when the database totals cannot be
            // read: a store that is down must show as hookgate_ready 0 (an alert), not as a
            // failed scrape that looks like a gate that is down.
            await self.readinessProblems()
            do {
                try await self.refreshMetrics()
            } catch {
                metrics.refreshProcess()
                logger.warning("/metrics: database totals not read, the last ones are shown", metadata: ["error": "\(error)"])
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
        AdminEventRoutes(store: store, waker: waker).add(to: router)
        AdminDeliveryRoutes(store: store, waker: waker).add(to: router)
        let intakes = Dictionary(makeIntakes().map { ($0.provider, $0) }, uniquingKeysWith: { first, _ in first })
        AdminRejectedRoutes(store: store, recovery: QuarantineRecovery(store: store, intakes: intakes)).add(to: router)
        return router
    }

    /// The OpenAPI 3.1 description of the admin API (`Sources/HookGateServer/Resources/openapi.json`, embedded).
    package static var openAPIDocument: [UInt8] { PackageResources.openapi_json }

    /// The live figures of `/stats`.
    package func stats() async throws -> StatsDocument {
        var providers: [String: StatsDocument.ProviderFigures] = [:]
        for settings in configuration.providers {
            providers[settings.provider.rawValue] = metrics.providerFigures(settings.provider)
        }
        var total = StatsDocument.KeyFigures(cached: 0, fetches: 0, fetchFailures: 0, negativeHits: 0, rateLimited: 0)
        var byProvider: [String: StatsDocument.KeyFigures] = [:]
        for provider in keyCaches.keys {
            let figures = metrics.keyFigures(provider)
            byProvider[provider.rawValue] = figures
            total.cached += figures.cached
            total.fetches += figures.fetches
            total.fetchFailures += figures.fetchFailures
            total.negativeHits += figures.negativeHits
            total.rateLimited += figures.rateLimited
        }
        let (deliveries, size) = try await refreshMetrics()
        let latency = metrics.figures.percentiles("hookgate_intake_duration_seconds")
        return StatsDocument(
            version: GateServer.version, uptimeSeconds: Date().timeIntervalSince(startedAt), scope: StatsDocument.scopeLabels, providers: providers,
            keys: total, keysByProvider: byProvider, deliveries: deliveries,
            intakeLatencyMs: .init(window: latency.count, p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max),
            store: .init(events: size.events, bytes: size.bytes), quarantine: try await quarantineFigures(),
            warnings: metrics.refusals.warnings(providers: configuration.providers.map(\.provider)) + quarantineWarnings())
    }

    /// Why the gate is not ready, empty when it is (what `/readyz` answers); sets `hookgate_ready` to match.
    @discardableResult
    func readinessProblems() async -> [String] {
        var problems = readiness.problems()
        if let problem = await store.writeProblem() { problems.append(problem) }
        metrics.recordReadiness(problems.isEmpty)
        return problems
    }

    /// The quarantine's totals, read from the store (and set in the metrics).
    func quarantineFigures() async throws -> StatsDocument.QuarantineFigures {
        quarantineWriter?.recordDrops()
        let usage = try await store.quarantineUsage()
        metrics.refresh(quarantine: usage)
        return StatsDocument.QuarantineFigures(
            enabled: configuration.quarantine.enabled, requests: usage.requests, bytes: usage.bytes, maxBytes: configuration.quarantine.maxBytes,
            dropped: metrics.quarantineDrops())
    }

    /// A warning when refused requests were not kept because the writer's buffer was full or the store failed.
    func quarantineWarnings() -> [String] {
        quarantineWriter?.recordDrops()
        let drops = metrics.quarantineDrops()
        let lost = (drops["buffer"] ?? 0) + (drops["error"] ?? 0)
        return lost > 0 ? ["quarantine: \(lost) refused requests not kept since start (buffer \(drops["buffer"] ?? 0), error \(drops["error"] ?? 0))"] : []
    }

    /// Reads the database totals and sets them in the metrics; returns what it set.
    @discardableResult
    func refreshMetrics() async throws -> (DeliveryCounts, (events: Int, bytes: Int64)) {
        let deliveries = try await store.deliveryCounts()
        let size = try await store.size()
        metrics.refresh(deliveries: deliveries, store: size)
        quarantineWriter?.recordDrops()
        metrics.refresh(quarantine: try await store.quarantineUsage())
        return (deliveries, size)
    }

    /// The two listeners and the readiness watcher, as services in start order: admin,
    /// public, then the watcher (stopped first, so `/readyz` turns unready before the
    /// listeners stop).
    /// - Parameter onListening: called with (public port, admin port) once both are bound.
    package func makeServices(
        onListening: @escaping @Sendable (_ publicPort: Int, _ adminPort: Int) async -> Void = { _, _ in }
    ) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let ports = PortPair(onListening)
        let readiness = self.readiness
        let intake = IntakeChannel(
            routes: makeIntakeRoutes(), log: IntakeLog(metrics: metrics, logger: logger), readTimeout: configuration.server.readTimeout)
        let publicServer = intake.server(
            configuration: .init(
                address: .hostname(configuration.server.host, port: configuration.server.port), serverName: nil, backlog: 1024,
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.server.maxConnections, logger: logger)),
            onServerRunning: { channel in
                readiness.markPublicUp()
                await ports.set(public: channel.localAddress?.port ?? -1)
            },
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
        let adminApp = Application(
            router: makeAdminRouter(),
            server: .http1(configuration: .init(idleTimeout: .seconds(30))),
            configuration: .init(address: .hostname(configuration.admin.host, port: configuration.admin.port), serverName: nil),
            onServerRunning: { channel in
                readiness.markAdminUp()
                await ports.set(admin: channel.localAddress?.port ?? -1)
            },
            logger: logger)
        let admin = ListenerService(
            wrapped: adminApp, listener: "admin", host: configuration.admin.host, port: configuration.admin.port,
            settings: "--admin-port, HOOKGATE_ADMIN_PORT or admin.port")
        let webhooks = ListenerService(
            wrapped: publicServer, listener: "webhooks", host: configuration.server.host, port: configuration.server.port,
            settings: "--host/--port, HOOKGATE_HOST/HOOKGATE_PORT or server.host/server.port")
        // The quarantine's writer first: it stops last, after the public listener's last refusals.
        let writer: [ServiceGroupConfiguration.ServiceConfiguration] = quarantineWriter.map {
            [.init(service: $0, successTerminationBehavior: .ignore, serviceName: "quarantine")]
        } ?? []
        return writer + [
            // A listener that fails (its address in use) shuts the others down gracefully:
            // cancelling them would log cancellation errors that hide the one that matters.
            .init(service: admin, failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: "admin"),
            .init(service: webhooks, failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: "public"),
            .init(service: ShutdownWatcher(readiness: readiness), successTerminationBehavior: .ignore, serviceName: "readiness"),
        ]
    }
}

/// Collects the two bound ports and reports them once both are known.
actor PortPair {
    private var publicPort: Int?
    private var adminPort: Int?
    private let callback: @Sendable (Int, Int) async -> Void

    init(_ callback: @escaping @Sendable (Int, Int) async -> Void) {
        self.callback = callback
    }

    func set(public port: Int) async {
        publicPort = port
        await report()
    }

    func set(admin port: Int) async {
        adminPort = port
        await report()
    }

    private func report() async {
        guard let publicPort, let adminPort else { return }
        await callback(publicPort, adminPort)
    }
}
