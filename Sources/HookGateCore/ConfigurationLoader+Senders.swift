import JOSE
import Yams

/// The shared-secret kinds under `providers:` (Stripe, GitHub, Shopify, Standard
/// Webhooks, `hmac`): their secrets, freshness and, for `hmac`, the scheme and identity.
extension ConfigurationLoader.Reader {
    mutating func readSignedProvider(_ provider: Provider, kind: ProviderKind, _ node: Node, base: String) -> GateConfiguration.ProviderSettings? {
        var allowed = ["kind", "path", "allowed_ips", "secrets"]
        if kind == .stripe || kind == .standardWebhooks { allowed.append("max_age") }
        if kind == .hmac { allowed += ["header", "algorithm", "encoding", "prefix", "event_id", "event_type"] }
        guard let fields = mapping(node, base, allowed: allowed) else {
            problem(base, "must be a mapping with at least secrets")
            return nil
        }
        let path = routePath(fields["path"], "\(base).path") ?? provider.defaultPath
        let maxAge = int(fields["max_age"], "\(base).max_age", range: 1...86_400) ?? 300
        let allowedIPs = cidrs(fields["allowed_ips"], "\(base).allowed_ips")
        let secrets = readSecrets(fields["secrets"], kind: kind, base: base)
        let format: SignatureScheme.Format
        var identity = EventIdentity(kind: kind)
        if let fixed = SignatureScheme.Format(kind: kind) {
            format = fixed
        } else {
            guard let header = string(fields["header"], "\(base).header") else {
                problem("\(base).header", "is required: the header that carries the signature")
                return nil
            }
            guard isHeaderName(header) else {
                problem("\(base).header", "\"\(header)\" is not a valid HTTP header name")
                return nil
            }
            let algorithmText = string(fields["algorithm"], "\(base).algorithm") ?? "sha256"
            guard let algorithm = HMACAlgorithm(rawValue: algorithmText) else {
                problem("\(base).algorithm", "must be sha256 or sha512, got \"\(algorithmText)\"")
                return nil
            }
            let encodingText = string(fields["encoding"], "\(base).encoding") ?? "hex"
            guard let encoding = SignatureScheme.DigestEncoding(rawValue: encodingText) else {
                problem("\(base).encoding", "must be hex or base64, got \"\(encodingText)\"")
                return nil
            }
            let prefix = string(fields["prefix"], "\(base).prefix") ?? ""
            format = .hmac(header: header, algorithm: algorithm, encoding: encoding, prefix: prefix)
            guard let id = readIDSource(fields["event_id"], "\(base).event_id") else { return nil }
            guard let type = readTypeSource(fields["event_type"], "\(base).event_type") else { return nil }
            let needsJSON = { if case .json = id { return true }; if case .json = type { return true }; return false }()
            identity = EventIdentity(id: id, type: type, json: needsJSON ? .strict : nil)
        }
        guard let secrets else { return nil }
        return .init(
            provider: provider, kind: kind, path: path, verification: .signature(SignatureScheme(format: format, secrets: secrets, maxAge: maxAge)),
            identity: identity, allowedIPs: allowedIPs)
    }

    /// `secrets:`, a non-empty list, each checked for the kind (never quoted in a problem).
    private mutating func readSecrets(_ node: Node?, kind: ProviderKind, base: String) -> [SignatureSecret]? {
        let path = "\(base).secrets"
        guard let node else {
            problem(path, "is required: a list of one or more secrets (use ${ENV})")
            return nil
        }
        guard case .sequence(let items) = node else {
            problem(path, "must be a list of secrets, e.g. [\"${SECRET}\"]")
            return nil
        }
        guard !items.isEmpty else {
            problem(path, "must name at least one secret")
            return nil
        }
        var secrets: [SignatureSecret] = []
        var failed = false
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            let problemsBefore = problems.count
            guard let text = string(item, itemPath) else {
                if problems.count == problemsBefore { problem(itemPath, "is empty") }
                failed = true
                continue
            }
            switch SignatureSecret.parse(text, kind: kind) {
            case .success(let secret): secrets.append(secret)
            case .failure(let refusal):
                problem(itemPath, refusal.reason)
                failed = true
            }
        }
        return failed ? nil : secrets
    }

    /// `event_id:` of an `hmac` provider: `body_sha256` (the default), `{json: /POINTER}` or `{header: NAME}`.
    private mutating func readIDSource(_ node: Node?, _ path: String) -> EventIdentity.IDSource? {
        guard let node else { return .bodySHA256 }
        if case .scalar = node {
            guard string(node, path) == "body_sha256" else {
                problem(path, "must be body_sha256, {json: /POINTER} or {header: NAME}")
                return nil
            }
            return .bodySHA256
        }
        guard let source = readFieldSource(node, path) else { return nil }
        switch source {
        case .json(let pointer): return .json(pointer, integers: true)
        case .header(let name): return .header([name])
        }
    }

    /// `event_type:` of an `hmac` provider: `{json: /POINTER}` or `{header: NAME}`; none when absent.
    private mutating func readTypeSource(_ node: Node?, _ path: String) -> EventIdentity.TypeSource? {
        guard let node else { return EventIdentity.TypeSource.none }
        guard let source = readFieldSource(node, path) else { return nil }
        switch source {
        case .json(let pointer): return .json(pointer, fallback: "")
        case .header(let name): return .header(name, fallback: "")
        }
    }

    private enum FieldSource {
        case json(JSONPointer)
        case header(String)
    }

    private mutating func readFieldSource(_ node: Node, _ path: String) -> FieldSource? {
        guard let fields = mapping(node, path, allowed: ["json", "header"]), fields.count == 1 else {
            problem(path, "must be {json: /POINTER} or {header: NAME}")
            return nil
        }
        if let text = string(fields["json"], "\(path).json") {
            guard let pointer = JSONPointer(text), !pointer.tokens.isEmpty else {
                problem("\(path).json", "\"\(text)\" is not a JSON Pointer (RFC 6901) such as /id or /data/object/id")
                return nil
            }
            return .json(pointer)
        }
        if let name = string(fields["header"], "\(path).header") {
            guard isHeaderName(name) else {
                problem("\(path).header", "\"\(name)\" is not a valid HTTP header name")
                return nil
            }
            return .header(name)
        }
        problem(path, "must be {json: /POINTER} or {header: NAME}")
        return nil
    }

    private func isHeaderName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}
