import Foundation
import HookGateCore
import Logging

/// What `hookgate serve --check` verifies beyond parsing, without starting anything: every
/// provider's keys load, every handler can work on this machine, and the database's folder
/// is writable. Every problem is collected; none hides another.
package enum ConfigurationCheck {
    /// The problems of `configuration` on this machine, in configuration order; empty when
    /// the gate would start.
    /// - Parameter environment: where `PATH` is read from, for exec commands without a slash.
    package static func problems(
        _ configuration: GateConfiguration, environment: [String: String] = ProcessInfo.processInfo.environment
    ) async -> [ConfigurationError.Problem] {
        var problems: [ConfigurationError.Problem] = []
        let builder = KeyCacheBuilder(configuration: configuration, keyStore: nil, logger: Logger(label: "hookgate.check"))
        for settings in configuration.providers {
            guard case .jwt(_, let keys, _) = settings.verification else { continue }
            do {
                _ = try await builder.keyCache(settings.provider, keys)
            } catch let error as ConfigurationError {
                let key = "providers.\(settings.provider.rawValue).keys_file"
                problems += error.problems.map { problem in
                    // A pinned file's errors name the file; say which key names it.
                    if case .pinnedFile(let path) = keys, problem.path == path {
                        return .init(path: key, message: "\(path): \(problem.message)")
                    }
                    return problem
                }
            } catch {
                problems.append(.init(path: "providers.\(settings.provider.rawValue)", message: "\(error)"))
            }
        }
        if configuration.database.url == nil {
            if let problem = writableFileProblem(configuration.database.path) { problems.append(.init(path: "database.path", message: problem)) }
        }
        for (index, handler) in configuration.handlers.enumerated() {
            let base = "handlers[\(index)]"
            switch handler.kind {
            case .http(let url, _, _):
                if let problem = urlProblem(url) { problems.append(.init(path: "\(base).http.url", message: problem)) }
            case .file(let path, _):
                if let problem = writableFileProblem(path) { problems.append(.init(path: "\(base).file.path", message: problem)) }
            case .exec(let command, _):
                if let program = command.first, let problem = programProblem(program, path: environment["PATH"]) {
                    problems.append(.init(path: "\(base).exec.command[0]", message: problem))
                }
            }
        }
        return problems
    }

    /// Why the gate could not create or append to the file at `path`, or `nil`.
    static func writableFileProblem(_ path: String) -> String? {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return "\(path) is a folder; name a file in it" }
            return manager.isWritableFile(atPath: path) ? nil : "\(path) is not writable by this user; fix its owner or mode"
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard manager.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "the folder \(folder) does not exist; create it (the gate creates files, not folders)"
        }
        return manager.isWritableFile(atPath: folder) ? nil : "the folder \(folder) is not writable by this user; fix its owner or mode"
    }

    /// Why `text` is not a URL a handler can post to, or `nil`.
    static func urlProblem(_ text: String) -> String? {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = components.host, !host.isEmpty
        else {
            return "\"\(text)\" is not an http:// or https:// URL with a host"
        }
        if let port = components.port, !(1...65535).contains(port) { return "\"\(text)\": port \(port) is out of range" }
        return nil
    }

    /// Why `program` cannot be run, or `nil`: with a slash it is a path; without one it is
    /// looked up in `path` (`PATH`), as the exec handler does.
    static func programProblem(_ program: String, path: String?) -> String? {
        let manager = FileManager.default
        if program.contains("/") {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: program, isDirectory: &isDirectory) else { return "\(program): no such file" }
            if isDirectory.boolValue { return "\(program) is a folder, not a program" }
            return manager.isExecutableFile(atPath: program) ? nil : "\(program) is not executable; chmod +x it"
        }
        let folders = (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        if folders.contains(where: { manager.isExecutableFile(atPath: "\($0)/\(program)") }) { return nil }
        return "\(program): no executable of that name in PATH (\(folders.joined(separator: ":"))); give its full path"
    }
}
