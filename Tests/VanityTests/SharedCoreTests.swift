import Foundation
import Testing

/// Shards sharing a core (issue 19): the kernel's fixed-priority scheduler
/// on each board and in the simulator.
@Suite(.serialized) struct SharedCoreTests {
    /// Tests/Fixtures/systems/shared-core: on core 1, `hi` (200) answers the
    /// client's pings with 20 ms of work each, `hog` (100, 2 ms per 10 ms)
    /// and the Swift twins `fpa`/`fpb` (50, the same budget) spin checking
    /// sums, `lo` (10) spins counting and faults once, and `tick` (10 too)
    /// spins making system calls: equals take turns all the same. `mute`
    /// (10) never beats in its first generation: its watchdog counts the
    /// time it runs, not the time the others hold its core.
    @Test(arguments: testPlatforms)
    func shardsShareACoreByPriorityWithinTheirBudgets(_ platform: String) throws {
        let r = try FaultTests.boot("shared-core", on: platform)
        let out = r.stdout
        #expect(r.status == 0, "\(out)\n\(r.stderr)")
        #expect(FaultTests.lines(r, "kernel: starting ") == [
            "kernel: starting client on core 2",
            "kernel: starting hi on core 1 (priority 200)",
            "kernel: starting hog on core 1 (priority 100, budget 2000 us every 10000 us)",
            "kernel: starting lo on core 1 (priority 10)",
            "kernel: starting fpa on core 1 (priority 50, budget 2000 us every 10000 us)",
            "kernel: starting fpb on core 1 (priority 50, budget 2000 us every 10000 us)",
            "kernel: starting tick on core 1 (priority 10)",
            "kernel: starting mute on core 1 (priority 10)",
        ], "\(out)")
        // The highest priority runs whenever it is ready: no spinner moved
        // while hi worked (20 ms each time, longer than a slice), and every
        // ping came back, in order.
        let pings = FaultTests.lines(r, "[client] client: 40 pings answered")
        #expect(pings.count == 1 && pings.first?.contains("(0 out of order), 0 with another shard running during hi's work") == true, "\(out)")
        // Its round trips stay bounded: hi's own 20 ms plus a wake-up, far
        // from the seconds a spinner would hold the core without preemption.
        let most = pings.first.flatMap { line in
            line.range(of: " us at most").map { line[..<$0.lowerBound].split(separator: " ").last.flatMap { Int($0) } } ?? nil
        }
        #expect(most.map { $0 >= 20_000 && $0 < 1_000_000 } == true, "max round trip \(String(describing: most)): \(out)")
        // lo faulted once and restarted, mute's watchdog fired once; nobody
        // else on their core faulted.
        let faults = FaultTests.lines(r, "kernel: FAULT ")
        #expect(faults.count == 2 && faults.filter { $0.hasPrefix("kernel: FAULT shard=lo kind=data-abort ") }.count == 1
                && faults.filter { $0.hasPrefix("kernel: FAULT shard=mute kind=watchdog ") }.count == 1, "\(faults)")
        #expect(out.contains("kernel: restarting lo (restart 1 of 1)"), "\(out)")
        #expect(out.contains("kernel: restarting mute (restart 1 of 1)"), "\(out)")
        #expect(FaultTests.lines(r, "[lo] ") == ["[lo] lo: generation 1 counting", "[lo] lo: generation 2 counting"], "\(out)")
        #expect(FaultTests.lines(r, "[client] client: lo ") == [
            "[client] client: lo generation 2 counts, tick counts; hog sums, 0 wrong sums; generations: hi 1, hog 1",
        ], "\(out)")
        // Throttled by their budgets, and correct in whatever time they got
        // (the twins' sums are floating point where shards have FP registers).
        #expect(FaultTests.lines(r, "[client] client: fpa ") == ["[client] client: fpa sums, fpb sums, 0 wrong floating-point sums"], "\(out)")
        for name in ["hog", "fpa", "fpb"] {
            let report = FaultTests.lines(r, "kernel:   \(name): ")
            let times = report.first.flatMap { line in
                line.range(of: "throttled ").map { Int(line[$0.upperBound...].prefix { $0.isNumber }) } ?? nil
            }
            #expect(times.map { $0 >= 1 } == true, "\(name): \(report)")
        }
        let hi = FaultTests.lines(r, "kernel:   hi: ")
        #expect(hi.count == 1 && hi.first?.contains("ran ") == true && hi.first?.contains("% of the time at priority 200 (core 1 busy ") == true, "\(hi)")
        // The watchdog counts mute's own running: it fires once mute has run
        // its 100 ms, never for lo (300 ms, beating as it runs), though both
        // wait for their core most of the time. Counted in time off the core
        // too, silence would show as seconds, and lo's as well.
        let dogs = FaultTests.lines(r, "kernel: watchdog: ")
        let silent = dogs.first.flatMap { line in
            line.range(of: "silent for ").map { Int(line[$0.upperBound...].prefix { $0.isNumber }) } ?? nil
        }
        #expect(dogs.count == 1 && dogs.first?.hasPrefix("kernel: watchdog: mute silent for ") == true
                && dogs.first?.hasSuffix("ms (limit 100 ms)") == true, "\(dogs)")
        #expect(silent.map { $0 >= 100 && $0 < 1000 } == true, "\(dogs)")
        #expect(FaultTests.lines(r, "[client] client: mute ") == ["[client] client: mute generation 2"], "\(out)")
    }
}
