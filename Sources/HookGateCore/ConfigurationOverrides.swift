import Foundation

/// The few settings people change per host, given on `serve`'s command line or in
/// `HOOKGATE_*` environment variables, applied over the configuration file (or the
/// embedded defaults). Precedence: flag > environment > file > default.
///
/// Paths given here are relative to the working directory, as any path on a command line.
public struct ConfigurationOverrides: Sendable, Equatable {
    /// The environment variables read by ``init(environment:)``, by the key they set.
    public static let variables: [(name: String, key: String)] = [
        ("HOOKGATE_HOST", "server.host"), ("HOOKGATE_PORT", "server.port"), ("HOOKGATE_ADMIN_PORT", "admin.port"),
        ("HOOKGATE_DATABASE", "database.path"), ("HOOKGATE_DATABASE_URL", "database.url"),
    ]

    /// `server.host`.
    public var host: String?
    /// `server.port`.
    public var port: Int?
    /// `admin.port`.
    public var adminPort: Int?
    /// `database.path` (the SQLite file); setting it drops a `database.url`.
    public var databasePath: String?
    /// `database.url` (PostgreSQL); setting it drops a `database.path`.
    public var databaseURL: DatabaseURL?

    public init(host: String? = nil, port: Int? = nil, adminPort: Int? = nil, databasePath: String? = nil, databaseURL: DatabaseURL? = nil) {
        self.host = host
        self.port = port
        self.adminPort = adminPort
        self.databasePath = databasePath
        self.databaseURL = databaseURL
    }

    /// The overrides in `environment`'s `HOOKGATE_*` variables (empty values are ignored).
    /// - Throws: ``ConfigurationError`` naming each variable whose value is unusable; a
    ///   database URL's password never appears in it.
    public init(environment: [String: String]) throws(ConfigurationError) {
        var problems: [ConfigurationError.Problem] = []
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        if let host = value("HOOKGATE_HOST") {
            if let problem = Self.hostProblem(host) { problems.append(.init(path: "HOOKGATE_HOST", message: problem)) } else { self.host = host }
        }
        for (name, keyPath) in [("HOOKGATE_PORT", \ConfigurationOverrides.port), ("HOOKGATE_ADMIN_PORT", \.adminPort)] {
            guard let text = value(name) else { continue }
            if let port = Int(text), (0...65535).contains(port) {
                self[keyPath: keyPath] = port
            } else {
                problems.append(.init(path: name, message: "must be a port number from 0 to 65535, got \"\(text)\""))
            }
        }
        databasePath = value("HOOKGATE_DATABASE")
        if let text = value("HOOKGATE_DATABASE_URL") {
            do { databaseURL = try DatabaseURL(text, path: "HOOKGATE_DATABASE_URL") } catch { problems += error.problems }
        }
        if databasePath != nil, environment["HOOKGATE_DATABASE_URL"].map({ !$0.isEmpty }) == true {
            problems.append(
                .init(path: "HOOKGATE_DATABASE", message: "set HOOKGATE_DATABASE (SQLite) or HOOKGATE_DATABASE_URL (PostgreSQL), not both"))
        }
        if !problems.isEmpty { throw ConfigurationError(problems: problems) }
    }

    /// Why `host` cannot be a listener's host, or `nil` when it can.
    public static func hostProblem(_ host: String) -> String? {
        host.isEmpty || host.contains(" ") || host.contains("/") ? "\"\(host)\" is not a host name or address" : nil
    }

    /// These overrides with `other`'s set values taking precedence (`environment.overridden(by: flags)`).
    public func overridden(by other: ConfigurationOverrides) -> ConfigurationOverrides {
        var merged = self
        if let host = other.host { merged.host = host }
        if let port = other.port { merged.port = port }
        if let adminPort = other.adminPort { merged.adminPort = adminPort }
        if other.databasePath != nil || other.databaseURL != nil {
            merged.databasePath = other.databasePath
            merged.databaseURL = other.databaseURL
        }
        return merged
    }

    /// `configuration` with these overrides applied, checked again where an override can
    /// break a rule of the file (the two listeners on one address).
    /// - Throws: ``ConfigurationError`` naming the clash.
    public func applied(to configuration: GateConfiguration) throws(ConfigurationError) -> GateConfiguration {
        var result = configuration
        if let host { result.server.host = host }
        if let port { result.server.port = port }
        if let adminPort { result.admin.port = adminPort }
        if let databasePath {
            result.database.path = databasePath
            result.database.url = nil
        } else if let databaseURL {
            result.database.url = databaseURL
        }
        if result.admin.port != 0, result.admin.port == result.server.port, result.admin.host == result.server.host {
            throw ConfigurationError(
                path: "admin.port", "the admin listener must not share the public listener's address (\(result.server.host):\(result.server.port))")
        }
        return result
    }
}
