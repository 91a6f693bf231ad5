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
        subcommands: [Build.self, Generate.self, Check.self, LayoutCommand.self, Run.self],
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

struct BuildOptions: ParsableArguments {
    @OptionGroup var options: ConfigOptions

    @Option(name: .customLong("platform"), help: "Build only this platform (repeatable).")
    var platform: [String] = []

    @Option(name: .long, help: "Output folder (default: build/<system>); each platform gets a subfolder.")
    var out: String?
}

/// Runs the build and prints its steps; returns the result.
func runBuild(_ b: BuildOptions, compile: Bool) throws -> Driver.BuildResult {
    switch Driver.build(configPath: b.options.config, platforms: b.platform, out: b.out,
                        platformsDirectory: b.options.platforms, compile: compile) {
    case .failure(let f): throw fail(f)
    case .success(let r):
        report(r.checked.diagnostics, file: b.options.config, failed: false)
        print("vanity-build: \(r.checked.manifest.system.name?.value ?? "system") for \(r.outputs.map(\.platform).joined(separator: ", "))")
        for s in r.steps { print(s.line) }
        let total = r.steps.reduce(0) { $0 + $1.seconds } * 1000
        print(String(format: "  %@%.1f ms", "total".padding(toLength: 28, withPad: " ", startingAt: 0), total))
        for o in r.outputs {
            if let img = r.images.first(where: { $0.platform == o.platform }) {
                print("  → \(o.directory)/ (image: \(img.image))")
            } else if r.notCompiled.contains(o.platform) {
                print("  → \(o.directory)/ (sources only: \(o.platform) has no kernel port yet)")
            } else {
                print("  → \(o.directory)/")
            }
        }
        return r
    }
}

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the manifest, generate sources, compile the kernel and every shard and pack an image per platform (the default).")

    @OptionGroup var build: BuildOptions

    func run() throws { _ = try runBuild(build, compile: true) }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the manifest, lay out every platform and generate sources only.")

    @OptionGroup var build: BuildOptions

    func run() throws { _ = try runBuild(build, compile: false) }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build, then boot one platform's image under QEMU; exits with the system's status.")

    @OptionGroup var options: ConfigOptions

    @Option(name: .customLong("platform"), help: "The platform to boot.")
    var platform: String

    @Option(name: .long, help: "Output folder (default: build/<system>).")
    var out: String?

    @Flag(name: .long, help: "Start QEMU halted with a GDB server on localhost:1234 (see docs/debugging.md).")
    var gdb = false

    @Option(name: .long, help: "Stop QEMU after this many seconds (exit status 124).")
    var timeout: Double?

    @Option(name: .long, help: "sim: deterministic mode; every scheduling decision and injected fault derives from this seed.")
    var seed: UInt64?

    @Option(name: .long, help: "sim, with --seed: faults to inject, comma-separated: kill, trap, delay, drop.")
    var inject: String?

    @Option(name: .customLong("inject-rate"), help: "sim, with --seed: injections per 10,000 scheduling points (default 20).")
    var injectRate: Int?

    @Option(name: .long, help: "sim, with --seed: write the event trace to this file.")
    var trace: String?

    func validate() throws {
        if seed == nil && (inject != nil || injectRate != nil || trace != nil) {
            throw ValidationError("--inject, --inject-rate and --trace need --seed")
        }
        if let inject {
            for kind in inject.split(separator: ",") where !["kill", "trap", "delay", "drop"].contains(String(kind)) {
                throw ValidationError("unknown fault \"\(kind)\" for --inject; use kill, trap, delay or drop")
            }
        }
        if let r = injectRate, !(0...10000).contains(r) { throw ValidationError("--inject-rate must be 0...10000") }
    }

    func run() throws {
        let b = try BuildOptions.parse(["--config", options.config] + (options.platforms.map { ["--platforms", $0] } ?? [])
                                       + ["--platform", platform] + (out.map { ["--out", $0] } ?? []))
        let r = try runBuild(b, compile: true)
        guard let img = r.images.first, let layout = r.checked.layouts.first else {
            var err = FileHandle.standardError
            print("vanity-build: error: \(platform) has no kernel port yet; nothing to boot", to: &err)
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        let hosted = layout.platform.architecture == .host
        if seed != nil && !hosted {
            var err = FileHandle.standardError
            print("vanity-build: error: --seed is for the simulator (--platform sim)", to: &err)
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        let argv = hosted
            ? [img.image] + img.shardELFs
            : QemuCommand.arguments(layout.platform, cpus: layout.system.cpuCount, image: img.image, gdb: gdb)
        var env: [String: String] = [:]
        if let seed {
            env["VANITY_SIM_SEED"] = String(seed)
            if let inject { env["VANITY_SIM_INJECT"] = inject }
            if let injectRate { env["VANITY_SIM_RATE"] = String(injectRate) }
            if let trace { env["VANITY_SIM_TRACE"] = trace }
        }
        print("vanity-build: booting: \(argv.joined(separator: " "))")
        if gdb { print("vanity-build: QEMU waits for GDB on localhost:1234 (docs/debugging.md)") }
        fflush(stdout)
        let status = QemuCommand.run(argv, timeout: timeout, environment: env)
        throw ExitCode(status)
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
