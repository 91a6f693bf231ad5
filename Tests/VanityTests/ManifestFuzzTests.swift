import Foundation
import Testing
import VanityDiagnostics

/// Whatever the input, the front end answers with diagnostics or a system:
/// never a crash or a trap. Mutations of the demo manifest are run through
/// parse → check → place in-process (a trap would kill the test run).
@Suite struct ManifestFuzzTests {
    @Test func mutatedManifestsNeverCrash() throws {
        let demo = try String(contentsOfFile: repoRoot + "/Config/system.toml", encoding: .utf8)
        // The test platforms stand in for the real ones.
        let base = Array(demo.replacingOccurrences(of: "platforms = [\"aarch64-virt\", \"riscv64-virt\", \"x86_64-pc\", \"sim\"]", with: "")
            .replacingOccurrences(of: "\"rtc\"", with: "\"dev0\"").utf8)
        let pieces: [String] = ["=", "[", "]", "{", "}", "\"", "-1", "99999999999999999999", "0x", "\n", "[[shards]]",
                                "cores = []", "slots = 3", "\u{0}", "é", "inf", "nan", "1e400", "true", "'''", "#",
                                "[shards.producer]", "9223372036854775807", "-9223372036854775808"]
        var rng = SplitMix64(seed: 7)
        var outcomes = (ok: 0, errors: 0)
        for _ in 0..<2000 {
            var bytes = base
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(contentsOf: Array(pieces.randomElement(using: &rng)!.utf8), at: at)
                case 2: bytes[at] = UInt8.random(in: 0...255, using: &rng)
                default: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...40, using: &rng)))
                }
                if bytes.isEmpty { bytes = [0x23] }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let (layouts, diags) = pipeline(text)
            if diags.contains(where: { $0.severity == .error }) {
                outcomes.errors += 1
                #expect(layouts.isEmpty)
                for d in diags where d.severity == .error {
                    #expect(!d.message.isEmpty)
                }
            } else {
                outcomes.ok += 1
            }
        }
        // Both kinds of outcome occurred, so the test exercised both paths.
        #expect(outcomes.ok > 0 && outcomes.errors > 0, "\(outcomes)")
    }
}
