// Benchmark: manifest text → every generated output, for the demo and for a
// generated 64-shard, 256-channel system on three platforms. Not a test: the
// figures go to docs/performance.md. Run with `make bench`.
import Foundation
import VanityCodegen
import VanityDriver
import VanityLayout
import VanityManifest
import VanityPlatform

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Median and minimum of `runs` timings of `body`, in milliseconds.
func measure(runs: Int, _ body: () -> Void) -> (median: Double, min: Double) {
    body() // warm up
    var t: [Double] = []
    for _ in 0..<runs {
        let s = now()
        body()
        t.append(Double(now() - s) / 1e6)
    }
    t.sort()
    return (t[t.count / 2], t[0])
}

func largeManifest(shards: Int, channels: Int) -> String {
    var s = "[system]\nname = \"large\"\nplatforms = [\"aarch64-virt\", \"riscv64-virt\", \"x86_64-pc\"]\n"
    for i in 0..<shards {
        s += "\n[shards.s\(i)]\nlang = \"\(i % 2 == 0 ? "c" : "swift")\"\npath = \".\"\ncores = [\(i + 1)]\n"
        s += "stack-size = \"8 KiB\"\nmax-sizes = { text = \"32 KiB\", rodata = \"8 KiB\", data = \"8 KiB\" }\ncaps = [\"log\"]\n"
    }
    for c in 0..<channels {
        let from = c % shards, to = (c * 7 + 1) % shards == from ? (from + 1) % shards : (c * 7 + 1) % shards
        s += "\n[channels.c\(c)]\nfrom = \"s\(from)\"\nto = \"s\(to)\"\nmsg-size = 64\nslots = 64\n"
    }
    return s
}

/// The whole pure pipeline: parse, check, place and generate every platform.
func pipeline(_ text: String, platforms: [Platform]) -> Int {
    let out = Frontend.run(text: text, file: "bench.toml", platforms: platforms, directoryExists: { _ in true })
    precondition(!out.hasErrors, "\(out.diagnostics)")
    return out.layouts.reduce(0) { sum, layout in
        sum + Codegen.generate(layout).reduce(0) { $0 + $1.contents.utf8.count }
    }
}

let root = FileManager.default.currentDirectoryPath
let (loaded, platDiags) = PlatformLoader.loadAll(platformsDirectory: root + "/Platforms")
precondition(platDiags.allSatisfy { $0.severity != .error }, "\(platDiags)")
// The synthetic system needs 65 cores; lift the limit for it (layout and
// generation do not depend on it otherwise).
let wide = loaded.map { p -> Platform in var q = p; q.cpuLimit = 256; return q }

let demoText = try! String(contentsOfFile: root + "/Config/system.toml", encoding: .utf8)
let large = largeManifest(shards: 64, channels: 256)

print("vanity-bench: manifest → generated outputs (pure pipeline, release build)")
var outBytes = 0
for (name, text, plats, runs) in [("demo (4 shards, 2 channels, 3 platforms)", demoText, loaded, 200),
                                  ("large (64 shards, 256 channels, 3 platforms)", large, wide, 30)] {
    // Reference, measured in the same run: toml++ parsing the same text
    // alone, the floor under any pipeline that reads the manifest.
    let ref = measure(runs: runs) { _ = Toml.parse(text, file: "bench.toml") }
    let full = measure(runs: runs) { outBytes = pipeline(text, platforms: plats) }
    print(String(format: "  %@\n    pipeline %.2f ms median (min %.2f), %d KiB generated\n    reference (TOML parse only) %.3f ms median → pipeline is %.0f× the parse",
                 name, full.median, full.min, outBytes / 1024, ref.median, full.median / max(ref.median, 1e-6)))
}

// End to end through the driver, including writing files (first run writes,
// later runs find everything unchanged).
let tmp = NSTemporaryDirectory() + "vanity-bench-\(getpid())"
let cfg = root + "/Config/system.toml"
let e2e = measure(runs: 20) { _ = Driver.build(configPath: cfg, out: tmp, platformsDirectory: root + "/Platforms") }
print(String(format: "  demo via the driver (read, check, generate, compare/write): %.2f ms median", e2e.median))
try? FileManager.default.removeItem(atPath: tmp)
