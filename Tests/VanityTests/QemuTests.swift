import Foundation
import Testing
import VanityDriver
import VanityImage
import VanityLayout

/// Real boots under QEMU, read back and checked.
@Suite(.serialized) struct QemuTests {
    @Test(arguments: testPlatforms)
    func theDemoBootsAndShutsDownCleanly(_ platform: String) throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try CLI.run(["run", "--config", "Config/system.toml", "--platform", platform, "--out", out, "--timeout", "120"])
        #expect(r.status == 0, "status \(r.status)\n\(r.stdout)\n\(r.stderr)")
        for line in ["kernel: vanity booting system \"demo\" on \(platform): 4 shard(s), 2 channel(s), 5 core(s)",
                     "kernel: starting producer on core 1", "kernel: starting transformer on core 2",
                     "kernel: starting sink on core 3", "kernel: starting clock on core 4",
                     "[transformer] transformer: ready (Embedded Swift, zero-copy)",
                     // Not the producer's "all sent" line: the sink may shut the system down
                     // before the producer's core gets to print it (seen on x86_64 under load).
                     "[producer] producer: sending 20000 messages to the transformer",
                     "[sink] sink: all 20000 messages arrived in order and intact",
                     "kernel: system stopping with status 0"] {
            #expect(r.stdout.contains(line), "missing: \(line)\n\(r.stdout)")
        }
        // The clock read a plausible wall-clock date through its device grant.
        #expect(r.stdout.range(of: #"\[clock\] clock: the RTC at 0x[0-9a-f]+ (\(irq [0-9]+\) )?says 20[2-9][0-9]-[01][0-9]-[0-3][0-9] "#,
                               options: .regularExpression) != nil, "\(r.stdout)")
        #expect(!r.stdout.contains("FAULT"))
        guard platform != "sim" else { return } // host executables: no image to check

        // The packed image and every linked ELF pass the libelf check.
        let layout = try #require(demoLayouts.first { $0.platform.name == platform })
        let image = try readElf(out + "/\(platform)/image.elf")
        #expect(ImageCheck.segments(image, within: layout.regions, who: "image").isEmpty)
        #expect(image.segments.filter(\.isLoad).count >= 3 * (1 + layout.shards.count) - 2)
        for sl in layout.shards {
            let elf = try readElf("\(out)/\(platform)/elf/\(sl.shard.name).elf")
            #expect(ImageCheck.segments(elf, within: sl.regions, who: sl.shard.name).isEmpty)
            #expect(ImageCheck.budgets(elf, sl).isEmpty)
        }
    }

    /// x86_64-pc's isa-debug-exit: QEMU exits with ((status + 1) << 1) | 1;
    /// its own exits (0 after a reset such as a triple fault with -no-reboot,
    /// 1 for its errors) are failures, never a status. Other boards pass
    /// QEMU's status through.
    @Test func isaDebugExitStatusesMapBackToTheSystemsStatus() throws {
        let pc = try #require(demoLayouts.first { $0.platform.name == "x86_64-pc" }).platform
        let virt = try #require(demoLayouts.first { $0.platform.name == "aarch64-virt" }).platform
        #expect(QemuCommand.systemStatus(pc, qemu: 3) == 0)
        #expect(QemuCommand.systemStatus(pc, qemu: (102 << 1) | 1) == 101)
        #expect(QemuCommand.systemStatus(pc, qemu: 255) == 126)
        #expect(QemuCommand.systemStatus(pc, qemu: 0) == 70)
        #expect(QemuCommand.systemStatus(pc, qemu: 1) == 70)
        #expect(QemuCommand.systemStatus(pc, qemu: 2) == 70)
        #expect(QemuCommand.systemStatus(virt, qemu: 0) == 0)
        #expect(QemuCommand.systemStatus(virt, qemu: 101) == 101)
    }

    /// The image checker is not a rubber stamp: a segment moved outside its
    /// region, or made writable and executable, is reported.
    @Test func theImageCheckRejectsBadSegments() throws {
        let layout = try #require(demoLayouts.first)
        let sl = layout.shards[0]
        let text = sl.region(.text)!
        let good = ElfFile.Segment(type: 1, flags: 5, vaddr: text.virt, paddr: text.virt, offset: 0, fileSize: 16, memSize: 16)
        var elf = ElfFile(machine: 183, entry: text.virt, segments: [good], sections: [], symbols: [])
        #expect(ImageCheck.segments(elf, within: sl.regions, who: "s").isEmpty)
        var wx = good
        wx.flags = 7
        elf.segments = [wx]
        #expect(ImageCheck.segments(elf, within: sl.regions, who: "s").contains { $0.contains("writable and executable") })
        var outside = good
        outside.vaddr = layout.kernel[0].virt
        elf.segments = [outside]
        #expect(ImageCheck.segments(elf, within: sl.regions, who: "s").contains { $0.contains("outside every region") })
        var big = good
        big.memSize = sl.shard.budgets.text + 1
        big.fileSize = big.memSize
        elf.segments = [big]
        #expect(ImageCheck.budgets(elf, sl).first?.contains("over its max-sizes.text budget") == true)
    }
}

/// riscv64 virt boots its kernel once, whichever hart OpenSBI's lottery
/// picks, even with the host's cores busy (a second hart once entered the
/// kernel under load and every shard start failed).
@Suite(.serialized) struct BootRaceTests {
    @Test func riscv64BootsOnceUnderLoad() throws {
        let config = "Tests/Fixtures/systems/boot-race/system.toml"
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        // Keep both host cores busy while QEMU boots.
        final class Stop: @unchecked Sendable { var now = false }
        let stop = Stop()
        let spinners = (0..<2).map { _ in Thread { var x = 0; while !stop.now { x &+= 1 } } }
        spinners.forEach { $0.start() }
        defer { stop.now = true }
        for boot in 1...6 {
            let r = try CLI.run(["run", "--config", config, "--platform", "riscv64-virt", "--out", out, "--timeout", "120"])
            let text = r.stdout
            #expect(r.status == 0, "boot \(boot): status \(r.status)\n\(text)")
            #expect(text.components(separatedBy: "kernel: vanity booting system").count == 2, "boot \(boot): booted more than once\n\(text)")
            #expect(!text.contains("hart_start"), "boot \(boot): a hart did not start\n\(text)")
            #expect(text.components(separatedBy: "] up").count == 8, "boot \(boot): not every shard came up\n\(text)")
        }
    }
}
