// ES256 verify benchmark (issue 2).
//
//   swift run -c release --scratch-path .build-bench VerifyBenchmark [--seconds N] [--rounds K] [--breakdown]
//
// Single thread. Builds a Plaid-sized token (a Plaid TRANSACTIONS DEFAULT_UPDATE body,
// header {alg ES256, kid, typ JWT}, claims {iat, request_body_sha256}) and measures, each
// for N seconds (default 3):
//   raw   ECDSA verify of a precomputed SHA-256 digest through EVP_PKEY_verify (a key
//         without a fixed-key table)
//   fixed the same through FixedKeyVerifier (the key's precomputed table), as the gate
//         verifies once a key's table is built
//   full  what a webhook costs: parse the compact token, check alg, verify the signature
//         (fixed-key path), hash the body and constant-time compare it with request_body_sha256
// then runs `openssl speed -seconds N ecdsap256` in the same run and prints them with
// their ratios against the targets (fixed-key verify time <= 0.5 x OpenSSL's; full >=
// 0.9 x OpenSSL verify/s).
//
// Like `openssl speed` (which divides by user CPU time unless given -elapsed), the rates
// compared are operations per user-CPU second; the wall-clock rates are printed beside
// them so a busy machine shows up as a gap between the two.
//
// --rounds K (default 1) repeats raw, full and `openssl speed` K times, interleaved, and
// compares the best round of each: on a shared machine that is far steadier than one
// round. --breakdown also times the pieces of the full path on their own (parse,
// signing-input hash, body hash + compare, verify of the message).

import Foundation
import JOSE

// MARK: - Arguments

struct Arguments {
    var seconds: Double = 3
    var rounds = 1
    var breakdown = false

    static func parse() -> Arguments {
        var result = Arguments()
        var rest = CommandLine.arguments.dropFirst()
        while let argument = rest.popFirst() {
            switch argument {
            case "--seconds", "-s":
                guard let text = rest.popFirst(), let value = Double(text), value > 0 else {
                    usage("--seconds needs a positive number")
                }
                result.seconds = value
            case "--rounds":
                guard let text = rest.popFirst(), let value = Int(text), value > 0 else {
                    usage("--rounds needs a positive integer")
                }
                result.rounds = value
            case "--breakdown":
                result.breakdown = true
            case "--help", "-h":
                usage(nil)
            default:
                usage("unknown argument \(argument)")
            }
        }
        return result
    }

    static func usage(_ problem: String?) -> Never {
        if let problem { FileHandle.standardError.write(Data("error: \(problem)\n".utf8)) }
        print("usage: VerifyBenchmark [--seconds N] [--rounds K] [--breakdown]")
        exit(problem == nil ? 0 : 2)
    }
}

// MARK: - Keeping the work alive

/// Everything measured flows into here, and the total is printed at the end, so the
/// optimiser cannot prove any of the measured work unused.
nonisolated(unsafe) var sink: UInt64 = 0

@inline(never)
func consume(_ value: Int) {
    sink = sink &+ UInt64(truncatingIfNeeded: value)
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("benchmark sanity check failed: \(message)\n".utf8))
    exit(1)
}

// MARK: - Timing

struct Measurement {
    var operations: Int
    var wallSeconds: Double
    var cpuSeconds: Double  // user CPU, as `openssl speed` counts it

    var perCPUSecond: Double { Double(operations) / cpuSeconds }
    var perWallSecond: Double { Double(operations) / wallSeconds }
    var microsecondsPerOp: Double { cpuSeconds * 1e6 / Double(operations) }
}

func wallNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func userCPUNow() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
}

/// Runs `operation` repeatedly for `seconds` of wall time (after a short warm-up).
/// `operation` returns a value that must be positive; anything else aborts the run.
func measure(_ name: String, seconds: Double, _ operation: () -> Int) -> Measurement {
    let batch = 16
    let warmUpEnd = wallNow() + min(0.2, seconds / 10)
    while wallNow() < warmUpEnd {
        let value = operation()
        guard value > 0 else { fail("\(name) returned \(value) during warm-up") }
        consume(value)
    }
    let startWall = wallNow()
    let startCPU = userCPUNow()
    let deadline = startWall + seconds
    var operations = 0
    var now = startWall
    repeat {
        for _ in 0..<batch {
            let value = operation()
            guard value > 0 else { fail("\(name) returned \(value) after \(operations) operations") }
            consume(value)
        }
        operations += batch
        now = wallNow()
    } while now < deadline
    let cpu = userCPUNow() - startCPU
    // getrusage has microsecond (often tick) resolution; never divide by zero.
    return Measurement(operations: operations, wallSeconds: now - startWall, cpuSeconds: max(cpu, 1e-6))
}

// MARK: - The token

/// Plaid's documented TRANSACTIONS DEFAULT_UPDATE body, 2-space indented as Plaid sends it.
let embeddedPlaidBody = """
    {
      "webhook_type": "TRANSACTIONS",
      "webhook_code": "DEFAULT_UPDATE",
      "item_id": "wz666MBjYWTp2PDzzggYhM6oWWmBb",
      "error": null,
      "new_transactions": 3,
      "environment": "production"
    }
    """

func loadBody() -> (bytes: [UInt8], source: String) {
    let path = "Fixtures/plaid/TRANSACTIONS.DEFAULT_UPDATE.json"
    if let data = FileManager.default.contents(atPath: path), !data.isEmpty {
        return ([UInt8](data), path)
    }
    return (Array(embeddedPlaidBody.utf8), "embedded copy")
}

/// The path a Plaid webhook takes once the key is known. Returns 1 when everything
/// checks out, 0 otherwise (the benchmark aborts on 0).
@inline(never)
func verifyWebhook(token: String, body: [UInt8], key: P256PublicKey) -> Int {
    do {
        let jws = try CompactJWS(token)
        guard jws.algorithm == JWSAlgorithm.es256.rawValue else { return 0 }
        try jws.verifySignature(using: key, algorithm: .es256)
        guard let claimed = jws.claims["request_body_sha256"]?.stringValue else { return 0 }
        let actual = SHA256.hexHash(body)
        return ConstantTime.equals(Array(actual.utf8), Array(claimed.utf8)) ? 1 : 0
    } catch {
        return 0
    }
}

// MARK: - OpenSSL

func findExecutable(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for directory in path.split(separator: ":") where !directory.isEmpty {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// Runs a command and returns its status and combined stdout + stderr.
func run(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    do {
        try process.run()
    } catch {
        return nil
    }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// verify/s from `openssl speed ... ecdsap256`: the last column of the
/// `256 bits ecdsa (nistp256)` row of the results table.
func parseSpeedVerifyRate(_ output: String) -> Double? {
    for line in output.split(whereSeparator: \.isNewline) {
        let collapsed = line.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard collapsed.contains("ecdsa (nistp256)"), collapsed.hasPrefix("256 bits") else { continue }
        if let last = line.split(whereSeparator: \.isWhitespace).last, let rate = Double(last) {
            return rate
        }
    }
    return nil
}

// MARK: - Output helpers

func fmt(_ value: Double, _ decimals: Int = 0) -> String {
    String(format: "%.\(decimals)f", value)
}

func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let padding = String(repeating: " ", count: max(0, width - text.count))
    return right ? padding + text : text + padding
}

// MARK: - Main

let arguments = Arguments.parse()
let seconds = arguments.seconds
let opensslSeconds = max(1, Int(seconds.rounded(.up)))  // `openssl speed -seconds` takes whole seconds

let (body, bodySource) = loadBody()
let privateKey: P256PrivateKey
let token: String
do {
    privateKey = try P256PrivateKey.generate()
    token = try CompactJWS.sign(
        header: [("kid", .string("bfbd5111-8e33-4643-8ced-b2e642a72f26")), ("typ", .string("JWT"))],
        claims: [
            ("iat", .number(String(Int64(Date().timeIntervalSince1970)))),
            ("request_body_sha256", .string(SHA256.hexHash(body))),
        ],
        key: privateKey
    )
} catch {
    fail("could not build the token: \(error)")
}
let publicKey = privateKey.publicKey
// The same key, a second object with a fixed-key table (the gate's keys get one in the background).
let tableKey: P256PublicKey
do { tableKey = try P256PublicKey(uncompressedPoint: publicKey.uncompressedPoint) } catch { fail("could not copy the key: \(error)") }
guard tableKey.prepareFixedKeyVerifier() else { fail("the fixed-key table could not be built on this OpenSSL") }
let fixedVerifier: FixedKeyVerifier
do { fixedVerifier = try FixedKeyVerifier(key: publicKey) } catch { fail("no fixed-key verifier: \(error)") }

// Inputs for the raw measurement, taken from the token itself.
let parsed: CompactJWS
do { parsed = try CompactJWS(token) } catch { fail("the token does not parse: \(error)") }
let signature = parsed.signature
let digest = SHA256.hash(parsed.signingInput)
guard publicKey.isValidSignature(signature, forDigest: digest) else { fail("raw verify returned false") }
guard fixedVerifier.isValidSignature(signature, forDigest: digest) else { fail("fixed-key verify returned false") }
guard verifyWebhook(token: token, body: body, key: tableKey) == 1 else { fail("full verify returned 0") }
// And a tampered body must fail, or the full path is not checking what it claims to.
var tampered = body
tampered[tampered.count / 2] ^= 0x01
guard verifyWebhook(token: token, body: tampered, key: tableKey) == 0 else { fail("a tampered body verified") }
var forged = signature
forged[40] ^= 0x01
guard !fixedVerifier.isValidSignature(forged, forDigest: digest) else { fail("an altered signature verified") }

print("ES256 verify benchmark: single thread, \(fmt(seconds, seconds == seconds.rounded() ? 0 : 2)) s per measurement, \(arguments.rounds) round(s)")
print("body: \(body.count) bytes (\(bodySource)); token: \(token.utf8.count) bytes")

// OpenSSL's own figure is measured in the same run, interleaved with ours.
let openssl = findExecutable("openssl")
var opensslVersion: String?
var opensslProblem: String?
if let openssl {
    if let (status, output) = run(openssl, ["version"]), status == 0 {
        opensslVersion = output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
} else {
    opensslProblem = "openssl not found on PATH: no reference figure, ours only"
}

/// verify/s from one `openssl speed -seconds N ecdsap256`, or why there is none.
func opensslSpeedVerifyRate(_ openssl: String) -> (rate: Double?, problem: String?) {
    guard let (status, output) = run(openssl, ["speed", "-seconds", String(opensslSeconds), "ecdsap256"]) else {
        return (nil, "could not start \(openssl)")
    }
    guard status == 0, let rate = parseSpeedVerifyRate(output) else {
        print(output)
        return (nil, "openssl speed exited \(status) or printed no `256 bits ecdsa (nistp256)` row")
    }
    return (rate, nil)
}

var raws: [Measurement] = []
var fixeds: [Measurement] = []
var fulls: [Measurement] = []
var opensslRates: [Double] = []
for round in 1...arguments.rounds {
    print("")
    if arguments.rounds > 1 { print("round \(round)/\(arguments.rounds)") }
    let raw = measure("raw verify", seconds: seconds) {
        publicKey.isValidSignature(signature, forDigest: digest) ? 1 : 0
    }
    raws.append(raw)
    print(
        "  raw EVP verify (precomputed digest): \(fmt(raw.perCPUSecond, 1)) /s  (\(raw.operations) in \(fmt(raw.cpuSeconds, 2)) s CPU, \(fmt(raw.wallSeconds, 2)) s wall)"
    )

    let fixed = measure("fixed-key verify", seconds: seconds) {
        fixedVerifier.isValidSignature(signature, forDigest: digest) ? 1 : 0
    }
    fixeds.append(fixed)
    print(
        "  fixed-key verify (precomputed digest): \(fmt(fixed.perCPUSecond, 1)) /s  (\(fixed.operations) in \(fmt(fixed.cpuSeconds, 2)) s CPU, \(fmt(fixed.wallSeconds, 2)) s wall)"
    )

    let full = measure("full verify", seconds: seconds) {
        verifyWebhook(token: token, body: body, key: tableKey)
    }
    fulls.append(full)
    print(
        "  full token verify:                   \(fmt(full.perCPUSecond, 1)) /s  (\(full.operations) in \(fmt(full.cpuSeconds, 2)) s CPU, \(fmt(full.wallSeconds, 2)) s wall)"
    )

    if let openssl {
        print("  running: \(openssl) speed -seconds \(opensslSeconds) ecdsap256 ...")
        let (rate, problem) = opensslSpeedVerifyRate(openssl)
        if let rate {
            opensslRates.append(rate)
            print("  openssl speed verify/s (nistp256):   \(fmt(rate, 1)) /s")
        } else {
            opensslProblem = problem
            print("  openssl speed failed: \(problem ?? "unknown")")
        }
    }
}

var pieces: [(String, Measurement)] = []
if arguments.breakdown {
    print("")
    print("breakdown ...")
    pieces.append(
        (
            "parse CompactJWS(token)",
            measure("parse", seconds: seconds) {
                guard let jws = try? CompactJWS(token) else { return 0 }
                return jws.signature.count
            }
        ))
    pieces.append(
        (
            "SHA-256 of signing input",
            measure("signing-input hash", seconds: seconds) {
                Int(SHA256.hash(parsed.signingInput)[0]) | 0x100
            }
        ))
    pieces.append(
        (
            "body hexHash + ConstantTime",
            measure("body hash", seconds: seconds) {
                let claimed = parsed.claims["request_body_sha256"]?.stringValue ?? ""
                return ConstantTime.equals(Array(SHA256.hexHash(body).utf8), Array(claimed.utf8)) ? 1 : 0
            }
        ))
    pieces.append(
        (
            "isValidSignature(_:for:) message",
            measure("verify message", seconds: seconds) {
                tableKey.isValidSignature(signature, for: parsed.signingInput) ? 1 : 0
            }
        ))
}

// The best round of each (highest rate): interference only ever slows a round down.
let raw = raws.max { $0.perCPUSecond < $1.perCPUSecond }!
let fixed = fixeds.max { $0.perCPUSecond < $1.perCPUSecond }!
let full = fulls.max { $0.perCPUSecond < $1.perCPUSecond }!
let opensslRate = opensslRates.max()

print("")
print("OpenSSL: \(opensslVersion ?? "unknown (openssl version unavailable)")")
if arguments.rounds > 1 { print("best of \(arguments.rounds) rounds:") }
let width = 42
print(pad("", width) + pad("verify/s (CPU)", 16, right: true) + pad("verify/s (wall)", 17, right: true) + pad("us/op", 9, right: true))
func row(_ name: String, _ m: Measurement) {
    print(
        pad(name, width) + pad(fmt(m.perCPUSecond, 1), 16, right: true) + pad(fmt(m.perWallSecond, 1), 17, right: true)
            + pad(fmt(m.microsecondsPerOp, 2), 9, right: true))
}
if let opensslRate {
    print(
        pad("openssl speed ecdsap256", width) + pad(fmt(opensslRate, 1), 16, right: true) + pad("-", 17, right: true)
            + pad(fmt(1e6 / opensslRate, 2), 9, right: true))
}
row("raw EVP verify (precomputed digest)", raw)
row("fixed-key verify (precomputed digest)", fixed)
row("full token verify (parse+hash+verify)", full)
for (name, m) in pieces { row("  piece: " + name, m) }
print("")
if let opensslRate {
    let fullRatio = full.perCPUSecond / opensslRate
    let rawRatio = raw.perCPUSecond / opensslRate
    let fixedTimeRatio = opensslRate / fixed.perCPUSecond
    print("ratio full / OpenSSL: \(fmt(fullRatio, 3))")
    print("ratio raw  / OpenSSL: \(fmt(rawRatio, 3))")
    print("fixed-key verify time / OpenSSL's: \(fmt(fixedTimeRatio, 3))")
    print("target fixed-key verify time <= 0.5 x OpenSSL's: \(fixedTimeRatio <= 0.5 ? "MET" : "NOT MET")")
    print("target full >= 0.9 x OpenSSL: \(fullRatio >= 0.9 ? "MET" : "NOT MET")")
} else {
    print("OpenSSL reference unavailable: \(opensslProblem ?? "unknown")")
    print("target full >= 0.9 x OpenSSL: not assessed")
}
print("(checksum \(sink))")
