import ArgumentParser
import Foundation
import VanityCodegen
import VanityDiagnostics
import VanityDebug
import VanityDriver
import VanityLayout
import VanityABI
import CVanityDebug

@main
struct VanityBuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vanity-build",
        abstract: "Build a Vanity system from its system.toml manifest.",
        subcommands: [Build.self, Generate.self, Check.self, LayoutCommand.self, Run.self,
                      Ps.self, Logs.self, RestartShard.self, HoldShard.self, ReleaseShard.self, ReloadShard.self],
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
        Driver.recordRunningImages(layout: layout, image: img)
        if seed != nil && !hosted {
            var err = FileHandle.standardError
            print("vanity-build: error: --seed is for the simulator (--platform sim)", to: &err)
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        let argv = hosted
            ? [img.image] + img.shardELFs
            : QemuCommand.arguments(layout.platform, cpus: layout.system.cpuCount, image: img.image, gdb: gdb)
        var env: [String: String] = [:]
        if hosted {
            let dir = (img.image as NSString).deletingLastPathComponent
            env["VANITY_SIM_DEBUG_SOCKET"] = (dir as NSString).deletingLastPathComponent + "/debug.sock"
        }
        if let seed {
            env["VANITY_SIM_SEED"] = String(seed)
            if let inject { env["VANITY_SIM_INJECT"] = inject }
            if let injectRate { env["VANITY_SIM_RATE"] = String(injectRate) }
            if let trace { env["VANITY_SIM_TRACE"] = trace }
        }
        print("vanity-build: booting: \(argv.joined(separator: " "))")
        if gdb { print("vanity-build: QEMU waits for GDB on localhost:1234 (docs/debugging.md)") }
        fflush(stdout)
        let status: Int32
        let platform = layout.platform
        let systemStatus: (Int32) -> Int32 = { hosted ? $0 : QemuCommand.systemStatus(platform, qemu: $0) }
        if hosted || gdb {
            status = QemuCommand.run(argv, timeout: timeout, environment: env, exitStatus: systemStatus)
        } else {
            // QEMU: the one serial line carries the console and the debug link.
            var args = Array(argv.dropFirst()).filter { $0 != "-nographic" }
            args += ["-display", "none", "-monitor", "none", "-serial", "stdio"]
            let dir = (img.image as NSString).deletingLastPathComponent
            status = LinkServer.run(executable: QemuCommand.find(argv[0]), arguments: args, socketPath: dir + "/debug.sock",
                                    timeout: timeout, exitStatus: systemStatus)
        }
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

// MARK: - The debug link

struct LinkOptions: ParsableArguments {
    @OptionGroup var options: ConfigOptions

    @Option(name: .customLong("platform"), help: "The running system's platform.")
    var platform: String = "sim"

    @Option(name: .long, help: "Output folder the system was built into (default: build/<system>).")
    var out: String?

    /// Checks the manifest and connects to the running system's link; also
    /// returns the build id of the sources on disk for this manifest.
    func connect() throws -> (DebugClient, [String]) { let (c, n, _) = try connectWithBuild(); return (c, n) }

    func connectWithBuild() throws -> (DebugClient, [String], [UInt8]) {
        let (c, n, id, _) = try connectChecked()
        return (c, n, id)
    }

    /// The same, with the checked system (reload builds from it).
    func connectChecked() throws -> (DebugClient, [String], [UInt8], CheckedSystem) {
        switch Driver.check(configPath: options.config, platforms: [platform], platformsDirectory: options.platforms) {
        case .failure(let f): throw fail(f)
        case .success(let c):
            guard let layout = c.layouts.first else { throw ExitCode(ExitStatus.usage.rawValue) }
            let dir = Driver.outputDirectory(system: layout.system.name, platform: platform, out: out)
            do {
                return (try DebugClient(socketPath: dir + "/debug.sock"), layout.system.shards.map(\.name), Codegen.buildID(for: layout), c)
            } catch {
                var err = FileHandle.standardError
                print("vanity-build: error: \(error)", to: &err)
                throw ExitCode(69)
            }
        }
    }
}

func check(_ reply: DebugFrame) throws {
    if reply.type == 0xff {
        let code = reply.payload.count >= 2 ? Int(reply.payload[0]) | Int(reply.payload[1]) << 8 : 0
        let text = String(decoding: reply.payload.dropFirst(2), as: UTF8.self)
        var err = FileHandle.standardError
        print("vanity-build: error from the system (\(code)): \(text)", to: &err)
        throw ExitCode(1)
    }
}

struct Ps: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the running system's shards (debug link).")
    @OptionGroup var link: LinkOptions

    func run() throws {
        let (client, _, local) = try link.connectWithBuild()
        let hello = try client.request(0x01)
        try check(hello)
        if hello.payload.count >= 96 {
            let id = Array(hello.payload.prefix(32))
            let name = String(decoding: hello.payload[32..<64].prefix { $0 != 0 }, as: UTF8.self)
            let plat = String(decoding: hello.payload[64..<96].prefix { $0 != 0 }, as: UTF8.self)
            let hexID = id.prefix(6).map { String(format: "%02x", $0) }.joined()
            print("\(name) on \(plat), build \(hexID)" + (id == local ? "" : " (not the build of \(link.options.config) on disk)"))
        }
        let reply = try client.request(0x02)
        try check(reply)
        let states = ["stopped", "running", "waiting", "held", "restarting"]
        print("shard                    id  core  state       generation  restarts  code")
        var p = reply.payload[...]
        while p.count >= 44 {
            let r = Array(p.prefix(44))
            p = p.dropFirst(44)
            let id = Int(r[0]) | Int(r[1]) << 8
            let u32 = { (o: Int) in Int(r[o]) | Int(r[o + 1]) << 8 | Int(r[o + 2]) << 16 | Int(r[o + 3]) << 24 }
            let name = String(decoding: r[12..<36].prefix { $0 != 0 }, as: UTF8.self)
            let state = Int(r[2]) < states.count ? states[Int(r[2])] : "?"
            print(name.padding(toLength: 24, withPad: " ", startingAt: 0) + " " + String(id).leftPad(3) + "  " + String(r[3]).leftPad(4)
                  + "  " + state.padding(toLength: 10, withPad: " ", startingAt: 0) + "  " + String(u32(8)).leftPad(10) + "  " + String(u32(4)).leftPad(8)
                  + "  " + (r[36..<44].allSatisfy { $0 == 0 } ? "as booted" : "reloaded " + r[36..<44].map { String(format: "%02x", $0) }.joined()))
        }
    }
}

struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the running system's recent kernel and shard log lines (debug link).")
    @OptionGroup var link: LinkOptions

    func run() throws {
        let (client, _) = try link.connect()
        var since: UInt32 = 0
        var text: [UInt8] = []
        while true {
            var payload: [UInt8] = []
            withUnsafeBytes(of: since.littleEndian) { payload += $0 }
            let reply = try client.request(UInt8(VANITY_DEBUG_LOGS.rawValue), payload: payload)
            try check(reply)
            guard reply.payload.count >= 8 else { break }
            let u32 = { (o: Int) in (0..<4).reduce(UInt32(0)) { $0 | UInt32(reply.payload[o + $1]) << (8 * UInt32($1)) } }
            let first = u32(0), total = u32(4)
            let chunk = reply.payload.dropFirst(8)
            if text.isEmpty && first > 0 { text += Array("[... \(first) earlier bytes not kept]\n".utf8) }
            text += chunk
            since = first &+ UInt32(chunk.count)
            if chunk.isEmpty || since == total { break }
        }
        FileHandle.standardOutput.write(Data(text))
    }
}

extension String {
    func leftPad(_ n: Int) -> String { String(repeating: " ", count: max(0, n - count)) + self }
}

/// restart / hold / release: one shard by name.
func control(_ link: LinkOptions, _ shard: String, type: UInt8, verb: String) throws {
    let (client, names) = try link.connect()
    guard let id = names.firstIndex(of: shard) else {
        var err = FileHandle.standardError
        print("vanity-build: error: no shard \"\(shard)\"; shards are \(names.joined(separator: ", "))", to: &err)
        throw ExitCode(ExitStatus.usage.rawValue)
    }
    let reply = try client.request(type, payload: [UInt8(id & 0xff), UInt8(id >> 8)])
    try check(reply)
    print("vanity-build: \(verb) \(shard)")
}

struct RestartShard: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Restart one shard of the running system.")
    @OptionGroup var link: LinkOptions
    @Option(name: .long, help: "The shard.") var shard: String
    func run() throws { try control(link, shard, type: 0x04, verb: "restarted") }
}

struct HoldShard: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hold", abstract: "Stop one shard of the running system until released.")
    @OptionGroup var link: LinkOptions
    @Option(name: .long, help: "The shard.") var shard: String
    func run() throws { try control(link, shard, type: 0x05, verb: "held") }
}

struct ReleaseShard: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "release", abstract: "Start a held shard again.")
    @OptionGroup var link: LinkOptions
    @Option(name: .long, help: "The shard.") var shard: String
    func run() throws { try control(link, shard, type: 0x06, verb: "released") }
}

// MARK: - Hot reload

struct ReloadShard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Rebuild one shard and swap it into the running system (debug link); the others keep running.")
    @OptionGroup var link: LinkOptions
    @Option(name: .long, help: "The shard to rebuild and reload.") var shard: String
    @Flag(name: .long, help: "Swap at the shard's next kernel entry instead of waiting for it to wait (messages it holds may be lost).")
    var force = false
    @Flag(name: .long, help: "Reload the image that ran before the last reload instead of rebuilding.")
    var rollback = false

    func run() throws {
        let started = Date()
        var err = FileHandle.standardError
        let (client, names, local, checked) = try link.connectChecked()
        guard let id = names.firstIndex(of: shard) else {
            print("vanity-build: error: no shard \"\(shard)\"; shards are \(names.joined(separator: ", "))", to: &err)
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        let hello = try client.request(UInt8(VANITY_DEBUG_HELLO.rawValue))
        try check(hello)
        let running = Array(hello.payload.prefix(32))
        if local != running {
            let hex = { (b: [UInt8]) in b.prefix(6).map { String(format: "%02x", $0) }.joined() }
            print("vanity-build: error: the manifest or the layout changed since the running system was built (running build \(hex(running)), \(link.options.config) now gives \(hex(local))); a reload cannot change them: rebuild and reboot with `vanity-build run`", to: &err)
            throw ExitCode(ExitStatus.dataError.rawValue)
        }

        // What to send: a fresh build of the shard, or the previous image.
        let image: [UInt8], key: [UInt8], dir: String, buildID: [UInt8]
        if rollback {
            guard let layout = checked.layouts.first else { throw ExitCode(ExitStatus.dataError.rawValue) }
            dir = Driver.outputDirectory(system: layout.system.name, platform: link.platform, out: link.out)
            guard let prev = FileManager.default.contents(atPath: "\(dir)/reload/\(shard).previous"), let k = ReloadKey.read(in: dir) else {
                print("vanity-build: error: no earlier image of \(shard) to roll back to (it has not been reloaded since the system booted)", to: &err)
                throw ExitCode(1)
            }
            image = [UInt8](prev)
            key = k
            buildID = running
        } else {
            switch Driver.buildShard(configPath: link.options.config, platform: link.platform, shard: shard, out: link.out,
                                     platformsDirectory: link.options.platforms, checked: checked) {
            case .failure(let f): throw fail(f)
            case .success(let b):
                image = b.image
                key = b.key
                dir = b.directory
                buildID = b.buildID
            }
        }
        let built = Date()
        guard buildID == running else {
            print("vanity-build: error: the manifest changed while \(shard) was being rebuilt; nothing was sent", to: &err)
            throw ExitCode(ExitStatus.dataError.rawValue)
        }

        // Transfer: begin (signed), chunks, commit; each is answered.
        let begin = ReloadSigner.beginPayload(image: image, shard: id, buildID: buildID, key: key)
        let sent = Date()
        let verdict: ReloadTransfer.Verdict
        do {
            verdict = try ReloadTransfer.send(client, image: image, begin: begin, force: force)
        } catch let r as ReloadTransfer.Rejection {
            print("vanity-build: error: reload of \(shard) refused: \(r.text) (code \(r.code)); the running shard is unchanged", to: &err)
            throw ExitCode(1)
        }
        let done = Date()

        // Keep what runs now and what ran before (for --rollback).
        let folder = dir + "/reload"
        let fm = FileManager.default
        try? fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let runningFile = "\(folder)/\(shard).running", previousFile = "\(folder)/\(shard).previous"
        if let was = fm.contents(atPath: runningFile) { try? was.write(to: URL(fileURLWithPath: previousFile), options: .atomic) }
        try? Data(image).write(to: URL(fileURLWithPath: runningFile), options: .atomic)

        let ms = { (a: Date, b: Date) in String(format: "%.1f ms", b.timeIntervalSince(a) * 1000) }
        print("vanity-build: reloaded \(shard) (\(image.count) bytes): generation \(verdict.generation) runs; \(ms(started, done)) in all "
              + "(\(rollback ? "no build" : "build " + ms(started, built)), transfer and swap \(ms(sent, done)); in the kernel: "
              + "checks \(verdict.verifyMicros) us, quiescent after \(verdict.quiesceMicros) us, new code started after \(verdict.swapMicros) us)")
    }
}
