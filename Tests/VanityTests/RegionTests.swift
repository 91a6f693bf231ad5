import Foundation
import Testing

/// Shared memory regions on every platform: Tests/Fixtures/systems/regions
/// boots, and its console shows what the MMU (or the simulator's mappings)
/// enforced, at the addresses layout.json gives.
@Suite(.serialized) struct RegionTests {
    /// `"shared"` of layout.json: name → (phys, size).
    static func shared(_ layoutJSON: String) throws -> [String: (phys: UInt64, size: UInt64)] {
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: layoutJSON))) as? [String: Any])
        let list = try #require(doc["shared"] as? [[String: Any]])
        var out: [String: (phys: UInt64, size: UInt64)] = [:]
        for r in list {
            let name = try #require(r["name"] as? String)
            out[name] = (try #require((r["phys"] as? NSNumber)?.uint64Value), try #require((r["size"] as? NSNumber)?.uint64Value))
        }
        return out
    }

    @Test(arguments: testPlatforms)
    func readOnlyAndForeignAccessesFaultAndARestartKeepsTheRegions(_ platform: String) throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try CLI.run(["run", "--config", "Tests/Fixtures/systems/regions/system.toml", "--platform", platform,
                             "--out", out, "--timeout", "120"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let regions = try Self.shared(out + "/\(platform)/layout.json")
        let shelf = try #require(regions["shelf"]).phys
        #expect(regions["shelf"]?.size == 65536 && regions["journal"]?.size == 4096 && regions["board"]?.size == 4096)
        let at = "0x" + String(shelf, radix: 16)
        let lines = r.stdout.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n").map(String.init)
        func has(_ line: String) -> Bool { lines.contains(line) }

        // The writer's read-write mapping; the readers' read-only ones, the
        // same bytes at the same address; the physical address of a DMA region.
        #expect(has("[writer] writer: filled the shelf: 65536 bytes at \(at) (physical \(at), writable 1, dma 1)"), "\(r.stdout)")
        #expect(has("[reader] reader: the shelf at \(at) (physical \(at), writable 0): 8184 words, 0 wrong, sum ok"), "\(r.stdout)")
        #expect(has("[swifty] swifty: the shelf at \(at): 65536 bytes, 0 wrong, physical address equal"), "\(r.stdout)")

        // A write through a read-only mapping, a read by a shard that maps
        // nothing there: data aborts at exactly those addresses, nothing else.
        let faults = lines.filter { $0.hasPrefix("kernel: FAULT ") }
        #expect(faults.count == 2, "\(faults)")
        let scribble = "0x" + String(shelf + 0x100, radix: 16), peek = "0x" + String(shelf + 0x200, radix: 16)
        #expect(faults.contains { $0.hasPrefix("kernel: FAULT shard=scribbler kind=data-abort ") && $0.contains(" addr=\(scribble) generation=1 policy=restart") },
                "\(faults)")
        #expect(faults.contains { $0.hasPrefix("kernel: FAULT shard=outsider kind=data-abort ") && $0.contains(" addr=\(peek) generation=1 policy=restart") },
                "\(faults)")
        #expect(has("[outsider] outsider: reading the shelf at \(peek), which it does not map"))
        #expect(!r.stdout.contains("STILL RUNNING"))

        // The restart reset the scribbler's data, not its region or the shelf.
        #expect(has("[scribbler] scribbler: generation 1: journal empty, marked it; writing to the read-only shelf at \(scribble)"), "\(r.stdout)")
        #expect(has("kernel: restarting scribbler (restart 1 of 1)"))
        #expect(has("[scribbler] scribbler: generation 2: journal intact (marked by generation 1), own data fresh, shelf 0 wrong"), "\(r.stdout)")
        #expect(has("[judge] judge: every verdict is in (board mapped writable 0)"), "\(r.stdout)")
        #expect(r.stdout.contains("kernel: system stopping with status 0 after"))
    }
}

/// A hot reload of a shard leaves the regions it maps as they were
/// (Tests/Fixtures/systems/regions-reload): the reloaded keeper finds its
/// journal intact and its own data reset.
@Suite(.serialized) struct RegionReloadTests {
    @Test(arguments: testPlatforms)
    func aReloadKeepsTheRegion(_ platform: String) throws {
        let config = repoRoot + "/Tests/Fixtures/systems/regions-reload/system.toml"
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try RunningSystem(config: config, platform: platform, out: out, timeout: 150)
        let reload = try CLI.run(["reload", "--shard", "keeper", "--config", config, "--platform", platform, "--out", out])
        #expect(reload.status == 0 && reload.stdout.contains("generation 2 runs"), "\(reload.stdout)\n\(reload.stderr)")
        let (status, log) = run.finish()
        #expect(status == 0, "\(log)")
        #expect(log.contains("[keeper] keeper: generation 1: the journal was empty, filled it; waiting for a reload\n"), "\(log)")
        #expect(log.contains("kernel: keeper reloaded; starting generation 2"), "\(log)")
        #expect(log.contains("[keeper] keeper: generation 2: journal 0 of 1024 words wrong, own data fresh\n"), "\(log)")
    }
}
