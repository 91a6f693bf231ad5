import Foundation
import Testing
import VanityDiagnostics
import VanityDriver
import VanityModel
import VanityPlatform

/// `[run] forward` and the emulated devices `vanity-build run` attaches:
/// the manifest's checks and the QEMU arguments, on the real platforms.
struct ForwardTests {
    static let boards: [Platform] = {
        let (platforms, _) = PlatformLoader.loadAll(platformsDirectory: repoRoot + "/Platforms")
        return platforms.filter { ["aarch64-virt", "riscv64-virt", "x86_64-pc", "sim"].contains($0.name) }
    }()

    static func manifest(forward: String, netShard: Bool = true,
                         platforms: String = "[\"aarch64-virt\", \"riscv64-virt\", \"x86_64-pc\"]") -> String {
        """
        [system]
        name = "fwd"
        platforms = \(platforms)

        [shards.driver]
        lang = "c"
        cores = [1]
        \(netShard ? "devices = [\"net\"]" : "devices = [\"rtc\"]")

        [run]
        forward = \(forward)
        """
    }

    static func errors(_ text: String) -> [String] {
        pipeline(text, platforms: boards).diagnostics.filter { $0.severity == .error }.map(\.message)
    }

    @Test func forwardedPortsBecomeHostfwdOptionsOfTheNetDevice() throws {
        let (layouts, diags) = pipeline(Self.manifest(forward: #"["udp:7", "tcp:5007:7"]"#), platforms: Self.boards)
        #expect(diags.filter { $0.severity == .error }.isEmpty, "\(diags)")
        #expect(layouts.map(\.platform.name).sorted() == ["aarch64-virt", "riscv64-virt", "x86_64-pc"])
        for layout in layouts {
            let sys = layout.system
            #expect(sys.forwards.map(\.description) == ["udp:7", "tcp:5007:7"])
            #expect(sys.forwards.map(\.host) == [nil, 5007])
            let args = QemuCommand.deviceArguments(sys, hostPorts: [40001, 5007])
            let netdev = ["-netdev", "user,id=net0,hostfwd=udp:127.0.0.1:40001-10.0.2.15:7,hostfwd=tcp:127.0.0.1:5007-10.0.2.15:7"]
            if layout.platform.name == "x86_64-pc" {
                // virtio-net-pci pinned to slot 4, the slot board.dts describes.
                #expect(args == netdev + ["-device", "virtio-net-pci,netdev=net0,addr=4,disable-legacy=on,romfile="])
                continue
            }
            let bus = layout.platform.name == "aarch64-virt" ? 31 : 7
            #expect(args == ["-global", "virtio-mmio.force-legacy=false"] + netdev
                + ["-device", "virtio-net-device,netdev=net0,bus=virtio-mmio-bus.\(bus)"])
            #expect(HostPorts.describe(sys.forwards, [40001, 5007])
                == ["vanity-build: udp 127.0.0.1:40001 reaches port 7 of the system",
                    "vanity-build: tcp 127.0.0.1:5007 reaches port 7 of the system"])
        }
    }

    /// A grant with two reg ranges (x86_64-pc's virtio-pci nodes: the
    /// configuration page and the BAR window) maps both and names both in
    /// the shard's header; the driver picks the PCI transport from the
    /// compatible macro.
    @Test func theX86NetGrantNamesConfigPageAndBarWindowInTheHeader() throws {
        let (layouts, diags) = pipeline(Self.manifest(forward: "[]", platforms: #"["x86_64-pc"]"#), platforms: Self.boards)
        #expect(diags.filter { $0.severity == .error }.isEmpty, "\(diags)")
        let layout = try #require(layouts.first)
        let devices = layout.shards.flatMap(\.regions).filter { $0.kind == .device }
        #expect(devices.map(\.name) == ["net.0", "net.1"])
        #expect(devices.map(\.phys) == [0xb002_0000, 0xc000_0000] && devices.map(\.size) == [0x1000, 0x4000])
        let dir = try materialise(layout)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let header = try String(contentsOfFile: dir + "/shards/driver/vanity_shard.h", encoding: .utf8)
        for line in ["#define VANITY_DEVICE_NET_ADDR 0xb0020000ull", "#define VANITY_DEVICE_NET_REG_COUNT 2u",
                     "#define VANITY_DEVICE_NET_REG1_ADDR 0xc0000000ull", "#define VANITY_DEVICE_NET_REG1_SIZE 0x4000ull",
                     "#define VANITY_DEVICE_NET_COMPAT_VANITY_VIRTIO_PCI 1", "#define VANITY_DEVICE_NET_IRQ 20u"] {
            #expect(header.contains(line), "\(line)")
        }
    }

    /// `@ADDRESS` picks which of the system's network stacks a port reaches
    /// (one device, several stacks behind virtualisers: Config/echo-multi).
    @Test func aForwardWithAnAddressReachesThatAddress() throws {
        let (layouts, diags) = pipeline(Self.manifest(forward: #"["udp:7", "udp:7@10.0.2.16", "tcp:5008:7@10.0.2.16"]"#), platforms: Self.boards)
        #expect(diags.filter { $0.severity == .error }.isEmpty, "\(diags)")
        let sys = try #require(layouts.first(where: { $0.platform.name == "aarch64-virt" })).system
        #expect(sys.forwards.map(\.description) == ["udp:7", "udp:7@10.0.2.16", "tcp:5008:7@10.0.2.16"])
        #expect(sys.forwards.map(\.address) == ["10.0.2.15", "10.0.2.16", "10.0.2.16"])
        let args = QemuCommand.deviceArguments(sys, hostPorts: [40001, 40002, 5008])
        #expect(args.contains("user,id=net0,hostfwd=udp:127.0.0.1:40001-10.0.2.15:7,hostfwd=udp:127.0.0.1:40002-10.0.2.16:7,hostfwd=tcp:127.0.0.1:5008-10.0.2.16:7"), "\(args)")
        #expect(HostPorts.describe(sys.forwards, [40001, 40002, 5008])
            == ["vanity-build: udp 127.0.0.1:40001 reaches port 7 of the system",
                "vanity-build: udp 127.0.0.1:40002 reaches port 7 of the system at 10.0.2.16",
                "vanity-build: tcp 127.0.0.1:5008 reaches port 7 of the system at 10.0.2.16"])
    }

    @Test func aSystemWithoutTheNetDeviceGetsNoNetworkArguments() throws {
        let text = Self.manifest(forward: "[]", netShard: false)
        let layout = try #require(pipeline(text, platforms: Self.boards).layouts.first)
        #expect(QemuCommand.deviceArguments(layout.system, hostPorts: []).isEmpty)
    }

    @Test func chosenHostPortsAreFreeAndDistinctPerTransport() throws {
        let (layouts, _) = pipeline(Self.manifest(forward: #"["udp:7", "tcp:7", "tcp:9"]"#), platforms: Self.boards)
        let ports = HostPorts.choose(try #require(layouts.first).system.forwards)
        #expect(ports.count == 3 && !ports.contains(0))
        #expect(ports[1] != ports[2])
    }

    @Test(arguments: [
        (#"["udp"]"#, #"forward "udp" is not "udp:PORT""#),
        (#"["icmp:7"]"#, #"forward "icmp:7" is not"#),
        (#"["udp:0"]"#, #"forward "udp:0" has port "0"; a port is a number from 1 to 65535"#),
        (#"["tcp:70000"]"#, #"has port "70000""#),
        (#"["tcp:5007:"]"#, #"has port """#),
        (#"["tcp:+7"]"#, #"has port "+7""#),
        (#"["udp:1:2:3"]"#, #"is not "udp:PORT""#),
        (#"["udp:7", "udp:8:7"]"#, "udp port 7 of 10.0.2.15 is forwarded twice"),
        (#"["udp:7@10.0.2.16", "udp:7@10.0.2.16"]"#, "udp port 7 of 10.0.2.16 is forwarded twice"),
        (#"["udp:7@10.0.2"]"#, #"forward "udp:7@10.0.2" has address "10.0.2"; an address is four numbers"#),
        (#"["udp:7@10.0.2.256"]"#, #"has address "10.0.2.256""#),
        (#"["udp:7@10.0.2.+1"]"#, #"has address "10.0.2.+1""#),
        (#"["udp:7@"]"#, #"has address """#),
        (#"["udp:7@192.168.1.5"]"#, "outside the network QEMU's user networking gives the system"),
        (#"["udp:7@10.0.2.2"]"#, "10.0.2.2 and 10.0.2.3 are its gateway and name server"),
        (#"["udp@10.0.2.16"]"#, #"is not "udp:PORT""#),
        (#"["udp:5007:7", "udp:5007:9"]"#, "host udp port 5007 is forwarded twice"),
        ("7", "\"forward\" in [run] must be an array"),
    ])
    func badForwardsAreErrorsAtTheirEntry(_ forward: String, _ message: String) {
        let errs = Self.errors(Self.manifest(forward: forward))
        #expect(errs.contains { $0.contains(message) }, "\(errs)")
    }

    @Test func aForwardNeedsAShardHoldingTheNetDevice() {
        let errs = Self.errors(Self.manifest(forward: #"["udp:7"]"#, netShard: false))
        #expect(errs.contains { $0.contains("no shard is granted it on aarch64-virt") }, "\(errs)")
        let sim = Self.errors(Self.manifest(forward: #"["udp:7"]"#, netShard: false, platforms: #"["sim"]"#))
        #expect(sim.contains { $0.contains("no shard is granted it on sim") }, "\(sim)")
    }

    /// The simulator models `net` and `block` itself ([qemu-devices] do
    /// not apply): forwards reach a shard holding `net`, and `block` needs
    /// the disk as on the boards.
    @Test func theSimulatorForwardsThroughItsNetModelAndNeedsADiskForBlock() {
        let ok = Self.errors(Self.manifest(forward: #"["udp:7", "tcp:5007:7"]"#, platforms: #"["sim"]"#))
        #expect(ok.isEmpty, "\(ok)")
        let sim = Self.diskManifest("", platforms: #"["sim"]"#)
        #expect(Self.errors(sim).contains { $0.contains(#"device "block" (/virtio_mmio@a001000) of shard "driver" is a disk on sim"#) })
        let withDisk = Self.diskManifest("disk = \"d.img\"", platforms: #"["sim"]"#)
        #expect(Self.errors(withDisk).isEmpty)
    }

    @Test func anUnknownRunKeyIsAnError() {
        let errs = Self.errors(Self.manifest(forward: "[]") + "\ndisks = \"x.img\"\n")
        #expect(errs.contains { $0.contains("disks") }, "\(errs)")
    }

    static func diskManifest(_ run: String, block: Bool = true, platforms: String = #"["aarch64-virt", "riscv64-virt", "x86_64-pc"]"#) -> String {
        """
        [system]
        name = "blk"
        platforms = \(platforms)

        [shards.driver]
        lang = "c"
        cores = [1]
        devices = [\(block ? "\"block\"" : "\"rtc\"")]

        [run]
        \(run)
        """
    }

    @Test func theBlockDeviceIsBackedByTheDiskFile() throws {
        let (layouts, diags) = pipeline(Self.diskManifest("disk = \"build/a,b.img\"\ndisk-size = \"1 MiB\""), platforms: Self.boards)
        #expect(diags.isEmpty, "\(diags)")
        for layout in layouts {
            let sys = layout.system
            #expect(sys.disk?.path == "build/a,b.img" && sys.disk?.size == 1 << 20)
            let drive = ["-drive", "file=/x/a,,b.img,if=none,format=raw,id=blk0"]
            if layout.platform.name == "x86_64-pc" {
                #expect(QemuCommand.deviceArguments(sys, hostPorts: [], disk: "/x/a,b.img")
                    == drive + ["-device", "virtio-blk-pci,drive=blk0,addr=5,disable-legacy=on"])
                continue
            }
            let bus = layout.platform.name == "aarch64-virt" ? 23 : 6
            #expect(QemuCommand.deviceArguments(sys, hostPorts: [], disk: "/x/a,b.img")
                == ["-global", "virtio-mmio.force-legacy=false", "-drive", "file=/x/a,,b.img,if=none,format=raw,id=blk0",
                    "-device", "virtio-blk-device,drive=blk0,bus=virtio-mmio-bus.\(bus)"])
        }
    }

    @Test func diskChecks() {
        #expect(Self.errors(Self.diskManifest("")).contains { $0.contains(#"device "block" (/virtio_mmio@a002e00) of shard "driver" is a disk on aarch64-virt: set the file behind it with "disk" in [run]"#) })
        #expect(Self.errors(Self.diskManifest("disk = \"d.img\"\ndisk-size = 1000")).contains { $0.contains("must be a non-zero multiple of 512 bytes") })
        #expect(Self.errors(Self.diskManifest("disk = \"\"")).contains { $0.contains("\"disk\" must name a file") })
        let warnings = pipeline(Self.diskManifest("disk = \"d.img\"", block: false), platforms: Self.boards).diagnostics
            .filter { $0.severity == .warning }.map(\.message)
        #expect(warnings.filter { $0.contains("nothing reads the disk") }.count == 1, "\(warnings)")
    }

    @Test func aMissingDiskIsCreatedAndAnExistingOneKept() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let image = DiskImage(path: "sub/disk.img", size: 65536, location: .init(file: "m", line: 1, column: 1))
        let (path, created) = try DiskFile.prepare(image, manifest: dir + "/system.toml")
        #expect(path == URL(fileURLWithPath: dir + "/sub/disk.img").standardizedFileURL.path && created)
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue == 65536)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        let again = try DiskFile.prepare(image, manifest: dir + "/system.toml")
        #expect(!again.created && FileManager.default.contents(atPath: path) == Data([1, 2, 3]))
        let folder = DiskImage(path: "sub", size: 512, location: image.location)
        #expect(throws: DiskFile.Failure.self) { try DiskFile.prepare(folder, manifest: dir + "/system.toml") }
    }
}
