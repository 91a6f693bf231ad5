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
}
