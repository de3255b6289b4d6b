import ArgumentParser
import Foundation
import HookGateTools

/// The options of the commands that talk to a running gate's admin listener (`stats`,
/// `rejected`): where it listens and its token.
struct AdminOptions: ParsableArguments {
    @Option(help: "The admin listener's base URL.")
    var admin: String = "http://127.0.0.1:9091"

    @Option(help: "The admin token (admin.token). Default: the environment variable HOOKGATE_ADMIN_TOKEN.")
    var token: String?

    func validate() throws {
        guard let url = URL(string: admin), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw ValidationError("--admin must be an http(s) URL, like http://127.0.0.1:9091")
        }
    }

    /// A client of the admin listener, with the token from `--token` or `HOOKGATE_ADMIN_TOKEN`.
    var client: AdminClient {
        AdminClient(base: URL(string: admin)!, token: token ?? ProcessInfo.processInfo.environment["HOOKGATE_ADMIN_TOKEN"])
    }
}
