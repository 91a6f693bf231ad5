import CVanityDebug
import Foundation
import Testing
import VanityDebug

/// The debug link against clients that misbehave: one that leaves a frame
/// half-sent, one that never reads its replies, one that stays connected
/// and silent while others wait. In the simulator (the kernel's own socket)
/// and on a board (QEMU's serial line served by LinkServer).
@Suite(.serialized) struct LinkHardeningTests {
    static let config = "Tests/Fixtures/systems/ps-one/system.toml"

    @Test(arguments: ["sim", "aarch64-virt"])
    func misbehavingClientsDoNotBlockTheLink(_ platform: String) throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try RunningSystem(config: Self.config, platform: platform, out: out, timeout: nil)
        defer { run.process.end() }
        do {
            let first = try DebugClient(socketPath: run.socket)
            var up = false
            for _ in 0..<60 where !up { up = (try? first.call(.hello, timeout: 1)) != nil }
            try #require(up, "the kernel never answered on its debug link")
        }

        // A client that leaves a header announcing 1,024 bytes and goes.
        do {
            let stale = try DebugClient(socketPath: run.socket)
            try stale.sendRaw([0x56, 0x44, 0x01, 0x02, 0x07, 0x00, 0x00, 0x04])
        }
        let next = try DebugClient(socketPath: run.socket)
        let answer = Result { try next.hello() }
        #expect((try? answer.get())?.system == "ps-one", "a stale partial frame swallowed the next client's request: \(answer)")

        // A client that sends 3,000 requests and reads nothing: the system
        // drops it rather than wait, and the next client is served.
        do {
            let flood = try DebugClient(socketPath: run.socket)
            let request = DebugFrame(type: DebugRequest.logs(since: 0).type, id: 1, payload: DebugRequest.logs(since: 0).payload).encoded()!
            try? flood.sendRaw(Array((0..<3000).map { _ in request }.joined()))
            let after = try DebugClient(socketPath: run.socket)
            let answer = Result { try after.hello(timeout: 30) }
            #expect((try? answer.get())?.system == "ps-one", "a client that never reads blocked the link: \(answer)")
            withExtendedLifetime(flood) {}
        }

        // One silent client, then 20 at once: every one is answered.
        let idle = try DebugClient(socketPath: run.socket)
        final class Answers: @unchecked Sendable {
            let lock = NSLock()
            var count = 0
            var errors: [String] = []
        }
        let answers = Answers()
        let socket = run.socket
        let clients = (0..<20).map { _ in
            Thread {
                do {
                    let c = try DebugClient(socketPath: socket)
                    let shards = try c.ps(timeout: 120)
                    answers.lock.withLock { answers.count += shards.count == 1 ? 1 : 0 }
                } catch {
                    answers.lock.withLock { answers.errors.append("\(error)") }
                }
            }
        }
        clients.forEach { $0.start() }
        let deadline = Date().addingTimeInterval(180)
        while clients.contains(where: { !$0.isFinished }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        answers.lock.withLock {
            #expect(answers.count == 20, "\(answers.count) of 20 clients answered; \(answers.errors.prefix(3))")
        }
        withExtendedLifetime(idle) {}
    }

    /// A client that floods the link with frame headers and garbage for 4 s
    /// while a 300 ms watchdog keeps catching a shard that hangs at once
    /// (Tests/Fixtures/systems/watchdog-flood): the kernel bounds its link
    /// work per pass, so the watchdog fires on time. Before that bound a 5 s
    /// flood delayed a watchdog by 4.6 s. The kernel says how long the shard
    /// was silent when it fires; the simulator's checks run every 10 ms, and
    /// the bounds leave room for a loaded host's scheduling.
    @Test(arguments: ["sim", "aarch64-virt"])
    func watchdogsFireOnTimeUnderALinkFlood(_ platform: String) throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try RunningSystem(config: "Tests/Fixtures/systems/watchdog-flood/system.toml", platform: platform, out: out, timeout: 300)
        defer { run.process.end() }
        let flood = try DebugClient(socketPath: run.socket)
        var garbage = [UInt8](repeating: 0, count: 4096)
        var rng = SystemRandomNumberGenerator()
        let stop = Date().addingTimeInterval(4)
        var sent = 0
        while Date() < stop && run.process.isRunning {
            for k in stride(from: 0, to: garbage.count, by: 8) {
                let header: [UInt8] = [0x56, 0x44, UInt8.random(in: 0...255, using: &rng), 0x02, 0x07, 0x00,
                                       UInt8.random(in: 0...255, using: &rng), UInt8.random(in: 0...4, using: &rng)]
                garbage.replaceSubrange(k..<k + 8, with: header)
            }
            guard (try? flood.sendRaw(garbage)) != nil else { break }
            sent += garbage.count
        }
        withExtendedLifetime(flood) {}
        run.process.end()
        let console = run.finish().log
        let silences = console.matches(of: /kernel: watchdog: hang silent for ([0-9]+) ms \(limit 300 ms\)/).map { Int($0.1)! }
        #expect(sent > 64 * 1024, "the flood sent only \(sent) bytes")
        #expect(silences.count >= 5, "\(silences.count) watchdog firings during the flood: \(console.suffix(3000))")
        print("watchdog-flood on \(platform): \(sent) bytes of flood; silences (ms): \(silences)")
        let sorted = silences.sorted()
        let (median, worst) = (sorted.isEmpty ? 0 : sorted[sorted.count / 2], sorted.last ?? 0)
        let (medianBound, worstBound) = platform == "sim" ? (320, 600) : (500, 2000)
        #expect(median <= medianBound && worst <= worstBound, "silences before the watchdog fired (ms): \(silences)")
    }
}
