import Foundation

/// A `postgresql://` connection URL, parsed and checked: what `database.url` and
/// `hookgate events --database-url` take.
///
/// Form: `postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE][&host=/socket/dir]`
/// (`postgres://` works too). User name and password may be percent-encoded. `host=` with
/// a folder connects through the unix socket `DIR/.s.PGSQL.PORT` instead of TCP, as libpq
/// does. `sslmode` is `disable`, `prefer` (the default, as libpq) or `require`; `require`
/// verifies the server's certificate against the system's trust roots.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    /// How the connection uses TLS.
    public enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    public var user: String
    public var password: String?
    /// The TCP host, or `nil` with ``socketDirectory``.
    public var host: String?
    public var port: Int
    /// The folder holding the server's unix socket, when connecting through it.
    public var socketDirectory: String?
    public var database: String
    public var tls: TLSMode

    /// Parses `text`.
    /// - Throws: ``ConfigurationError`` (path `database.url`) naming what is wrong; the
    ///   message never contains the password.
    public init(_ text: String, path: String = "database.url") throws(ConfigurationError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "postgresql" || scheme == "postgres"
        else {
            throw ConfigurationError(path: path, "must be a postgresql://user:password@host:port/database URL")
        }
        guard let user = components.user?.removingPercentEncoding, !user.isEmpty else {
            throw ConfigurationError(path: path, "names no user (postgresql://USER:PASSWORD@host/database)")
        }
        self.user = user
        password = components.password?.removingPercentEncoding
        let name = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !name.isEmpty, !name.contains("/") else {
            throw ConfigurationError(path: path, "names no database (postgresql://user@host/DATABASE)")
        }
        database = name.removingPercentEncoding ?? name
        port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw ConfigurationError(path: path, "port \(port) is out of range") }
        var tls = TLSMode.prefer
        var socket: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = TLSMode(rawValue: value) else {
                    throw ConfigurationError(path: path, "sslmode must be disable, prefer or require, got \"\(item.value ?? "")\"")
                }
                tls = mode
            case "host":
                guard let value = item.value, value.hasPrefix("/") else {
                    throw ConfigurationError(path: path, "host= must be the absolute path of the server's socket folder")
                }
                socket = value
            default:
                throw ConfigurationError(path: path, "unknown parameter \"\(item.name)\" (known: sslmode, host)")
            }
        }
        self.tls = tls
        socketDirectory = socket
        let host = components.host.flatMap { $0.isEmpty ? nil : $0 }
        if socket == nil, host == nil {
            throw ConfigurationError(path: path, "names no host (postgresql://user@HOST/database, or ?host=/socket/folder)")
        }
        self.host = socket == nil ? host : nil
    }

    /// The path of the unix socket, when connecting through one.
    public var socketPath: String? {
        socketDirectory.map { "\($0)/.s.PGSQL.\(port)" }
    }

    /// The URL with the password replaced by `***`: safe for logs and `/stats`.
    public var description: String {
        let credentials = password == nil ? user : "\(user):***"
        let location = socketDirectory.map { "localhost:\(port)/\(database)?host=\($0)" } ?? "\(host ?? ""):\(port)/\(database)"
        let mode = tls == .prefer ? "" : (socketDirectory == nil ? "?" : "&") + "sslmode=\(tls.rawValue)"
        return "postgresql://\(credentials)@\(location)\(mode)"
    }
}
