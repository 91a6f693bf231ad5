import Foundation
import Testing

/// Sixteen cores on every board and the simulator (issue 19): aarch64-virt
/// on a GICv3, riscv64-virt's PLIC and SBI, x86_64-pc's local and I/O APICs.
/// Tests/Fixtures/systems/many-cores has fourteen workers on cores 1-14 and
/// a boss on core 15; each worker reports its core through its own channel.
@Suite(.serialized) struct ManyCoresTests {
    @Test(arguments: ["sim", "aarch64-virt", "riscv64-virt", "x86_64-pc"])
    func fifteenShardsRunOnSixteenCoresAndIdleForReal(_ platform: String) throws {
        let r = try FaultTests.boot("many-cores", on: platform)
        let out = r.stdout
        #expect(r.status == 0, "\(out)\n\(r.stderr)")
        #expect(out.contains("shard(s), 14 channel(s), 16 core(s)"), "\(out)")
        #expect(FaultTests.lines(r, "kernel: starting ") == ["kernel: starting boss on core 15"]
                + (1...14).map { "kernel: starting w\(String(format: "%02d", $0)) on core \($0)" }, "\(out)")
        #expect(FaultTests.lines(r, "[boss] ") == [
            "[boss] boss: 14 workers reported, on cores 1-14; 0 wrong; boss on core 15",
            "[boss] boss: stopping",
        ], "\(out)")
        // The report: every worker ran once and, having reported, waited
        // through the boss's second of idling. A waiting core idles for real
        // (WFI, HLT, a futex), so the workers' cores are mostly idle; one that
        // spun would count ~100 %.
        let report = FaultTests.lines(r, "kernel:   w")
        #expect(report.count == 14, "\(out)")
        var busy: [Int] = []
        for line in report {
            #expect(line.contains(": generation 1, 0 restart(s)"), "\(line)")
            if let b = line.split(separator: " ").last.flatMap({ Int($0.dropLast()) }) { busy.append(b) }
        }
        #expect(busy.count == 14 && busy.reduce(0, +) / 14 < 50, "the workers' cores should be mostly idle: \(report)")
    }
}

/// Every board at its cpu-limit: a shard on each core but the kernel's
/// (63 on aarch64-virt and riscv64-virt, 31 on x86_64-pc), each says it is
/// up, and the last stops the system (Shards/up; the manifest is written here).
@Suite(.serialized) struct CoreLimitTests {
    @Test(arguments: [("aarch64-virt", 64), ("riscv64-virt", 64), ("x86_64-pc", 32)])
    func everyCoreOfTheBoardRunsAShard(_ platform: String, _ cores: Int) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let up = repoRoot + "/Tests/Fixtures/systems/many-cores/Shards/up"
        var text = "[system]\nname = \"limit\"\nplatforms = [\"\(platform)\"]\n"
        for core in 1..<cores {
            text += "\n[shards.s\(core)]\nlang = \"c\"\npath = \"\(up)\"\ncores = [\(core)]\n"
            text += core == cores - 1 ? "caps = [\"log\", \"shutdown\"]\ndefines = [\"LAST\"]\n" : "caps = [\"log\"]\n"
        }
        try text.write(toFile: dir + "/system.toml", atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", "--config", dir + "/system.toml", "--platform", platform, "--out", dir + "/out", "--timeout", "300"])
        let out = r.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        #expect(r.status == 0, "\(out)\n\(r.stderr)")
        #expect(out.contains("shard(s), 0 channel(s), \(cores) core(s)"), "\(out)")
        let up_ = Set(FaultTests.lines(r, "[s").filter { $0.contains("] up on core ") })
        #expect(up_ == Set((1..<cores).map { "[s\($0)] up on core \($0)" }), "\(out)")
    }
}

/// A shard reads its core's cycle counter without a system call
/// (Tests/Fixtures/systems/cycles), from C and from Embedded Swift.
@Suite(.serialized) struct CycleCounterTests {
    @Test(arguments: ["sim", "aarch64-virt", "riscv64-virt", "x86_64-pc"])
    func theCycleCounterMovesForwardWithoutSystemCalls(_ platform: String) throws {
        let r = try FaultTests.boot("cycles", on: platform)
        let out = r.stdout
        #expect(r.status == 0, "\(out)\n\(r.stderr)")
        #expect(FaultTests.lines(r, "[counter] ") == [
            "[counter] counter: 100000 reads, 0 backwards; advanced over the reads 1, over work 1, over a wait 1",
        ], "\(out)")
        #expect(FaultTests.lines(r, "[scounter] ") == ["[scounter] scounter: 10000 reads, 0 backwards; advanced true"], "\(out)")
        // 100,000 reads and not 100,000 system calls: the line, the clock
        // reads and waits of 20 ms, the receive and the shutdown.
        let report = try #require(FaultTests.lines(r, "kernel:   counter: ").first, "\(out)")
        let calls = report.components(separatedBy: ", ").first { $0.hasSuffix(" syscall(s)") }.flatMap { Int($0.split(separator: " ")[0]) }
        #expect(calls != nil && calls! < 1000, "\(report)")
    }
}
