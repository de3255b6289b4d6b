import Foundation
import Testing

/// The structure issue 10 asks for, checked on the sources themselves: the server and the
/// dispatcher reach the store only through HookGateCore's contract, and files stay small.
@Suite struct LayoutTests {
    static let sources = Signer.repositoryRoot.appendingPathComponent("Sources")

    static func swiftFiles(in target: String) throws -> [URL] {
        let folder = sources.appendingPathComponent(target)
        let names = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []
        return names.filter { $0.hasSuffix(".swift") }.map { folder.appendingPathComponent($0) }
    }

    @Test(arguments: ["HookGateServer", "HookGateDispatch"])
    func serverAndDispatcherUseOnlyTheStoreContract(_ target: String) throws {
        let files = try Self.swiftFiles(in: target)
        #expect(!files.isEmpty)
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            #expect(!text.contains("import HookGateStore"), "\(file.lastPathComponent)")
            #expect(!text.contains("SQLiteEventStore"), "\(file.lastPathComponent)")
            if target == "HookGateServer" { #expect(!text.contains("import HookGateDispatch"), "\(file.lastPathComponent)") }
        }
    }

    @Test func sourceFilesStayUnder400LinesAndCommandsUnder150() throws {
        let targets = try FileManager.default.contentsOfDirectory(atPath: Self.sources.path)
        var checked = 0
        for target in targets {
            for file in try Self.swiftFiles(in: target) {
                let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).count - 1
                let limit = file.lastPathComponent.hasSuffix("Command.swift") ? 150 : 400
                #expect(lines <= limit, "\(target)/\(file.lastPathComponent): \(lines) lines")
                checked += 1
            }
        }
        #expect(checked > 50)
    }
}
