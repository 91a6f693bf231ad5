import ArgumentParser

struct Restart: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Restart one shard of the running system.")
    @OptionGroup var link: LinkOptions
    @Option(name: .long, help: "The shard.") var shard: String

    func run() throws { try link.control(.restart, shard: shard, verb: "restarted") }
}
