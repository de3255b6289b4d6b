import ArgumentParser
import Foundation
import HookGateApp
import HookGateCore
import HookGateTools
import Logging

/// `hookgate store copy`: a thin front on ``StoreCopy`` (docs/store-copy.md).
extension StoreCommand {
    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a gate's store (events, deliveries, attempts, dead letters, keys) from SQLite to PostgreSQL or back.",
            discussion: """
                Each side is a SQLite path or a postgresql:// URL; give URLs with --from-url-file/--to-url-file or \
                \(StoreCopySide.fromVariable)/\(StoreCopySide.toVariable) to keep passwords off the command line. \
                The source is only read (a gate may still run on it). The target must be empty or hold an earlier \
                run of this copy: an interrupted copy continues where it stopped; --since-last brings over what the \
                source gained and changed since a finished one. Exit status 0 when the target matches the source, \
                1 on a difference or a refusal. See docs/store-copy.md.
                """)

        @Option(help: ArgumentHelp("The store to copy from: a SQLite file or a postgresql:// URL.", valueName: "path|url"))
        var from: String?

        @Option(help: ArgumentHelp("A file whose first line is the source's postgresql:// URL.", valueName: "file"))
        var fromURLFile: String?

        @Option(help: ArgumentHelp("The store to copy into: a SQLite file (created) or a postgresql:// URL.", valueName: "path|url"))
        var to: String?

        @Option(help: ArgumentHelp("A file whose first line is the target's postgresql:// URL.", valueName: "file"))
        var toURLFile: String?

        @Flag(help: "Continue a finished copy: bring over the events committed and the deliveries changed on the source since.")
        var sinceLast = false

        @Option(help: "Events per batch (one transaction of the target each).")
        var batchSize = 500

        @Option(help: .hidden)
        var stopAfterBatches: Int?

        func validate() throws {
            guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        }

        func run() async throws {
            let sides: (GateConfiguration.Database, GateConfiguration.Database)
            do {
                sides = (
                    try StoreCopySide.resolve(argument: from, urlFile: fromURLFile, variable: StoreCopySide.fromVariable, option: "from"),
                    try StoreCopySide.resolve(argument: to, urlFile: toURLFile, variable: StoreCopySide.toVariable, option: "to")
                )
            } catch {
                throw ValidationError(error.message)
            }
            if Copy.sameStore(sides.0, sides.1) {
                let error = StoreCopyError(.sameStore, "--from and --to name the same store")
                FileHandle.standardError.write(Data("hookgate store copy: \(error)\n".utf8))
                throw ExitCode(1)
            }
            var logger = Logger(label: "hookgate.store")
            logger.logLevel = .warning
            let source = try await Gate.openCopySource(sides.0, logger: logger)
            let target = try await Gate.openCopyTarget(sides.1, logger: logger)
            let terminal = isatty(STDERR_FILENO) == 1
            let copy = StoreCopy(batchSize: batchSize, sinceLast: sinceLast, stopAfterBatches: stopAfterBatches)
            let report: StoreCopyReport
            do {
                report = try await source.withRunning {
                    try await target.withRunning {
                        try await copy.run(from: source, to: target) { progress in
                            if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K\(progress.line)".utf8)) }
                        }
                    }
                }
                if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            } catch {
                if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
                FileHandle.standardError.write(Data("hookgate store copy: \(error)\n".utf8))
                throw ExitCode(1)
            }
            print("copy of \(report.source)")
            print(report.text)
            if !report.differences.isEmpty { throw ExitCode(1) }
        }

        /// Whether both sides name one store (checked before the target is opened: opening migrates it).
        static func sameStore(_ a: GateConfiguration.Database, _ b: GateConfiguration.Database) -> Bool {
            if let first = a.url, let second = b.url {
                let one = (first.host ?? first.socketDirectory, first.port, first.database)
                return one == (second.host ?? second.socketDirectory, second.port, second.database)
            }
            guard a.url == nil, b.url == nil else { return false }
            let resolve = { (path: String) in URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
            return resolve(a.path) == resolve(b.path)
        }
    }
}
