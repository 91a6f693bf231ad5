import ArgumentParser
import VanityCodegen
import VanityDriver

struct LayoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "layout", abstract: "Print the memory map.")

    @OptionGroup var options: ConfigOptions

    @Option(name: .customLong("platform"), help: "The platform to show (default: every platform; --json needs exactly one).")
    var platform: String?

    @Flag(name: .long, help: "Print layout.json for the platform instead of the table.")
    var json = false

    func run() throws {
        try options.requireManifest()
        let c = try Console.get(Driver.check(configPath: options.config, platforms: platform.map { [$0] } ?? [],
                                             platformsDirectory: options.platforms))
        Console.report(c.diagnostics, file: options.config, failed: false)
        if json {
            guard c.layouts.count == 1 else {
                throw Console.error("--json prints one platform's layout; choose one with --platform (\(c.layouts.map(\.platform.name).joined(separator: ", ")))",
                                    status: .usage)
            }
            print(LayoutJSON.render(c.layouts[0]), terminator: "")
        } else {
            for (i, l) in c.layouts.enumerated() {
                if i > 0 { print("") }
                print(LayoutText.render(l), terminator: "")
            }
        }
    }
}
