import Foundation
import Testing

/// The simulator's deterministic mode: same seed, same trace; and a swarm of
/// seeds with injected faults, each run checked against the system's
/// invariants. A failing seed is reported with the command that replays it.
@Suite(.serialized) struct SwarmTests {
    static let config = "Tests/Fixtures/systems/swarm/system.toml"

    /// Builds a system for `sim` once; returns the kernel and shard executables.
    static func build(_ config: String, shards: [String]) throws -> (dir: String, argv: [String]) {
        let out = try temporaryDirectory()
        let r = try CLI.run(["build", "--config", config, "--platform", "sim", "--out", out])
        try #require(r.status == 0, "\(r.stderr)")
        return (out, ["\(out)/sim/elf/kernel"] + shards.map { "\(out)/sim/elf/\($0)" })
    }

    static func run(_ argv: [String], seed: UInt64, inject: String?, trace: String? = nil) throws -> (status: Int32, out: String) {
        var env = ProcessInfo.processInfo.environment
        env["VANITY_SIM_SEED"] = String(seed)
        if let inject { env["VANITY_SIM_INJECT"] = inject; env["VANITY_SIM_RATE"] = "100" }
        if let trace { env["VANITY_SIM_TRACE"] = trace }
        let r = try spawn(argv[0], Array(argv.dropFirst()), environment: env)
        return (r.status, r.stdout)
    }

    @Test func theSameSeedGivesAByteIdenticalTrace() throws {
        let (dir, argv) = try Self.build(Self.config, shards: ["source", "relay", "sink", "victim"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var traces: [Data] = []
        for (i, seed) in [11, 11, 12].enumerated() {
            let path = "\(dir)/trace\(i).txt"
            let r = try Self.run(argv, seed: UInt64(seed), inject: "kill,trap,delay,drop", trace: path)
            #expect(r.status == 0, "\(r.out)")
            traces.append(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        #expect(traces[0] == traces[1], "seed 11 gave two different traces")
        #expect(traces[0] != traces[2], "seeds 11 and 12 gave the same trace")
        #expect(String(decoding: traces[0], as: UTF8.self).contains(" run core "))
    }

    @Test func twoHundredSeedsKeepEveryInvariant() throws {
        let (dir, argv) = try Self.build(Self.config, shards: ["source", "relay", "sink", "victim"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let seeds = Array(1...200)
        final class Tally: @unchecked Sendable {
            let lock = NSLock()
            var failures: [String] = []
            var faults = 0
        }
        let tally = Tally()
        DispatchQueue.concurrentPerform(iterations: 2) { lane in
            for seed in seeds where seed % 2 == lane {
                let problems: [String]
                var seen = 0
                do {
                    let r = try Self.run(argv, seed: UInt64(seed), inject: "kill,trap,delay,drop")
                    (problems, seen) = Self.check(r)
                } catch {
                    problems = ["could not run: \(error)"]
                }
                tally.lock.lock()
                tally.faults += seen
                if !problems.isEmpty {
                    tally.failures.append("seed \(seed): \(problems.joined(separator: "; "))\n  replay: swift run vanity-build run --platform sim --config \(Self.config) --seed \(seed) --inject kill,trap,delay,drop --inject-rate 100")
                }
                tally.lock.unlock()
            }
        }
        let (failures, faults) = (tally.failures, tally.faults)
        #expect(failures.isEmpty, "\(failures.count) failing seed(s):\n\(failures.prefix(5).joined(separator: "\n"))")
        #expect(faults > 100, "only \(faults) injected faults over 200 seeds: the swarm does not exercise restarts")
    }

    /// The swarm system's invariants; returns the problems and the number of faults.
    static func check(_ r: (status: Int32, out: String)) -> ([String], Int) {
        var problems: [String] = []
        let lines = r.out.split(separator: "\n").map(String.init)
        if r.status != 0 { problems.append("exit status \(r.status)") }
        if !lines.contains("[sink] sink: 600 messages exactly once and in order") { problems.append("the sink did not see every message once, in order") }
        let faults = lines.filter { $0.hasPrefix("kernel: FAULT ") }
        for f in faults where !f.contains("shard=victim ") { problems.append("a shard other than the victim faulted: \(f)") }
        // Every fault is followed by a restart, except one still waiting out
        // min-run-ms when the sink shuts the system down.
        let restarts = lines.filter { $0.hasPrefix("kernel: restarting victim ") }.count
        let lastFault = lines.lastIndex { $0.hasPrefix("kernel: FAULT ") } ?? -1
        let lastRestart = lines.lastIndex { $0.hasPrefix("kernel: restarting victim ") } ?? -1
        let pending = restarts == faults.count - 1 && lastFault > lastRestart
        if restarts != faults.count && !pending { problems.append("\(faults.count) faults but \(restarts) restarts") }
        // Generations only grow, and the victim came back after its last fault.
        let gens = lines.compactMap { l -> Int? in
            guard l.hasPrefix("[victim] victim: generation "), !l.hasSuffix("finished") else { return nil }
            return Int(l.dropFirst("[victim] victim: generation ".count))
        }
        if gens != gens.sorted() || Set(gens).count != gens.count { problems.append("victim generations out of order: \(gens)") }
        if let last = lines.lastIndex(where: { $0.hasPrefix("kernel: restarting victim") }),
           !lines[(last + 1)...].contains(where: { $0.hasPrefix("[victim]") || $0.hasPrefix("kernel: FAULT shard=victim") || $0.hasPrefix("kernel: system stopping") }) {
            problems.append("the victim did not come back after its last restart")
        }
        return (problems, faults.count)
    }

    /// The demo under a few seeds with delayed and dropped wake-ups: every
    /// message still arrives in order.
    @Test func theDemoSurvivesDelayedAndDroppedWakeUps() throws {
        let (dir, argv) = try Self.build("Config/system.toml", shards: ["producer", "transformer", "sink", "clock"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for seed in [1, 2, 3] as [UInt64] {
            let r = try Self.run(argv, seed: seed, inject: "delay,drop")
            #expect(r.status == 0, "seed \(seed): \(r.out)")
            #expect(r.out.contains("sink: all 20000 messages arrived in order and intact"), "seed \(seed)")
            #expect(r.out.contains("clock: the RTC at 0x9010000 says 2026-01-01 00:00:00 UTC"), "virtual RTC, seed \(seed)")
        }
    }
}
