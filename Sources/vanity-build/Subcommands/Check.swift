import ArgumentParser
import VanityDiagnostics
import VanityDriver
import VanityLayout

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Validate the manifest and print a summary.")

    @OptionGroup var options: ConfigOptions

    @Option(name: .customLong("platform"), help: "Check only this platform (repeatable).")
    var platform: [String] = []

    func run() throws {
        try options.requireManifest()
        let c = try Console.get(Driver.check(configPath: options.config, platforms: platform, platformsDirectory: options.platforms))
        Console.report(c.diagnostics, file: options.config, failed: false)
        guard let first = c.layouts.first else { return }
        let sys = first.system
        let grants = sys.shards.reduce(0) { $0 + $1.devices.count }
        let version = sys.version.map { " \($0)" } ?? ""
        let regions = sys.regions.isEmpty ? "" : "\(sys.regions.count) shared region(s), "
        print("\(sys.name)\(version): \(sys.shards.count) shard(s), \(sys.channels.count) channel(s), \(regions)\(grants) device grant(s), \(sys.cpuCount) core(s)")
        for l in c.layouts {
            let used = l.ramUsedEnd - l.platform.kernelBase
            print("  \(l.platform.name): ok, \(formatBytes(used)) of RAM from \(hex(l.platform.kernelBase))")
        }
    }
}
