import Foundation

/// Relative paths: one rule for every key that names a file or folder.
///
/// A relative path in a configuration file is relative to the folder of that file, so a
/// configuration works the same whatever folder the gate is started from. The embedded
/// defaults (no file) and paths given on the command line stay relative to the working
/// directory.
extension GateConfiguration {
    /// This configuration with every relative path made absolute against `folder`:
    /// `database.path`, pinned `keys_file`s, file handlers' `path`, and an exec handler's
    /// program when it contains a slash (`./bin/notify`; a bare `notify` is looked up in
    /// `PATH` as before).
    public func resolvingRelativePaths(against folder: String) -> GateConfiguration {
        var resolved = self
        resolved.database.path = Self.resolve(database.path, against: folder)
        resolved.providers = providers.map { settings in
            var settings = settings
            if case .jwt(let header, .pinnedFile(let path), let maxAge) = settings.verification {
                settings.verification = .jwt(header: header, keys: .pinnedFile(path: Self.resolve(path, against: folder)), maxAge: maxAge)
            }
            return settings
        }
        resolved.handlers = handlers.map { handler in
            var handler = handler
            switch handler.kind {
            case .file(let path, let durability):
                handler.kind = .file(path: Self.resolve(path, against: folder), durability: durability)
            case .exec(var command, let timeout):
                if let program = command.first, program.contains("/") { command[0] = Self.resolve(program, against: folder) }
                handler.kind = .exec(command: command, timeout: timeout)
            case .http:
                break
            }
            return handler
        }
        return resolved
    }

    /// `path` when absolute, else `folder/path` with `.` and `..` folded.
    public static func resolve(_ path: String, against folder: String) -> String {
        if path.hasPrefix("/") || path.isEmpty { return path }
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: folder, isDirectory: true)).standardizedFileURL.path
    }
}
