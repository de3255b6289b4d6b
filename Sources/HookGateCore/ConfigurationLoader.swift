import Foundation
import Yams

/// Reads HookGate's YAML configuration (the format of ../shared/contract/hookgate.example.yaml;
/// every key, its default and an example: docs/configuration.md).
///
/// `${NAME}` in any string value is replaced by the environment variable NAME; a
/// missing variable is an error naming it and the key. Unknown keys are errors (a
/// typo must not silently disable a check). All problems are reported at once.
public struct ConfigurationLoader: Sendable {
    /// The environment `${NAME}` is resolved against.
    public let environment: [String: String]
    /// The folder relative paths (`database.path`, `keys_file`, handler paths) are resolved
    /// against: the configuration file's folder. `nil` leaves them relative to the working directory.
    public let baseDirectory: String?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, baseDirectory: String? = nil) {
        self.environment = environment
        self.baseDirectory = baseDirectory
    }

    /// Loads and validates a configuration file. Relative paths in it are made absolute
    /// against the file's folder (``GateConfiguration/resolvingRelativePaths(against:)``).
    /// - Throws: ``ConfigurationError``: ``ConfigurationError/Code/noSuchFile`` when there is no
    ///   file at `path`, ``ConfigurationError/Code/unreadableFile`` when it cannot be read.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GateConfiguration {
        let (text, folder) = try readFile(path)
        return try ConfigurationLoader(environment: environment, baseDirectory: folder).parse(yaml: text)
    }

    /// Loads only the `database` section of a configuration file: what `hookgate events`
    /// needs, without the secrets (`${NAME}`) of the other sections. A relative
    /// `database.path` is made absolute against the file's folder.
    /// - Throws: ``ConfigurationError`` for a missing or unreadable file, invalid YAML, or a
    ///   problem in the `database` section.
    public static func loadDatabase(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError)
        -> GateConfiguration.Database
    {
        let (text, folder) = try readFile(path)
        let root = try ConfigurationLoader.compose(text)
        var reader = Reader(environment: environment)
        var database = GateConfiguration.Database()
        if case .mapping(let mapping)? = root, let node = mapping.first(where: { $0.key.string == "database" })?.value {
            database = reader.readDatabase(node)
        }
        if !reader.problems.isEmpty { throw ConfigurationError(problems: reader.problems) }
        database.path = GateConfiguration.resolve(database.path, against: folder)
        return database
    }

    /// The text of the file at `path` and the absolute path of its folder.
    static func readFile(_ path: String) throws(ConfigurationError) -> (text: String, folder: String) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigurationError(code: .noSuchFile, file: path, "no such file")
        }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(
                code: .unreadableFile, file: path, isDirectory.boolValue ? "is a folder, not a configuration file" : "cannot be read (permissions?)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(code: .unreadableFile, file: path, "is not UTF-8 text")
        }
        return (text, URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL.path)
    }

    /// An IPv6 address or range starting with `::` as an item of a flow sequence (`[` or `,` before it).
    nonisolated(unsafe) static let bareIPv6InFlow = /([\[,][ \t]*)(::[0-9A-Fa-f:.]*(?:\/[0-9]+)?)(?=[ \t]*[,\]])/

    /// Parses and validates YAML text.
    /// - Throws: ``ConfigurationError``.
    public func parse(yaml: String) throws -> GateConfiguration {
        let root = try ConfigurationLoader.compose(yaml)
        var reader = Reader(environment: environment)
        let configuration = reader.read(root)
        if !reader.problems.isEmpty { throw ConfigurationError(problems: reader.problems) }
        return baseDirectory.map { configuration.resolvingRelativePaths(against: $0) } ?? configuration
    }

    /// The YAML tree of `yaml`.
    static func compose(_ yaml: String) throws(ConfigurationError) -> Node? {
        do {
            return try Yams.compose(yaml: yaml)
        } catch {
            // libyaml follows YAML 1.1, where a plain scalar in a flow sequence may not start
            // with ':'; YAML 1.2 allows it, and `[127.0.0.1/32, ::1/128]` is how people (and the
            // contract's PostgreSQL example) write IPv6 ranges. Those items are quoted and the
            // text parsed again; any other error stands as it was.
            let quoted = yaml.replacing(ConfigurationLoader.bareIPv6InFlow) { match in "\(match.output.1)\"\(match.output.2)\"" }
            guard quoted != yaml, let again = try? Yams.compose(yaml: quoted) else {
                throw ConfigurationError(path: "", "not valid YAML: \(error)")
            }
            return again
        }
    }

    /// Walks the YAML tree with the current key path, collecting problems.
    struct Reader {
        let environment: [String: String]
        var problems: [ConfigurationError.Problem] = []

        init(environment: [String: String]) {
            self.environment = environment
        }

        mutating func problem(_ path: String, _ message: String) {
            problems.append(.init(path: path, message: message))
        }

        mutating func mapping(_ node: Node?, _ path: String, allowed: [String]) -> [String: Node]? {
            guard let node else { return nil }
            guard case .mapping(let mapping) = node else {
                problem(path, "must be a mapping of keys to values")
                return nil
            }
            var result: [String: Node] = [:]
            for (key, value) in mapping {
                guard let name = key.string else {
                    problem(path, "keys must be strings")
                    continue
                }
                let child = path.isEmpty ? name : "\(path).\(name)"
                if !allowed.contains(name) {
                    problem(child, "unknown key (expected one of: \(allowed.joined(separator: ", ")))")
                    continue
                }
                if result[name] != nil { problem(child, "appears twice") }
                result[name] = value
            }
            return result
        }

        /// The scalar at `node`, with `${NAME}` resolved. With `url`, a value substituted into a
        /// URL's user or password (between `://` and `@`) is percent-encoded, so any password works.
        mutating func string(_ node: Node?, _ path: String, url: Bool = false) -> String? {
            guard let node else { return nil }
            guard case .scalar(let scalar) = node else {
                problem(path, "must be a single value")
                return nil
            }
            if scalar.style == .plain, ["~", "null", "Null", "NULL", ""].contains(scalar.string) { return nil }
            return interpolate(scalar.string, path, url: url)
        }

        mutating func interpolate(_ text: String, _ path: String, url: Bool = false) -> String? {
            guard text.contains("${") else { return text }
            var userInfo: Range<String.Index>?
            if url, let scheme = text.range(of: "://") {
                let authorityEnd = text[scheme.upperBound...].firstIndex { $0 == "/" || $0 == "?" } ?? text.endIndex
                if let at = text[scheme.upperBound..<authorityEnd].lastIndex(of: "@") { userInfo = scheme.upperBound..<at }
            }
            var output = ""
            var rest = Substring(text)
            while let start = rest.range(of: "${") {
                output += rest[..<start.lowerBound]
                guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                    problem(path, "unterminated ${...}")
                    return nil
                }
                let name = String(rest[start.upperBound..<end])
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    problem(path, "invalid environment variable reference ${\(name)}")
                    return nil
                }
                guard let value = environment[name] else {
                    problem(path, "environment variable \(name) is not set")
                    return nil
                }
                if let userInfo, userInfo.contains(start.lowerBound) {
                    var allowed = CharacterSet.urlUserAllowed
                    allowed.remove(charactersIn: ":@/?#[]%")
                    output += value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
                } else {
                    output += value
                }
                rest = rest[rest.index(after: end)...]
            }
            return output + rest
        }

        mutating func int(_ node: Node?, _ path: String, range: ClosedRange<Int>) -> Int? {
            guard let text = string(node, path) else { return nil }
            guard let value = Int(text) else {
                problem(path, "must be a whole number, got \"\(text)\"")
                return nil
            }
            guard range.contains(value) else {
                problem(path, "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
                return nil
            }
            return value
        }

        mutating func seconds(_ node: Node?, _ path: String, range: ClosedRange<Double>) -> Double? {
            guard let text = string(node, path) else { return nil }
            guard let value = Double(text), value.isFinite else {
                problem(path, "must be a number of seconds, got \"\(text)\"")
                return nil
            }
            guard range.contains(value) else {
                problem(path, "must be between \(range.lowerBound) and \(range.upperBound) seconds, got \(text)")
                return nil
            }
            return value
        }

        mutating func stringList(_ node: Node?, _ path: String) -> [String]? {
            guard let node else { return nil }
            guard case .sequence(let sequence) = node else {
                problem(path, "must be a list")
                return nil
            }
            var values: [String] = []
            for (index, item) in sequence.enumerated() {
                if let value = string(item, "\(path)[\(index)]") { values.append(value) }
            }
            return values
        }

        mutating func cidrs(_ node: Node?, _ path: String) -> [CIDR]? {
            guard let texts = stringList(node, path) else { return nil }
            var ranges: [CIDR] = []
            for (index, text) in texts.enumerated() {
                if let range = CIDR(text) {
                    ranges.append(range)
                } else {
                    problem("\(path)[\(index)]", "\"\(text)\" is not an IP address or CIDR range")
                }
            }
            return ranges
        }

        mutating func host(_ node: Node?, _ path: String) -> String? {
            guard let host = string(node, path) else { return nil }
            if host.isEmpty || host.contains(" ") || host.contains("/") {
                problem(path, "\"\(host)\" is not a host name or address")
                return nil
            }
            return host
        }

        mutating func routePath(_ node: Node?, _ path: String) -> String? {
            guard let route = string(node, path) else { return nil }
            guard route.hasPrefix("/"), !route.contains(" "), !route.contains("?"), !route.contains("*"), !route.contains(":") else {
                problem(path, "must be an absolute URL path like /webhooks/plaid, got \"\(route)\"")
                return nil
            }
            return route
        }

        mutating func httpURL(_ node: Node?, _ path: String) -> String? {
            guard let text = string(node, path) else { return nil }
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
                problem(path, "must be an http:// or https:// URL, got \"\(text)\"")
                return nil
            }
            return text
        }

        /// The `database` section: SQLite `path` or PostgreSQL `url`, durability, retention.
        mutating func readDatabase(_ node: Node) -> GateConfiguration.Database {
            var database = GateConfiguration.Database()
            guard let fields = mapping(node, "database", allowed: ["path", "url", "durability", "retention"]) else { return database }
            if let path = string(fields["path"], "database.path") {
                if path.isEmpty { problem("database.path", "must not be empty") } else { database.path = path }
            }
            if let text = string(fields["url"], "database.url", url: true) {
                do {
                    database.url = try DatabaseURL(text)
                } catch {
                    problems += error.problems
                }
            }
            if fields["path"] != nil, fields["url"] != nil {
                problem("database", "set either path (SQLite) or url (PostgreSQL), not both")
            }
            if let text = string(fields["durability"], "database.durability") {
                if let durability = GateConfiguration.Durability(rawValue: text) {
                    database.durability = durability
                } else {
                    problem("database.durability", "must be full or normal, got \"\(text)\"")
                }
            }
            if let retention = int(fields["retention"], "database.retention", range: 1...Int(Int32.max)) {
                if retention <= 259_200 {
                    problem(
                        "database.retention", "must exceed 3 days (259200 s): LedgerSync retries for 3 days and the dedup window must outlast it")
                } else {
                    database.retention = retention
                }
            }
            return database
        }

        mutating func read(_ root: Node?) -> GateConfiguration {
            var configuration = GateConfiguration()
            guard let root else {
                problem("", "the configuration is empty")
                return configuration
            }
            guard let top = mapping(root, "", allowed: ["server", "admin", "database", "providers", "handlers", "keys", "delivery", "quarantine"]) else {
                return configuration
            }
            if let server = mapping(
                top["server"], "server", allowed: ["host", "port", "max_body_bytes", "trusted_proxies", "read_timeout", "max_connections"])
            {
                if let host = host(server["host"], "server.host") { configuration.server.host = host }
                if let port = int(server["port"], "server.port", range: 0...65535) { configuration.server.port = port }
                if let max = int(server["max_body_bytes"], "server.max_body_bytes", range: 1...(64 << 20)) { configuration.server.maxBodyBytes = max }
                if let proxies = cidrs(server["trusted_proxies"], "server.trusted_proxies") { configuration.server.trustedProxies = proxies }
                if let timeout = int(server["read_timeout"], "server.read_timeout", range: 1...300) { configuration.server.readTimeout = timeout }
                if let connections = int(server["max_connections"], "server.max_connections", range: 16...1_000_000) {
                    configuration.server.maxConnections = connections
                }
            }
            if let admin = mapping(top["admin"], "admin", allowed: ["host", "port", "token"]) {
                if let host = host(admin["host"], "admin.host") { configuration.admin.host = host }
                if let port = int(admin["port"], "admin.port", range: 0...65535) { configuration.admin.port = port }
                if let token = string(admin["token"], "admin.token") {
                    let minimum = GateConfiguration.Admin.minimumTokenBytes
                    if token.utf8.count < minimum {
                        problem("admin.token", "must be at least \(minimum) bytes (use ${ENV} and a random value, e.g. openssl rand -hex 32)")
                    } else if !token.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) {
                        problem("admin.token", "must be printable ASCII without spaces (it travels in an Authorization header)")
                    } else {
                        configuration.admin.token = token
                    }
                }
            }
            if !configuration.admin.isLoopback, configuration.admin.token == nil, !problems.contains(where: { $0.path == "admin.token" }) {
                problem(
                    "admin.token",
                    "is required when admin.host (\(configuration.admin.host)) is not a loopback address: event bodies are financial data")
            }
            if configuration.admin.port != 0, configuration.admin.port == configuration.server.port,
                configuration.admin.host == configuration.server.host
            {
                problem("admin.port", "the admin listener must not share the public listener's address")
            }
            if let node = top["database"] { configuration.database = readDatabase(node) }
            if let node = top["quarantine"] { configuration.quarantine = readQuarantine(node) }
            if let keys = mapping(top["keys"], "keys", allowed: ["cooldown", "max_fetches_per_minute"]) {
                if let cooldown = int(keys["cooldown"], "keys.cooldown", range: 1...86_400) { configuration.keyCooldown = cooldown }
                if let rate = int(keys["max_fetches_per_minute"], "keys.max_fetches_per_minute", range: 1...6_000) {
                    configuration.maxKeyFetchesPerMinute = rate
                }
            }
            if let delivery = mapping(
                top["delivery"], "delivery", allowed: ["initial_backoff", "max_backoff", "give_up_after", "concurrency", "lease"])
            {
                if let value = int(delivery["lease"], "delivery.lease", range: 2...3600) { configuration.delivery.lease = value }
                if let value = seconds(delivery["initial_backoff"], "delivery.initial_backoff", range: 0.01...86_400) {
                    configuration.delivery.initialBackoff = value
                }
                if let value = seconds(delivery["max_backoff"], "delivery.max_backoff", range: 0.01...604_800) {
                    configuration.delivery.maxBackoff = value
                }
                if let value = seconds(delivery["give_up_after"], "delivery.give_up_after", range: 0.01...31_536_000) {
                    configuration.delivery.giveUpAfter = value
                }
                if let value = int(delivery["concurrency"], "delivery.concurrency", range: 1...4096) { configuration.delivery.concurrency = value }
                if configuration.delivery.maxBackoff < configuration.delivery.initialBackoff {
                    problem("delivery.max_backoff", "must not be shorter than initial_backoff")
                }
            }
            if let node = top["providers"] {
                if case .mapping(let entries) = node {
                    var names: Set<String> = []
                    for (key, value) in entries {
                        guard let name = key.string else {
                            problem("providers", "keys must be strings")
                            continue
                        }
                        guard names.insert(name).inserted else {
                            problem("providers.\(name)", "appears twice")
                            continue
                        }
                        if let settings = readProvider(name: name, value) { configuration.providers.append(settings) }
                    }
                    if entries.isEmpty { problem("providers", "at least one provider must be configured") }
                } else {
                    problem("providers", "must be a mapping of provider names to their settings")
                }
            } else {
                problem("providers", "is required: name at least one of plaid, linkmoney, ledgersync")
            }
            var paths: [String: String] = [:]
            for settings in configuration.providers {
                if let other = paths[settings.path] {
                    problem("providers.\(settings.provider.rawValue).path", "\(settings.path) is already the path of \(other)")
                }
                paths[settings.path] = settings.provider.rawValue
            }
            if let handlers = top["handlers"] {
                configuration.handlers = readHandlers(handlers, providers: Set(configuration.providers.map(\.provider.rawValue)))
            }
            return configuration
        }
    }
}
