import Foundation
import HookGateCore

/// The throwaway PostgreSQL cluster `Tests/run.sh` starts (`Tests/postgres-cluster.sh`):
/// `HOOKGATE_TEST_DATABASE_URL` is a superuser URL to its `postgres` database.
enum TestPostgres {
    /// The cluster's maintenance URL, when the test command started one.
    static let maintenanceURL: String? = ProcessInfo.processInfo.environment["HOOKGATE_TEST_DATABASE_URL"]

    /// Whether a cluster is there to test against.
    static var available: Bool { maintenanceURL != nil }

    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    /// Creates an empty database (`hg_test_…`) and returns its URL.
    static func createDatabase() async throws -> DatabaseURL {
        guard let maintenanceURL else { throw Unavailable(description: "HOOKGATE_TEST_DATABASE_URL is not set (run bash Tests/run.sh)") }
        let name = "hg_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        // psql is waited for on a thread of its own: blocking one of the few threads of the
        // cooperative pool for as long as CREATE DATABASE takes starved the suites running beside.
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread {
                done.resume(with: Result { try psql(maintenanceURL, "CREATE DATABASE \(name)") })
            }
        }
        var url = try DatabaseURL(maintenanceURL)
        url.database = String(name)
        return url
    }

    /// Runs one SQL command with `psql`.
    static func psql(_ url: String, _ command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", "--no-psqlrc", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", command]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw Unavailable(description: "psql \(command): \(message)")
        }
    }

    /// `url` as text (with its password), for a gate's YAML.
    static func text(_ url: DatabaseURL) -> String {
        let password = url.password.map { ":\($0)" } ?? ""
        return "postgresql://\(url.user)\(password)@\(url.host ?? "127.0.0.1"):\(url.port)/\(url.database)?sslmode=disable"
    }
}
