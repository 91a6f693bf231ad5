import Foundation
import Testing
import VanityProcess

/// The echo system (Config/echo, docs/io.md) under traffic while its shards
/// restart and reload, and under bad input from outside: the restart
/// protocol of vanity/net.h ("Restarts and reloads" in docs/io.md).
@Suite(.serialized) struct EchoRestartTests {
    static let config = EchoTests.config
    static let client = repoRoot + "/Scripts/echo-client.py"

    /// A host client running in the background, its output in a file.
    final class Background {
        let process: ChildProcess
        let path: String
        init(_ args: [String], out: String, name: String) throws {
            path = out + "/" + name + ".txt"
            process = try ChildProcess("/usr/bin/env", ["python3", EchoRestartTests.client] + args, directory: repoRoot,
                                       stdin: .null, stdout: .file(path), stderr: .output)
        }
        /// Waits (bounded) and returns its status (124: ended) and output.
        func finish(within seconds: Double) -> (Int32, String) {
            let status = process.wait(timeout: seconds) ?? { _ = process.end(); return 124 }()
            return (status, (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
        }
        deinit { if process.isRunning { _ = process.end() } }
    }

    /// `vanity-build ps`: each of `names`' (restarts, generation).
    static func ps(_ link: [String], _ names: [String] = ["net", "echo"]) throws -> [String: (restarts: Int, generation: Int)] {
        let r = try CLI.run(["ps"] + link)
        #expect(r.status == 0, "ps: \(r.stderr)")
        var shards: [String: (Int, Int)] = [:]
        for line in r.stdout.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            if f.count >= 6, names.contains(String(f[0])), let generation = Int(f[4]), let restarts = Int(f[5]) {
                shards[String(f[0])] = (restarts, generation)
            }
        }
        return shards
    }

    static func start(_ platform: String, out: String) throws -> (RunningSystem, String, String, [String]) {
        let run = try RunningSystem(config: config, platform: platform, out: out, timeout: 900)
        let (udp, tcp) = (try EchoTests.port(run, "udp"), try EchoTests.port(run, "tcp"))
        try #require(run.waitFor("echo: listening on 10.0.2.15", within: 120) != nil, "the echo shard never listened\n\(run.console)")
        return (run, udp, tcp, ["--config", config, "--platform", platform, "--out", out])
    }

    /// Driver restart under UDP and TCP traffic: the TCP stream opened before
    /// it delivers every byte, UDP resumes (≥ 99 % afterwards). Then a reload
    /// of the echo shard: the connection open across it ends (reset or end
    /// of file, bounded), a new one echoes, UDP resumes. Only the shard named
    /// restarted each time.
    @Test(arguments: ["aarch64-virt", "sim", "riscv64-virt", "x86_64-pc"])
    func driverRestartAndEchoReloadUnderTraffic(_ platform: String) throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let (run, udp, tcp, link) = try Self.start(platform, out: out)

        // Traffic: 12 s of UDP and a 2 MiB TCP stream paced over 12 s.
        let u = try Background(["--udp", "127.0.0.1:\(udp)", "--duration", "12", "--max-loss", "1", "--seed", "3"], out: out, name: "udp")
        let t = try Background(["--tcp", "127.0.0.1:\(tcp)", "--bytes", String(2 << 20), "--pace", "12", "--seed", "4", "--timeout", "60"],
                               out: out, name: "tcp")
        Thread.sleep(forTimeInterval: 4)
        let restart = try CLI.run(["restart", "--shard", "net"] + link)
        #expect(restart.status == 0, "restart: \(restart.stdout)\(restart.stderr)")
        let (us, uo) = u.finish(within: 120)
        let (ts, to) = t.finish(within: 180)
        #expect(us == 0, "udp across the driver restart:\n\(uo)\nconsole:\n\(run.console)")
        #expect(uo.contains(" 0 wrong"), "\(uo)")
        #expect(ts == 0 && to.contains("tcp: \(2 << 20) bytes sent, \(2 << 20) echoed"), "tcp across the driver restart:\n\(to)\nconsole:\n\(run.console)")
        let after = try spawn("/usr/bin/env", ["python3", Self.client, "--udp", "127.0.0.1:\(udp)", "--count", "10000", "--seed", "5",
                                               "--timeout", "30"], timeout: 300)
        #expect(after.status == 0, "udp after the driver restart:\n\(after.stdout)\nconsole:\n\(run.console)")
        var ps = try Self.ps(link)
        // (An operator's restart bumps the generation; `restarts` counts the
        // policy's, after faults: none here.)
        #expect(ps["net"]?.generation == 2 && ps["net"]?.restarts == 0, "\(ps)")
        #expect(ps["echo"]?.generation == 1 && ps["echo"]?.restarts == 0, "\(ps)")

        // Reload the echo shard with a connection open and UDP flowing.
        let marker = out + "/reloaded"
        let across = try Background(["--tcp", "127.0.0.1:\(tcp)", "--across", marker, "--timeout", "20"], out: out, name: "across")
        var ready = false
        for _ in 0..<600 where !ready && across.process.isRunning {
            ready = FileManager.default.fileExists(atPath: marker + ".ready")
            Thread.sleep(forTimeInterval: 0.1)
        }
        try #require(ready, "the connection to keep across the reload never echoed\n\(across.finish(within: 5).1)")
        let u2 = try Background(["--udp", "127.0.0.1:\(udp)", "--duration", "6", "--max-loss", "1", "--seed", "6"], out: out, name: "udp2")
        Thread.sleep(forTimeInterval: 1)
        var reload = try CLI.run(["reload", "--shard", "echo"] + link)
        if reload.status != 0 { // not quiescent within 2 s under the flood: at its next kernel entry
            reload = try CLI.run(["reload", "--shard", "echo", "--force"] + link)
        }
        #expect(reload.status == 0, "reload: \(reload.stdout)\(reload.stderr)")
        _ = FileManager.default.createFile(atPath: marker, contents: nil)
        let (acs, aco) = across.finish(within: 120)
        #expect(acs == 0, "the connection across the reload:\n\(aco)\nconsole:\n\(run.console)")
        #expect(aco.contains("across: the old connection ended"), "\(aco)")
        let (u2s, u2o) = u2.finish(within: 60)
        #expect(u2s == 0 && u2o.contains(" 0 wrong"), "\(u2o)")
        let again = try spawn("/usr/bin/env", ["python3", Self.client, "--udp", "127.0.0.1:\(udp)", "--count", "10000", "--seed", "8",
                                               "--tcp", "127.0.0.1:\(tcp)", "--bytes", String(1 << 20), "--timeout", "30"], timeout: 300)
        #expect(again.status == 0, "after the reload:\n\(again.stdout)\nconsole:\n\(run.console)")
        ps = try Self.ps(link)
        #expect(ps["net"]?.generation == 2 && ps["net"]?.restarts == 0, "\(ps)")
        #expect(ps["echo"]?.generation == 2 && ps["echo"]?.restarts == 0, "\(ps)")

        print("restart and reload on \(platform):\n\(uo)\(to)\(after.stdout)\(aco)\(u2o)\(again.stdout)")
        run.process.end()
        let (_, log) = run.finish()
        #expect(!log.contains("FAULT"), "\(log)")
        #expect(log.contains("echo: the network driver does not answer") == false, "\(log)")
    }

    /// Bad input from outside: a flood, empty and oversized datagrams, TCP
    /// connections abandoned. Nothing faults or restarts, the counters show
    /// the drops, and a normal run passes afterwards.
    @Test(arguments: ["aarch64-virt", "sim", "riscv64-virt", "x86_64-pc"])
    func badInputIsCountedAndDropped(_ platform: String) throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let (run, udp, tcp, link) = try Self.start(platform, out: out)
        let abuse = try spawn("/usr/bin/env", ["python3", Self.client, "--udp", "127.0.0.1:\(udp)", "--tcp", "127.0.0.1:\(tcp)",
                                               "--abuse", "200000"], timeout: 600)
        #expect(abuse.status == 0, "\(abuse.stdout)")
        let normal = try spawn("/usr/bin/env", ["python3", Self.client, "--udp", "127.0.0.1:\(udp)", "--count", "10000", "--seed", "9",
                                                "--tcp", "127.0.0.1:\(tcp)", "--bytes", String(1 << 20), "--timeout", "30"], timeout: 300)
        #expect(normal.status == 0, "after the abuse:\n\(normal.stdout)\nconsole:\n\(run.console)")
        let ps = try Self.ps(link)
        #expect(ps["net"]?.generation == 1 && ps["echo"]?.generation == 1, "\(ps)")
        // The counter lines come when the shards go idle (at most every 5 s).
        Thread.sleep(forTimeInterval: 7)
        run.process.end()
        let (_, log) = run.finish()
        #expect(!log.contains("FAULT"), "\(log)")
        let echo = log.split(separator: "\n").last { $0.contains("echo: link rx") }.map(String.init) ?? ""
        // Which counter shows the drops depends on the platform's pace: tx
        // buffers running out (link), lwIP's pools, segments of abandoned
        // connections (tcp), fragments (reassembly).
        let drops = echo.firstMatch(of: /link rx [0-9]+ tx [0-9]+ drop ([0-9]+); udp rx [0-9]+ tx [0-9]+ drop ([0-9]+); tcp rx [0-9]+ tx [0-9]+ drop ([0-9]+);.*ip drop ([0-9]+) \(reassembly ([0-9]+)\)/)
        let m = try #require(drops, "no echo counters line\n\(log)")
        let counted: [Int] = [Int(m.1) ?? 0, Int(m.2) ?? 0, Int(m.3) ?? 0, Int(m.4) ?? 0, Int(m.5) ?? 0]
        #expect(counted.reduce(0, +) > 0, "no drops counted: \(echo)")
        print("bad input on \(platform): \(abuse.stdout)\(echo)")
    }
}
