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

    /// Issue 24: every outbound request goes through HookGateHTTPClient's one client, never
    /// URLSession (which would link libcurl through FoundationNetworking), and the commands'
    /// library reaches no piece of the dispatcher.
    @Test func outboundHTTPGoesThroughOneClient() throws {
        let targets = try FileManager.default.contentsOfDirectory(atPath: Self.sources.path)
        for target in targets {
            for file in try Self.swiftFiles(in: target) {
                let text = try String(contentsOf: file, encoding: .utf8)
                #expect(!text.contains("import FoundationNetworking"), "\(target)/\(file.lastPathComponent)")
                #expect(!text.contains("URLSession."), "\(target)/\(file.lastPathComponent)")
                #expect(!text.contains("URLSession("), "\(target)/\(file.lastPathComponent)")
                if target == "HookGateTools" { #expect(!text.contains("import HookGateDispatch"), "\(file.lastPathComponent)") }
            }
        }
        let manifest = try String(contentsOf: Signer.repositoryRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        let tools = try #require(manifest.range(of: "name: \"HookGateTools\"")).upperBound
        let dependencies = manifest[tools...].prefix { $0 != "]" }
        #expect(!dependencies.contains("HookGateDispatch"))
    }

    /// Issue 24: the Swift tests do not wait for time to pass. A test that needs the gate's
    /// time to pass advances a ``SkippingClock``; one that waits for the code under test polls
    /// through ``eventually(seconds:_:)`` or holds it with a ``Latch``. The only sleeps left
    /// stand in for a peer whose slowness is what a real socket's deadline is tested against,
    /// each marked `// timeout under test`; the poller and the test clock are the two others.
    @Test func testsSleepOnlyWhereASocketTimeoutIsUnderTest() throws {
        let tests = Signer.repositoryRoot.appendingPathComponent("Tests")
        let names = FileManager.default.enumerator(atPath: tests.path)?.compactMap { $0 as? String } ?? []
        var marked: [String] = []
        for name in names where name.hasSuffix(".swift") && name != "HookGateTests/LayoutTests.swift" {
            let lines = try String(contentsOf: tests.appendingPathComponent(name), encoding: .utf8).split(separator: "\n")
            for (index, line) in lines.enumerated()
            where ["Task.sleep(", "usleep(", "Thread.sleep(", "sleep(for:", " sleep("].contains(where: line.contains) {
                let place = "\(name):\(index + 1)"
                if line.contains("// timeout under test") {
                    marked.append(place)
                } else {
                    let allowed = ["HookGateTests/Support/Eventually.swift", "HookGateTests/Support/SkippingClock.swift"]
                    #expect(allowed.contains(name), "an unmarked sleep at \(place): \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        #expect(marked.count <= 5, "\(marked)")
    }
}
