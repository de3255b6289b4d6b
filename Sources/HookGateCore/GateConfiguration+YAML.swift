import Foundation

/// The effective configuration as YAML: what `hookgate config print` shows.
extension GateConfiguration {
    /// What a secret is replaced with in ``effectiveYAML()``.
    public static let maskedSecret = "'********'"

    /// Every key with its effective value (defaults filled in, relative paths resolved), in
    /// the order of docs/configuration.md. Secrets are masked: `admin.token`, provider
    /// secrets and shared tokens, handler signing secrets, and the password of
    /// `database.url`. A comment line marks what has no YAML form (the embedded
    /// development keys).
    public func effectiveYAML() -> String {
        var lines: [String] = []
        func add(_ indent: Int, _ text: String) { lines.append(String(repeating: "  ", count: indent) + text) }

        add(0, "server:")
        add(1, "host: \(Self.scalar(server.host))")
        add(1, "port: \(server.port)")
        add(1, "max_body_bytes: \(server.maxBodyBytes)")
        add(1, "trusted_proxies: [\(server.trustedProxies.map { Self.scalar("\($0)") }.joined(separator: ", "))]")
        add(1, "read_timeout: \(server.readTimeout)")
        add(1, "max_connections: \(server.maxConnections)")
        add(0, "admin:")
        add(1, "host: \(Self.scalar(admin.host))")
        add(1, "port: \(admin.port)")
        add(1, "token: \(admin.token == nil ? "null" : Self.maskedSecret)")
        add(0, "database:")
        if let url = database.url {
            add(1, "url: \(Self.scalar(url.description))")
        } else {
            add(1, "path: \(Self.scalar(database.path))")
        }
        add(1, "durability: \(database.durability.rawValue)")
        add(1, "retention: \(database.retention)")
        add(0, "providers:")
        for settings in providers {
            add(1, "\(settings.provider.rawValue):")
            if ProviderKind(impliedBy: settings.provider) != settings.kind { add(2, "kind: \(settings.kind.rawValue)") }
            add(2, "path: \(Self.scalar(settings.path))")
            switch settings.verification {
            case .signature(let scheme):
                if case .hmac(let header, let algorithm, let encoding, let prefix) = scheme.format {
                    add(2, "header: \(Self.scalar(header))")
                    add(2, "algorithm: \(algorithm.rawValue)")
                    add(2, "encoding: \(encoding.rawValue)")
                    add(2, "prefix: \(Self.scalar(prefix))")
                    add(2, "event_id: \(Self.idSource(settings.identity.id))")
                    if let type = Self.typeSource(settings.identity.type) { add(2, "event_type: \(type)") }
                }
                add(2, "secrets: [\(scheme.secrets.map { _ in Self.maskedSecret }.joined(separator: ", "))]")
                if settings.kind == .stripe || settings.kind == .standardWebhooks { add(2, "max_age: \(scheme.maxAge)") }
            case .jwt(let header, let keys, let maxAge):
                if settings.provider == .ledgersync { add(2, "verification: jwt") }
                add(2, "header: \(Self.scalar(header))")
                add(2, "max_age: \(maxAge)")
                switch keys {
                case .remote(let url, let credentials, let timeout):
                    add(2, "key_url: \(Self.scalar(url))")
                    for (name, value) in credentials {
                        add(2, "\(name): \(name == "client_id" ? Self.scalar(value) : Self.maskedSecret)")
                    }
                    add(2, "key_timeout: \(Self.number(timeout))")
                case .pinnedFile(let path):
                    add(2, "keys_file: \(Self.scalar(path))")
                case .pinnedJSON(let name, _):
                    add(2, "# keys: \(name), compiled into the binary (no keys_file)")
                }
            case .token(let header, _):
                add(2, "verification: token")
                add(2, "header: \(Self.scalar(header))")
                add(2, "token: \(Self.maskedSecret)")
            case .none:
                add(2, "verification: none")
            }
            if let allowed = settings.allowedIPs {
                add(2, "allowed_ips: [\(allowed.map { Self.scalar("\($0)") }.joined(separator: ", "))]")
            }
        }
        add(0, "keys:")
        add(1, "cooldown: \(keyCooldown)")
        add(1, "max_fetches_per_minute: \(maxKeyFetchesPerMinute)")
        add(0, handlers.isEmpty ? "handlers: []" : "handlers:")
        for handler in handlers {
            add(1, "- name: \(Self.scalar(handler.name))")
            add(2, "match: [\(handler.match.map { Self.scalar("\($0)") }.joined(separator: ", "))]")
            if let orderKey = handler.orderKey { add(2, "order_key: \(Self.scalar(orderKey))") }
            add(2, "concurrency: \(handler.concurrency)")
            switch handler.kind {
            case .http(let url, let timeout, let secret):
                add(2, "http:")
                add(3, "url: \(Self.scalar(url))")
                add(3, "timeout: \(Self.number(timeout))")
                if secret != nil { add(3, "secret: \(Self.maskedSecret)") }
            case .file(let path, let durability):
                add(2, "file:")
                add(3, "path: \(Self.scalar(path))")
                add(3, "durability: \(durability.rawValue)")
            case .exec(let command, let timeout):
                add(2, "exec:")
                add(3, "command: [\(command.map(Self.scalar).joined(separator: ", "))]")
                add(3, "timeout: \(Self.number(timeout))")
            }
        }
        add(0, "quarantine:")
        add(1, "enabled: \(quarantine.enabled)")
        add(1, "max_bytes: \(quarantine.maxBytes)")
        add(1, "retention: \(quarantine.retention)")
        add(0, "delivery:")
        add(1, "initial_backoff: \(Self.number(delivery.initialBackoff))")
        add(1, "max_backoff: \(Self.number(delivery.maxBackoff))")
        add(1, "give_up_after: \(Self.number(delivery.giveUpAfter))")
        add(1, "concurrency: \(delivery.concurrency)")
        add(1, "lease: \(delivery.lease)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A YAML scalar: single-quoted (the one form without escapes but `''`) unless plainly safe.
    static func scalar(_ text: String) -> String {
        let plain =
            !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._/-".contains($0)) }
            && !["null", "true", "false", "yes", "no", "on", "off", "~"].contains(text.lowercased()) && Double(text) == nil
        return plain ? text : "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// An `hmac` provider's `event_id` as written in the file.
    static func idSource(_ source: EventIdentity.IDSource) -> String {
        switch source {
        case .bodySHA256: return "body_sha256"
        case .json(let pointer, _): return "{json: \(scalar(pointer.description))}"
        case .header(let names): return "{header: \(scalar(names.first ?? ""))}"
        }
    }

    /// An `hmac` provider's `event_type` as written in the file, `nil` when it has none.
    static func typeSource(_ source: EventIdentity.TypeSource) -> String? {
        switch source {
        case .json(let pointer, _): return "{json: \(scalar(pointer.description))}"
        case .header(let name, _): return "{header: \(scalar(name))}"
        default: return nil
        }
    }

    /// Seconds as written in the file: whole numbers without a fraction.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
