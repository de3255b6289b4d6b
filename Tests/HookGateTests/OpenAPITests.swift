import Foundation
import HookGateCore
import HookGateServer
import JOSE
import Testing

/// The admin API's OpenAPI 3.1 document matches the routes the admin router really has,
/// is served at `/openapi.json`, and describes the bearer scheme.
@Suite struct OpenAPITests {
    static func document() throws -> JSONValue {
        try JSONParser.parse(GateServer.openAPIDocument)
    }

    /// (METHOD, path) of every operation in the document.
    static func documentedOperations() throws -> Set<String> {
        guard case .object(let paths)? = try document()["paths"] else { return [] }
        var operations = Set<String>()
        for (path, item) in paths {
            guard case .object(let methods) = item else { continue }
            for (method, _) in methods where ["get", "put", "post", "delete", "patch", "head", "options"].contains(method) {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }

    @Test func everyAdminRouteIsDocumentedAndNothingElse() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let routes = Set(harness.gate.server.makeAdminRouter().routes.map { "\($0.method.rawValue) \($0.path.description)" })
            let documented = try Self.documentedOperations()
            #expect(routes.count >= 9)
            #expect(routes.subtracting(documented).isEmpty, "routes missing from the document: \(routes.subtracting(documented).sorted())")
            #expect(documented.subtracting(routes).isEmpty, "documented but not routed: \(documented.subtracting(routes).sorted())")
        }
    }

    @Test func documentIsOpenAPI31WithTheBearerSchemeAndOpenProbes() throws {
        let document = try Self.document()
        #expect(document["openapi"]?.stringValue == "3.1.0")
        #expect(document["components"]?["securitySchemes"]?["bearerAuth"]?["scheme"]?.stringValue == "bearer")
        #expect(document["security"] != nil)
        for probe in ["/healthz", "/readyz", "/console", "/console/{file}"] {
            #expect(document["paths"]?[probe]?["get"]?["security"] == .array([]), "\(probe) must be open")
        }
        // Every operation that needs the token says what a 401 looks like.
        guard case .object(let paths)? = document["paths"] else {
            Issue.record("no paths")
            return
        }
        for (path, item) in paths where path != "/healthz" && path != "/readyz" && !path.hasPrefix("/console") {
            guard case .object(let methods) = item else { continue }
            for (method, operation) in methods {
                #expect(operation["responses"]?["401"] != nil, "\(method) \(path) documents no 401")
            }
        }
    }

    @Test func servedAtOpenAPIJSONBehindTheToken() async throws {
        let token = AdminAuthenticationTests.token
        try await withGate(yaml: AdminAuthenticationTests.yaml(admin: "admin:\n  host: 127.0.0.1\n  port: 0\n  token: \(token)")) { harness in
            #expect(try await harness.admin("/openapi.json").status == 401)
            let response = try await harness.admin("/openapi.json", headers: [("Authorization", "Bearer \(token)")])
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.body == GateServer.openAPIDocument)
        }
    }
}
