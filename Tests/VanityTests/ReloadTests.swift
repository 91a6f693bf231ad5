import CVanityDebug
import Crypto
import Foundation
import Testing
import VanityDebug
import VanityDriver
import VanityImage
import VanityPlatform

/// Hot reload end to end: a running system (QEMU or the simulator) gets its
/// transformer rebuilt with a new version and swapped in while the producer
/// keeps sending; every kind of bad image is refused with its reason while
/// the old shard runs on; the sink sees every message exactly once.
@Suite(.serialized) struct ReloadTests {
    /// A copy of the reload test system the test may edit.
    static func copyFixture() throws -> String {
        let dir = try temporaryDirectory()
        try FileManager.default.copyItem(atPath: repoRoot + "/Tests/Fixtures/systems/reload", toPath: dir + "/reload")
        return dir + "/reload"
    }

    static func generation(_ ps: String, _ shard: String) -> Int? {
        for line in ps.split(separator: "\n") where line.hasPrefix(shard + " ") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            return f.count >= 5 ? Int(f[4]) : nil
        }
        return nil
    }

    @Test(arguments: testPlatforms)
    func reloadTheTransformerWhileThePipelineRunsAndRefuseBadImages(_ platform: String) throws {
        let system = try Self.copyFixture()
        let config = system + "/system.toml"
        let out = try temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: (system as NSString).deletingLastPathComponent)
        }
        let run = try RunningSystem(config: config, platform: platform, out: out, timeout: 150)
        let link = ["--config", config, "--platform", platform, "--out", out]

        // Rejections, straight on the link, each followed by a check that the
        // old transformer still runs.
        let built = try #require(try? Driver.buildShard(configPath: config, platform: platform, shard: "transformer", out: out).get())
        // The link serves one client at a time: this one is closed before the
        // tool's commands connect.
        try rejections(socket: run.socket, built: built, platform: platform)
        let ps = try CLI.run(["ps"] + link)
        #expect(Self.generation(ps.stdout, "transformer") == 1, "\(ps.stdout)")
        try rest(platform: platform, system: system, config: config, link: link, out: out, run: run)
    }

    /// Every kind of bad image and frame, straight on the link (the client
    /// is closed on return: the link serves one client at a time).
    func rejections(socket: String, built: Driver.ShardBuild, platform: String) throws {
        let image = built.image
        let client = try DebugClient(socketPath: socket)
        // The kernel answers once it has booted (OpenSBI first on riscv64).
        var up = false
        for _ in 0..<60 where !up { up = (try? client.request(UInt8(VANITY_DEBUG_HELLO.rawValue), timeout: 1)) != nil }
        try #require(up, "the kernel never answered on its debug link")
        let boot = try client.hello().bootID
        func refused(_ begin: [UInt8], _ body: [UInt8], _ code: vanity_debug_error, _ what: String) throws {
            do {
                _ = try ReloadSession(client: client, shard: 1, shardName: "transformer").send(ReloadSession.Signed(image: body, begin: begin))
                Issue.record("\(what): the kernel accepted it")
            } catch ReloadSession.Failure.refused(let r, _) {
                #expect(r.code == Int(code.rawValue), "\(what): \(r)")
                #expect(!r.text.isEmpty)
            }
        }
        let id = 1 // the transformer
        let good = ReloadSession.sign(image: image, shard: id, buildID: built.buildID, key: built.key, bootID: boot, version: ReloadSession.nextVersion()).begin
        var otherBuild = built.buildID
        otherBuild[0] ^= 0xff
        try refused(ReloadSession.sign(image: image, shard: id, buildID: otherBuild, key: built.key, bootID: boot, version: ReloadSession.nextVersion()).begin, image,
                    VANITY_DEBUG_E_WRONG_BUILD, "wrong build id")
        try refused(ReloadSession.sign(image: image, shard: id, buildID: built.buildID, key: [UInt8](repeating: 7, count: 32), bootID: boot, version: ReloadSession.nextVersion()).begin, image,
                    VANITY_DEBUG_E_BAD_HMAC, "bad HMAC")
        // Signed for another boot, or not newer than what runs: a replay.
        try refused(ReloadSession.sign(image: image, shard: id, buildID: built.buildID, key: built.key, bootID: boot ^ 1,
                                       version: ReloadSession.nextVersion()).begin, image, VANITY_DEBUG_E_STALE, "another boot")
        try refused(ReloadSession.sign(image: image, shard: id, buildID: built.buildID, key: built.key, bootID: boot, version: 0).begin,
                    image, VANITY_DEBUG_E_STALE, "version 0")
        var tampered = image
        tampered[tampered.count / 2] ^= 0x5a
        try refused(good, tampered, VANITY_DEBUG_E_BAD_DIGEST, "bad digest")
        let huge = [UInt8](repeating: 0, count: 16 << 20)
        try refused(ReloadSession.sign(image: huge, shard: id, buildID: built.buildID, key: built.key, bootID: boot, version: ReloadSession.nextVersion()).begin, huge,
                    VANITY_DEBUG_E_TOO_LARGE, "oversized image")
        // A transfer cut short, then one with a chunk missing.
        #expect(SystemRefusal(try client.request(UInt8(VANITY_DEBUG_RELOAD_BEGIN.rawValue), payload: good)) == nil)
        #expect(SystemRefusal(try client.request(UInt8(VANITY_DEBUG_RELOAD_CHUNK.rawValue),
                                                            payload: DebugRequest.reloadChunk(offset: 0, bytes: image[0..<100]).payload)) == nil)
        #expect(SystemRefusal(try client.request(UInt8(VANITY_DEBUG_RELOAD_COMMIT.rawValue)))?.code == Int(VANITY_DEBUG_E_TRUNCATED.rawValue))
        #expect(SystemRefusal(try client.request(UInt8(VANITY_DEBUG_RELOAD_BEGIN.rawValue), payload: good)) == nil)
        #expect(SystemRefusal(try client.request(UInt8(VANITY_DEBUG_RELOAD_CHUNK.rawValue),
                                                            payload: DebugRequest.reloadChunk(offset: 200, bytes: image[200..<300]).payload))?.code
                == Int(VANITY_DEBUG_E_TRUNCATED.rawValue))
        // A well-signed image whose segment lies outside the shard's regions.
        var misplaced = image
        if platform != "sim" { misplaced[19] ^= 0x01 } else { misplaced[8] = 1 } // first segment's address (+16 MiB), or its kind
        try refused(ReloadSession.sign(image: misplaced, shard: id, buildID: built.buildID, key: built.key, bootID: boot, version: ReloadSession.nextVersion()).begin, misplaced,
                    VANITY_DEBUG_E_BAD_IMAGE, "misplaced segment")
        // Garbage and a corrupt frame: skipped, and the link still answers.
        try client.sendRaw((0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37) })
        var corrupt = DebugFrame(type: UInt8(VANITY_DEBUG_PS.rawValue), id: 999).encoded()!
        corrupt[corrupt.count - 1] ^= 1
        try client.sendRaw(corrupt)
        let hello = try client.request(UInt8(VANITY_DEBUG_HELLO.rawValue))
        #expect(hello.type == UInt8(VANITY_DEBUG_HELLO.rawValue) | 0x80 && Array(hello.payload.prefix(32)) == built.buildID)
    }

    func rest(platform: String, system: String, config: String, link: [String], out: String, run: RunningSystem) throws {
        let id = 1

        // The real thing: version 2, rebuilt and reloaded by the tool.
        let source = system + "/Shards/transformer/main.swift"
        let text = try String(contentsOfFile: source, encoding: .utf8)
        try text.replacingOccurrences(of: "let version: UInt32 = 1", with: "let version: UInt32 = 2").write(toFile: source, atomically: true, encoding: .utf8)
        let reload = try CLI.run(["reload", "--shard", "transformer"] + link)
        #expect(reload.status == 0, "\(reload.stdout)\n\(reload.stderr)")
        #expect(reload.stdout.contains("vanity-build: reloaded transformer ("), "\(reload.stdout)")
        #expect(reload.stdout.contains("generation 2 runs"), "\(reload.stdout)")
        // ps names the code that runs: the SHA-256 of the image the tool sent.
        let sent = try #require(ReloadHistory(folder: BuildPaths(system: "reload", platform: platform, out: out, manifest: config).reloadFolder).running("transformer"))
        let digest = SHA256.hash(data: sent).prefix(8).map { String(format: "%02x", $0) }.joined()
        let after = try CLI.run(["ps"] + link)
        #expect(after.stdout.contains("reloaded \(digest)") && after.stdout.range(of: #"producer .* as booted"#, options: .regularExpression) != nil,
                "\(after.stdout)")
        var expectedGeneration = 2
        // The kernel's recent log, over the link.
        let logs = try CLI.run(["logs"] + link)
        #expect(logs.status == 0 && logs.stdout.contains("kernel: vanity booting system \"reload\""), "\(logs.stdout)\n\(logs.stderr)")
        #expect(logs.stdout.contains("kernel: transformer reloaded; starting generation 2"), "\(logs.stdout)")

        // In the simulator: 100 more, back to back, under traffic.
        if platform == "sim" {
            let v2 = try #require(try? Driver.buildShard(configPath: config, platform: platform, shard: "transformer", out: out).get())
            let client = try DebugClient(socketPath: run.socket)
            let boot = try client.hello().bootID
            let session = ReloadSession(client: client, shard: id, shardName: "transformer")
            var first: ReloadSession.Signed?
            for _ in 0..<100 {
                let signed = ReloadSession.sign(image: v2.image, shard: id, buildID: v2.buildID, key: v2.key, bootID: boot,
                                                version: ReloadSession.nextVersion())
                if first == nil { first = signed }
                let verdict = try session.send(signed)
                expectedGeneration += 1
                #expect(verdict.generation == expectedGeneration)
            }
            // The first transfer, recorded and replayed after newer ones: refused.
            do {
                _ = try session.send(try #require(first))
                Issue.record("a replayed reload was accepted")
            } catch ReloadSession.Failure.refused(let r, _) {
                #expect(r.code == Int(VANITY_DEBUG_E_STALE.rawValue), "\(r)")
            }
        }
        // New code that traps at once: its policy (hold) applies; rollback
        // brings the previous image back, and no message is lost on the way.
        let good = try String(contentsOfFile: source, encoding: .utf8)
        try good.replacingOccurrences(of: "let version: UInt32 = 2", with: "let version: UInt32 = 3")
            .replacingOccurrences(of: "    Vanity.log(\"transformer: running\\n\")", with: "    precondition(version != 3)")
            .write(toFile: source, atomically: true, encoding: .utf8)
        let broken = try CLI.run(["reload", "--shard", "transformer"] + link)
        #expect(broken.status == 0 && broken.stdout.contains("generation \(expectedGeneration + 1) runs"), "\(broken.stdout)\n\(broken.stderr)")
        expectedGeneration += 1
        var held = false
        for _ in 0..<100 where !held {
            Thread.sleep(forTimeInterval: 0.1)
            held = try CLI.run(["ps"] + link).stdout.range(of: #"transformer +1 +2 +held +\#(expectedGeneration) "#, options: .regularExpression) != nil
        }
        #expect(held, "the trapping transformer was not held")
        let back = try CLI.run(["reload", "--shard", "transformer", "--rollback"] + link)
        #expect(back.status == 0 && back.stdout.contains("generation \(expectedGeneration + 1) runs"), "\(back.stdout)\n\(back.stderr)")
        expectedGeneration += 1
        try good.write(toFile: source, atomically: true, encoding: .utf8)

        // A manifest change is refused before anything is sent.
        let manifest = try String(contentsOfFile: config, encoding: .utf8)
        try manifest.replacingOccurrences(of: "slots = 256\n\n[channels.direct]", with: "slots = 512\n\n[channels.direct]")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let changed = try CLI.run(["reload", "--shard", "transformer"] + link)
        #expect(changed.status == 65 && changed.stderr.contains("the manifest or the layout changed"), "\(changed.stderr)")
        try manifest.write(toFile: config, atomically: true, encoding: .utf8)

        // End the run: hold the producer; the sink reports and stops the system.
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try CLI.run(["hold", "--shard", "producer"] + link).status == 0)
        let (status, logText) = run.finish()
        #expect(status == 0, "\(logText)")
        #expect(logText.contains("[sink] sink: transformer version 1 generation 1 from message 0"), "\(logText)")
        #expect(logText.range(of: #"\[sink\] sink: transformer version 2 generation 2 from message [1-9][0-9]*\n"#, options: .regularExpression) != nil, "\(logText)")
        #expect(logText.contains("kernel: transformer reloaded; starting generation \(expectedGeneration)"), "\(logText)")
        #expect(logText.range(of: #"\[sink\] sink: ([0-9]+) messages through the transformer, \1 direct: in order, no gap, no duplicate"#,
                              options: .regularExpression) != nil, "\(logText)")
        #expect(logText.components(separatedBy: "kernel: FAULT shard=transformer kind=trap").count - 1 == 1, "\(logText)")
        // It names the reloaded code's precondition, not the booted code (docs/debugging.md).
        #expect(logText.range(of: #"kernel: FAULT shard=transformer kind=trap .* -- in main\+0x[0-9a-f]+ \("#
                              + NSRegularExpression.escapedPattern(for: source) + #":22\): Swift runtime failure: "#,
                              options: .regularExpression) != nil, "\(logText)")
        #expect(logText.contains("kernel: holding transformer\n"), "\(logText)")
        #expect(!logText.contains("FAULT shard=producer") && !logText.contains("FAULT shard=sink"), "\(logText)")
    }

    /// The kernel's SHA-256 and HMAC (Kernel/src/sha256.c) agree with swift-crypto.
    @Test func kernelSHA256AndHMACMatchSwiftCrypto() {
        var rng = SystemRandomNumberGenerator()
        for n in [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 4096, 100_000] {
            let data = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var digest = [UInt8](repeating: 0, count: 32)
            data.withUnsafeBufferPointer { vanity_sha256($0.baseAddress, n, &digest) }
            #expect(digest == Array(SHA256.hash(data: data)), "length \(n)")
            for keyLength in [0, 32, 64, 100] {
                let key = (0..<keyLength).map { _ in UInt8.random(in: 0...255, using: &rng) }
                var mac = [UInt8](repeating: 0, count: 32)
                key.withUnsafeBufferPointer { k in data.withUnsafeBufferPointer { d in vanity_hmac_sha256(k.baseAddress, keyLength, d.baseAddress, n, &mac) } }
                #expect(mac == Array(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: key))), "length \(n), key \(keyLength)")
            }
        }
    }

    /// The image format: header, segment table, aligned bytes.
    @Test func reloadImagesPackTheirSegments() {
        let segs = [ReloadImage.Segment(kind: 1, addr: 0x4000_0000, bytes: [1, 2, 3]),
                    ReloadImage.Segment(kind: 3, addr: 0x4001_0000, bytes: [4, 5])]
        let img = ReloadImage.pack(segs)
        #expect(Array(img.prefix(4)) == [0x56, 0x52, 0x4c, 0x44]) // "VRLD"
        #expect(img[6] == 2)
        func u32(_ o: Int) -> Int {
            var v = 0
            for k in 0..<4 { v |= Int(img[o + k]) << (8 * k) }
            return v
        }
        let first = u32(8 + 4), second = u32(8 + 24 + 4)
        #expect(first == 8 + 2 * 24 && first % 8 == 0 && second % 8 == 0)
        #expect(Array(img[first..<(first + 3)]) == [1, 2, 3] && Array(img[second..<(second + 2)]) == [4, 5])
        #expect(img.count == second + 2)
    }
}
