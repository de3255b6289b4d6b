import Foundation
import HookGateCore
import JOSE

/// `hookgate store copy`: moves everything a gate's store holds to another store, the other
/// backend's or the same, through the store contract's copy roles (``StoreCopySource``,
/// ``StoreCopyTarget``).
///
/// A run: checks the target (empty, or holding only an earlier run of this copy: its
/// ``CopyMarker``); brings over again the events whose deliveries changed on the source since
/// the earlier runs read them; copies, in batches of ``batchSize`` events in row order, every
/// event the source held when the run began past the marker (each batch, with the marker, in one
/// transaction of the target: a run killed at any point is continued by the next); copies the
/// saved keys; then checks the target against the source (events and a digest of their ids per
/// provider, deliveries, attempt records, keys). Claims in flight on the source arrive due, not
/// claimed. The source is only read: a gate may go on running on it, and what it commits after
/// the run began is counted in the report for a `--since-last` run to bring over.
package struct StoreCopy: Sendable {
    /// Events per batch (one read of the source, one transaction of the target).
    package var batchSize: Int
    /// Continue a finished copy: bring over what the source gained and changed since.
    package var sinceLast: Bool
    /// Stop (with ``StoreCopyError/Code/stopped``) after this many batches: a copy interrupted midway, for tests.
    package var stopAfterBatches: Int?
    /// The clock, Unix ms.
    package var now: @Sendable () -> Int64

    /// How far before a run's start a change on the source is taken as possibly missed (gates'
    /// clocks stamp `updated_at` before their commit lands).
    package static let clockMargin: Int64 = 60_000

    /// A copy with these settings.
    package init(
        batchSize: Int = 500, sinceLast: Bool = false, stopAfterBatches: Int? = nil,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    ) {
        self.batchSize = max(1, batchSize)
        self.sinceLast = sinceLast
        self.stopAfterBatches = stopAfterBatches
        self.now = now
    }

    /// Runs the copy from `source` to `target`; `progress` is called after each batch.
    /// - Returns: the report; its ``StoreCopyReport/differences`` are empty when the target matches the source.
    /// - Throws: ``StoreCopyError`` when the target is refused or the run stopped as told; the
    ///   backends' errors when a read or a write fails (every batch written before stays, with the
    ///   marker that lets the next run continue).
    package func run(
        from source: any StoreCopySource, to target: any StoreCopyTarget, progress: (StoreCopyProgress) -> Void = { _ in }
    ) async throws -> StoreCopyReport {
        let started = now()
        let clock = ContinuousClock.now
        let identity = source.copyIdentity
        if let other = target as? any StoreCopySource, other.copyIdentity == identity {
            throw StoreCopyError(.sameStore, "source and target are the same store, \(identity)")
        }
        var marker = try await startingMarker(source: identity, target: target, started: started)
        let resyncFrom = marker.readsSince - StoreCopy.clockMargin
        let earlierThrough = marker.throughRow
        let through = try await source.copyHighestRow()
        let total = try await source.copyEventCount(afterRow: earlierThrough) - source.copyEventCount(afterRow: through)
        marker.complete = false
        var batches = 0
        var report = StoreCopyReport(source: identity)

        // Events copied by earlier runs whose deliveries changed since those runs read them.
        var cursor: Int64 = 0
        while earlierThrough > 0 {
            let batch = try await source.copyEvents(changedSince: resyncFrom, afterRow: cursor, throughRow: earlierThrough, limit: batchSize)
            guard let last = batch.last else { break }
            marker.updatedAt = now()
            try await target.importCopy(batch.map { $0.releasingClaims(now: started) }, marker: marker)
            report.broughtOverAgain += batch.count
            cursor = last.event.id
            try count(&batches)
        }

        // Events new since the earlier runs, up to what the source held when this run began.
        while marker.throughRow < through {
            let reading = ContinuousClock.now
            let batch = try await source.copyEvents(afterRow: marker.throughRow, throughRow: through, limit: batchSize)
            report.readSeconds += seconds(since: reading)
            guard let last = batch.last else { break }
            marker.throughRow = last.event.id
            marker.updatedAt = now()
            let writing = ContinuousClock.now
            try await target.importCopy(batch.map { $0.releasingClaims(now: started) }, marker: marker)
            report.writeSeconds += seconds(since: writing)
            report.copied += batch.count
            progress(StoreCopyProgress(copied: report.copied, total: total, elapsed: seconds(since: clock)))
            try count(&batches)
        }
        marker.throughRow = max(marker.throughRow, through)

        // The quarantine, by id; a run again rewrites only recoveries (nothing is written twice).
        while true {
            let batch = try await source.copyRejected(afterID: report.rejectedThrough, limit: batchSize)
            guard let last = batch.last else { break }
            try await target.importRejected(batch)
            report.rejectedThrough = last.id
            report.rejectedCopied += batch.count
        }

        let keys = try await source.copyKeys()
        marker.complete = true
        marker.readsSince = started
        marker.updatedAt = now()
        try await target.importKeys(keys, marker: marker)
        report.seconds = seconds(since: clock)

        try await check(&report, source: source, target: target, through: marker.throughRow, started: started)
        return report
    }

    /// The marker this run starts from: the earlier runs' (after checking it is this copy's), or a new one for an empty target.
    private func startingMarker(source identity: String, target: any StoreCopyTarget, started: Int64) async throws -> CopyMarker {
        if let earlier = try await target.copyMarker() {
            guard earlier.source == identity else {
                throw StoreCopyError(.otherSource, "the target holds a copy of \(earlier.source), not of \(identity); copy into an empty database")
            }
            if earlier.complete, !sinceLast {
                throw StoreCopyError(
                    .alreadyCopied,
                    "the target already holds a finished copy of \(identity) (through its event row \(earlier.throughRow)); "
                        + "run again with --since-last to bring over what the source gained and changed since")
            }
            return earlier
        }
        if try await target.copyHoldsData() {
            throw StoreCopyError(
                .targetNotEmpty,
                "the target holds events, deliveries or keys that no copy of \(identity) wrote; copy into an empty database (nothing was written)")
        }
        if sinceLast {
            throw StoreCopyError(.noEarlierCopy, "--since-last: the target holds no earlier copy of \(identity); run without --since-last first")
        }
        return CopyMarker(source: identity, throughRow: 0, complete: false, readsSince: started, updatedAt: started)
    }

    private func count(_ batches: inout Int) throws {
        batches += 1
        if let stop = stopAfterBatches, batches >= stop {
            throw StoreCopyError(.stopped, "stopped after \(batches) batches as told; run the same command again to finish the copy")
        }
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Compares the target with the source (events up to `through`) and notes what the source gained or changed meanwhile.
    private func check(
        _ report: inout StoreCopyReport, source: any StoreCopySource, target: any StoreCopyTarget, through: Int64, started: Int64
    ) async throws {
        report.sourceCensus = try await source.copyCensus(throughRow: through)
        report.targetCensus = try await target.copyCensus(throughRow: nil)
        report.committedAfterStart = try await source.copyEventCount(afterRow: through)
        report.changedAfterStart = try await source.copyChangedDeliveries(since: started, throughRow: through)
        let providers = Set(report.sourceCensus.events.keys).union(report.targetCensus.events.keys).sorted()
        var differences: [String] = []
        for provider in providers {
            let sourceIDs = try await source.copyEventIDs(provider: provider, throughRow: through)
            let targetIDs = try await target.copyEventIDs(provider: provider, throughRow: nil)
            let digests = (StoreCopy.digest(sourceIDs), StoreCopy.digest(targetIDs))
            report.digests[provider] = digests
            if sourceIDs.count != targetIDs.count {
                differences.append("\(provider) events: source \(sourceIDs.count), target \(targetIDs.count)")
            } else if digests.0 != digests.1 {
                differences.append("\(provider) events: the digests of their ids differ")
            }
        }
        let (from, to) = (report.sourceCensus, report.targetCensus)
        if from.deliveryTotal != to.deliveryTotal {
            differences.append("deliveries: source \(from.deliveryTotal), target \(to.deliveryTotal)")
        }
        // States and attempts are compared when no delivery changed on the source while the run read it;
        // otherwise the report says how many did, for a --since-last run once the gate is stopped.
        if report.changedAfterStart == 0 {
            for status in DeliveryStatus.allCases where from.deliveries[status, default: 0] != to.deliveries[status, default: 0] {
                differences.append("\(status) deliveries: source \(from.deliveries[status, default: 0]), target \(to.deliveries[status, default: 0])")
            }
            if from.attempts != to.attempts { differences.append("attempt records: source \(from.attempts), target \(to.attempts)") }
        }
        if from.keys != to.keys { differences.append("keys: source \(from.keys), target \(to.keys)") }
        // Rejected requests up to the last one copied; the source's own bound may have dropped some since.
        report.rejectedCounts = (
            try await source.copyRejectedCount(throughID: report.rejectedThrough), try await target.copyRejectedCount(throughID: report.rejectedThrough)
        )
        if report.rejectedCounts.target < report.rejectedCounts.source {
            differences.append("rejected requests: source \(report.rejectedCounts.source), target \(report.rejectedCounts.target)")
        }
        report.differences = differences
    }

    /// The lowercase hex SHA-256 of the ids, sorted (by their UTF-8 bytes) and joined by newlines.
    package static func digest(_ ids: [String]) -> String {
        let sorted = ids.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return SHA256.hexHash(Array(sorted.joined(separator: "\n").utf8))
    }
}
