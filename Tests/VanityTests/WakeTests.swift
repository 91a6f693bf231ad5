import Foundation
import Testing
import VanityABI
import VanityDiagnostics
import VanityDriver
import VanityModel
import VanityPlatform

/// What woke a wait (issue 19): the wake word of <vanity/syscall.h> names
/// the caller's channels by their position in its own channel list and its
/// interrupts by their position in its grants (docs/abi.md).
@Suite(.serialized) struct WakeTests {
    /// The word's layout, as the headers define it and Swift imports it.
    @Test func theWakeWordHasTheDocumentedLayout() {
        #expect(VANITY_WAKE_CHANNEL_SHIFT == 0 && VANITY_WAKE_CHANNEL_BITS == 48)
        #expect(VANITY_WAKE_IRQ_SHIFT == 48 && VANITY_WAKE_IRQ_BITS == 12)
        #expect(VANITY_WAKE_CHANNEL == 1 << 60 && VANITY_WAKE_IRQ == 1 << 61 && VANITY_WAKE_SUPERVISED == 1 << 62)
        #expect(VANITY_WAKE_CHANNELS == 0x0000_ffff_ffff_ffff && VANITY_WAKE_IRQS == 0x0fff_0000_0000_0000)
        #expect(vanity_wake_channel_bit(0) == 1 && vanity_wake_channel_bit(5) == 1 << 5)
        // Past the last bit: the last bit ("this index or a higher one").
        #expect(vanity_wake_channel_bit(47) == 1 << 47 && vanity_wake_channel_bit(48) == 1 << 47 && vanity_wake_channel_bit(1000) == 1 << 47)
        #expect(vanity_wake_irq_bit(0) == 1 << 48 && vanity_wake_irq_bit(11) == 1 << 59 && vanity_wake_irq_bit(12) == 1 << 59)
        #expect(vanity_wake_irq_range(1, 3) == 0b1110 << 48)
        #expect(vanity_wake_irq_range(4, 0) == 0)
        #expect(vanity_wake_irq_range(10, 5) == 0b11 << 58)
        #expect(vanity_wake_irq_range(0, 12) == VANITY_WAKE_IRQS)
    }

    /// Tests/Fixtures/systems/wake: a C shard waits on three of its channels
    /// (its 1 and 2 are the system's 2 and 3) and the RTC's interrupt, and
    /// tests each with the generated macros and the library's helpers; a
    /// Swift shard tests its endpoints with `Wake.contains`.
    @Test(arguments: ["sim", "aarch64-virt", "riscv64-virt", "x86_64-pc"])
    func aWaitSaysWhichChannelsAndInterruptsWokeIt(_ platform: String) throws {
        let r = try FaultTests.boot("wake", on: platform)
        let out = r.stdout
        #expect(r.status == 0, "\(out)\n\(r.stderr)")
        let waiter = FaultTests.lines(r, "[waiter] ")
        var expected = [
            "[waiter] waiter: indices go 0 left 1 right 2 swdone 3 (system ids 1 2 3 4), rtc 0",
            "[waiter] waiter: left -> 0x1000000000000002: left 1/1 right 0/0 go 0 rtc 0/0 kinds 100",
            "[waiter] waiter: right -> 0x1000000000000004: left 0/0 right 1/1 go 0 rtc 0/0 kinds 100",
            // A blocking receive took these wakes; the next wait reports them.
            "[waiter] waiter: both -> 0x1000000000000006: left 1/1 right 1/1 go 0 rtc 0/0 kinds 100",
        ]
        if platform == "sim" {
            expected.append("[waiter] waiter: the RTC has no interrupt here")
        } else {
            expected.append("[waiter] waiter: rtc -> 0x2001000000000000: left 0/0 right 0/0 go 0 rtc 1/1 kinds 010")
            // vanity_wait_ack: nothing but its own interrupts; then its own,
            // masked since it fired, acknowledged by the wait (or it would
            // time out, 0x0).
            expected.append("[waiter] waiter: acknowledging another's interrupt -> -2, a channel -> -2")
            expected.append("[waiter] waiter: rtc again -> 0x2001000000000000: left 0/0 right 0/0 go 0 rtc 1/1 kinds 010")
            expected.append("[waiter] waiter: ack -> 0")
        }
        expected.append("[waiter] waiter: done")
        #expect(waiter == expected, "\(out)")
        #expect(FaultTests.lines(r, "[swaiter] ") == [
            "[swaiter] swaiter: woken by tock true, by swdone false, a channel true, an irq false: 0x1000000000000002 (message 4)",
            "[swaiter] swaiter: acknowledging an interrupt it lacks refused true, acknowledging none waited true",
        ], "\(out)")
    }

    static func channels(_ n: Int, from: String = "a", to: String = "b") -> String {
        (0..<n).map { "\n[channels.c\($0)]\nfrom = \"\(from)\"\nto = \"\(to)\"\nmsg-size = 8\nslots = 2\n" }.joined()
    }

    static let twoShards = """
        [system]
        name = "w"

        [shards.a]
        lang = "c"
        cores = [1]

        [shards.b]
        lang = "c"
        cores = [2]

        """

    /// More channels than bits: a warning at the first channel that shares
    /// the last bit, naming the shard; 48 is fine.
    @Test func theCheckerWarnsWhenChannelsShareTheLastBit() {
        let fine = pipeline(Self.twoShards + Self.channels(48)).diagnostics
        #expect(!fine.contains { $0.message.contains("wait reports") }, "\(fine)")
        let (layouts, diags) = pipeline(Self.twoShards + Self.channels(50))
        #expect(!layouts.isEmpty, "a warning, not an error")
        let w = diags.filter { $0.message.contains("wait reports") }
        #expect(w.count == 2, "one per shard: \(w)")
        let first = w.first
        #expect(first?.severity == .warning)
        #expect(first?.message.contains("channel \"c48\" is shard \"a\"'s channel 48") == true, "\(w)")
        #expect(first?.description.hasPrefix("gen.toml:") == true, "a position: \(first?.description ?? "")")
        #expect(first?.notes.first?.message.contains("\"c47\" (47)") == true, "\(w)")
    }

    /// More interrupts than bits (a device with 13 lines): a warning at the
    /// grant that passes the last bit.
    @Test func theCheckerWarnsWhenInterruptsShareTheLastBit() {
        var p = TestPlatforms.make("test-irqs", .aarch64, ramBase: 0x4000_0000, kernelBase: 0x4020_0000)
        let path = "/many@f0100000"
        p.devices[path] = DeviceNode(path: path, compatible: ["test,many"], regs: [MemoryRange(base: 0xF010_0000, size: 0x1000)],
                                     irqs: (0..<13).map { UInt32(64 + $0) })
        p.deviceTable.append(DeviceAlias(name: "many", path: path))
        func diags(_ devices: String) -> [Diagnostic] {
            pipeline(Self.twoShards.replacingOccurrences(of: "cores = [1]", with: "cores = [1]\ndevices = [\(devices)]")
                     + Self.channels(1), platforms: [p]).diagnostics.filter { $0.message.contains("wait reports") }
        }
        #expect(diags("\"dev0\", \"dev1\"").isEmpty)
        let w = diags("\"dev0\", \"many\"")
        #expect(w.count == 1 && w.first?.severity == .warning, "\(w)")
        #expect(w.first?.message.contains("device \"many\"") == true, "\(w)")
    }
}
