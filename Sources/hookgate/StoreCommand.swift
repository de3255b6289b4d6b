import ArgumentParser

/// `hookgate store`: the store as a whole (moving it between backends).
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Work on a gate's store as a whole: copy it to another backend.", subcommands: [Copy.self])
}
