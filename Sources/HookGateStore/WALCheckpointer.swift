import GRDB
import Logging
import Synchronization

/// Copies committed WAL frames into the database file beside the writer, a few at a time,
/// so that the writer's own checkpoints find little left to copy.
///
/// SQLite checkpoints inside the commit that brings the WAL to 1,000 frames
/// (`wal_autocheckpoint`): that commit, and every event queued behind it, waits while
/// about 1,000 pages are copied and the database file is fsynced (11 ms at the median,
/// up to 30 ms, for 1,000 scattered pages on this project's virtual disk). That was the
/// intake's latency tail.
///
/// Here a connection of its own runs a `PASSIVE` checkpoint after commits, at most once
/// per `interval`. A passive checkpoint takes no lock the writer needs, so commits go on
/// meanwhile. The writer keeps SQLite's own checkpoint at 1,000 frames: it copies only
/// the frames committed since this checkpointer's last pass, and, because it runs right
/// after the writer's commit, it catches up with the last frame, which lets the next
/// transaction start the WAL file over from its beginning (a passive checkpoint beside a
/// busy writer seldom does). The WAL stays about 4 MiB and is rewritten in place.
///
/// Durability is SQLite's own: the checkpointing connection runs at `synchronous = FULL`,
/// so the WAL is synced before pages are copied and the database file after, and the WAL
/// is only started over once every frame is in the synced database file. A checkpoint
/// that fails (a full disk) is tried again after the next commit; the first failure and
/// the recovery are logged. One that finds the writer checkpointing (`SQLITE_BUSY`) is
/// simply skipped.
///
/// The checkpoints run in ``run()``, which the store's own run runs: a commit while no run
/// is under way is remembered (the latest one) and checkpointed when the next run starts.
final class WALCheckpointer: Sendable {
    private let connection: DatabaseQueue
    private let interval: Duration
    private let logger: Logger
    /// The commits of the run under way; a new stream for each run.
    private let commits: Mutex<(stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)>

    /// Opens a second connection to the database at `path`; checkpoints after commits
    /// (``committed()``), at most once per `interval`, while ``run()`` runs.
    /// - Throws: when the connection cannot be opened.
    init(path: String, interval: Duration, logger: Logger) throws {
        var configuration = Configuration()
        configuration.label = "hookgate.checkpointer"
        connection = try DatabaseQueue(path: path, configuration: configuration)
        try connection.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        self.interval = interval
        self.logger = logger
        commits = Mutex(AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1)))
    }

    deinit {
        commits.withLock { $0.continuation.finish() }
    }

    /// Tells the checkpointer that a transaction committed. Cheap; never blocks.
    func committed() {
        commits.withLock { $0.continuation.yield() }
    }

    /// Checkpoints after commits until the task is cancelled (a checkpoint under way is
    /// interrupted: harmless, the next one copies its frames). Then a new run may start.
    func run() async {
        let stream = commits.withLock { $0.stream }
        defer { commits.withLock { $0 = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1)) } }
        var failing = false
        for await _ in stream {
            do {
                _ = try await connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
                if failing {
                    failing = false
                    logger.notice("WAL checkpoints succeed again")
                }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
                // The writer is checkpointing itself.
            } catch {
                if Task.isCancelled { return }
                if !failing {
                    failing = true
                    logger.warning("WAL checkpoint failed; retrying after the next commit", metadata: ["error": "\(error)"])
                }
            }
            try? await Task.sleep(for: interval)
        }
    }
}
