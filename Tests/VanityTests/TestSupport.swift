import Foundation
import Testing
import VanityDiagnostics
import VanityDriver
import VanityLayout
import VanityManifest
import VanityModel
import VanityPlatform
import VanityProcess
import VanityToolchain

/// The repository root, found from this file's path.
let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// What a finished process printed and how it ended.
struct Spawned {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `executable` to the end (at most `timeout` seconds: then it is
/// ended and the test fails). Its standard error goes into the same text
/// as its standard output (`mergeStderr`), or to a file read back at the end:
/// never to a second pipe, which could fill up and hang the process while
/// the first is being read. The child starts with an empty signal mask.
func spawn(_ executable: String, _ args: [String], cwd: String? = nil, environment: [String: String]? = nil,
           mergeStderr: Bool = true, timeout: Double = 600) throws -> Spawned {
    let errPath = NSTemporaryDirectory() + "vanity-stderr-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: errPath) }
    let p = try ChildProcess(executable, args, environment: environment, directory: cwd, stdin: .null, stdout: .pipe,
                             stderr: mergeStderr ? .output : .file(errPath))
    let box = OutputBox()
    let reader = Thread { box.data = ChildProcess.readAll(p.output!) }
    reader.start()
    let ending = p.run(timeout: timeout)
    #expect(ending != .timedOut, "\(executable) \(args.joined(separator: " ")) ran past \(timeout) s and was ended")
    #expect(OutputBox.join(reader), "the output of \(executable) stayed open 30 s after it ended: something it started still runs")
    let status: Int32 = if case .exited(let s) = ending { s } else { 124 }
    let e = mergeStderr ? Data() : FileManager.default.contents(atPath: errPath) ?? Data()
    return Spawned(status: status, stdout: String(decoding: box.data, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

/// What a reader thread read, handed over under a lock.
final class OutputBox: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes = Data()
    var data: Data {
        get { lock.withLock { bytes } }
        set { lock.withLock { bytes = newValue } }
    }
    func append(_ more: Data) { lock.withLock { bytes.append(more) } }

    /// Waits (at most `seconds`) for `reader` to finish; whether it did.
    static func join(_ reader: Thread, within seconds: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !reader.isFinished && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return reader.isFinished
    }
}

/// A small deterministic PRNG (SplitMix64) for generated tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// In-memory platforms shaped like the real ones, for tests that must not
/// depend on the committed descriptors.
enum TestPlatforms {
    static func make(_ name: String, _ arch: Architecture, ramBase: UInt64, kernelBase: UInt64, cpus: Int = 64,
                     ram: UInt64 = 1 << 30, cacheModes: [CacheMode] = [.normal, .uncached]) -> Platform {
        var devices: [String: DeviceNode] = [:]
        var table: [DeviceAlias] = []
        for i in 0..<8 {
            let base: UInt64 = 0xF000_0000 + UInt64(i) * 0x1000
            let path = "/dev\(i)@\(String(base, radix: 16))"
            devices[path] = DeviceNode(path: path, compatible: ["test,dev"], regs: [MemoryRange(base: base, size: 0x1000)],
                                       irqs: [UInt32(32 + i)])
            table.append(DeviceAlias(name: "dev\(i)", path: path))
        }
        var p = Platform(name: name, architecture: arch, ram: MemoryRange(base: ramBase, size: ram), pageSize: 4096,
                         cpuLimit: cpus, kernelBase: kernelBase, qemu: [], clangTarget: "", swiftTarget: "", cFlags: [],
                         deviceTable: table, reserved: [], devices: devices, descriptorPath: "\(name)/platform.toml")
        p.cacheModes = cacheModes
        return p
    }

    static let all: [Platform] = [
        make("test-aarch64", .aarch64, ramBase: 0x4000_0000, kernelBase: 0x4020_0000),
        make("test-riscv64", .riscv64, ramBase: 0x8000_0000, kernelBase: 0x8020_0000),
        make("test-x86_64", .x86_64, ramBase: 0x0, kernelBase: 0x10_0000),
    ]
}

/// Runs the pure front end (parse → check → place) over manifest text with
/// the given platforms; shard folders always exist.
func pipeline(_ text: String, platforms: [Platform] = TestPlatforms.all) -> (layouts: [Layout], diagnostics: [Diagnostic]) {
    let out = Frontend.run(text: text, file: "gen.toml", platforms: platforms, directoryExists: { _ in true })
    return (out.layouts, out.diagnostics)
}

/// Generates a random valid manifest: shards with distinct cores, channels
/// between distinct shards, device grants without sharing, shared regions.
func generateManifest(_ rng: inout SplitMix64, maxShards: Int = 12, maxChannels: Int = 24, maxRegions: Int = 6) -> String {
    let shardCount = Int.random(in: 1...maxShards, using: &rng)
    var cores = Array(1..<64).shuffled(using: &rng)
    var freeDevices = Array(0..<8).shuffled(using: &rng)
    var out = "[system]\nname = \"gen\"\n\n[kernel]\ncore = 0\nstack-size = \"\(Int.random(in: 1...4, using: &rng) * 4) KiB\"\n"
    let sizes = ["4 KiB", "8 KiB", "16 KiB", "64 KiB", 4096 * 3] as [Any]
    var prioritized: [Int] = [] // cores of one-core shards that set `priority`: others may join them
    var extras = 0, maxUsed = 0
    for i in 0..<shardCount {
        out += "\n[shards.s\(i)]\nlang = \"\(Bool.random(using: &rng) ? "c" : "swift")\"\n"
        // Mostly one core a shard; sometimes two or three, in any order;
        // sometimes one core shared by priority with earlier shards.
        let count = rng.next() % 4 == 0 ? 2 + Int(rng.next() % 2) : 1
        // (Each joiner is one more execution context: at most 64 in all, so
        // the cores left to draw shrink to keep the highest one in reach.)
        let highest = 63 - extras - 1
        if count == 1, !prioritized.isEmpty, maxUsed <= highest, rng.next() % 3 == 0 {
            extras += 1
            cores.removeAll { $0 > highest }
            out += "cores = [\(prioritized.randomElement(using: &rng)!)]\npriority = \(rng.next() % 256)\n"
            if Bool.random(using: &rng) { out += "budget-us = 1000\nperiod-us = \(1000 + rng.next() % 9000)\n" }
        } else {
            let mine = (0..<count).map { _ in cores.removeFirst() }
            maxUsed = max(maxUsed, mine.max()!)
            out += "cores = [\(mine.map(String.init).joined(separator: ", "))]\n"
            if count == 1, Bool.random(using: &rng) {
                out += "priority = \(rng.next() % 256)\n"
                prioritized.append(mine[0])
            }
        }
        if Bool.random(using: &rng) { out += "stack-size = \(tomlValue(sizes.randomElement(using: &rng)!))\n" }
        if Int.random(in: 0..<4, using: &rng) == 0 { out += "heap-size = \(tomlValue(sizes.randomElement(using: &rng)!))\n" }
        if Bool.random(using: &rng) {
            out += "max-sizes = { text = \"\(Int.random(in: 1...200, using: &rng)) KiB\", data = \(Int.random(in: 1...100_000, using: &rng)) }\n"
        }
        if !freeDevices.isEmpty, Int.random(in: 0..<3, using: &rng) == 0 {
            out += "devices = [\"dev\(freeDevices.removeFirst())\"]\n"
        }
        out += "caps = [\"log\"]\n"
    }
    if shardCount > 1 {
        for c in 0..<Int.random(in: 0...maxChannels, using: &rng) {
            let from = Int.random(in: 0..<shardCount, using: &rng)
            var to = Int.random(in: 0..<shardCount - 1, using: &rng)
            if to >= from { to += 1 }
            out += "\n[channels.c\(c)]\nfrom = \"s\(from)\"\nto = \"s\(to)\"\n"
            out += "msg-size = \(8 * Int.random(in: 1...512, using: &rng))\nslots = \(1 << Int.random(in: 1...10, using: &rng))\n"
        }
    }
    // Shared regions, each mapped by one or more shards with random rights.
    for r in 0..<Int.random(in: 0...maxRegions, using: &rng) {
        let pages = [1, 2, 3, 16, 256, 600].randomElement(using: &rng)!
        out += "\n[regions.r\(r)]\nsize = \(pages * 4096)\n"
        if Bool.random(using: &rng) { out += "dma = true\n" }
        let mappers = (0..<shardCount).shuffled(using: &rng).prefix(Int.random(in: 1...min(shardCount, 4), using: &rng))
        out += "map = { " + mappers.sorted().map { "s\($0) = \"\(Bool.random(using: &rng) ? "rw" : "r")\"" }.joined(separator: ", ") + " }\n"
    }
    return out
}

private func tomlValue(_ v: Any) -> String {
    if let s = v as? String { return "\"\(s)\"" }
    return "\(v)"
}

/// `vanity-build run` in the background with its console captured, for the
/// tests that drive a running system over its debug link.
final class RunningSystem {
    let process: ChildProcess
    let config: String
    let platform: String
    let out: String
    private let reader: Thread
    private let box = OutputBox()

    /// Starts the run and waits until its debug link's socket exists.
    /// `extra`: more arguments of `run` (`--seed`, `--inject`…).
    init(config: String, platform: String, out: String, timeout: Int?, extra: [String] = []) throws {
        self.config = config
        self.platform = platform
        self.out = out
        process = try ChildProcess(CLI.binary, ["run", "--config", config, "--platform", platform, "--out", out]
                                       + (timeout.map { ["--timeout", String($0)] } ?? []) + extra,
                                   directory: repoRoot, stdin: .null, stdout: .pipe, stderr: .output)
        let (box, output) = (self.box, process.output!)
        reader = Thread {
            while true {
                let chunk = output.availableData
                if chunk.isEmpty { break }
                box.append(chunk)
            }
        }
        reader.start()
        for _ in 0..<900 where !FileManager.default.fileExists(atPath: socket) && process.isRunning { Thread.sleep(forTimeInterval: 0.1) }
        try #require(FileManager.default.fileExists(atPath: socket), "the system never opened its debug link")
        Thread.sleep(forTimeInterval: 0.5) // the kernel core starts polling the link after boot
    }

    /// The console so far.
    var console: String { String(decoding: box.data, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n") }

    /// Waits (at most `seconds`, or until the run ends) for a console line
    /// containing `text`; returns it.
    func waitFor(_ text: String, within seconds: Double = 120) -> String? {
        waitFor(within: seconds) { $0.contains(text) }
    }

    /// Waits (at most `seconds`, or until the run ends) for a console line
    /// `matches` accepts; returns it.
    func waitFor(within seconds: Double = 120, _ matches: (Substring) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if let line = console.split(separator: "\n").first(where: matches) { return String(line) }
            if Date() > deadline || !process.isRunning { return nil }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    var socket: String { BuildPaths(system: "", platform: platform, out: out, manifest: config).debugSocket }

    /// Waits for the system to stop (at most 10 minutes: then it is ended);
    /// returns its status and console text.
    func finish() -> (status: Int32, log: String) {
        let status = process.wait(timeout: 600) ?? process.end()
        // Its output ends when the last process holding it does: bounded, in
        // case something the run started outlives it.
        #expect(OutputBox.join(reader), "the run's output stayed open 30 s after it ended: something it started still runs")
        return (status, String(decoding: box.data, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n"))
    }

    deinit { if process.isRunning { process.end() } }
}

/// The shards' C library for `platform`, where the build finds it.
func shardCLibrary(_ platform: Platform) throws -> CLibrary {
    switch Driver.shardLibrary(platform, root: repoRoot) {
    case .success(let l): return l
    case .failure(let f): throw f
    }
}
