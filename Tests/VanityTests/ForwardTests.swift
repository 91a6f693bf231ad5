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
        return platforms.filter { ["aarch64-virt", "riscv64-virt", "sim"].contains($0.name) }
    }()

    static func manifest(forward: String, netShard: Bool = true, platforms: String = "[\"aarch64-virt\", \"riscv64-virt\"]") -> String {
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
        #expect(layouts.count == 2)
        for layout in layouts {
            let sys = layout.system
            #expect(sys.forwards.map(\.description) == ["udp:7", "tcp:5007:7"])
            #expect(sys.forwards.map(\.host) == [nil, 5007])
            let args = QemuCommand.deviceArguments(sys, hostPorts: [40001, 5007])
            let bus = layout.platform.name == "aarch64-virt" ? 31 : 7
            #expect(args == ["-global", "virtio-mmio.force-legacy=false",
                             "-netdev", "user,id=net0,hostfwd=udp:127.0.0.1:40001-:7,hostfwd=tcp:127.0.0.1:5007-:7",
                             "-device", "virtio-net-device,netdev=net0,bus=virtio-mmio-bus.\(bus)"])
            #expect(HostPorts.describe(sys.forwards, [40001, 5007])
                == ["vanity-build: udp 127.0.0.1:40001 reaches port 7 of the system",
                    "vanity-build: tcp 127.0.0.1:5007 reaches port 7 of the system"])
        }
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
        (#"["udp:7", "udp:8:7"]"#, "udp port 7 of the system is forwarded twice"),
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
        #expect(sim.contains { $0.contains("sim cannot forward ports: it has no emulated network device") }, "\(sim)")
    }

    @Test func anUnknownRunKeyIsAnError() {
        let errs = Self.errors(Self.manifest(forward: "[]") + "\ndisk = \"x.img\"\n")
        #expect(errs.contains { $0.contains("disk") }, "\(errs)")
    }
}
