import ArgumentParser

struct Release: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "release", abstract: "Start a held shard again.")
    @OptionGroup var link: LinkOptions
    @Option(name: .long, help: "The shard.") var shard: String

    func run() throws { try link.control(.release, shard: shard, verb: "released") }
}
