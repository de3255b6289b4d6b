// swift-tools-version:6.1
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, which differs between checkouts.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

// A libFuzzer target over JWS parsing, JWK parsing and intake body handling. Kept in
// its own package so the main build never links libFuzzer. Build and run with
// Fuzz/run.sh (release, -sanitize=fuzzer,address, lld).
let package = Package(
    name: "HookGateFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "HookGateFuzz",
            dependencies: [
                .product(name: "JOSE", package: root),
                .product(name: "HookGateCore", package: root),
            ]
        )
    ]
)
