import Foundation
import Yams

/// The sections with most rules: one provider's settings, and the handlers.
extension ConfigurationLoader.Reader {
    /// One entry under `providers:`: its name, its `kind` (implied by the name for the
    /// built-in three), then the kind's own keys.
    mutating func readProvider(name: String, _ node: Node) -> GateConfiguration.ProviderSettings? {
        let base = "providers.\(name)"
        guard let provider = Provider(rawValue: name) else {
            problem(base, "a provider name is 1 to \(Provider.maxNameLength) characters of a-z, 0-9, - and _, starting with a letter or digit")
            return nil
        }
        var kindNode: Node?
        if case .mapping(let entries) = node { kindNode = entries.first { $0.key.string == "kind" }?.value }
        let kinds = ProviderKind.allCases.map(\.rawValue).joined(separator: ", ")
        let kind: ProviderKind
        if let text = string(kindNode, "\(base).kind") {
            guard let named = ProviderKind(rawValue: text) else {
                problem("\(base).kind", "must be one of \(kinds), got \"\(text)\"")
                return nil
            }
            if let implied = ProviderKind(impliedBy: provider), implied != named {
                problem("\(base).kind", "the name \(name) is its own kind (\(implied.rawValue)); give a \(named.rawValue) provider another name")
                return nil
            }
            kind = named
        } else {
            guard let implied = ProviderKind(impliedBy: provider) else {
                problem("\(base).kind", "is required for a provider not named plaid, linkmoney or ledgersync: one of \(kinds)")
                return nil
            }
            kind = implied
        }
        return kind.isJWTFamily ? readJWTProvider(provider, kind: kind, node, base: base) : readSignedProvider(provider, kind: kind, node, base: base)
    }

    /// A Plaid, LinkMoney or LedgerSync provider (JWT, token or none).
    mutating func readJWTProvider(_ provider: Provider, kind: ProviderKind, _ node: Node, base: String) -> GateConfiguration.ProviderSettings? {
        var allowed = ["kind", "path", "max_age", "allowed_ips", "keys_file", "header", "key_timeout"]
        switch kind {
        case .plaid: allowed += ["key_url", "client_id", "secret"]
        case .linkmoney: allowed += ["key_url", "client_id", "client_secret"]
        default: allowed += ["verification", "token"]
        }
        guard let fields = mapping(node, base, allowed: allowed) else { return nil }
        let path = routePath(fields["path"], "\(base).path") ?? provider.defaultPath
        let maxAge = int(fields["max_age"], "\(base).max_age", range: 1...86_400) ?? 300
        let header = string(fields["header"], "\(base).header") ?? kind.defaultVerificationHeader
        if header.isEmpty || !header.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            problem("\(base).header", "\"\(header)\" is not a valid HTTP header name")
        }
        let allowedIPs = cidrs(fields["allowed_ips"], "\(base).allowed_ips")
        let keysFile = string(fields["keys_file"], "\(base).keys_file")
        let keyTimeout = seconds(fields["key_timeout"], "\(base).key_timeout", range: 0.1...60) ?? 5

        func jwtKeys() -> GateConfiguration.KeySourceSettings? {
            if kind == .ledgersync {
                guard let keysFile else {
                    problem("\(base).keys_file", "is required with verification: jwt (LedgerSync has no key endpoint)")
                    return nil
                }
                return .pinnedFile(path: keysFile)
            }
            let url = httpURL(fields["key_url"], "\(base).key_url")
            if let keysFile {
                if fields["key_url"] != nil { problem("\(base).keys_file", "give either key_url or keys_file, not both") }
                return .pinnedFile(path: keysFile)
            }
            guard let url else {
                if fields["key_url"] == nil { problem("\(base).key_url", "is required (or keys_file for pinned keys)") }
                return nil
            }
            let secretKey = kind == .plaid ? "secret" : "client_secret"
            let clientID = string(fields["client_id"], "\(base).client_id")
            let secret = string(fields[secretKey], "\(base).\(secretKey)")
            if clientID == nil, fields["client_id"] == nil { problem("\(base).client_id", "is required with key_url") }
            if secret == nil, fields[secretKey] == nil { problem("\(base).\(secretKey)", "is required with key_url") }
            return .remote(url: url, credentials: [("client_id", clientID ?? ""), (secretKey, secret ?? "")], timeout: keyTimeout)
        }

        let verification: GateConfiguration.Verification
        let scheme = kind == .ledgersync ? string(fields["verification"], "\(base).verification") : "jwt"
        switch scheme {
        case "jwt":
            guard let keys = jwtKeys() else { return nil }
            verification = .jwt(header: header, keys: keys, maxAge: maxAge)
        case "token":
            guard let secret = string(fields["token"], "\(base).token"), secret.utf8.count >= 16 else {
                problem("\(base).token", "verification: token needs a shared secret of at least 16 bytes (use ${ENV})")
                return nil
            }
            verification = .token(header: header, secret: secret)
        case "none":
            verification = .none
        case nil:
            problem("\(base).verification", "is required: jwt, token, or none (none must be chosen explicitly)")
            return nil
        case let other?:
            problem("\(base).verification", "must be jwt, token or none, got \"\(other)\"")
            return nil
        }
        return .init(provider: provider, kind: kind, path: path, verification: verification, allowedIPs: allowedIPs)
    }

    /// The handlers; a match pattern naming a provider that is not in `providers` is a problem.
    mutating func readHandlers(_ node: Node, providers: Set<String>) -> [GateConfiguration.Handler] {
        guard case .sequence(let sequence) = node else {
            problem("handlers", "must be a list")
            return []
        }
        var handlers: [GateConfiguration.Handler] = []
        var names = Set<String>()
        for (index, item) in sequence.enumerated() {
            let base = "handlers[\(index)]"
            guard let fields = mapping(item, base, allowed: ["name", "match", "http", "file", "exec", "order_key", "concurrency"]) else { continue }
            guard let name = string(fields["name"], "\(base).name"), !name.isEmpty else {
                problem("\(base).name", "is required")
                continue
            }
            if !names.insert(name).inserted { problem("\(base).name", "\"\(name)\" is used by another handler") }
            var patterns: [EventPattern] = []
            for (position, text) in (stringList(fields["match"], "\(base).match") ?? []).enumerated() {
                if let pattern = EventPattern(text) {
                    if !pattern.provider.contains("*"), !providers.contains(pattern.provider) {
                        problem("\(base).match[\(position)]", "\"\(text)\" names provider \(pattern.provider), which is not configured under providers:")
                    }
                    patterns.append(pattern)
                } else {
                    problem("\(base).match[\(position)]", "\"\(text)\" is not provider:TYPE (with * wildcards) or *")
                }
            }
            if fields["match"] == nil { problem("\(base).match", "is required (use [\"*\"] for every event)") }
            let kinds = ["http", "file", "exec"].filter { fields[$0] != nil }
            guard kinds.count == 1 else {
                problem(base, "needs exactly one of http, file, exec (has \(kinds.isEmpty ? "none" : kinds.joined(separator: ", ")))")
                continue
            }
            let kindPath = "\(base).\(kinds[0])"
            var kind: GateConfiguration.HandlerKind?
            switch kinds[0] {
            case "http":
                if let http = mapping(fields["http"], kindPath, allowed: ["url", "timeout", "secret"]) {
                    let url = httpURL(http["url"], "\(kindPath).url")
                    if http["url"] == nil { problem("\(kindPath).url", "is required") }
                    let timeout = seconds(http["timeout"], "\(kindPath).timeout", range: 0.1...300) ?? 10
                    let secret = string(http["secret"], "\(kindPath).secret")
                    if let secret, !secret.hasPrefix("whsec_") || Data(base64Encoded: String(secret.dropFirst(6))) == nil {
                        problem("\(kindPath).secret", "must be whsec_ followed by base64 key bytes")
                    }
                    if let url { kind = .http(url: url, timeout: timeout, secret: secret) }
                }
            case "file":
                if let file = mapping(fields["file"], kindPath, allowed: ["path", "durability"]) {
                    let path = string(file["path"], "\(kindPath).path")
                    if path == nil { problem("\(kindPath).path", "is required") }
                    var durability = GateConfiguration.Durability.full
                    if let text = string(file["durability"], "\(kindPath).durability") {
                        if let value = GateConfiguration.Durability(rawValue: text) {
                            durability = value
                        } else {
                            problem("\(kindPath).durability", "must be full or normal, got \"\(text)\"")
                        }
                    }
                    if let path { kind = .file(path: path, durability: durability) }
                }
            default:
                if let exec = mapping(fields["exec"], kindPath, allowed: ["command", "timeout"]) {
                    let command = stringList(exec["command"], "\(kindPath).command") ?? []
                    if command.isEmpty { problem("\(kindPath).command", "is required: a list, program first (no shell)") }
                    let timeout = seconds(exec["timeout"], "\(kindPath).timeout", range: 0.1...3600) ?? 30
                    if !command.isEmpty { kind = .exec(command: command, timeout: timeout) }
                }
            }
            let orderKey = string(fields["order_key"], "\(base).order_key")
            let concurrency = int(fields["concurrency"], "\(base).concurrency", range: 1...1024) ?? 64
            if let kind { handlers.append(.init(name: name, match: patterns, kind: kind, orderKey: orderKey, concurrency: concurrency)) }
        }
        return handlers
    }
}
