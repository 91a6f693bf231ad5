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
}
