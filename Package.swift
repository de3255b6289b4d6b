// swift-tools-version:6.1
import PackageDescription

// The commit `hookgate --version` reports, fixed at build time: the environment variable
// HOOKGATE_COMMIT if set (a build from a source tarball), else the git checkout's HEAD
// (SwiftPM's Context.gitInformation, so a fresh clone needs no extra step; "-dirty" when
// the tree has uncommitted changes), else "unknown". It reaches the binary as a C define
// of the CHookGateBuildInfo target (Swift's -D cannot carry a value). SwiftPM caches the
// evaluated manifest, so a .build that outlives a commit may keep the older HEAD:
// deploy/debian/build-release.sh always sets HOOKGATE_COMMIT.
let buildCommit: String = {
    if let commit = Context.environment["HOOKGATE_COMMIT"], !commit.isEmpty {
        return String(commit.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." }.prefix(64))
    }
    if let git = Context.gitInformation {
        return git.currentCommit + (git.hasUncommittedChanges ? "-dirty" : "")
    }
    return "unknown"
}()

// Webhook cryptography (JOSE: ES256, SHA-256, constant-time compares, HMAC of forwards)
// comes from the system OpenSSL only: JOSE depends on COpenSSL and nothing else (no
// swift-crypto, no BoringSSL, no jwt-kit). Transport libraries may bring their own TLS:
// AsyncHTTPClient uses swift-nio-ssl for https key endpoints and handlers, postgres-nio for
// TLS to PostgreSQL (and swift-crypto for SCRAM authentication). LinkageTests checks this.
let package = Package(
    name: "HookGate",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hookgate", targets: ["hookgate"]),
        .library(name: "JOSE", targets: ["JOSE"]),
        .library(name: "HookGateCore", targets: ["HookGateCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "JOSE", dependencies: ["COpenSSL"]),
        // The build's commit for `hookgate --version` (see buildCommit above).
        .target(name: "CHookGateBuildInfo", cSettings: [.define("HOOKGATE_COMMIT", to: "\"\(buildCommit)\"")]),
        .target(
            name: "HookGateCore",
            dependencies: [
                "JOSE",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "HookGateHTTPClient",
            dependencies: [
                "HookGateCore",
                "JOSE",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "HookGateStore",
            dependencies: [
                "HookGateCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The PostgreSQL backend of the store contract, for more than one gate on one database.
        .target(
            name: "HookGatePostgres",
            dependencies: [
                "HookGateCore",
                "JOSE",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "HookGateServer",
            dependencies: [
                "CHookGateBuildInfo",
                "HookGateCore",
                "JOSE",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            // The OpenAPI document and the operator console, compiled into the binary (no files to deploy, works offline).
            resources: [
                .embedInCode("Resources/openapi.json"),
                .embedInCode("Console/index.html"), .embedInCode("Console/console.css"), .embedInCode("Console/api.js"),
                .embedInCode("Console/chart.js"), .embedInCode("Console/overview.js"), .embedInCode("Console/events.js"),
                .embedInCode("Console/event.js"), .embedInCode("Console/dead.js"), .embedInCode("Console/console.js"),
                .embedInCode("Console/rejected.js"), .embedInCode("Console/rejection.js"),
            ]
        ),
        .target(
            name: "HookGateDispatch",
            dependencies: [
                "HookGateCore",
                "HookGateHTTPClient",
                "JOSE",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The composition root: opens the backend the configuration names and assembles the
        // key caches, the dispatcher, the server and retention into one service group.
        .target(
            name: "HookGateApp",
            dependencies: [
                "HookGateCore",
                "JOSE",
                "HookGateDispatch",
                "HookGateHTTPClient",
                "HookGatePostgres",
                "HookGateServer",
                "HookGateStore",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // What the commands do beyond parsing arguments: replay, the verify report, export, tables.
        .target(
            name: "HookGateTools",
            dependencies: [
                "HookGateCore",
                "HookGateHTTPClient",
                "JOSE",
            ]
        ),
        .executableTarget(
            name: "hookgate",
            dependencies: [
                "JOSE",
                "CHookGateBuildInfo",
                "HookGateApp",
                "HookGateCore",
                "HookGateHTTPClient",
                "HookGateServer",
                "HookGateTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "VerifyBenchmark",
            dependencies: ["JOSE"],
            path: "Benchmarks/VerifyBenchmark"
        ),
        .testTarget(
            name: "JOSETests",
            dependencies: ["JOSE"],
            resources: [.copy("Resources")]
        ),
        .testTarget(
            name: "HookGateTests",
            dependencies: [
                "JOSE",
                "HookGateApp",
                "HookGateCore",
                "HookGateStore",
                "HookGatePostgres",
                "HookGateServer",
                "HookGateDispatch",
                "HookGateHTTPClient",
                "HookGateTools",
                "hookgate",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources")]
        ),
    ]
)
