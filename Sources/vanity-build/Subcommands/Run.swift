import ArgumentParser
import Foundation
import VanityDriver
import VanityPlatform

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build, then boot one platform's image under QEMU or in the simulator; exits with the system's status.")

    @OptionGroup var options: ConfigOptions

    @Option(name: .customLong("platform"), help: "The platform to boot.")
    var platform: String

    @Option(name: .long, help: "Output folder (default: build/<system> beside the manifest).")
    var out: String?

    @Flag(name: .long, help: "Start QEMU halted with a GDB server on localhost:1234 (see docs/debugging.md).")
    var gdb = false

    @Option(name: .long, help: "Stop the system after this many seconds (exit status 124).")
    var timeout: Double?

    @Option(name: .long, help: "sim: deterministic mode; every scheduling decision and injected fault derives from this seed.")
    var seed: UInt64?

    @Option(name: .long, help: "sim, with --seed: faults to inject, comma-separated: kill, trap, delay, drop, loss (network frames lost), garble (damaged copies of received frames).")
    var inject: String?

    @Option(name: .customLong("inject-rate"), help: "sim, with --seed: injections per 10,000 scheduling points (default 20).")
    var injectRate: Int?

    @Option(name: .long, help: "sim, with --seed: write the event trace to this file.")
    var trace: String?

    func validate() throws {
        if seed == nil && (inject != nil || injectRate != nil || trace != nil) {
            throw ValidationError("--inject, --inject-rate and --trace need --seed")
        }
        for kind in (inject ?? "").split(separator: ",") where !["kill", "trap", "delay", "drop", "loss", "garble"].contains(String(kind)) {
            throw ValidationError("unknown fault \"\(kind)\" for --inject; use kill, trap, delay, drop, loss or garble")
        }
        if let r = injectRate, !(0...10000).contains(r) { throw ValidationError("--inject-rate must be 0...10000") }
    }

    func run() throws {
        try options.requireManifest()
        let b = try BuildOptions.parse(["--config", options.config] + (options.platforms.map { ["--platforms", $0] } ?? [])
                                       + ["--platform", platform] + (out.map { ["--out", $0] } ?? []))
        let r = try Build.run(b, compile: true)
        guard let img = r.images.first, let layout = r.checked.layouts.first else {
            throw Console.error("\(platform) has no kernel port yet; nothing to boot", status: .usage)
        }
        if seed != nil && layout.platform.kind != .simulator {
            throw Console.error("--seed is for the simulator (--platform sim)", status: .usage)
        }
        Driver.recordRunningImages(layout: layout, image: img)
        let hostPorts = HostPorts.choose(layout.system.forwards)
        var disk: String?
        if let image = layout.system.disk {
            do {
                let (path, created) = try DiskFile.prepare(image, manifest: options.config)
                disk = path
                print("vanity-build: the block device reads and writes \(path)" + (created ? " (created: \(image.size) bytes of zeros)" : ""))
            } catch {
                throw Console.error("\(error)", status: .ioError)
            }
        }
        let plan = RunPlan(layout: layout, image: img, paths: BuildPaths(system: layout.system.name, platform: platform, out: out, manifest: options.config), gdb: gdb,
                           deterministic: seed.map { .init(seed: $0, inject: inject, rate: injectRate, trace: trace) }, hostPorts: hostPorts,
                           disk: disk)
        print("vanity-build: booting: \(plan.argv.joined(separator: " "))")
        for line in HostPorts.describe(layout.system.forwards, hostPorts) { print(line) }
        if gdb { print("vanity-build: QEMU waits for GDB on localhost:1234 (docs/debugging.md)") }
        fflush(nil) // every C stream: what we printed goes out before the system's console
        throw ExitCode(plan.run(timeout: timeout))
    }
}
