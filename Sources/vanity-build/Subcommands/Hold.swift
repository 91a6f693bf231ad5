import ArgumentParser

struct Hold: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hold", abstract: "Stop one shard of the running system until released.")
    @OptionGroup var link: LinkOptions
    @Option(name: .long, help: "The shard.") var shard: String

    func run() throws { try link.control(.hold, shard: shard, verb: "held") }
}
