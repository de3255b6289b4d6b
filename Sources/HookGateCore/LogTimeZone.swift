import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The time zone of the gate's own log timestamps, pinned for speed without changing it.
///
/// While `TZ` is unset, glibc's `localtime()` (behind the timestamp of swift-log's text
/// log line) `stat`s `/etc/localtime` on every call, under a process-wide lock: one system
/// call per request on the intake path. ``pinIfUnset()`` sets `TZ=:/etc/localtime`, the
/// same file, which glibc then reads once. Child processes (exec handlers) must not see
/// that setting: not every runtime reads `:/etc/localtime` as glibc does (the JVM takes
/// it for a zone name), so ``childEnvironment(_:)`` removes it again.
public enum LogTimeZone {
    /// The value ``pinIfUnset()`` sets.
    public static let pinnedValue = ":/etc/localtime"

    private static let pinned = Atomic(false)

    /// Sets `TZ` to ``pinnedValue`` when it is unset. Call it first in `main`, before any
    /// thread starts: `setenv` must not race with other threads reading the environment.
    public static func pinIfUnset() {
        guard getenv("TZ") == nil else { return }
        setenv("TZ", pinnedValue, 1)
        pinned.store(true, ordering: .releasing)
    }

    /// `environment` as a child process should get it: without the `TZ` that
    /// ``pinIfUnset()`` set, so the child sees the time zone setting the gate was started with.
    public static func childEnvironment(_ environment: [String: String]) -> [String: String] {
        childEnvironment(environment, pinned: pinned.load(ordering: .acquiring))
    }

    /// ``childEnvironment(_:)`` for a given pin state (testable without touching the process's environment).
    static func childEnvironment(_ environment: [String: String], pinned: Bool) -> [String: String] {
        guard pinned, environment["TZ"] == pinnedValue else { return environment }
        var environment = environment
        environment.removeValue(forKey: "TZ")
        return environment
    }
}
