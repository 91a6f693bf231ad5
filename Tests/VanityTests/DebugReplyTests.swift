import CVanityDebug
import Foundation
import Testing
import VanityDebug
import VanityPlatform

/// The typed debug-link client against replies recorded from real running
/// systems (Tests/Fixtures/replies/*.frames: the frames as they came off
/// the link), so decoding is tested without booting anything. Recorded
/// with `VANITY_RECORD_REPLIES=1 swift test --filter DebugReplyTests`, which
/// boots the ps-one and ps-max fixture systems in the simulator.
@Suite struct DebugReplyTests {
    static let folder = repoRoot + "/Tests/Fixtures/replies"

    /// The recorded replies in `name`, in the order they were asked for.
    static func frames(_ name: String) throws -> [DebugFrame] {
        let data = try #require(FileManager.default.contents(atPath: "\(folder)/\(name).frames"), "no recording \(name)")
        var decoder = DebugDecoder()
        let frames = decoder.feed([UInt8](data))
        #expect(decoder.dropped == 0 && decoder.rejected == 0)
        return frames
    }

    static func payload(_ frame: DebugFrame, _ request: DebugRequest) throws -> [UInt8] {
        #expect(frame.type == request.type | UInt8(VANITY_DEBUG_REPLY.rawValue), "reply type \(frame.type)")
        #expect(SystemRefusal(frame) == nil)
        return frame.payload
    }

    @Test func helloSaysWhichBuildRuns() throws {
        let hello = try BuildInfo.decode(Self.payload(try Self.frames("ps-one")[0], .hello))
        #expect(hello.system == "ps-one" && hello.platform == "sim" && hello.shardCount == 1)
        #expect(hello.buildID.count == 32 && hello.buildID.contains { $0 != 0 })
        #expect(BuildInfo.short(hello.buildID).count == 12)
    }

    @Test func psOfOneShard() throws {
        let page = try PsPage.decode(Self.payload(try Self.frames("ps-one")[1], .ps(first: 0)))
        #expect(page.first == 0 && page.total == 1)
        let only = try #require(page.shards.first)
        #expect(page.shards.count == 1)
        #expect(only == ShardStatus(id: 0, name: "only", state: .waiting, core: 1, restarts: 0, generation: 1, code: [UInt8](repeating: 0, count: 8)))
        #expect(only.codeText == "as booted" && !only.reloaded)
    }

    @Test func psPastTheLastShardHasNoRecords() throws {
        let page = try PsPage.decode(Self.payload(try Self.frames("ps-one")[2], .ps(first: 1)))
        #expect(page == PsPage(first: 1, total: 1, shards: []))
    }

    @Test func psOfTheMostShardsComesInPages() throws {
        let frames = try Self.frames("ps-max")
        let hello = try BuildInfo.decode(Self.payload(frames[0], .hello))
        #expect(hello.shardCount == 63)
        var shards: [ShardStatus] = []
        for frame in frames.dropFirst().prefix(3) {
            let page = try PsPage.decode(Self.payload(frame, .ps(first: shards.count)))
            #expect(page.first == shards.count && page.total == 63)
            #expect(page.shards.count == min(PsPage.perReply, 63 - shards.count))
            shards += page.shards
        }
        #expect(frames.count == 7) // hello, three ps pages of at most 23, three stats pages of at most 31
        #expect(shards.map(\.id) == Array(0..<63))
        #expect(shards.map(\.core) == Array(1...63))
        #expect(shards.map(\.name) == (1...63).map { String(format: "shard-%02d", $0) })
        #expect(shards.allSatisfy { $0.state == .waiting && $0.generation == 1 && $0.restarts == 0 && !$0.reloaded })
    }

    /// STATS of 64 cores (the kernel's and 63 shards'), three pages.
    @Test func statsOfEveryCore() throws {
        let frames = try Self.frames("ps-max")
        var cores: [CoreStats] = []
        var now: UInt64 = 0
        for frame in frames.dropFirst(4) {
            let page = try StatsPage.decode(Self.payload(frame, .stats(first: cores.count)))
            #expect(page.first == cores.count && page.total == 64)
            #expect(page.cores.count == min(StatsPage.perReply, 64 - cores.count))
            now = page.nowNs
            cores += page.cores
        }
        #expect(StatsPage.perReply == 31)
        #expect(cores.map(\.core) == Array(0..<64))
        #expect(cores.map(\.shard) == [nil] + (0..<63).map { Optional($0) })
        // Each shard has made its calls and waits: it entered the kernel at least once per call.
        #expect(cores.dropFirst().allSatisfy { $0.syscalls >= 1 && $0.entries >= $0.syscalls && $0.idleNs <= now }, "\(cores)")
        #expect(cores[0].syscalls == 0)
        #expect(cores[1].busyPercent(elapsedNs: now) >= 0 && cores[1].busyPercent(elapsedNs: now) <= 100)
        #expect(CoreStats(core: 0, shard: nil, entries: 0, idleNs: 750, syscalls: 0).busyPercent(elapsedNs: 1000) == 25)
    }

    @Test func refusalsAndLogs() throws {
        let frames = try Self.frames("ps-one")
        let refusal = try #require(SystemRefusal(frames[3]))
        #expect(refusal.code == Int(VANITY_DEBUG_E_NO_SUCH_SHARD.rawValue) && refusal.text == "no such shard")
        let logs = try LogChunk.decode(Self.payload(frames[4], .logs(since: 0)))
        #expect(logs.first == 0 && logs.total == UInt32(logs.text.count))
        #expect(String(decoding: logs.text, as: UTF8.self).contains("kernel: vanity booting system \"ps-one\""))
    }

    @Test func malformedRepliesAreErrorsNotCrashes() throws {
        let ps = try Self.frames("ps-max")[1].payload
        for cut in [0, 7, 8 + 44 - 1, ps.count - 1] {
            #expect(throws: MalformedReply.self) { try PsPage.decode(Array(ps.prefix(cut))) }
        }
        #expect(throws: MalformedReply.self) { try BuildInfo.decode(Array(repeating: 0, count: 99)) }
        #expect(throws: MalformedReply.self) { try LogChunk.decode([1, 2, 3]) }
        let stats = try Self.frames("ps-max")[4].payload
        for cut in [0, 15, 16 + 32 - 1, stats.count - 1] {
            #expect(throws: MalformedReply.self) { try StatsPage.decode(Array(stats.prefix(cut))) }
        }
        #expect(throws: MalformedReply.self) { try ReloadVerdict.decode([]) }
    }

    /// Boots the fixture systems and writes what they answer.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["VANITY_RECORD_REPLIES"] != nil))
    func record() throws {
        try FileManager.default.createDirectory(atPath: Self.folder, withIntermediateDirectories: true)
        for (system, requests) in [("ps-one", [DebugRequest.hello, .ps(first: 0), .ps(first: 1), .control(.hold, shard: 7), .logs(since: 0)]),
                                   ("ps-max", [.hello] + stride(from: 0, to: 63, by: PsPage.perReply).map { DebugRequest.ps(first: $0) }
                                       + stride(from: 0, to: 64, by: StatsPage.perReply).map { DebugRequest.stats(first: $0) })] {
            let out = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: out) }
            // Built first: 63 shards take a while on a busy machine, and the run waits only so long for its link.
            let built = try CLI.run(["build", "--config", "Tests/Fixtures/systems/\(system)/system.toml", "--platform", "sim", "--out", out])
            try #require(built.status == 0, "\(built.stderr)")
            let run = try RunningSystem(config: "Tests/Fixtures/systems/\(system)/system.toml", platform: "sim", out: out, timeout: nil)
            let client = try DebugClient(socketPath: run.socket)
            // Every shard waits before anything is recorded.
            var settled = false
            for _ in 0..<600 where !settled {
                settled = (try? client.ps())?.allSatisfy { $0.state == .waiting } ?? false
                if !settled { Thread.sleep(forTimeInterval: 0.1) }
            }
            try #require(settled, "\(system): the shards never all waited")
            var wire: [UInt8] = []
            for r in requests { wire += try #require(try client.request(r.type, payload: r.payload).encoded()) }
            try Data(wire).write(to: URL(fileURLWithPath: "\(Self.folder)/\(system).frames"))
            // The fixtures never stop by themselves: end the run, and with it the system.
            run.process.end()
            _ = run.finish()
        }
    }
}
