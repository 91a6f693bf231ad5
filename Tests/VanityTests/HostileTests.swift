import Foundation
import Testing
import VanityDebug

/// Channels against a hostile peer (Tests/Fixtures/systems/hostile): a
/// writer that writes its readers' indices must not make the kernel or a
/// reader loop, nor a reader leave its ring; timeouts near 2^64 ns saturate.
@Suite(.serialized) struct HostileTests {
    @Test(arguments: ["sim", "aarch64-virt", "riscv64-virt", "x86_64-pc"])
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
        #expect(out.range(of: #"\[sleeper\] sleeper: wait\(~0\) -> 0x1000000000000001 after [0-9]+ ms"#, options: .regularExpression) != nil, "\(out)")
        #expect(out.range(of: #"\[sleeper\] sleeper: wait\(~0 - 1e9\) -> 0x1000000000000001 after [0-9]+ ms"#, options: .regularExpression) != nil,
                "\(out)")
        // A line masked because it fired is unmasked when its shard restarts
        // without acknowledging it (the simulator's RTC has no interrupt).
        if platform != "sim" {
            #expect(out.contains("[irq] irq: generation 1 woken with bits 0x2001000000000000"), "\(out)")
            #expect(out.contains("[irq] irq: generation 2 woken with bits 0x2001000000000000"), "\(out)")
        }
        #expect(out.contains("[evil] evil: done"))
    }

    /// The simulator as a boundary (Tests/Fixtures/systems/sim-escape): a
    /// shard process's raw host system calls cannot reach the kernel's
    /// executable (which holds the reload key), its RAM descriptor, its
    /// memory or any file, signal or trace the kernel, open a socket or start
    /// a program. Before the seccomp filter every one of these succeeded.
    /// Nor can it make a shared region it maps read-only writable with
    /// mprotect (it could while the region came from the RAM's read-write
    /// descriptor).
    @Test func aSimulatorShardCannotLeaveItsProcess() throws {
        let r = try FaultTests.boot("sim-escape", on: "sim")
        let out = r.stdout
        #expect(r.status == 0, "\(out)\n\(r.stderr)")
        for what in ["open the kernel's executable", "open a kernel descriptor", "open /proc/self/environ", "read the kernel's memory",
                     "signal the kernel", "signal the kernel's thread", "trace the kernel", "open a socket", "start a program",
                     "start a process"] {
            #expect(out.contains("[escape] escape: \(what) -> -1"), "\(what): \(out)")
        }
        // A region it maps "r" comes from a read-only descriptor: EACCES, not a writable page.
        #expect(out.contains("[escape] escape: make a read-only region writable -> -13"), "\(out)")
        #expect(out.contains("[escape] escape: 0 way(s) out"), "\(out)")
    }

    /// A shard that floods the log (Tests/Fixtures/systems/log-flood): its
    /// lines beyond the per-shard rate are dropped and counted (on the
    /// console and in `logs`), the other shard's lines all get through, and
    /// the kernel's boot lines stay in the history. Before the rate limit the
    /// flood evicted the whole 4 KiB history within a fraction of a second.
    @Test(arguments: ["sim", "aarch64-virt"])
    func aLogFloodIsCutToItsRateAndEvictsNothing(_ platform: String) throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try RunningSystem(config: "Tests/Fixtures/systems/log-flood/system.toml", platform: platform, out: out, timeout: 300)
        let client = try DebugClient(socketPath: run.socket)
        var history: (text: [UInt8], lost: UInt32, dropped: UInt32)?
        let deadline = Date().addingTimeInterval(240)
        while Date() < deadline && run.process.isRunning {
            if let h = try? client.logs(), String(decoding: h.text, as: UTF8.self).contains("lines, the last 5 after the flood") {
                history = h
                break
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        run.process.end()
        let console = run.finish().log
        let h = try #require(history, "the steady shard never finished: \(console)")
        let text = String(decoding: h.text, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        #expect(h.lost == 0 && text.contains("kernel: vanity booting system \"log-flood\""), "the flood pushed the boot lines out: \(h.lost) bytes lost")
        let floodLines = text.split(separator: "\n").filter { $0 == "[f] x" }.count
        #expect(h.dropped > 0 && Int(h.dropped) + floodLines >= 5000 - 400, "\(h.dropped) dropped, \(floodLines) kept")
        #expect(text.contains("[f] f: done"), "\(text.suffix(2000))")
        #expect(console.contains("kernel: f logged faster than 200 lines/s: "), "\(console.suffix(2000))")
        // Every line of the steady shard, in order, on the console and in the history.
        let total = try #require(console.firstMatch(of: /\[s\] s: ([0-9]+) lines, the last 5 after the flood/).map { Int($0.1)! })
        for source in [console, text] {
            let steady = source.split(separator: "\n").filter { $0.hasPrefix("[s] s: line ") }.map { String($0.dropFirst(12)) }
            #expect(steady == (1...total).map(String.init), "\(steady)")
        }
    }
}
