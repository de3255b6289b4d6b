import HookGateCore

/// Which provider settings `hookgate sign` and `hookgate replay` sign for: a provider of
/// `--config`, or, without one, a development provider named after its kind.
package struct SenderDirectory: Sendable {
    /// The configuration's providers, when one was given.
    package let configuration: GateConfiguration?

    package init(configuration: GateConfiguration?) {
        self.configuration = configuration
    }

    /// The settings of `provider`.
    ///
    /// Without a configuration: the embedded defaults' providers, the built-in three and a
    /// development sender of each shared-secret kind (`stripe`, `github`, `shopify`,
    /// `standard-webhooks`). `hmac` needs a configuration (its header and encoding are the sender's).
    /// - Throws: ``ToolError`` naming what to do.
    package func settings(for provider: Provider) throws(ToolError) -> GateConfiguration.ProviderSettings {
        if let configuration {
            guard let settings = configuration.settings(for: provider) else {
                let names = configuration.providers.map(\.provider.rawValue).joined(separator: ", ")
                throw ToolError("the configuration has no provider \(provider) (it has: \(names))")
            }
            return settings
        }
        guard let development = GateConfiguration.embeddedDefaults.settings(for: provider) else {
            throw ToolError("\(provider) is not a provider of the embedded defaults: pass --config with the file that configures it")
        }
        return development
    }

    /// Whether `name` names a provider this directory knows (for telling a body file's
    /// provider from a folder in its path).
    package func knows(_ name: String) -> Provider? {
        guard let provider = Provider(rawValue: name) else { return nil }
        if let configuration { return configuration.settings(for: provider) != nil ? provider : nil }
        return (try? settings(for: provider)) != nil ? provider : nil
    }
}
