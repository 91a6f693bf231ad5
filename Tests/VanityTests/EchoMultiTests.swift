import Foundation
import Testing
import VanityProcess

/// One network device, two echo servers behind the rx and tx virtualisers
/// (Config/echo-multi, docs/io.md "Virtualisers"), on the three boards and
/// in the simulator: two host clients at once, each reaching its own
/// server's address, every byte checked; then the driver and each
/// virtualiser restarted under both clients' traffic, with no client
/// connection lost and no other shard restarted.
@Suite(.serialized) struct EchoMultiTests {
    static let config = "Config/echo-multi/system.toml"
    static let client = EchoRestartTests.client
    static let shards = ["net", "virt-rx", "virt-tx", "echo-0", "echo-1"]
    typealias Background = EchoRestartTests.Background

    @Test(arguments: ["aarch64-virt", "riscv64-virt", "x86_64-pc", "sim"])
    func twoClientsThenRestartsUnderTraffic(_ platform: String) throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try RunningSystem(config: Self.config, platform: platform, out: out, timeout: 900)
        let udp = [try EchoTests.port(run, "udp"), try EchoTests.port(run, "udp", of: "10.0.2.16")]
        let tcp = [try EchoTests.port(run, "tcp"), try EchoTests.port(run, "tcp", of: "10.0.2.16")]
        #expect(Set(udp).count == 2 && Set(tcp).count == 2, "\(udp) \(tcp)")
        for ip in ["10.0.2.15", "10.0.2.16"] {
            try #require(run.waitFor("echo: listening on \(ip)", within: 120) != nil, "the echo shard at \(ip) never listened\n\(run.console)")
        }
        let link = ["--config", Self.config, "--platform", platform, "--out", out]

        // Both servers at once, each from its own client: 20,000 datagrams
        // and 4 MiB over TCP apiece, every byte checked.
        var both: [Background] = []
        for i in 0..<2 {
            let args: [String] = ["--udp", "127.0.0.1:\(udp[i])", "--count", "20000", "--tcp", "127.0.0.1:\(tcp[i])", "--bytes", String(4 << 20),
                                  "--seed", String(20 + i), "--timeout", "60"]
            both.append(try Background(args, out: out, name: "both-\(i)"))
        }
        for (i, b) in both.enumerated() {
            let (status, text) = b.finish(within: 600)
            #expect(status == 0 && text.contains("udp: 20000 sent") && text.contains(" 0 wrong")
                && text.contains("tcp: \(4 << 20) bytes sent, \(4 << 20) echoed"), "client \(i):\n\(text)\nconsole:\n\(run.console)")
        }

        // Restarts under traffic: the driver, then each virtualiser, while
        // both clients stream UDP (loss allowed across a restart) and a paced
        // TCP connection each, which must deliver every byte.
        var traffic: [Background] = []
        for i in 0..<2 {
            let u: [String] = ["--udp", "127.0.0.1:\(udp[i])", "--duration", "14", "--max-loss", "1", "--seed", String(30 + i)]
            let t: [String] = ["--tcp", "127.0.0.1:\(tcp[i])", "--bytes", String(2 << 20), "--pace", "14", "--seed", String(40 + i), "--timeout", "90"]
            traffic.append(try Background(u, out: out, name: "udp-\(i)"))
            traffic.append(try Background(t, out: out, name: "tcp-\(i)"))
        }
        for shard in ["net", "virt-rx", "virt-tx"] {
            Thread.sleep(forTimeInterval: 3)
            let r = try CLI.run(["restart", "--shard", shard] + link)
            #expect(r.status == 0, "restart \(shard): \(r.stdout)\(r.stderr)")
        }
        for (k, b) in traffic.enumerated() {
            let (status, text) = b.finish(within: 240)
            if k % 2 == 0 {
                #expect(status == 0 && text.contains(" 0 wrong"), "udp of client \(k / 2) across the restarts:\n\(text)\nconsole:\n\(run.console)")
            } else {
                #expect(status == 0 && text.contains("tcp: \(2 << 20) bytes sent, \(2 << 20) echoed"),
                        "tcp of client \(k / 2) across the restarts:\n\(text)\nconsole:\n\(run.console)")
            }
        }
        // Afterwards each server answers as before (the default loss bound).
        for i in 0..<2 {
            let after = try spawn("/usr/bin/env", ["python3", Self.client, "--udp", "127.0.0.1:\(udp[i])", "--count", "10000",
                                                   "--tcp", "127.0.0.1:\(tcp[i])", "--bytes", String(1 << 20), "--seed", String(50 + i),
                                                   "--timeout", "30"], timeout: 300)
            #expect(after.status == 0, "client \(i) after the restarts:\n\(after.stdout)\nconsole:\n\(run.console)")
        }
        // Only the shards named restarted, once each, by the operator.
        let ps = try EchoRestartTests.ps(link, Self.shards)
        for shard in Self.shards {
            let generation = ["net", "virt-rx", "virt-tx"].contains(shard) ? 2 : 1
            #expect(ps[shard]?.generation == generation && ps[shard]?.restarts == 0, "\(shard): \(ps)")
        }
        run.process.end()
        let (_, log) = run.finish()
        #expect(!log.contains("FAULT"), "\(log)")
        // The virtualisers started twice each, the second time learning what
        // their peers had (generation 2 in the shared page).
        #expect(log.contains("virt-rx: 2 clients (generation 2)") && log.contains("virt-tx: 2 clients (generation 2)"), "\(log)")
    }
}
