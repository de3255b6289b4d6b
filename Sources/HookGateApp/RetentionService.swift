import Foundation
import HookGateCore
import Logging
import ServiceLifecycle

/// Deletes events older than the retention (the dedup window) every `interval`
/// seconds, in small transactions. Stops on graceful shutdown.
struct RetentionService: Service {
    let store: any EventStore
    let retention: Int
    let interval: Double
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let cutoff = Int64((Date().timeIntervalSince1970 - Double(retention)) * 1000)
            do {
                let deleted = try await store.prune(receivedBefore: cutoff)
                if deleted > 0 { logger.info("retention pruned events", metadata: ["deleted": .stringConvertible(deleted)]) }
            } catch {
                logger.error("retention pruning failed", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(interval)) }
            } catch {
                return
            }
        }
    }
}
