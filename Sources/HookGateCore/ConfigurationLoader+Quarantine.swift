import Yams

/// The `quarantine` section.
extension ConfigurationLoader.Reader {
    /// `enabled` (true or false), `max_bytes` (1 MiB to 64 GiB) and `retention` (1 hour to
    /// a year, in seconds).
    mutating func readQuarantine(_ node: Node) -> GateConfiguration.QuarantineSettings {
        var quarantine = GateConfiguration.QuarantineSettings()
        guard let fields = mapping(node, "quarantine", allowed: ["enabled", "max_bytes", "retention"]) else { return quarantine }
        if let text = string(fields["enabled"], "quarantine.enabled") {
            switch text {
            case "true", "True", "TRUE", "yes", "on": quarantine.enabled = true
            case "false", "False", "FALSE", "no", "off": quarantine.enabled = false
            default: problem("quarantine.enabled", "must be true or false, got \"\(text)\"")
            }
        }
        if let bytes = int(fields["max_bytes"], "quarantine.max_bytes", range: 1_048_576...68_719_476_736) {
            quarantine.maxBytes = Int64(bytes)
        }
        if let retention = int(fields["retention"], "quarantine.retention", range: 3600...31_536_000) { quarantine.retention = retention }
        return quarantine
    }
}
