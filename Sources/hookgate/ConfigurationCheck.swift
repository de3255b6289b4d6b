import HookGateCore

/// Checks `--check` makes beyond parsing: every pinned key file loads.
enum ConfigurationCheck {
    static func keyFiles(_ configuration: GateConfiguration) throws {
        for settings in configuration.providers {
            guard case .jwt(_, let keys, _) = settings.verification else { continue }
            switch keys {
            case .pinnedFile(let path): _ = try PinnedKeySource(path: path)
            case .pinnedJSON(let name, let json): _ = try PinnedKeySource(json: json, origin: name)
            case .remote: break
            }
        }
    }
}
