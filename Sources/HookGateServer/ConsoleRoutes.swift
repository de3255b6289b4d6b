import HTTPTypes
import HookGateCore
import Hummingbird
import NIOCore

/// The operator console: a static page and its scripts and style sheet, embedded in the
/// binary (`Sources/HookGateServer/Console`, SwiftPM's `embedInCode`), served by the admin listener.
///
/// The assets hold no data: the page signs in and reads everything through the admin
/// API with `Authorization: Bearer <token>`, so these routes need no token:
/// ``AdminAuthenticationMiddleware/isOpen(_:)`` lets `GET /console` and `GET /console/*` through. Every answer
/// carries a Content-Security-Policy without inline scripts or styles, and forbids framing.
package enum ConsoleRoutes {
    /// One embedded file.
    struct Asset: Sendable {
        let contentType: String
        let bytes: [UInt8]
    }

    /// The files under `/console/`, by name.
    static let assets: [String: Asset] = [
        "console.css": Asset(contentType: "text/css; charset=utf-8", bytes: PackageResources.console_css),
        "api.js": Asset(contentType: "text/javascript; charset=utf-8", bytes: PackageResources.api_js),
        "chart.js": Asset(contentType: "text/javascript; charset=utf-8", bytes: PackageResources.chart_js),
        "overview.js": Asset(contentType: "text/javascript; charset=utf-8", bytes: PackageResources.overview_js),
        "events.js": Asset(contentType: "text/javascript; charset=utf-8", bytes: PackageResources.events_js),
        "event.js": Asset(contentType: "text/javascript; charset=utf-8", bytes: PackageResources.event_js),
        "dead.js": Asset(contentType: "text/javascript; charset=utf-8", bytes: PackageResources.dead_js),
        "rejected.js": Asset(contentType: "text/javascript; charset=utf-8", bytes: PackageResources.rejected_js),
        "rejection.js": Asset(contentType: "text/javascript; charset=utf-8", bytes: PackageResources.rejection_js),
        "console.js": Asset(contentType: "text/javascript; charset=utf-8", bytes: PackageResources.console_js),
    ]

    static let page = Asset(contentType: "text/html; charset=utf-8", bytes: PackageResources.index_html)

    /// The Content-Security-Policy of every console answer: scripts, styles and requests only from this origin, no framing.
    package static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'"

    /// The security headers every console answer carries.
    static func headers(contentType: String) -> HTTPFields {
        var fields = HTTPFields()
        fields[.contentType] = contentType
        fields[HTTPField.Name("Content-Security-Policy")!] = contentSecurityPolicy
        fields[HTTPField.Name("X-Frame-Options")!] = "DENY"
        fields[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        fields[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        fields[.cacheControl] = "no-store"
        return fields
    }

    static func response(_ asset: Asset) -> Response {
        var fields = headers(contentType: asset.contentType)
        fields[.contentLength] = String(asset.bytes.count)
        return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }

    /// The admin listener's `404 {"error":"not_found",...}`, with the console's security headers.
    static func notFound() -> Response {
        var response = HookGateError(.notFound, "no such console file").adminResponse(status: .notFound, explained: true)
        for field in headers(contentType: "application/json") { response.headers[field.name] = field.value }
        return response
    }

    /// Adds `GET /console` (also answering `/console/`) and `GET /console/{file}`.
    package static func add<Context: RequestContext>(to router: Router<Context>) {
        router.get("/console") { _, _ in response(page) }
        router.get("/console/{file}") { _, context -> Response in
            guard let name = context.parameters.get("file"), let asset = assets[name] else { return notFound() }
            return response(asset)
        }
    }
}
