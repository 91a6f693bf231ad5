import Foundation
import Testing

/// Channels against a hostile peer (Tests/Fixtures/systems/hostile): a
/// writer that writes its readers' indices must not make the kernel or a
/// reader loop, nor a reader leave its ring; timeouts near 2^64 ns saturate.
@Suite(.serialized) struct HostileTests {
    @Test(arguments: ["sim", "aarch64-virt"])
    func aHostileWriterCannotStallTheKernelOrItsReaders(_ platform: String) throws {
        let r = try FaultTests.boot("hostile", on: platform)
        let out = r.stdout
        #expect(r.status == 0, "\(out)\n\(r.stderr)")
        let faults = FaultTests.lines(r, "kernel: FAULT ")
        // The restarting reader faults once (its trap); the kernel hands its
        // ring back in at most `slots` steps, not 2^32 - 1.
        #expect(faults.filter { $0.contains("shard=restarter ") }.count == 1, "\(faults)")
        let ms = FaultTests.lines(r, "[evil] evil: restarter restarted in ").first.flatMap { Int($0.split(separator: " ")[5]) }
        #expect(ms != nil && ms! < 1000, "\(out)")
        #expect(out.contains("[restarter] restarter: generation 2 received 42 (1), 0 peer error(s)"), "\(out)")
        #expect(out.contains("[evil] evil: sent 42 to the restarted reader: 1"), "\(out)")
        // Readers whose hand-back the writer broke report it, in C and Swift,
        // and are not killed by their watchdogs.
        #expect(out.contains("[victim] victim: 5 message(s), then a protocol error reported (1 peer error(s)); still running"), "\(out)")
        #expect(out.contains("[swift-victim] swift-victim: a protocol error reported; still running"), "\(out)")
        // A head 2^31 - 1 ahead: reported, and no access outside the ring.
        #expect(out.contains("[far] far: 5 message(s), then 1 peer error(s); no fault"), "\(out)")
        #expect(!faults.contains { $0.contains("shard=victim ") || $0.contains("shard=swift-victim ") || $0.contains("shard=far ") },
                "\(faults)")
        // wait(~0) and wait(~0 - 1e9) (after 1 s of uptime) end only when woken.
        #expect(out.range(of: #"\[sleeper\] sleeper: wait\(~0\) -> 1 after [0-9]+ ms"#, options: .regularExpression) != nil, "\(out)")
        #expect(out.range(of: #"\[sleeper\] sleeper: wait\(~0 - 1e9\) -> 1 after [0-9]+ ms"#, options: .regularExpression) != nil,
                "\(out)")
        // A line masked because it fired is unmasked when its shard restarts
        // without acknowledging it (the simulator's RTC has no interrupt).
        if platform == "aarch64-virt" {
            #expect(out.contains("[irq] irq: generation 1 woken with bits 2"), "\(out)")
            #expect(out.contains("[irq] irq: generation 2 woken with bits 2"), "\(out)")
        }
        #expect(out.contains("[evil] evil: done"))
    }
}
