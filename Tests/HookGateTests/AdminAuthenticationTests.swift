import Foundation
import HookGateCore
import HookGateServer
import Testing

/// `admin.token` (contract README, "Admin authentication"): every admin route but the
/// probes needs the bearer token; bad configurations are refused at load.
@Suite struct AdminAuthenticationTests {
    static let token = "test-admin-token-0123456789abcdef"

    static func yaml(admin: String) -> String {
        TestConfig.pinned().replacingOccurrences(of: "admin:\n  host: 127.0.0.1\n  port: 0", with: admin)
    }

    static func load(admin: String, environment: [String: String] = [:]) throws -> GateConfiguration {
        try ConfigurationLoader(environment: environment).parse(yaml: yaml(admin: admin))
    }

    @Test func configurationRules() throws {
        // Loopback without a token: allowed (the embedded defaults work this way).
        #expect(try Self.load(admin: "admin:\n  host: 127.0.0.1\n  port: 0").admin.token == nil)
        #expect(try Self.load(admin: "admin:\n  host: ::1\n  port: 0").admin.token == nil)
        #expect(try Self.load(admin: "admin:\n  host: localhost\n  port: 0").admin.token == nil)
        // Any other host needs one.
        for host in ["0.0.0.0", "10.1.2.3", "admin.internal", "::"] {
            #expect(throws: ConfigurationError.self, "host \(host)") { try Self.load(admin: "admin:\n  host: \"\(host)\"\n  port: 0") }
        }
        let error = #expect(throws: ConfigurationError.self) { try Self.load(admin: "admin:\n  host: 0.0.0.0\n  port: 0") }
        #expect(error?.description.contains("admin.token") == true)
        // A token from the environment, long enough.
        let loaded = try Self.load(admin: "admin:\n  host: 0.0.0.0\n  port: 0\n  token: ${ADMIN_TOKEN}", environment: ["ADMIN_TOKEN": Self.token])
        #expect(loaded.admin.token == Self.token)
        // Too short, missing variable, or with spaces: refused with the key named.
        for (admin, environment) in [
            ("admin:\n  host: 127.0.0.1\n  token: short-token", [String: String]()),
            ("admin:\n  host: 127.0.0.1\n  token: ${ADMIN_TOKEN}", [:]),
            ("admin:\n  host: 127.0.0.1\n  token: ${ADMIN_TOKEN}", ["ADMIN_TOKEN": ""]),
            ("admin:\n  host: 127.0.0.1\n  token: \"a token with spaces in it\"", [:]),
        ] {
            let failure = #expect(throws: ConfigurationError.self) { try Self.load(admin: admin, environment: environment) }
            #expect(failure?.description.contains("admin.token") == true, "\(admin)")
        }
    }

    @Test func everyAdminRouteButTheProbesNeedsTheToken() async throws {
        try await withGate(yaml: Self.yaml(admin: "admin:\n  host: 127.0.0.1\n  port: 0\n  token: \(Self.token)")) { harness in
            let routes = harness.gate.server.makeAdminRouter().routes
            #expect(routes.count >= 8)
            var checked = 0
            for route in routes {
                let path = route.path.description.replacingOccurrences(of: "{id}", with: "1")
                let method = route.method.rawValue
                let open = path == "/healthz" || path == "/readyz" || (method == "GET" && (path == "/console" || path.hasPrefix("/console/")))
                for headers in [
                    [], [("Authorization", "Bearer wrong-token-0123456789abcdef")], [("Authorization", "Basic \(Self.token)")],
                    [("Authorization", "Bearer \(Self.token)x")], [("Authorization", "Bearer")],
                ] {
                    let response = try await harness.admin(path, method: method, headers: headers)
                    if open {
                        #expect(response.status != 401, "\(method) \(path) is open")
                    } else {
                        #expect(response.status == 401, "\(method) \(path) with \(headers)")
                        #expect(response.header("WWW-Authenticate") == "Bearer")
                        #expect(response.text == #"{"error":"unauthorized"}"#)
                        checked += 1
                    }
                }
                for scheme in ["Bearer", "bearer"] {
                    let response = try await harness.admin(path, method: method, headers: [("Authorization", "\(scheme) \(Self.token)")])
                    #expect(response.status != 401, "\(method) \(path) with the right token")
                }
            }
            #expect(checked >= 30)
            // A path no route serves is not an oracle either way; the probes stay open.
            #expect(try await harness.admin("/healthz").status == 200)
        }
    }

    @Test func withoutATokenTheLoopbackAdminStaysOpen() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness async throws in
            #expect(try await harness.admin("/stats").status == 200)
        }
    }

    @Test func statsCommandTakesTheTokenFromAFlagOrTheEnvironment() async throws {
        try await withGate(yaml: Self.yaml(admin: "admin:\n  host: 127.0.0.1\n  port: 0\n  token: \(Self.token)")) { harness in
            let admin = "http://127.0.0.1:\(harness.adminPort)"
            let refused = try await CommandLineTests.run(["stats", "--admin", admin], environment: ["HOOKGATE_ADMIN_TOKEN": ""])
            #expect(refused.status == 1)
            #expect(refused.error.contains("HOOKGATE_ADMIN_TOKEN"))
            let flag = try await CommandLineTests.run(["stats", "--admin", admin, "--json", "--token", Self.token])
            #expect(flag.status == 0)
            #expect(flag.output.contains("\"providers\""))
            let environment = try await CommandLineTests.run(["stats", "--admin", admin, "--json"], environment: ["HOOKGATE_ADMIN_TOKEN": Self.token])
            #expect(environment.status == 0)
        }
    }

    @Test func serveCheckRefusesAPublicAdminWithoutAToken() async throws {
        let directory = try CommandLineTests.temporaryDirectory()
        let path = directory.appendingPathComponent("public-admin.yaml")
        try Self.yaml(admin: "admin:\n  host: 0.0.0.0\n  port: 9091").write(to: path, atomically: true, encoding: .utf8)
        let run = try await CommandLineTests.run(["serve", "--check", "--config", path.path])
        #expect(run.status == 1)
        #expect(run.error.contains("admin.token"))
    }
}
