import Foundation
import Testing
import VanityDiagnostics
import VanityPlatform

func platformFile(_ name: String, _ file: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(repoRoot)/Platforms/\(name)/\(file)")))
}

/// The real platform folders and their device trees, read with libfdt.
@Suite struct PlatformTests {
    static let loaded = PlatformLoader.loadAll(platformsDirectory: repoRoot + "/Platforms")

    func platform(_ name: String) throws -> Platform {
        try #require(Self.loaded.platforms.first { $0.name == name })
    }

    @Test func everyPlatformLoadsWithoutDiagnostics() {
        #expect(Self.loaded.diagnostics.isEmpty, "\(Self.loaded.diagnostics.map(\.description))")
        #expect(Self.loaded.platforms.map(\.name) == ["aarch64-virt", "riscv64-virt", "sim", "x86_64-pc"])
    }

    @Test func aarch64RtcIsThePL031WithItsGicInterrupt() throws {
        let p = try platform("aarch64-virt")
        let rtc = try #require(p.device(named: "rtc"))
        #expect(rtc.path == "/pl031@9010000")
        #expect(rtc.compatible.contains("arm,pl031"))
        #expect(rtc.regs == [MemoryRange(base: 0x901_0000, size: 0x1000)])
        #expect(rtc.irqs == [34]) // SPI 2 → GIC interrupt 32 + 2
        #expect(p.device(named: "/pl011@9000000")?.regs.first?.base == 0x900_0000)
    }

    @Test func riscv64RtcIsTheGoldfishRtcBehindTheSocRanges() throws {
        let p = try platform("riscv64-virt")
        let rtc = try #require(p.device(named: "rtc"))
        #expect(rtc.compatible.contains("google,goldfish-rtc"))
        #expect(rtc.regs == [MemoryRange(base: 0x10_1000, size: 0x1000)])
        #expect(rtc.irqs == [11])
    }

    @Test func x86HpetComesFromTheCompiledDts() throws {
        let p = try platform("x86_64-pc")
        let rtc = try #require(p.device(named: "rtc"))
        #expect(rtc.path == "/soc/hpet@fed00000")
        #expect(rtc.regs == [MemoryRange(base: 0xfed0_0000, size: 0x400)])
        #expect(rtc.irqs == [2])
    }

    /// virtio over PCI: each device is its slot's ECAM page, the window its
    /// driver places the virtio BAR in, and the slot's INTA pin (docs/io.md).
    @Test func x86VirtioDevicesAreConfigPageBarWindowAndIntxPin() throws {
        let p = try platform("x86_64-pc")
        let net = try #require(p.device(named: "net")), block = try #require(p.device(named: "block"))
        #expect(net.compatible.contains("vanity,virtio-pci") && block.compatible.contains("vanity,virtio-pci"))
        // bus 0, slots 4 and 5: 0xb0000000 + slot << 15
        #expect(net.regs == [MemoryRange(base: 0xb002_0000, size: 0x1000), MemoryRange(base: 0xc000_0000, size: 0x4000)])
        #expect(block.regs == [MemoryRange(base: 0xb002_8000, size: 0x1000), MemoryRange(base: 0xc001_0000, size: 0x4000)])
        // q35: INTA of slot s → PIRQ E + s % 4 → I/O APIC pin 20 + s % 4
        #expect(net.irqs == [20] && block.irqs == [21])
        #expect(p.qemuDevices["net"]?.contains("virtio-net-pci,netdev=net0,addr=4,disable-legacy=on,romfile=") == true)
        #expect(p.qemuDevices["block"]?.contains("virtio-blk-pci,drive=blk0,addr=5,disable-legacy=on") == true)
    }

    /// Each board's tree describes exactly its cpu-limit's cores (dumped
    /// with that -smp, or written so), and aarch64-virt's is a GICv3's.
    @Test func theDumpedTreesMatchTheQemuCpuLimits() throws {
        for (name, decoding, cpus) in [("aarch64-virt", IrqDecoding.gic, 64), ("riscv64-virt", .single, 64), ("x86_64-pc", .single, 32)] {
            let tree = try DeviceTree.read(try platformFile(name, "board.dtb"), irqDecoding: decoding).get()
            #expect(tree.cpuCount == cpus, "\(name)")
            #expect(try platform(name).cpuLimit == cpus, "\(name)")
        }
        // The GICv3 the port drives (platform.c): the distributor's page and
        // a redistributor (128 KiB) for each of the 64 cores, in one region.
        let gic = try DeviceTree.read(try platformFile("aarch64-virt", "board.dtb"), irqDecoding: .gic).get().devices["/intc@8000000"]
        #expect(gic?.compatible == ["arm,gic-v3"])
        #expect(gic?.regs.first == MemoryRange(base: 0x800_0000, size: 0x1_0000))
        #expect(gic.map { $0.regs.count == 2 && $0.regs[1].base == 0x80a_0000 && $0.regs[1].size >= 64 * 0x2_0000 } == true, "\(String(describing: gic))")
    }

    @Test func simHasOneSimulatedRtcWithoutInterrupts() throws {
        let p = try platform("sim")
        #expect(p.architecture == .host)
        let rtc = try #require(p.device(named: "rtc"))
        #expect(rtc.regs == [MemoryRange(base: 0x901_0000, size: 0x1000)] && rtc.irqs.isEmpty)
    }

    /// The simulator's virtio models (Platforms/sim/devices.h, the
    /// "hardware") sit where its device tree says its transports are: the
    /// addresses, sizes and lines agree.
    @Test func simDeviceModelsMatchItsDeviceTree() throws {
        let p = try platform("sim")
        let header = try String(contentsOfFile: repoRoot + "/Platforms/sim/devices.h", encoding: .utf8)
        func define(_ name: String) -> UInt64? {
            for line in header.split(separator: "\n") {
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard words.count >= 3, words[0] == "#define", words[1] == name else { continue }
                var v = String(words[2]).lowercased()
                while v.hasSuffix("u") || v.hasSuffix("l") { v.removeLast() }
                return v.hasPrefix("0x") ? UInt64(v.dropFirst(2), radix: 16) : UInt64(v)
            }
            return nil
        }
        for (device, prefix) in [("net", "SIM_NET"), ("block", "SIM_BLK")] {
            let node = try #require(p.device(named: device))
            #expect(node.compatible.contains("virtio,mmio"), "\(node)")
            #expect(node.regs.map(\.base) == [try #require(define("\(prefix)_BASE"))], "\(device): \(node)")
            #expect(node.regs.map(\.size) == [try #require(define("SIM_VIRTIO_SIZE"))], "\(device): \(node)")
            #expect(node.irqs.map(UInt64.init) == [try #require(define("\(prefix)_IRQ"))], "\(device): \(node)")
            #expect(node.irqs.allSatisfy { UInt64($0) < (define("SIM_IRQ_LINES") ?? 0) }, "\(device): \(node)")
        }
    }

    /// Truncated, corrupted and random device trees are errors, never crashes.
    @Test func brokenDeviceTreesAreErrors() throws {
        let good = try platformFile("aarch64-virt", "board.dtb")
        #expect(throws: DeviceTree.Failure.self) { try DeviceTree.read(Array(good.prefix(100)), irqDecoding: .gic).get() }
        #expect(throws: DeviceTree.Failure.self) { try DeviceTree.read([], irqDecoding: .gic).get() }
        var rng = SplitMix64(seed: 42)
        for _ in 0..<500 {
            var bytes = good
            for _ in 0..<(1 + Int(rng.next() % 8)) {
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            _ = DeviceTree.read(bytes, irqDecoding: .gic) // must return, either way
        }
        let random = (0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        #expect(throws: DeviceTree.Failure.self) { try DeviceTree.read(random, irqDecoding: .single).get() }
    }

    func diagnostics(_ descriptor: String, dtb: [UInt8]? = nil) -> [String] {
        switch PlatformLoader.parse(descriptor: descriptor, file: "p.toml", name: "p", deviceTree: dtb) {
        case .success: return []
        case .failure(let e): return e.diagnostics.map(\.description)
        }
    }

    @Test func badDescriptorsGetPositionedErrors() throws {
        let dtb = try platformFile("aarch64-virt", "board.dtb")
        let base = """
            [platform]
            architecture = "aarch64"
            ram = { base = 0x4000_0000, size = "128 MiB" }
            page-size = 4096
            cpu-limit = 8
            kernel-base = 0x4020_0000
            clang-target = "aarch64-none-elf"
            swift-target = "aarch64-none-none-elf"
            device-tree = "board.dtb"
            irq-decoding = "gic"

            """
        #expect(diagnostics(base, dtb: dtb) == [])
        #expect(diagnostics(base.replacingOccurrences(of: "\"aarch64\"", with: "\"arm\""), dtb: dtb)
                == ["p.toml:2:16: error: unknown architecture \"arm\" in [platform]; valid architectures are \"aarch64\", \"riscv64\", \"x86_64\" or \"host\""])
        #expect(diagnostics(base.replacingOccurrences(of: "0x4020_0000", with: "0x5000_0000"), dtb: dtb)
                == ["p.toml:6:15: error: \"kernel-base\" 0x50000000 is outside the RAM (0x40000000...0x47ffffff)"])
        #expect(diagnostics(base + "[devices]\nrtc = \"/nowhere@1\"\n", dtb: dtb).first?.contains("/nowhere@1") == true)
        #expect(diagnostics(base, dtb: nil).first?.contains("board.dtb") == true)
        #expect(diagnostics(base, dtb: Array(dtb.prefix(64))).first?.contains("device tree") == true)
        #expect(diagnostics(base + "colour = 1\n", dtb: dtb).first?.contains("unknown key \"colour\"") == true)
        // The kernel's VANITY_MAX_CORES (system_table.h) bounds every platform's cpu-limit.
        #expect(diagnostics(base.replacingOccurrences(of: "cpu-limit = 8", with: "cpu-limit = 64"), dtb: dtb) == [])
        #expect(diagnostics(base.replacingOccurrences(of: "cpu-limit = 8", with: "cpu-limit = 65"), dtb: dtb)
                == ["p.toml:5:13: error: \"cpu-limit\" in [platform] is out of range: 65 is not in 1...64"])
        // `region-cache`: modes a region's `cache` may name; "normal" always.
        #expect(diagnostics(base + "region-cache = [\"normal\", \"uncache\"]\n", dtb: dtb)
                == ["p.toml:11:27: error: \"region-cache\" lists \"uncache\"; did you mean \"uncached\"? use \"normal\" and \"uncached\""])
        #expect(diagnostics(base + "region-cache = [\"uncached\"]\n", dtb: dtb)
                == ["p.toml:11:16: error: \"region-cache\" must list \"normal\" (every platform maps memory write-back cached)"])
        let lean = try PlatformLoader.parse(descriptor: base, file: "p.toml", name: "p", deviceTree: dtb).get()
        #expect(lean.cacheModes == [.normal])
    }

    /// Every board maps a region uncached (aarch64 MAIR attr2, riscv64
    /// Svpbmt NC, x86_64 PCD|PWT); the simulator accepts it as normal memory.
    @Test func everyPlatformOffersUncachedRegions() throws {
        for name in ["aarch64-virt", "riscv64-virt", "x86_64-pc", "sim"] {
            #expect(try platform(name).cacheModes == [.normal, .uncached], "\(name)")
        }
        // Svpbmt is what the riscv64 kernel's NC bits need (without it they fault).
        #expect(try platform("riscv64-virt").qemu.contains("rv64,svpbmt=on"))
    }
}
