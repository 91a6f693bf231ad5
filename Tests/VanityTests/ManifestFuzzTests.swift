import Foundation
import Testing
import VanityDiagnostics
import VanityDriver
import VanityLayout
import VanityManifest
import VanityPlatform

/// Whatever the input, the front end answers with diagnostics or a system:
/// never a crash or a trap. Mutations of the demo manifest are run through
/// decode → parse → check → place in-process (a trap would kill the test
/// run), and a sample of the accepted ones is generated for the simulator
/// and compiled: `check` passing means the generated sources build.
@Suite struct ManifestFuzzTests {
    static let demo = (try? String(contentsOfFile: repoRoot + "/Config/system.toml", encoding: .utf8)) ?? ""
    static let allPlatforms = "platforms = [\"aarch64-virt\", \"riscv64-virt\", \"x86_64-pc\", \"sim\"]"

    /// What a mutation inserts: TOML punctuation and edge values, sizes near
    /// 2^64, deep nesting, names that meet once mangled, U+0000 and bytes
    /// that are not UTF-8.
    static let pieces: [[UInt8]] = {
        let text = ["=", "[", "]", "{", "}", "\"", "-1", "99999999999999999999", "0x", "\n", "[[shards]]",
                    "cores = []", "slots = 3", "\u{0}", "é", "inf", "nan", "1e400", "true", "'''", "#",
                    "[shards.producer]", "9223372036854775807", "-9223372036854775808",
                    "\"16777215 TiB\"", "\"18446744073709551615\"", "18446744073709551615", "\"17592186044415 MiB\"",
                    "\nstack-size = \"16777215 TiB\"\n", "\nheap-size = \"18446744073709551615\"\n",
                    "\nmax-sizes = { text = \"16777215 TiB\" }\n", "\n[kernel]\nstack-size = \"16777215 TiB\"\n",
                    "\n" + String(repeating: "a.", count: 20_000) + "a = 1\n",
                    "\n[" + String(repeating: "a.", count: 70) + "a]\n",
                    "x = " + String(repeating: "[", count: 300), String(repeating: "{a=", count: 100),
                    "-msg", "-", "--", "\\u0000",
                    "\n[channels.samples-msg]\nfrom = \"producer\"\nto = \"transformer\"\nmsg-size = 8\nslots = 2\n",
                    "\npath = \"../../..\"\n"]
        return text.map { Array($0.utf8) } + [[0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80]]
    }()

    @Test func mutatedManifestsNeverCrashAndAcceptedOnesCompile() throws {
        // The test platforms stand in for the real ones.
        let base = Array(Self.demo.replacingOccurrences(of: Self.allPlatforms, with: "")
            .replacingOccurrences(of: "\"rtc\"", with: "\"dev0\"").utf8)
        let (platforms, _) = PlatformLoader.loadAll(platformsDirectory: repoRoot + "/Platforms")
        let sim = try #require(platforms.first { $0.name == "sim" })
        var rng = SplitMix64(seed: 7)
        var outcomes = (ok: 0, errors: 0, notUTF8: 0, compiled: 0)
        for round in 0..<2000 {
            var bytes = base
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(contentsOf: Self.pieces.randomElement(using: &rng)!, at: at)
                case 2: bytes[at] = UInt8.random(in: 0...255, using: &rng)
                default: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...40, using: &rng)))
                }
                if bytes.isEmpty { bytes = [0x23] }
            }
            let text: String
            switch ManifestText.decode(bytes, file: "gen.toml") {
            case .success(let t): text = t
            case .failure(let bad):
                outcomes.notUTF8 += 1
                Self.expectAtFirstBadByte(bad.diagnostic, bytes)
                continue
            }
            let (layouts, diags) = pipeline(text)
            if diags.contains(where: { $0.severity == .error }) {
                outcomes.errors += 1
                #expect(layouts.isEmpty)
                for d in diags where d.severity == .error {
                    #expect(!d.message.isEmpty && d.location.line > 0, "\(d)")
                }
            } else {
                outcomes.ok += 1
                // A sample (a few seconds): the same manifest for the simulator, compiled.
                if round % 50 == 0 || outcomes.compiled < 2 {
                    let real = text.replacingOccurrences(of: "\"dev0\"", with: "\"rtc\"")
                    let out = Frontend.run(text: real, file: "gen.toml", platforms: [sim], directoryExists: { _ in true })
                    if let layout = out.layouts.first, !out.hasErrors {
                        try Self.compileGenerated(layout, manifest: real)
                        outcomes.compiled += 1
                    }
                }
            }
        }
        // Every kind of outcome occurred, so the test exercised every path.
        #expect(outcomes.ok > 0 && outcomes.errors > 0 && outcomes.notUTF8 > 0 && outcomes.compiled > 0, "\(outcomes)")
    }

    /// The error names the line and column (in characters) of the first
    /// byte that is not UTF-8, and everything before it is text.
    static func expectAtFirstBadByte(_ d: Diagnostic, _ bytes: [UInt8]) {
        let offsetText = d.message.split(separator: "(offset ").last?.split(separator: ")").first
        guard let offset = offsetText.flatMap({ Int($0) }), offset < bytes.count else {
            Issue.record("no byte offset in \(d)")
            return
        }
        let before = Array(bytes[..<offset])
        let text = String(decoding: before, as: UTF8.self)
        #expect(Array(text.utf8) == before, "the bytes before offset \(offset) are not all text")
        let line = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(d.location.line == line.count && d.location.column == line.last!.unicodeScalars.count + 1, "\(d)")
    }

    /// clang -fsyntax-only over the system table and every shard header.
    static func compileGenerated(_ layout: Layout, manifest: String) throws {
        let dir = try materialise(layout)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var sources = [dir + "/kernel/system_table.c"]
        for s in layout.shards {
            let use = "\(dir)/shards/\(s.shard.name)/use.c"
            try "#include \"vanity_shard.h\"\n".write(toFile: use, atomically: true, encoding: .utf8)
            sources.append(use)
        }
        let r = try Tool.run("clang", cFlags(layout.platform) + ["-fsyntax-only"] + sources)
        #expect(r.status == 0, "generated sources of an accepted manifest do not compile:\n\(r.text)\n--- manifest:\n\(manifest)")
    }
}
