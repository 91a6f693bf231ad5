import Foundation
import Testing

/// The debug link end to end: `vanity-build run` boots a system (QEMU, where
/// the link shares the serial line with the console, or the simulator) and
/// serves the link; `ps`, `restart`, `hold` and `release` drive it while a
/// pipeline keeps counting.
@Suite(.serialized) struct DebugLinkTests {
    @Test(arguments: testPlatforms)
    func psRestartHoldAndReleaseDriveARunningSystem(_ platform: String) throws {
        let config = "Tests/Fixtures/systems/link/system.toml"
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try RunningSystem(config: config, platform: platform, out: out, timeout: 90)
        let link = ["--config", config, "--platform", platform, "--out", out]

        let ps = try CLI.run(["ps"] + link)
        #expect(ps.status == 0, "\(ps.stderr)")
        #expect(ps.stdout.contains("worker") && ps.stdout.contains("ticker") && ps.stdout.contains("tally"), "\(ps.stdout)")
        // hello: the running build is the one on disk.
        #expect(ps.stdout.range(of: #"link on \#(platform), build [0-9a-f]{12}\n"#, options: .regularExpression) != nil, "\(ps.stdout)")
        // Per core (STATS): who runs there, how busy since boot, kernel entries, system calls.
        var cores: [String: (core: Int, busy: Int, entries: Int, syscalls: Int, denied: Int)] = [:]
        for m in ps.stdout.matches(of: /\n +([0-9]+)  (\S+) +([0-9]+)%  +([0-9]+) +([0-9]+) +([0-9]+)/) {
            cores[String(m.2)] = (Int(m.1)!, Int(m.3)!, Int(m.4)!, Int(m.5)!, Int(m.6)!)
        }
        #expect(cores["(kernel)"]?.core == 0 && cores["worker"]?.core == 1 && cores["ticker"]?.core == 2 && cores["tally"]?.core == 3,
                "\(ps.stdout)")
        // The worker logged, asked its generation and waits for good: an idle core that entered the kernel for its calls.
        if let w = cores["worker"] { #expect(w.busy < 50 && w.syscalls >= 3 && w.entries >= w.syscalls, "\(ps.stdout)") }
        // Its one call without the cap (time) is counted as denied; the others made none.
        #expect(cores["worker"]?.denied == 1 && cores["ticker"]?.denied == 0 && cores["tally"]?.denied == 0, "\(ps.stdout)")

        #expect(try CLI.run(["restart", "--shard", "worker"] + link).status == 0)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try CLI.run(["hold", "--shard", "worker"] + link).status == 0)
        Thread.sleep(forTimeInterval: 0.3)
        let held = try CLI.run(["ps"] + link)
        #expect(held.stdout.range(of: #"worker +0 +1 +held +2 "#, options: .regularExpression) != nil, "\(held.stdout)")
        let again = try CLI.run(["hold", "--shard", "worker"] + link)
        #expect(again.status == 1 && again.stderr.contains("already held"), "\(again.stderr)")
        // A reload does not release an operator's hold: the new code waits for release.
        let reload = try CLI.run(["reload", "--shard", "worker"] + link)
        #expect(reload.status == 0 && reload.stdout.contains("held by the operator"), "\(reload.stdout)\n\(reload.stderr)")
        let still = try CLI.run(["ps"] + link)
        #expect(still.stdout.range(of: #"worker +0 +1 +held +2 +0 +reloaded [0-9a-f]{16}"#, options: .regularExpression) != nil, "\(still.stdout)")
        #expect(try CLI.run(["release", "--shard", "worker"] + link).status == 0)
        let unknown = try CLI.run(["restart", "--shard", "nobody"] + link)
        #expect(unknown.status == 64 && unknown.stderr.contains("no shard \"nobody\""))

        // The tally stops the system once the ticks stop.
        #expect(try CLI.run(["hold", "--shard", "ticker"] + link).status == 0)
        let (status, text) = run.finish()
        #expect(status == 0, "\(text)")
        for line in ["[worker] worker: generation 1", "kernel: restarting worker (debug link)", "[worker] worker: generation 2",
                     "kernel: holding worker (debug link)", "kernel: worker reloaded; held until released",
                     "kernel: worker released", "[worker] worker: generation 3"] {
            #expect(text.contains(line), "missing: \(line)\n\(text)")
        }
        #expect(text.range(of: #"\[tally\] tally: [0-9]+ ticks in order, no gap"#, options: .regularExpression) != nil, "\(text)")
    }
}
