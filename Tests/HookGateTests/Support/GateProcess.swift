import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A `hookgate serve` child process on loopback ports of its own, for tests that kill
/// the gate (SIGKILL) or restart it on the same database.
final class GateProcess: @unchecked Sendable {
    let configPath: String
    let publicPort: Int
    let adminPort: Int
    private var process: Process?
    let log: URL
    /// The umask to start the gate under (`umask` notation, e.g. "022"); nil: this process's.
    var umask: String?
    /// Arguments added after `serve --config FILE`.
    var arguments: [String] = []

    /// Writes `yaml` with `PUBLIC_PORT` and `ADMIN_PORT` replaced by free loopback ports.
    init(yaml: String, directory: URL) throws {
        publicPort = try GateProcess.freePort()
        adminPort = try GateProcess.freePort()
        let text = yaml.replacingOccurrences(of: "PUBLIC_PORT", with: String(publicPort)).replacingOccurrences(
            of: "ADMIN_PORT", with: String(adminPort))
        let path = directory.appendingPathComponent("gate-\(UUID().uuidString).yaml")
        try text.write(to: path, atomically: true, encoding: .utf8)
        configPath = path.path
        log = directory.appendingPathComponent("gate.log")
    }

    /// Starts the gate and waits (at most `seconds`) until `/healthz` answers.
    func start(seconds: Double = 20) async throws {
        let process = Process()
        (process.executableURL, process.arguments) = GateProcess.command(["serve", "--config", configPath] + arguments, umask: umask)
        if !FileManager.default.fileExists(atPath: log.path) { FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        self.process = process
        let ready = await eventually(seconds: seconds) {
            (try? await RawHTTP.request(port: self.adminPort, method: "GET", path: "/healthz", timeout: 1).status) == 200
        }
        guard ready else { throw RawHTTP.Failure(description: "gate did not come up; log: \(log.path)") }
    }

    /// Kills the gate at once (no graceful shutdown) and reaps it.
    func kill9() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// SIGTERM (graceful) and wait.
    func stop() {
        guard let process else { return }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
    }

    /// The executable and arguments that run `hookgate arguments…`, under `umask` when given
    /// (through `/bin/sh`, whose `umask` builtin sets it for the `exec`ed binary).
    static func command(_ arguments: [String], umask: String?) -> (URL, [String]) {
        guard let umask else { return (CommandLineTests.binary, arguments) }
        return (URL(fileURLWithPath: "/bin/sh"), ["-c", "umask \(umask) && exec \"$0\" \"$@\"", CommandLineTests.binary.path] + arguments)
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw RawHTTP.Failure(description: "bind failed") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
