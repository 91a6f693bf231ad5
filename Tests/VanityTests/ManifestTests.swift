import Testing
import VanityDiagnostics
@testable import VanityManifest

@Suite struct ByteSizeTests {
    @Test(arguments: [
        ("4096", UInt64(4096)), ("16 KiB", 16 << 10), ("1 MiB", 1 << 20), ("2 GiB", 2 << 30), ("12B", 12),
        ("  8   KiB ", 8 << 10), ("1_024", 1024),
    ])
    func parses(_ text: String, _ value: UInt64) throws {
        #expect(try ByteSize.parse(text).get() == value)
    }

    @Test(arguments: ["", "KiB", "8 KB", "lots", "-4 KiB", "1.5 MiB", "99999999999999999999 GiB", "17179869184 GiB"])
    func rejects(_ text: String) {
        #expect(throws: ByteSize.Failure.self) { try ByteSize.parse(text).get() }
    }

    @Test func formats() {
        #expect(ByteSize.format(16 << 10) == "16 KiB")
        #expect(ByteSize.format(1536 << 10) == "1.5 MiB")
        #expect(ByteSize.format(300) == "300 B")
    }

    @Test func formatsSizesNear2To64WithoutOverflow() {
        #expect(ByteSize.format(.max) == "16777216.0 TiB")
        #expect(ByteSize.format(16_777_215 << 40) == "16777215 TiB")
        #expect(ByteSize.exact(.max - 4095) == "18446744073709547520")
        #expect(ByteSize.exact(8 << 10) == "8 KiB")
    }
}

@Suite struct ManifestParserTests {
    @Test func readsEveryKeyWithPositions() throws {
        let text = """
        [system]
        name = "demo"
        version = "1.2.3"
        platforms = ["aarch64-virt"]

        [kernel]
        core = 0
        stack-size = "16 KiB"

        [shards.producer]
        lang = "c"
        path = "src/producer"
        cores = [1, 2]
        stack-size = 8192
        heap-size = "1 MiB"
        max-sizes = { text = "64 KiB", rodata = 4096, data = "16 KiB" }
        caps = ["log", "time"]
        devices = ["rtc"]
        supervisor = { policy = "propagate", max-restarts = 3, min-run-ms = 50, to = "sink" }
        watchdog-ms = 100

        [channels.samples]
        from = "producer"
        to = "sink"
        msg-size = 64
        slots = 256
        notify = false
        """
        let (m, diags) = ManifestParser.parse(text, file: "m.toml")
        #expect(diags.isEmpty, "\(diags)")
        let man = try #require(m)
        #expect(man.system.name?.value == "demo" && man.system.version?.value == "1.2.3")
        #expect(man.system.platforms?.value.map(\.value) == ["aarch64-virt"])
        #expect(man.kernel.core?.value == 0 && man.kernel.stackSize?.value == 16384)
        let s = try #require(man.shards.first)
        #expect(s.name.value == "producer" && s.name.location.line == 10)
        #expect(s.lang?.value == .c && s.path?.value == "src/producer")
        #expect(s.cores?.value.map(\.value) == [1, 2])
        #expect(s.cores?.value[1].location == SourceLocation(file: "m.toml", line: 13, column: 13))
        #expect(s.stackSize?.value == 8192 && s.heapSize?.value == 1 << 20)
        #expect(s.maxSizes[.text]?.value == 65536 && s.maxSizes[.rodata]?.value == 4096 && s.maxSizes[.data]?.value == 16384)
        #expect(s.caps.map(\.value) == ["log", "time"] && s.devices.map(\.value) == ["rtc"])
        #expect(s.supervisor?.policy?.value == .propagate && s.supervisor?.to?.value == "sink")
        #expect(s.supervisor?.maxRestarts?.value == 3 && s.supervisor?.minRunMs?.value == 50)
        #expect(s.watchdogMs?.value == 100)
        let c = try #require(man.channels.first)
        #expect(c.from?.value == "producer" && c.to?.value == "sink" && c.msgSize?.value == 64 && c.slots?.value == 256)
        #expect(c.notify?.value == false)
    }

    @Test func shardsKeepDocumentOrder() throws {
        let text = "[system]\nname = \"x\"\n[shards.zeta]\nlang = \"c\"\ncores = [1]\n[shards.alpha]\nlang = \"c\"\ncores = [2]\n"
        let m = try #require(ManifestParser.parse(text, file: "m.toml").0)
        #expect(m.shards.map(\.name.value) == ["zeta", "alpha"])
    }

    @Test func didYouMeanFindsCloseKeys() {
        #expect(didYouMean("stak-size", among: ManifestKeys.shard) == "stack-size")
        #expect(didYouMean("colour", among: ManifestKeys.shard) == nil)
    }
}
