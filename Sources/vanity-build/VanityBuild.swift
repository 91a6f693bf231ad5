import ArgumentParser
import Foundation
import VanityCodegen
import VanityDiagnostics
import VanityDriver
import VanityLayout

@main
struct VanityBuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vanity-build",
        abstract: "Build a Vanity system from its system.toml manifest.",
        subcommands: [Build.self, Check.self, LayoutCommand.self],
        defaultSubcommand: Build.self)
}

struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "The system manifest (system.toml).")
    var config: String

    @Option(name: .long, help: "The platforms folder (default: the nearest Platforms/ above the manifest or the current directory).")
    var platforms: String?
}

/// Prints diagnostics and the summary line to stderr.
func report(_ diagnostics: [Diagnostic], file: String, failed: Bool) {
    var bag = DiagnosticBag()
    bag.append(contentsOf: diagnostics)
    var err = FileHandle.standardError
    for d in diagnostics { print(d.description, to: &err) }
    if failed || !diagnostics.isEmpty {
        print("vanity-build: \(bag.summary(for: file))", to: &err)
    }
}

func fail(_ f: DriverFailure) -> ExitCode {
    report(f.diagnostics, file: f.file, failed: true)
    return ExitCode(f.status.rawValue)
}

extension FileHandle: @retroactive TextOutputStream {
    public func write(_ string: String) { write(Data(string.utf8)) }
}

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the manifest, lay out every platform and generate sources (the default).")

    @OptionGroup var options: ConfigOptions

    @Option(name: .customLong("platform"), help: "Build only this platform (repeatable).")
    var platform: [String] = []

    @Option(name: .long, help: "Output folder (default: build/<system>); each platform gets a subfolder.")
    var out: String?

    func run() throws {
        switch Driver.build(configPath: options.config, platforms: platform, out: out, platformsDirectory: options.platforms) {
        case .failure(let f): throw fail(f)
        case .success(let r):
            report(r.checked.diagnostics, file: options.config, failed: false)
            print("vanity-build: \(r.checked.manifest.system.name?.value ?? "system") for \(r.outputs.map(\.platform).joined(separator: ", "))")
            for s in r.steps { print(s.line) }
            let total = r.steps.reduce(0) { $0 + $1.seconds } * 1000
            print(String(format: "  %@%.1f ms", "total".padding(toLength: 28, withPad: " ", startingAt: 0), total))
            for o in r.outputs { print("  → \(o.directory)/") }
        }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Validate the manifest and print a summary.")

    @OptionGroup var options: ConfigOptions

    @Option(name: .customLong("platform"), help: "Check only this platform (repeatable).")
    var platform: [String] = []

    func run() throws {
        switch Driver.check(configPath: options.config, platforms: platform, platformsDirectory: options.platforms) {
        case .failure(let f): throw fail(f)
        case .success(let c):
            report(c.diagnostics, file: options.config, failed: false)
            guard let first = c.layouts.first else { return }
            let sys = first.system
            let grants = sys.shards.reduce(0) { $0 + $1.devices.count }
            let version = sys.version.map { " \($0)" } ?? ""
            print("\(sys.name)\(version): \(sys.shards.count) shard(s), \(sys.channels.count) channel(s), \(grants) device grant(s), \(sys.cpuCount) core(s)")
            for l in c.layouts {
                let used = l.ramUsedEnd - l.platform.kernelBase
                print("  \(l.platform.name): ok, \(formatBytes(used)) of RAM from \(hex(l.platform.kernelBase))")
            }
        }
    }
}

struct LayoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "layout", abstract: "Print the memory map.")

    @OptionGroup var options: ConfigOptions

    @Option(name: .customLong("platform"), help: "The platform to show (default: every platform; --json needs exactly one).")
    var platform: String?

    @Flag(name: .long, help: "Print layout.json for the platform instead of the table.")
    var json = false

    func run() throws {
        switch Driver.check(configPath: options.config, platforms: platform.map { [$0] } ?? [], platformsDirectory: options.platforms) {
        case .failure(let f): throw fail(f)
        case .success(let c):
            report(c.diagnostics, file: options.config, failed: false)
            if json {
                guard c.layouts.count == 1 else {
                    var err = FileHandle.standardError
                    print("vanity-build: error: --json prints one platform's layout; choose one with --platform (\(c.layouts.map(\.platform.name).joined(separator: ", ")))", to: &err)
                    throw ExitCode(ExitStatus.usage.rawValue)
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
}
