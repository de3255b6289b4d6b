import Foundation
import HookGateCore
import Logging
import ServiceLifecycle

/// Deletes events older than the retention (the dedup window), and refused requests older
/// than `quarantine.retention`, every `interval` seconds, in small transactions. Stops on
/// graceful shutdown.
struct RetentionService: Service {
    let store: any EventStore & Quarantine
    let retention: Int
    /// `quarantine.retention`, seconds.
    let quarantineRetention: Int
    let interval: Double
    /// The cutoffs and the wait between passes.
    let clock: any GateClock
    let logger: Logger

    func run() async throws {
        await store.waitUntilRunning()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let cutoff = clock.nowMilliseconds() - Int64(retention) * 1000
            do {
                let deleted = try await store.prune(receivedBefore: cutoff)
                if deleted > 0 { logger.info("retention pruned events", metadata: ["deleted": .stringConvertible(deleted)]) }
            } catch {
                logger.error("retention pruning failed", metadata: ["error": "\(error)"])
            }
            do {
                let cutoff = clock.nowMilliseconds() - Int64(quarantineRetention) * 1000
                let deleted = try await store.pruneRejected(receivedBefore: cutoff)
                if deleted > 0 { logger.info("retention pruned refused requests", metadata: ["deleted": .stringConvertible(deleted)]) }
            } catch {
                logger.error("quarantine pruning failed", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { [clock, interval] in try await clock.sleep(for: .seconds(interval)) }
            } catch {
                return
            }
        }
    }
}
