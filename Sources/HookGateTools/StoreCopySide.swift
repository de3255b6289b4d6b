import Foundation
import HookGateCore

/// One side of `hookgate store copy`: a SQLite file or a PostgreSQL database, named by the
/// option (`--from`/`--to`), a file holding the URL (`--from-url-file`/`--to-url-file`), or an
/// environment variable (`HOOKGATE_FROM_DATABASE_URL`/`HOOKGATE_TO_DATABASE_URL`), so that no
/// password needs to be on the command line.
package enum StoreCopySide {
    /// The source's environment variable.
    package static let fromVariable = "HOOKGATE_FROM_DATABASE_URL"
    /// The target's environment variable.
    package static let toVariable = "HOOKGATE_TO_DATABASE_URL"

    /// The database one side names: `argument` (a `postgresql://` URL, else a SQLite path), else
    /// the URL in `urlFile` (its first line), else the URL in the environment variable `variable`.
    /// - Throws: ``ToolError`` when none or two are given, the file cannot be read, or the URL is wrong
    ///   (the message never holds the password).
    package static func resolve(
        argument: String?, urlFile: String?, variable: String, option: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ToolError) -> GateConfiguration.Database {
        var database = GateConfiguration.Database()
        if argument != nil, urlFile != nil { throw ToolError("give --\(option) or --\(option)-url-file, not both") }
        let text: String
        let origin: String
        if let argument {
            guard argument.hasPrefix("postgresql://") || argument.hasPrefix("postgres://") else {
                database.path = argument
                return database
            }
            (text, origin) = (argument, "--\(option)")
        } else if let urlFile {
            guard let data = FileManager.default.contents(atPath: urlFile) else { throw ToolError("cannot read --\(option)-url-file \(urlFile)") }
            let first = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            (text, origin) = (first.trimmingCharacters(in: .whitespaces), urlFile)
        } else if let value = environment[variable], !value.isEmpty {
            (text, origin) = (value, variable)
        } else {
            throw ToolError("no \(option == "from" ? "source" : "target"): give --\(option) PATH|URL, --\(option)-url-file FILE, or set \(variable)")
        }
        do {
            database.url = try DatabaseURL(text, path: origin)
        } catch {
            throw ToolError("\(error.problems[0])")
        }
        return database
    }
}
