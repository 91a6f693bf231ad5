import Foundation
import Testing
import VanityDriver
import VanityProcess

/// The echo system (Config/echo, docs/io.md) under QEMU and in the simulator
/// (its virtio-net model behind libslirp), reached from the host through the
/// ports `vanity-build run` forwards: a virtio-net driver shard, lwIP in the
/// echo shard, and real host clients checking every byte.
@Suite(.serialized) struct EchoTests {
    static let config = "Config/echo/system.toml"

    /// The host port `run` printed for `transport` port 7 (of `address`,
    /// when the system has several: `[run] forward` "udp:7@ADDRESS").
    static func port(_ run: RunningSystem, _ transport: String, of address: String? = nil) throws -> String {
        let suffix = address.map { "of the system at \($0)" } ?? "of the system"
        let line = try #require(run.waitFor(within: 300) { $0.hasPrefix("vanity-build: \(transport) 127.0.0.1:") && $0.hasSuffix(suffix) },
                                "no forwarded \(transport) port \(suffix)\n\(run.console)")
        let port = line.firstMatch(of: /127\.0\.0\.1:([0-9]+) reaches port 7/)?.1
        return String(try #require(port, "\(line)"))
    }

    @Test(arguments: ["aarch64-virt", "riscv64-virt", "x86_64-pc", "sim"])
    func hostClientsGetEveryByteBackOverUDPAndTCP(_ platform: String) throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try RunningSystem(config: Self.config, platform: platform, out: out, timeout: 900)
        let (udp, tcp) = (try Self.port(run, "udp"), try Self.port(run, "tcp"))
        try #require(run.waitFor("echo: listening on 10.0.2.15", within: 120) != nil, "the echo shard never listened\n\(run.console)")
        if platform != "sim" { try Self.expectVirtualCPUsGiveWay(run) }

        // 10^5 datagrams of random sizes, every echo checked byte for byte
        // (a few lost are allowed: UDP), then 16 MiB through one TCP connection.
        let client = try spawn("/usr/bin/env", ["python3", repoRoot + "/Scripts/echo-client.py", "--udp", "127.0.0.1:\(udp)",
                                                "--count", "100000", "--tcp", "127.0.0.1:\(tcp)", "--bytes", String(16 << 20),
                                                "--seed", "7", "--timeout", "60"], timeout: 900)
        #expect(client.status == 0, "client:\n\(client.stdout)\n\(client.stderr)\nconsole:\n\(run.console)")
        #expect(client.stdout.contains("udp: 100000 sent"), "\(client.stdout)")
        #expect(client.stdout.contains("0 wrong"), "\(client.stdout)")

        // Nothing in the system faulted or restarted meanwhile.
        run.process.end()
        let (_, log) = run.finish()
        #expect(!log.contains("FAULT"), "\(log)")
    }

    /// QEMU's virtual-CPU threads run `QemuCommand.vcpuNice` steps below
    /// its main loop (docs/performance.md, "Virtual CPUs give way"); its
    /// other threads are left as they were.
    static func expectVirtualCPUsGiveWay(_ run: RunningSystem) throws {
        let qemu = try #require(childProcesses(of: run.process.pid).first, "no QEMU under the run")
        let main = try #require(ThreadPriority.nice(of: qemu))
        let want = min(19, main + QemuCommand.vcpuNice)
        var threads: [(tid: pid_t, name: String)] = []
        var lowered = false
        for _ in 0..<600 where !lowered {
            threads = ThreadPriority.threads(of: qemu)
            let vcpus = threads.filter { QemuCommand.isVirtualCPU($0.name) }
            lowered = !vcpus.isEmpty && vcpus.allSatisfy { ThreadPriority.nice(of: $0.tid) == want }
            if !lowered { Thread.sleep(forTimeInterval: 0.1) }
        }
        let shown = threads.map { "\($0.name): \(ThreadPriority.nice(of: $0.tid).map(String.init) ?? "gone")" }
        #expect(lowered, "QEMU's threads: \(shown)")
        #expect(threads.filter { !QemuCommand.isVirtualCPU($0.name) }.allSatisfy { ThreadPriority.nice(of: $0.tid) == main }, "QEMU's threads: \(shown)")
    }

    /// The processes whose parent is `pid`.
    static func childProcesses(of pid: pid_t) -> [pid_t] {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return all.compactMap { name in
            guard let p = pid_t(name), let stat = FileManager.default.contents(atPath: "/proc/\(name)/stat") else { return nil }
            // "pid (comm) state ppid …": comm may hold anything, so read after its last ')'.
            let text = String(decoding: stat, as: UTF8.self)
            guard let close = text.lastIndex(of: ")") else { return nil }
            let fields = text[text.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == pid ? p : nil
        }
    }

    /// The benchmark's reference (Benchmarks/echo/reflect, `make bench-echo`):
    /// the frame-level reflector keeps up with the driver's protocol (it must
    /// sync at start, or the driver posts no receive buffer) and echoes every
    /// datagram byte for byte.
    @Test func theBenchmarksReflectorEchoesEveryDatagram() throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try RunningSystem(config: "Benchmarks/echo/reflect/system.toml", platform: "sim", out: out, timeout: 600)
        let udp = try Self.port(run, "udp")
        try #require(run.waitFor("net-reflect: reflecting UDP port 7", within: 120) != nil, "the reflector never started\n\(run.console)")
        let client = try spawn("/usr/bin/env", ["python3", repoRoot + "/Scripts/echo-client.py", "--udp", "127.0.0.1:\(udp)",
                                                "--count", "5000", "--seed", "3", "--timeout", "60"], timeout: 600)
        #expect(client.status == 0, "client:\n\(client.stdout)\n\(client.stderr)\nconsole:\n\(run.console)")
        #expect(client.stdout.contains("udp: 5000 sent") && client.stdout.contains(" 0 wrong"), "\(client.stdout)")
        run.process.end()
        let (_, log) = run.finish()
        #expect(!log.contains("FAULT"), "\(log)")
    }

    /// The simulator under a seed, losing 2 % of the frames each way
    /// (`--inject loss`): UDP loses some datagrams, a bounded number, and
    /// TCP still delivers every byte; the trace shows the losses.
    @Test func underASeedWithFrameLossUDPLosesSomeAndTCPDeliversAll() throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let trace = out + "/trace.txt"
        let run = try RunningSystem(config: Self.config, platform: "sim", out: out, timeout: 600,
                                    extra: ["--seed", "11", "--inject", "loss", "--inject-rate", "200", "--trace", trace])
        let (udp, tcp) = (try Self.port(run, "udp"), try Self.port(run, "tcp"))
        try #require(run.waitFor("echo: listening on 10.0.2.15", within: 120) != nil, "the echo shard never listened\n\(run.console)")
        let client = try spawn("/usr/bin/env", ["python3", repoRoot + "/Scripts/echo-client.py", "--udp", "127.0.0.1:\(udp)",
                                                "--count", "2000", "--max-loss", "0.1", "--tcp", "127.0.0.1:\(tcp)",
                                                "--bytes", String(256 << 10), "--seed", "5", "--timeout", "60"], timeout: 600)
        #expect(client.status == 0, "client:\n\(client.stdout)\n\(client.stderr)\nconsole:\n\(run.console)")
        let lost = client.stdout.firstMatch(of: /udp: 2000 sent, ([0-9]+) echoed, ([0-9]+) lost, 0 wrong/)
        let n = Int(try #require(lost, "\(client.stdout)").2) ?? -1
        #expect(n > 0 && n <= 200, "\(n) of 2000 datagrams lost with 2 % frame loss each way")
        #expect(client.stdout.contains("tcp: \(256 << 10) bytes sent, \(256 << 10) echoed"), "\(client.stdout)")
        run.process.end()
        let (_, log) = run.finish()
        #expect(!log.contains("FAULT"), "\(log)")
        let text = try String(contentsOfFile: trace, encoding: .utf8)
        #expect(text.contains("inject loss rx frame") && text.contains("inject loss tx frame"))
    }
}
