import Foundation
import Testing

/// The block system (Config/block, docs/io.md) under QEMU and in the
/// simulator (its virtio-blk device model): a virtio-blk
/// driver shard and a client that writes a pattern, reads it back and
/// checks that bad requests are refused. The test then reads the disk image
/// on the host, byte for byte, and runs the system a second time on the same
/// image: the second run must find the first run's pattern before it writes
/// its own.
@Suite(.serialized) struct BlockTests {
    static let config = repoRoot + "/Config/block/system.toml"
    static let patternStart = 4096
    static let patternBytes = 4 << 20

    /// Config/block/system.toml, runnable from `dir`: shard folders made
    /// absolute, the disk image in `dir` (so runs in parallel and the
    /// repository's tree stay apart).
    static func system(in dir: String) throws -> String {
        var text = try String(contentsOfFile: config, encoding: .utf8)
        let shards = text.components(separatedBy: "\"../../Shards/").count - 1
        #expect(shards == 2, "Config/block/system.toml changed shape: \(shards) shard paths")
        text = text.replacingOccurrences(of: "\"../../Shards/", with: "\"" + repoRoot + "/Shards/")
        let disk = try #require(text.firstMatch(of: /\ndisk = "[^"]*"\n/), "no [run] disk in \(config)")
        text.replaceSubrange(disk.range, with: "\ndisk = \"\(dir)/disk.img\"\n")
        #expect(text.contains("\ndisk-size = \"16 MiB\"\n") && text.contains("\"BLK_CHECK_BYTES=0x400000\""))
        let path = dir + "/system.toml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Shards/blk-check's pattern: the 64-bit word at disk byte 8 * index.
    static func word(run: UInt64, index: UInt64) -> UInt64 {
        var x = index &* 0x9e37_79b9_7f4a_7c15 &+ run &* 0xd1b5_4a32_d192_ed03 &+ 1
        x ^= x >> 31
        x = x &* 0xbf58_476d_1ce4_e5b9
        x ^= x >> 29
        return x
    }

    /// Checks the image holds run `run`'s header and pattern; the number of
    /// wrong bytes.
    static func checkDisk(_ path: String, run: UInt64) throws -> Int {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.count == 16 << 20, "the image changed size: \(data.count)")
        guard data.count >= patternStart + patternBytes else { return patternBytes }
        return data.withUnsafeBytes { raw -> Int in
            func le(_ at: Int) -> UInt64 { raw.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian }
            var wrong = 0
            // The header: magic "VBLKCHK1", run, bytes, check; the rest of its block zero.
            let header: [UInt64] = [0x314b_4843_4b4c_4256, run, UInt64(patternBytes),
                                    word(run: run, index: 0x314b_4843_4b4c_4256 ^ UInt64(patternBytes))]
            for (i, w) in header.enumerated() where le(8 * i) != w { wrong += 8 }
            for at in stride(from: 32, to: patternStart, by: 8) where le(at) != 0 { wrong += 8 }
            for i in 0..<(patternBytes / 8) {
                let at = patternStart + 8 * i
                if le(at) != word(run: run, index: UInt64(at / 8)) { wrong += 1 }
            }
            return wrong
        }
    }

    /// One run of the system; its console lines.
    static func run(_ manifest: String, _ platform: String, out: String) throws -> [String] {
        let r = try CLI.run(["run", "--config", manifest, "--platform", platform, "--out", out, "--timeout", "300"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let lines = r.stdout.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n").map(String.init)
        #expect(!lines.contains { $0.contains("FAILED") || $0.contains("FAULT") }, "\(r.stdout)")
        return lines
    }

    @Test(arguments: ["aarch64-virt", "riscv64-virt", "x86_64-pc", "sim"])
    func aPatternReachesTheDiskAndTheNextRunFindsIt(_ platform: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let manifest = try Self.system(in: dir)
        let disk = dir + "/disk.img"

        // A fresh disk: run 1 writes, flushes, reads back, refuses bad requests.
        let first = try Self.run(manifest, platform, out: dir + "/out")
        func has(_ lines: [String], _ text: String) -> Bool { lines.contains { $0.contains(text) } }
        #expect(has(first, "[blk] blk: virtio-blk at 0x"), "\(first)")
        #expect(has(first, ": 32768 sectors (16384 KiB), block size 512, flush, queue 256 (85 requests in flight)"), "\(first)")
        #expect(has(first, "[check] blk-check: no earlier pattern on the disk; this is run 1"), "\(first)")
        #expect(has(first, "blk-check: scratch pattern, 4 KiB requests: wrote 4194304 bytes in "), "\(first)")
        #expect(has(first, "blk-check: run pattern, 64 KiB requests: wrote 4194304 bytes in "), "\(first)")
        #expect(has(first, "blk-check: 10 of 10 bad requests refused with the right status"), "\(first)")
        #expect(has(first, "[check] blk-check: wrote 8392704 bytes, read back 8388608, 0 wrong"), "\(first)")
        #expect(has(first, "[check] blk-check: run 1 done: the disk holds its pattern"), "\(first)")
        #expect(first.filter { $0.contains(" MiB/s") && $0.hasSuffix(", 0 wrong") }.count == 2, "\(first)")
        #expect(try Self.checkDisk(disk, run: 1) == 0)

        // The same image again: run 2 reads run 1's pattern first.
        let second = try Self.run(manifest, platform, out: dir + "/out")
        #expect(has(second, "[check] blk-check: found the pattern of run 1: read back 4194304 bytes, 0 wrong"), "\(second)")
        #expect(has(second, "[check] blk-check: wrote 8392704 bytes, read back 12582912, 0 wrong"), "\(second)")
        #expect(has(second, "[check] blk-check: run 2 done: the disk holds its pattern"), "\(second)")
        #expect(try Self.checkDisk(disk, run: 2) == 0)
        #expect(try Self.checkDisk(disk, run: 1) > 0) // run 2's pattern really differs
    }

    /// A disk whose pattern was damaged on the host: the next run reports
    /// the wrong bytes and stops the system with status 1.
    @Test(arguments: ["aarch64-virt", "sim"])
    func aDamagedPatternFailsTheRun(_ platform: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let manifest = try Self.system(in: dir)
        _ = try Self.run(manifest, platform, out: dir + "/out")
        let handle = try #require(FileHandle(forUpdatingAtPath: dir + "/disk.img"))
        try handle.seek(toOffset: UInt64(Self.patternStart + 123_456))
        handle.write(Data([0x5a, 0xa5, 0x5a]))
        try handle.close()
        let r = try CLI.run(["run", "--config", manifest, "--platform", platform, "--out", dir + "/out", "--timeout", "300"])
        #expect(r.status == 1, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("blk-check: found the pattern of run 1: read back 4194304 bytes, 3 wrong"), "\(r.stdout)")
        #expect(r.stdout.contains("blk-check: FAILED: the disk did not keep the last run's pattern"), "\(r.stdout)")
    }

    /// The simulator under a seed: the same two runs, deterministic, the
    /// second on the first's image.
    @Test func theSimulatorsDiskWorksUnderASeed() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let manifest = try Self.system(in: dir)
        for run in 1...2 {
            let r = try CLI.run(["run", "--config", manifest, "--platform", "sim", "--out", dir + "/out", "--timeout", "300",
                                 "--seed", String(40 + run), "--inject", "delay,drop"])
            #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
            #expect(r.stdout.contains("blk-check: run \(run) done: the disk holds its pattern"), "\(r.stdout)")
            #expect(try Self.checkDisk(dir + "/disk.img", run: UInt64(run)) == 0)
        }
    }

    /// The driver restarts in the middle of the 64 KiB write pass (it traps
    /// at its 1,054th write, 30 into the pass, with requests in the device
    /// and in the ring): the client sends again what was not answered, the
    /// run completes, and the host's image holds every byte of the pattern.
    @Test(arguments: ["aarch64-virt", "riscv64-virt", "x86_64-pc", "sim"])
    func aDriverRestartMidWriteLosesNothing(_ platform: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let manifest = try Self.system(in: dir)
        var text = try String(contentsOfFile: manifest, encoding: .utf8)
        let blk = try #require(text.range(of: "devices = [\"block\"]\nsupervisor = { policy = \"hold\" }"), "\(text)")
        text.replaceSubrange(blk, with: "devices = [\"block\"]\ndefines = [\"BLK_FAULT_AFTER_WRITES=1054\"]\n"
                             + "supervisor = { policy = \"restart\", max-restarts = 2, min-run-ms = 0 }")
        try text.write(toFile: manifest, atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", "--config", manifest, "--platform", platform, "--out", dir + "/out", "--timeout", "300"])
        let out = r.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        #expect(r.status == 0, "\(out)\n\(r.stderr)")
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("kernel: FAULT ") }.count == 1 && lines.contains { $0.hasPrefix("kernel: FAULT shard=blk kind=") },
                "\(out)")
        #expect(lines.contains("kernel: restarting blk (restart 1 of 2)"), "\(out)")
        let again = lines.first { $0.contains("blk-check: the block driver restarted (generation 2): sent again the ") }
        #expect(again?.contains(" write request(s) it had not answered") == true, "\(out)")
        #expect(!out.contains("FAILED"), "\(out)")
        #expect(lines.contains("[check] blk-check: run 1 done: the disk holds its pattern"), "\(out)")
        #expect(try Self.checkDisk(dir + "/disk.img", run: 1) == 0)
    }
}
