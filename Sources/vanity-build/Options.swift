import ArgumentParser
import Foundation
import VanityCodegen
import VanityDebug
import VanityDiagnostics
import VanityDriver
import VanityPlatform

struct ConfigOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: ArgumentHelp("The system manifest (default: ./system.toml).", valueName: "config"))
    var configFlag: String?

    @Option(name: .long, help: "The platforms folder; Kernel/ and Shards/lib are beside it (default: $VANITY_HOME/Platforms, else the installation's share/vanity, else the repository holding this executable, else Platforms/ above the manifest; docs/projects.md).")
    var platforms: String?

    /// The manifest's path.
    var config: String { configFlag ?? Self.defaultConfig }

    static let defaultConfig = "system.toml"

    /// Ends the command when --config was not given and there is no
    /// ./system.toml (a run, not a parse, check: no usage text for it).
    func requireManifest() throws {
        if configFlag == nil && !FileManager.default.fileExists(atPath: Self.defaultConfig) {
            throw Console.error("no \(Self.defaultConfig) in the current directory (\(FileManager.default.currentDirectoryPath)); "
                                + "pass --config FILE, or start a project with `vanity-build new NAME`", status: .noInput)
        }
    }
}

struct BuildOptions: ParsableArguments {
    @OptionGroup var options: ConfigOptions

    @Option(name: .customLong("platform"), help: "Build only this platform (repeatable).")
    var platform: [String] = []

    @Option(name: .long, help: "Output folder (default: build/<system> beside the manifest); each platform gets a subfolder.")
    var out: String?
}

/// The running system a debug-link command talks to.
struct LinkOptions: ParsableArguments {
    @OptionGroup var options: ConfigOptions

    @Option(name: .customLong("platform"), help: "The running system's platform.")
    var platform: String = "sim"

    @Option(name: .long, help: "Output folder the system was built into (default: build/<system> beside the manifest).")
    var out: String?

    /// A connection to the running system, with the manifest on disk checked for its platform.
    struct Connection {
        var client: DebugClient
        var checked: CheckedSystem
        /// The manifest's path.
        var config: String
        var paths: BuildPaths
        var shardNames: [String]
        /// The build id the sources on disk give.
        var localBuildID: [UInt8]

        /// Names where a shard faulted in the system's fault lines.
        func faults() -> FaultAnnotator {
            let elves = checked.layouts.first.map { Driver.shardELFs(layout: $0, checked: checked, configPath: config, directory: paths.directory) } ?? [:]
            return FaultAnnotator(bootELFs: elves, history: ReloadHistory(folder: paths.reloadFolder))
        }

        /// A shard's id by name, or a usage error naming the shards.
        func shard(_ name: String) throws -> Int {
            guard let id = shardNames.firstIndex(of: name) else {
                throw Console.error("no shard \"\(name)\"; shards are \(shardNames.joined(separator: ", "))", status: .usage)
            }
            return id
        }
    }

    func connect() throws -> Connection {
        try options.requireManifest()
        let checked = try Console.get(Driver.check(configPath: options.config, platforms: [platform], platformsDirectory: options.platforms))
        guard let layout = checked.layouts.first else { throw ExitCode(ExitStatus.usage.rawValue) }
        let paths = BuildPaths(system: layout.system.name, platform: platform, out: out, manifest: options.config)
        do {
            return Connection(client: try DebugClient(socketPath: paths.debugSocket), checked: checked, config: options.config, paths: paths,
                              shardNames: layout.system.shards.map(\.name), localBuildID: Codegen.buildID(for: layout))
        } catch {
            throw Console.error("\(error)", status: 69)
        }
    }
}

/// What every subcommand prints on stderr, and the exit it ends with.
enum Console {
    /// Prints diagnostics and the summary line to stderr.
    static func report(_ diagnostics: [Diagnostic], file: String, failed: Bool) {
        var bag = DiagnosticBag()
        bag.append(contentsOf: diagnostics)
        for d in diagnostics { printError(d.description) }
        // Notes alone (the simulator's) need no summary.
        if failed || diagnostics.contains(where: { $0.severity != .note }) { printError("vanity-build: \(bag.summary(for: file))") }
    }

    static func printError(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

    /// Prints "vanity-build: error: …"; returns the exit to throw.
    static func error(_ message: String, status: Int32) -> ExitCode {
        printError("vanity-build: error: \(message)")
        return ExitCode(status)
    }

    static func error(_ message: String, status: ExitStatus) -> ExitCode { error(message, status: status.rawValue) }

    /// A driver result's value, or its failure reported.
    static func get<T>(_ result: Result<T, DriverFailure>) throws -> T {
        switch result {
        case .success(let v): return v
        case .failure(let f):
            report(f.diagnostics, file: f.file, failed: true)
            throw ExitCode(f.status.rawValue)
        }
    }

    /// Runs a debug-link exchange; the system's refusal or a broken link is reported.
    static func link<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let r as SystemRefusal {
            printError("vanity-build: \(r)")
            throw ExitCode(1)
        } catch let f as DebugClient.Failure {
            throw error(f.description, status: 69)
        } catch let m as MalformedReply {
            throw error(m.description, status: 69)
        }
    }
}

extension String {
    func leftPad(_ n: Int) -> String { String(repeating: " ", count: max(0, n - count)) + self }
    func rightPad(_ n: Int) -> String { padding(toLength: max(n, count), withPad: " ", startingAt: 0) }
}

extension LinkOptions {
    /// restart / hold / release: one shard by name.
    func control(_ action: ShardControl, shard: String, verb: String) throws {
        let c = try connect()
        let id = try c.shard(shard)
        try Console.link { try c.client.control(action, shard: id) }
        print("vanity-build: \(verb) \(shard)")
    }
}
