import ArgumentParser
import Foundation
import HookGateCore
import HookGateTools
import JOSE

/// `hookgate replay`: sends captured or fixture bodies to a running gate, signed fresh.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Send webhook bodies or captures (files or folders) to a running gate and summarise its answers.",
        discussion: """
            A body file's provider comes from --provider or from a folder in its path named after the provider \
            (plaid/, linkmoney/, ledgersync/, stripe/, github/, shopify/, standard-webhooks/, or a provider of --config). \
            JWT bodies are signed fresh (iat now, request_body_sha256 of the bytes) with the development key, or --key/--kid, \
            in the provider's header. Shared-secret kinds are signed fresh with --secret, else the provider's first secret in \
            --config, else the kind's development secret; a capture's id and type headers (X-GitHub-Event, webhook-id, ...) \
            are kept. Captures written by `hookgate events export` are signed fresh too, unless --as-captured resends their \
            original headers unchanged.
            Exit status: 0 when every answer is accepted or duplicate (with --as-captured, stale_token too), 1 otherwise, 2 usage error.
            """)

    @Argument(help: "Body files, *.capture.json files, or folders of them (*.json, recursively).")
    var paths: [String]

    @Option(help: "The gate's public base URL.")
    var to: String = "http://127.0.0.1:8080"

    @Option(help: "The provider of body files whose path does not say (a provider name).")
    var provider: String?

    @Option(help: "The gate's configuration file: its providers' paths, kinds and secrets.")
    var config: String?

    @Option(help: "The secret to sign shared-secret kinds with, written as the configuration writes it (whsec_..., ...).")
    var secret: String?

    @Option(help: "Sign with this PEM private key instead of the development key (with --kid).")
    var key: String?

    @Option(help: "The kid to sign with (default: \(DevelopmentKeys.keyID) for the development key).")
    var kid: String?

    @Flag(name: .customLong("as-captured"), help: "Resend captures' original headers (including the old token) unchanged.")
    var asCaptured = false

    @Option(help: "Requests in flight at once.")
    var concurrency: Int = 4

    @Option(help: "At most this many requests per second.")
    var rate: Double?

    @Option(help: "Send everything this many times.")
    var `repeat`: Int = 1

    @Option(name: .customLong("header"), help: "An extra header, \"Name: value\" (repeatable; e.g. a LedgerSync shared secret).")
    var headers: [String] = []

    func validate() throws {
        if let provider, Provider(rawValue: provider) == nil {
            throw ValidationError("--provider \(provider) is not a provider name (a-z, 0-9, - and _)")
        }
        if key != nil && kid == nil { throw ValidationError("with --key, give --kid") }
        if concurrency < 1 || concurrency > 256 { throw ValidationError("--concurrency must be 1 to 256") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
        if `repeat` < 1 { throw ValidationError("--repeat must be at least 1") }
        guard let url = URL(string: to), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw ValidationError("--to must be an http(s) URL")
        }
        for header in headers where !header.contains(":") { throw ValidationError("--header must be \"Name: value\"") }
    }

    func run() async throws {
        let items: [ReplayItem]
        let signer: WebhookSigner
        let directory = SenderDirectory(configuration: try config.map { try loadConfiguration($0) })
        do {
            items = try ReplayItem.collect(paths: paths, provider: provider.flatMap(Provider.init), directory: directory)
            signer = try WebhookSigner(pem: try key.map { String(decoding: try readFile($0, what: "key"), as: UTF8.self) }, keyID: kid)
        } catch let error as ToolError {
            throw ValidationError(error.message)
        } catch let error as JOSEError {
            throw ValidationError("\(key ?? "development key"): \(error.reason)")
        }
        let extra = headers.map(headerPair)
        let replay = Replay(
            base: URL(string: to)!, signer: signer, asCaptured: asCaptured, concurrency: concurrency, rate: rate, repetitions: `repeat`,
            extraHeaders: extra, directory: directory, secret: secret)
        let report = try await replay.run(items, showProgress: isatty(STDERR_FILENO) == 1)
        print(report.summary(command: invokedCommand))
        if report.unexpected > 0 { throw ExitCode(1) }
    }
}
