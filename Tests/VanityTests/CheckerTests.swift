import Testing
import VanityABI
import VanityDiagnostics
import VanityDriver
import VanityModel
import VanityPlatform

@Suite struct CheckerTests {
    let base = """
    [system]
    name = "t"

    [shards.a]
    lang = "swift"
    cores = [1]
    caps = ["log", "shutdown"]
    devices = ["dev1", "/dev2@f0002000"]

    [shards.b]
    lang = "c"
    cores = [3]
    supervisor = { policy = "propagate", to = "a" }
    watchdog-ms = 250

    [channels.ab]
    from = "a"
    to = "b"
    msg-size = 64
    slots = 8
    """

    @Test func defaultsAreApplied() throws {
        let (layouts, diags) = pipeline(base)
        #expect(diags.isEmpty, "\(diags)")
        let sys = try #require(layouts.first).system
        let a = sys.shards[0], b = sys.shards[1]
        #expect(a.path == "Shards/a" && a.stackSize == 16 << 10 && a.heapSize == 0)
        #expect(a.budgets == .defaults)
        #expect(a.policy == Policy(kind: .restart, maxRestarts: 3, minRunMs: 100, propagateTo: nil))
        #expect(b.policy.kind == .propagate && b.policy.propagateTo == 0)
        #expect(b.watchdogMs == 250 && a.watchdogMs == 0)
        #expect(sys.kernelCore == 0 && sys.kernelStackSize == 16 << 10)
        #expect(sys.cpuCount == 4)
        #expect(sys.channels[0].notify)
    }

    @Test func capabilitiesUseTheKernelsBits() throws {
        let sys = try #require(pipeline(base).layouts.first).system
        #expect(sys.shards[0].capMask == VANITY_CAP_LOG.rawValue | VANITY_CAP_SHUTDOWN.rawValue)
        #expect(sys.shards[1].coreMask == 0b1000)
    }

    /// A shard's reach: its `propagate` children and its `supervises`, in
    /// id order; nobody else's, never its own.
    @Test func reachIsPropagateChildrenAndSupervises() throws {
        let text = base.replacingOccurrences(of: "caps = [\"log\", \"shutdown\"]", with: "caps = [\"log\", \"shutdown\", \"restart\"]")
            + "\n[shards.c]\nlang = \"c\"\ncores = [4]\nsupervises = [\"a\"]\ncaps = [\"restart\"]\n"
            + "\n[channels.ca]\nfrom = \"c\"\nto = \"a\"\nmsg-size = 8\nslots = 4\n"
        let (layouts, diags) = pipeline(text)
        #expect(diags.isEmpty, "\(diags)")
        let sys = try #require(layouts.first).system
        #expect(sys.shards.map(\.reach) == [[1], [], [0]])
        #expect(sys.shards.map(\.reachMask) == [0b10, 0, 0b1])
    }

    @Test func devicesResolveByNameOrPath() throws {
        let sys = try #require(pipeline(base).layouts.first).system
        let grants = sys.shards[0].devices
        #expect(grants.map(\.identifier) == ["dev1", "dev2_f0002000"])
        #expect(grants[0].node.regs == [MemoryRange(base: 0xF000_1000, size: 0x1000)])
        #expect(grants[1].node.irqs == [34])
    }

    @Test func coreLimitIsCheckedPerPlatform() {
        let small = TestPlatforms.make("small", .aarch64, ramBase: 0x4000_0000, kernelBase: 0x4020_0000, cpus: 3)
        let (_, diags) = pipeline(base, platforms: TestPlatforms.all + [small])
        let errors = diags.filter { $0.severity == .error }.map(\.message)
        #expect(errors == ["core 3 of shard \"b\" is beyond the limit of 3 cores (0...2) of small"])
    }

    /// A shard may run on several cores (a thread of execution on each):
    /// no diagnostic, in any order.
    @Test func severalCoresPerShardAreAccepted() {
        for cores in ["[3, 2]", "[3, 2, 4]", "[4, 2]"] {
            let diags = pipeline(base.replacingOccurrences(of: "cores = [3]", with: "cores = \(cores)")).diagnostics
            #expect(diags.isEmpty, "\(cores): \(diags)")
        }
    }

    /// Shards that each set `priority` share a core: each further one is an
    /// execution context after the cores' own, with a kernel stack of its
    /// own, and the system table's core masks count contexts.
    @Test func shardsWithPrioritiesShareACore() throws {
        let text = base.replacingOccurrences(of: "cores = [1]", with: "cores = [3]\npriority = 7")
            .replacingOccurrences(of: "watchdog-ms = 250", with: "watchdog-ms = 250\npriority = 9\nbudget-us = 500\nperiod-us = 1000")
            + "\n[shards.c]\nlang = \"c\"\ncores = [3]\npriority = 0\n\n[channels.ca]\nfrom = \"c\"\nto = \"a\"\nmsg-size = 8\nslots = 4\n"
        let (layouts, diags) = pipeline(text)
        #expect(diags.isEmpty, "\(diags)")
        let layout = try #require(layouts.first)
        let sys = layout.system
        #expect(sys.cpuCount == 4)
        #expect(sys.contexts.map(\.cpu) == [0, 1, 2, 3, 3, 3])
        #expect(sys.contexts.map(\.shard) == [nil, nil, nil, 0, 1, 2])
        #expect((0..<3).map { sys.contextMask(of: $0) } == [0b1000, 0b1_0000, 0b10_0000])
        #expect(sys.shards.map(\.schedule) == [Schedule(priority: 7), Schedule(priority: 9, budgetUs: 500, periodUs: 1000), Schedule(priority: 0)])
        let stacks = layout.kernel.filter { $0.kind == .stack }.map(\.name)
        #expect(stacks == ["stack.core0", "stack.core1", "stack.core2", "stack.core3", "stack.context4", "stack.context5"])
        // One stride apart, as the boards compute a context's kernel stack.
        let tops = layout.kernel.filter { $0.kind == .stack }.map(\.virtEnd)
        #expect(Set(zip(tops.dropFirst(), tops).map { $0 - $1 }).count == 1)
    }

    @Test func everyErrorOfARunIsReported() {
        let text = base.replacingOccurrences(of: "cores = [3]", with: "cores = [1, 0]")
            .replacingOccurrences(of: "slots = 8", with: "slots = 9")
            .replacingOccurrences(of: "\"shutdown\"", with: "\"shutdwn\"")
        let errors = pipeline(text).diagnostics.filter { $0.severity == .error }
        #expect(errors.count == 4, "\(errors)")
    }

    /// A budget that ends just below 2^64 is a layout error at its value:
    /// no trap while placing it or while formatting the message.
    @Test func aBudgetNear2To64IsALayoutErrorAtItsValue() throws {
        let text = base.replacingOccurrences(of: "watchdog-ms = 250", with: "max-sizes = { text = \"16777215 TiB\" }")
        let errors = pipeline(text).diagnostics.filter { $0.severity == .error }
        try #require(errors.count == 3, "\(errors)")
        for e in errors {
            #expect(e.location.line == 14 && e.location.column == 22, "\(e.location)")
            #expect(e.message.hasPrefix("system \"t\" does not fit test-") && e.message.contains("it needs more than 2^64 bytes"), "\(e.message)")
        }
    }

    /// A shard folder outside the manifest's folder is a warning naming
    /// where it leads (lexically, from the manifest's own path).
    @Test(arguments: [
        ("/w/sys/system.toml", "../../..", "/"), ("/w/sys/system.toml", "/etc", "/etc"),
        ("/w/sys/system.toml", "Shards/../../x", "/w/x"), ("Config/system.toml", "../../lib", "../lib"),
        ("system.toml", "..", ".."), ("system.toml", "/w/sys/Shards/a", "/w/sys/Shards/a"),
        ("/w/sys/system.toml", "/w/sys/Shards/a", nil), ("/w/sys/system.toml", "./Shards/x/../a", nil),
        ("Config/system.toml", "Shards/a", nil), ("system.toml", ".", nil),
    ] as [(String, String, String?)])
    func aFolderOutsideTheManifestsIsAWarning(_ file: String, _ path: String, _ resolved: String?) {
        let text = base.replacingOccurrences(of: "watchdog-ms = 250", with: "path = \"\(path)\"")
        let out = Frontend.run(text: text, file: file, platforms: TestPlatforms.all, directoryExists: { _ in true })
        let warnings = out.diagnostics.filter { $0.message.contains("outside the manifest's folder") }
        #expect(!out.hasErrors, "\(out.diagnostics)")
        if let resolved {
            #expect(warnings.map(\.description) == ["\(file):14:8: warning: the source folder of shard \"b\" is outside the manifest's folder: \"\(path)\" resolves to \(resolved)"])
        } else {
            #expect(warnings.isEmpty, "\(warnings)")
        }
    }

    /// The build keys reach the model as written; a library's folder is
    /// Libraries/<name> by default.
    @Test func buildSettingsReachTheModel() throws {
        let text = base.replacingOccurrences(of: "watchdog-ms = 250", with: """
            sources = ["src/**/*.c", "*.S"]
            include = ["inc", "../common"]
            defines = ["LEVEL=3", "DEBUG"]
            c-flags = ["-O1"]
            warnings-as-errors = false
            libraries = ["util", "util"]
            """).replacingOccurrences(of: "caps = [\"log\", \"shutdown\"]", with: """
            caps = ["log", "shutdown"]
            swift-flags = ["-Onone"]
            bridging-header = "Bridge.h"
            libraries = ["util"]
            """) + """

            [libraries.util]
            include = ["include"]
            defines = ["UTIL"]

            [libraries.far]
            path = "vendor/far"
            """
        let (layouts, diags) = pipeline(text)
        #expect(diags.map(\.description) == ["gen.toml:22:22: warning: library \"util\" is listed twice for shard \"b\"\ngen.toml:22:14: note: first listed here",
                                             "gen.toml:33:12: warning: library \"far\" is not used by any shard; list it in a shard's \"libraries\""])
        let sys = try #require(layouts.first).system
        let a = sys.shards[0].build, b = sys.shards[1].build
        #expect(a == BuildSettings(swiftFlags: ["-Onone"], bridgingHeader: "Bridge.h", libraries: ["util"]))
        #expect(b == BuildSettings(sources: ["src/**/*.c", "*.S"], include: ["inc", "../common"], defines: ["LEVEL=3", "DEBUG"],
                                   cFlags: ["-O1"], warningsAsErrors: false, libraries: ["util"]))
        #expect(sys.libraries.map(\.name) == ["util", "far"])
        #expect(sys.libraries.map(\.path) == ["Libraries/util", "vendor/far"])
        #expect(sys.libraries[0].build == BuildSettings(include: ["include"], defines: ["UTIL"]))
    }

    /// Globs are checked against the listed folder: each must select a
    /// source; a C shard may not select Swift files.
    @Test func globsAreCheckedAgainstTheListedFolder() {
        let tree = ["Shards/a": ["main.swift", "helper/util.c", "README"], "Shards/b": ["main.c", "x/y/z.S", "old/legacy.swift"]]
        func run(_ text: String) -> [String] {
            Frontend.run(text: text, file: "gen.toml", platforms: TestPlatforms.all, directoryExists: { _ in true },
                         listFiles: { tree[$0] }).diagnostics.map(\.description)
        }
        // Swift shard a compiles its C helper; C shard b's default selection holds a Swift file.
        #expect(run(base) == ["gen.toml:11:8: error: shard \"b\" is written in C, but its folder holds Shards/b/old/legacy.swift, a source by default (every .c, .S, .s and .swift file under the folder is); set \"sources\" to leave it out"])
        let picked = base.replacingOccurrences(of: "watchdog-ms = 250", with: "sources = [\"*.c\", \"**/*.S\", \"**/*.h\"]")
        #expect(run(picked) == ["gen.toml:14:29: error: glob \"**/*.h\" in shard \"b\" matches no source file (.c, .S, .s or .swift) in Shards/b"])
    }

    @Test(arguments: [
        ("**/*.c", "main.c", true), ("**/*.c", "a/b/c.c", true), ("src/**/*.c", "src/x.c", true),
        ("src/**/*.c", "src/a/b/x.c", true), ("src/**/*.c", "lib/x.c", false), ("*.c", "src/x.c", false),
        ("src/*.c", "src/a/x.c", false), ("?.c", "a.c", true), ("?.c", "ab.c", false), ("**", "a/b.c", true),
        ("./src/*.c", "src/x.c", true), ("src//*.c", "src/x.c", true), ("m*n.c", "main.c", true), ("m*n.c", "mai.c", false),
        ("**/deep/*.c", "deep/x.c", true), ("a/**/b/**/c.c", "a/x/b/y/z/c.c", true), ("main.c", "main.c", true),
    ] as [(String, String, Bool)])
    func globsMatchLikeTheManualSays(_ glob: String, _ path: String, _ expected: Bool) {
        #expect(SourceFiles.matches(glob, path) == expected)
    }

    @Test func theDefaultSelectionIsEverySourceUnderTheFolder() {
        let files = ["z.c", "a/b.S", "a/c.s", "d/e/f.swift", "g.h", "notes.txt", "h.cpp"]
        #expect(SourceFiles.select(nil, from: files) == ["a/b.S", "a/c.s", "d/e/f.swift", "z.c"])
        #expect(SourceFiles.select(["a/*", "z.c"], from: files) == ["a/b.S", "a/c.s", "z.c"])
    }
}
