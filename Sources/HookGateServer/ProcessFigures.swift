import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's own figures for the `process_*` series (the names and meanings of the
/// Prometheus client libraries' process collectors), read from `/proc` on Linux at
/// each scrape.
///
/// On a system without `/proc` (macOS) only ``maxFileDescriptors`` is known; the other
/// fields are nil and their series are not written.
struct ProcessFigures: Sendable, Equatable {
    /// User plus system CPU time, in seconds.
    var cpuSeconds: Double?
    /// Resident set size, in bytes.
    var residentBytes: Double?
    /// Virtual memory size, in bytes.
    var virtualBytes: Double?
    /// Open file descriptors.
    var openFileDescriptors: Int?
    /// The soft limit on open file descriptors.
    var maxFileDescriptors: Int?
    /// When the process started, in seconds since the Unix epoch.
    var startTimeSeconds: Double?

    /// The figures of this process now.
    static func current() -> ProcessFigures {
        var figures = ProcessFigures()
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            figures.maxFileDescriptors = Int(clamping: limit.rlim_cur)  // unlimited (all bits set) reads as Int.max
        }
        #if os(Linux)
            let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
            let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
            if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8), let fields = statFields(stat) {
                // proc(5): fields counted from 1; `fields` starts at field 3 (state), after the command name.
                func field(_ number: Int) -> Double? { fields.count > number - 3 ? Double(fields[number - 3]) : nil }
                if let user = field(14), let system = field(15) { figures.cpuSeconds = (user + system) / ticks }
                figures.virtualBytes = field(23)
                figures.residentBytes = field(24).map { $0 * pageSize }
                if let started = field(22), let boot = bootTime() { figures.startTimeSeconds = boot + started / ticks }
            }
            if let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
                // The listing itself holds one descriptor open on /proc/self/fd while it reads.
                figures.openFileDescriptors = max(0, entries.count - 1)
            }
        #endif
        return figures
    }

    /// The fields of `/proc/self/stat` after the command name (which is in parentheses and may hold spaces).
    static func statFields(_ stat: String) -> [Substring]? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
    }

    /// The boot time (`btime` of `/proc/stat`), in seconds since the Unix epoch.
    static func bootTime() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst("btime ".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
