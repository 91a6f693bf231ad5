import Foundation
import Testing

/// Malformed and oversized frames from outside (issue 18): the simulator's
/// virtio-net model delivers a damaged copy before some received frames
/// (`--inject garble`: runts, cut headers, unknown EtherTypes, bad IP
/// fields and checksums, a flipped payload byte, frames longer than
/// Ethernet's). The driver and lwIP count and drop every one; nothing
/// faults or restarts, and every real datagram and byte still echoes
/// unchanged.
@Suite(.serialized) struct GarbleTests {
    /// The last console line containing `marker` whose numbers `pick`
    /// finds all above zero, waiting (bounded) for one: the shards log
    /// their counters when they go idle after traffic, at most every 5 s.
    static func counters(_ run: RunningSystem, _ marker: String, within seconds: Double,
                         _ pick: (String) -> [Int]?) -> (line: String, values: [Int])? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline && run.process.isRunning {
            for line in run.console.split(separator: "\n").reversed() where line.contains(marker) {
                if let v = pick(String(line)), v.allSatisfy({ $0 > 0 }) { return (String(line), v) }
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return nil
    }

    @Test func damagedFramesAreCountedAndDroppedAndRealTrafficEchoesIntact() throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let trace = out + "/trace.txt"
        let run = try RunningSystem(config: EchoTests.config, platform: "sim", out: out, timeout: 600,
                                    extra: ["--seed", "13", "--inject", "garble", "--inject-rate", "2000", "--trace", trace])
        let (udp, tcp) = (try EchoTests.port(run, "udp"), try EchoTests.port(run, "tcp"))
        try #require(run.waitFor("echo: listening on 10.0.2.15", within: 120) != nil, "the echo shard never listened\n\(run.console)")
        let client = try spawn("/usr/bin/env", ["python3", repoRoot + "/Scripts/echo-client.py", "--udp", "127.0.0.1:\(udp)",
                                                "--count", "3000", "--max-loss", "0.05", "--tcp", "127.0.0.1:\(tcp)",
                                                "--bytes", String(512 << 10), "--seed", "3", "--timeout", "60"], timeout: 600)
        #expect(client.status == 0, "client:\n\(client.stdout)\n\(client.stderr)\nconsole:\n\(run.console)")
        #expect(client.stdout.contains("udp: 3000 sent") && client.stdout.contains("0 wrong"), "\(client.stdout)")
        #expect(client.stdout.contains("tcp: \(512 << 10) bytes sent, \(512 << 10) echoed"), "\(client.stdout)")

        // The driver drops the runts and the frames over 1514 bytes (and logs
        // the first); lwIP the rest: link, IP, UDP or TCP drops, by the damage.
        let net = run.waitFor("net: dropped a frame of", within: 60)
        #expect(net != nil, "the driver dropped no bad frame\n\(run.console)")
        let echo = Self.counters(run, "echo: link rx", within: 60) { line in
            guard let m = line.firstMatch(of: /link rx [0-9]+ tx [0-9]+ drop ([0-9]+); udp rx [0-9]+ tx [0-9]+ drop ([0-9]+); tcp rx [0-9]+ tx [0-9]+ drop ([0-9]+);.*ip drop ([0-9]+)/)
            else { return nil }
            return [[m.1, m.2, m.3, m.4].compactMap { Int($0) }.reduce(0, +)]
        }
        #expect(echo != nil, "lwIP counted no drop\n\(run.console)")
        run.process.end()
        let (_, log) = run.finish()
        #expect(!log.contains("FAULT") && !log.contains("restarting"), "\(log)")
        let text = try String(contentsOfFile: trace, encoding: .utf8)
        for kind in 0..<8 { #expect(text.contains("inject garble rx frame (\(kind))"), "damage \(kind) was never drawn") }
        print("garbled frames: \(net ?? "-")\n\(echo?.line ?? "-")")
    }
}
