import Foundation
import Testing

/// A shard on several cores (issue 19): main runs once on each, each core on
/// a stack of its own (`vanity_core_index`), a fault on one stops them all
/// and the shard's policy restarts all of them.
@Suite(.serialized) struct MultiCoreTests {
    /// Tests/Fixtures/systems/multicore: `workers` on cores 3, 1, 2 counts on
    /// one channel per core to `tally`; its core index 2 faults in the first
    /// generation.
    @Test(arguments: testPlatforms)
    func aShardRunsOnEachOfItsCoresAndAFaultOnOneRestartsThemAll(_ platform: String) throws {
        let r = try FaultTests.boot("multicore", on: platform)
        let out = r.stdout
        #expect(r.status == 0, "\(out)\n\(r.stderr)")
        // Started on each of its cores, the lowest first.
        #expect(FaultTests.lines(r, "kernel: starting workers ") == [
            "kernel: starting workers on core 1",
            "kernel: starting workers on core 2 too (its core index 1)",
            "kernel: starting workers on core 3 too (its core index 2)",
        ], "\(out)")
        // Every core of each generation knew which it was, on its own stack.
        let hello = Set(FaultTests.lines(r, "[workers] workers: core index "))
        for generation in 1...2 {
            for k in 0..<3 {
                #expect(hello.contains("[workers] workers: core index \(k) of 3, generation \(generation), own stack yes"),
                        "core index \(k), generation \(generation): \(hello.sorted())")
            }
        }
        #expect(hello.count == 6, "\(hello.sorted())")
        // The lock held: every increment of the second run counted.
        #expect(FaultTests.lines(r, "[workers] workers: generation 2: total ") == ["[workers] workers: generation 2: total 60000 of 60000"], "\(out)")
        // One fault, on core 3 (core index 2); all three restarted together.
        let faults = FaultTests.lines(r, "kernel: FAULT ")
        #expect(faults.count == 1 && faults.first?.hasPrefix("kernel: FAULT shard=workers kind=data-abort ") == true, "\(faults)")
        #expect(faults.first?.contains("generation=1 policy=restart") == true, "\(faults)")
        // (The simulator reports it on the first core, which sees the process end.)
        let on = platform == "sim" ? "1 (its core index 0 of 3)" : "3 (its core index 2 of 3)"
        #expect(FaultTests.lines(r, "kernel: workers faulted on core ") == ["kernel: workers faulted on core \(on); its other cores are stopped"], "\(out)")
        #expect(out.contains("kernel: restarting workers (restart 1 of 1)"), "\(out)")
        #expect(FaultTests.lines(r, "[tally] ") == [
            "[tally] tally: core index 0: generation 2, 300 messages in order",
            "[tally] tally: core index 1: generation 2, 300 messages in order",
            "[tally] tally: core index 2: generation 2, 300 messages in order",
            "[tally] tally: 0 wrong",
        ], "\(out)")
        #expect(!out.contains("watchdog"), "\(out)")
    }

    /// Tests/Fixtures/systems/multicore-watchdog: each core's heartbeat is
    /// watched on its own. Core index 0 only waits (progress); core index 1
    /// spins silently in the first generation: the watchdog names its core,
    /// and the restart brings both back.
    @Test(arguments: testPlatforms)
    func theWatchdogWatchesEachCore(_ platform: String) throws {
        let r = try FaultTests.boot("multicore-watchdog", on: platform)
        let out = r.stdout
        #expect(r.status == 0, "\(out)\n\(r.stderr)")
        let silent = FaultTests.lines(r, "kernel: watchdog: ")
        #expect(silent.count == 1 && silent.first?.hasPrefix("kernel: watchdog: spinner silent for ") == true
                && silent.first?.hasSuffix(" ms (limit 2000 ms) on core 2") == true, "\(out)")
        let faults = FaultTests.lines(r, "kernel: FAULT ")
        #expect(faults.count == 1 && faults.first?.hasPrefix("kernel: FAULT shard=spinner kind=watchdog ") == true, "\(out)")
        #expect(FaultTests.lines(r, "kernel: spinner faulted on core ") == ["kernel: spinner faulted on core 2 (its core index 1 of 2); its other cores are stopped"], "\(out)")
        #expect(Set(FaultTests.lines(r, "[spinner] ")) == Set((1...2).flatMap { g in (0...1).map { "[spinner] spinner: core index \($0), generation \(g)" } }), "\(out)")
        #expect(FaultTests.lines(r, "[judge] ") == ["[judge] judge: spinner at generation 2 after 3 s more"], "\(out)")
    }

    /// Tests/Fixtures/systems/multicore-link: the debug link's restart,
    /// hold, release and reload act on every core of `pair` (cores 1 and 2).
    @Test(arguments: testPlatforms)
    func theDebugLinkRestartsHoldsReleasesAndReloadsEveryCore(_ platform: String) throws {
        let config = "Tests/Fixtures/systems/multicore-link/system.toml"
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try RunningSystem(config: config, platform: platform, out: out, timeout: 150)
        let link = ["--config", config, "--platform", platform, "--out", out]
        func both(_ generation: Int) -> Bool {
            (0...1).allSatisfy { run.waitFor("[pair] pair: core index \($0), generation \(generation)") != nil }
        }
        #expect(both(1), "\(run.console)")
        for k in 0...1 { #expect(run.waitFor("[swpair] swpair: core index \(k) of 2, generation 1") != nil, "\(run.console)") }
        let ps = try CLI.run(["ps"] + link)
        #expect(ps.stdout.matches(of: /\n +([0-9]+)  pair +[0-9]+%/).map { Int($0.1)! } == [1, 2], "\(ps.stdout)")

        #expect(try CLI.run(["restart", "--shard", "pair"] + link).status == 0)
        #expect(both(2), "\(run.console)")
        #expect(try CLI.run(["hold", "--shard", "pair"] + link).status == 0)
        var held = false
        for _ in 0..<300 where !held { // up to 30 s: a loaded host is slow to take the request
            held = (try CLI.run(["ps"] + link)).stdout.range(of: #"pair +0 +1 +held +2 "#, options: .regularExpression) != nil
            if !held { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(held, "\(run.console)")
        #expect(try CLI.run(["release", "--shard", "pair"] + link).status == 0)
        #expect(both(3), "\(run.console)")
        let reload = try CLI.run(["reload", "--shard", "pair"] + link)
        #expect(reload.status == 0 && reload.stdout.contains("generation 4 runs"), "\(reload.stdout)\n\(reload.stderr)")
        #expect(both(4), "\(run.console)")

        let (status, text) = run.finish()
        #expect(status == 0, "\(text)")
        #expect(text.contains("[ender] ender: pair at generation 4"), "\(text)")
        for k in 0...1 { #expect(!text.contains("pair: core index \(k), generation 5"), "\(text)") }
        #expect(!text.contains("FAULT"), "\(text)")
    }
}
