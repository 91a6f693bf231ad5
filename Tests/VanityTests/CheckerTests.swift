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
    cores = [2, 3]
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
        #expect(sys.shards[1].coreMask == 0b1100)
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

    @Test func everyErrorOfARunIsReported() {
        let text = base.replacingOccurrences(of: "cores = [2, 3]", with: "cores = [1, 0]")
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
}
