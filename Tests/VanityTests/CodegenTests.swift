import Foundation
import Testing
import VanityCodegen
import VanityDiagnostics
import VanityDriver
import VanityImage
import VanityLayout
import VanityManifest
import VanityModel
import VanityPlatform

/// Runs a tool from the Swift toolchain (clang, ld.lld, swiftc).
struct Tool {
    struct Output {
        var status: Int32
        var text: String
    }

    static func path(_ name: String) -> String {
        if name.hasPrefix("/") { return name }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return "/usr/bin/\(name)"
    }

    static func run(_ name: String, _ args: [String], cwd: String? = nil) throws -> Output {
        let r = try spawn(path(name), args, cwd: cwd)
        return Output(status: r.status, text: r.stdout)
    }
}

/// The demo manifest laid out on the real platforms (real DTBs).
let demoLayouts: [Layout] = {
    let (platforms, _) = PlatformLoader.loadAll(platformsDirectory: repoRoot + "/Platforms")
    let text = (try? String(contentsOfFile: repoRoot + "/Config/system.toml", encoding: .utf8)) ?? ""
    let out = Frontend.run(text: text, file: "Config/system.toml", platforms: platforms, directoryExists: { _ in true })
    return out.layouts
}()

/// Writes a layout's generated files under a fresh folder and returns it.
func materialise(_ layout: Layout) throws -> String {
    let dir = try temporaryDirectory()
    for f in Codegen.generate(layout) {
        let url = URL(fileURLWithPath: dir + "/" + f.path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try f.contents.write(to: url, atomically: true, encoding: .utf8)
    }
    return dir
}

func cFlags(_ p: Platform) -> [String] {
    ["--target=\(p.clangTarget)", "-std=c17", "-ffreestanding", "-nostdlib", "-fno-pic", "-fno-stack-protector",
     "-O1", "-Wall", "-Wextra", "-Werror", "-I", repoRoot + "/Kernel/include"] + p.cFlags
}

func readElf(_ path: String) throws -> ElfFile {
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    return try ElfFile.parse(bytes).get()
}

/// Every loadable segment lies inside one region of `regions` whose
/// permissions match, and none is writable and executable.
func checkSegments(_ elf: ElfFile, within regions: [Region], _ who: String) {
    let loads = elf.segments.filter { $0.isLoad && $0.memSize > 0 }
    #expect(!loads.isEmpty, "\(who): no loadable segments")
    for seg in loads {
        #expect(!(seg.writable && seg.executable), "\(who): segment at \(hex(seg.vaddr)) is writable and executable")
        let home = regions.first { seg.vaddr >= $0.virt && seg.vaddr + seg.memSize <= $0.virtEnd }
        #expect(home != nil, "\(who): segment \(hex(seg.vaddr))+\(hex(seg.memSize)) is outside every region")
        if let home { #expect(seg.perms == home.perms.description, "\(who): segment in \(home.name) is \(seg.perms), region is \(home.perms)") }
    }
}

@Suite(.serialized) struct CodegenTests {
    @Test func theDemoLaysOutOnEveryRealPlatform() {
        #expect(demoLayouts.map(\.platform.name) == ["aarch64-virt", "riscv64-virt", "x86_64-pc", "sim"])
    }

    @Test func generationIsByteIdenticalAcrossRuns() {
        for l in demoLayouts {
            #expect(Codegen.generate(l) == Codegen.generate(l))
        }
        let (a, _) = pipeline(generateManifestText(seed: 7))
        let (b, _) = pipeline(generateManifestText(seed: 7))
        #expect(a.map(Codegen.generate) == b.map(Codegen.generate))
    }

    @Test func layoutJsonDescribesEveryRegion() throws {
        for l in demoLayouts {
            let json = try #require(Codegen.generate(l).first { $0.path == "layout.json" })
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.contents.utf8)) as? [String: Any])
            #expect(doc["system"] as? String == "demo")
            #expect(doc["platform"] as? String == l.platform.name)
            #expect((doc["page-size"] as? NSNumber)?.uint64Value == l.pageSize)
            let ram = try #require(doc["ram"] as? [String: Any])
            #expect((ram["base"] as? NSNumber)?.uint64Value == l.platform.ram.base)
            let regions = try #require(doc["regions"] as? [[String: Any]])
            #expect(regions.count == l.regions.count)
            for (r, j) in zip(l.regions, regions) {
                #expect(j["owner"] as? String == r.owner && j["kind"] as? String == r.kind.rawValue
                        && j["name"] as? String == r.name && (j["phys"] as? NSNumber)?.uint64Value == r.phys
                        && (j["size"] as? NSNumber)?.uint64Value == r.size && j["perms"] as? String == r.perms.description)
            }
            // A channel appears once per endpoint with the same phys.
            let samples = regions.filter { $0["kind"] as? String == "channel" && $0["name"] as? String == "samples" }
            #expect(Set(samples.compactMap { $0["owner"] as? String }) == ["producer", "transformer"])
            #expect(Set(samples.compactMap { ($0["phys"] as? NSNumber)?.uint64Value }).count == 1)
        }
    }

    @Test func shardHeadersAndSystemTableCompileForEveryTarget() throws {
        for l in demoLayouts {
            let dir = try materialise(l)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            for s in l.shards {
                let shardDir = "\(dir)/shards/\(s.shard.name)"
                // Use every handle so the header's values are checked by the compiler.
                var src = "#include <vanity_shard.h>\n"
                src += "_Static_assert(VANITY_SHARD_ID == \(s.shard.id), \"id\");\n"
                src += "_Static_assert(VANITY_SHARD_STACK_TOP == \(s.stackTop)ull, \"stack\");\n"
                src += "unsigned long used(void) { unsigned long n = 0;\n"
                for c in l.system.channels(of: s.shard.id) {
                    let m = "VANITY_CHANNEL_\(c.name.uppercased())"
                    src += "  _Static_assert(\(m)_SLOTS == \(c.slots)u && \(m)_MSG_SIZE == \(c.msgSize)u, \"shape\");\n"
                    src += "  n += (unsigned long)vanity_channel_\(c.name).ring + vanity_channel_\(c.name).slots;\n"
                }
                for g in s.shard.devices {
                    src += "  n += vanity_device_\(g.identifier).base + vanity_device_\(g.identifier).irq;\n"
                }
                src += "  return n; }\n"
                try src.write(toFile: shardDir + "/use.c", atomically: true, encoding: .utf8)
                let r = try Tool.run("clang", cFlags(l.platform) + ["-I", shardDir, "-c", shardDir + "/use.c", "-o", shardDir + "/use.o"])
                #expect(r.status == 0, "\(l.platform.name)/\(s.shard.name): \(r.text)")
            }
            let r = try Tool.run("clang", cFlags(l.platform) + ["-c", dir + "/kernel/system_table.c", "-o", dir + "/st.o"])
            #expect(r.status == 0, "\(l.platform.name) system_table.c: \(r.text)")
        }
    }

    /// A trivial shard with something in every section, linked with the
    /// generated script, lands exactly at its layout addresses.
    @Test func shardLinkerScriptsPlaceEverySectionInItsRegion() throws {
        let src = """
            const char message[] = "hello";
            int counter = 7;
            int scratch[64];
            __attribute__((section(".text.start"))) void _start(void) {
              for (;;) { scratch[counter & 63] = message[counter % 5]; counter++; }
            }

            """
        for l in demoLayouts {
            let dir = try materialise(l)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try src.write(toFile: dir + "/trivial.c", atomically: true, encoding: .utf8)
            let cc = try Tool.run("clang", cFlags(l.platform) + ["-c", dir + "/trivial.c", "-o", dir + "/trivial.o"])
            try #require(cc.status == 0, "\(cc.text)")
            for s in l.shards {
                let elfPath = "\(dir)/\(s.shard.name).elf"
                let ld = try Tool.run("ld.lld", ["-static", "-nostdlib", "-T", "\(dir)/shards/\(s.shard.name)/link.ld",
                                                 dir + "/trivial.o", "-o", elfPath])
                try #require(ld.status == 0, "\(l.platform.name)/\(s.shard.name): \(ld.text)")
                let elf = try readElf(elfPath)
                let who = "\(l.platform.name)/\(s.shard.name)"
                #expect(elf.entry == s.entry, "\(who): entry \(hex(elf.entry)) != \(hex(s.entry))")
                #expect(elf.section(".text")?.addr == s.region(.text)!.virt, "\(who)")
                #expect(elf.section(".rodata")?.addr == s.region(.rodata)!.virt, "\(who)")
                #expect(elf.section(".data")?.addr == s.region(.data)!.virt, "\(who)")
                #expect(elf.symbol("__vanity_stack_top")?.value == s.stackTop, "\(who)")
                checkSegments(elf, within: s.regions, who)
            }
        }
    }

    @Test func kernelLinkerScriptPlacesTheSystemTableInKernelRodata() throws {
        let boot = """
            #include <vanity/system_table.h>
            __attribute__((section(".text.boot"))) void _start(void) {
              volatile unsigned n = vanity_system.shard_count; (void)n; for (;;) {}
            }

            """
        for l in demoLayouts {
            let dir = try materialise(l)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try boot.write(toFile: dir + "/boot.c", atomically: true, encoding: .utf8)
            for (src, obj) in [("boot.c", "boot.o"), ("kernel/system_table.c", "st.o")] {
                let r = try Tool.run("clang", cFlags(l.platform) + ["-c", "\(dir)/\(src)", "-o", "\(dir)/\(obj)"])
                try #require(r.status == 0, "\(r.text)")
            }
            let ld = try Tool.run("ld.lld", ["-static", "-nostdlib", "-T", dir + "/kernel/kernel.ld",
                                             dir + "/boot.o", dir + "/st.o", "-o", dir + "/kernel.elf"])
            try #require(ld.status == 0, "\(l.platform.name): \(ld.text)")
            let elf = try readElf(dir + "/kernel.elf")
            let text = l.kernel.first { $0.kind == .text }!
            let rodata = l.kernel.first { $0.kind == .rodata }!
            #expect(elf.entry == text.virt)
            let table = try #require(elf.symbol("vanity_system"))
            #expect(table.value >= rodata.virt && table.value + table.size <= rodata.virtEnd,
                    "\(l.platform.name): vanity_system at \(hex(table.value))")
            let stack0 = l.kernel.first { $0.name == "stack.core0" }!
            #expect(elf.symbol("__vanity_stack_top_core0")?.value == stack0.virtEnd)
            checkSegments(elf, within: l.kernel, "\(l.platform.name)/kernel")
        }
    }

    /// A shard that outgrows its text budget fails to link with a message
    /// that names the shard and the budget.
    @Test func anOversizedShardFailsToLinkNamingItsBudget() throws {
        let l = try #require(demoLayouts.first)
        let dir = try materialise(l)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let big = """
            __attribute__((section(".text.start"))) void _start(void) {
              __asm__ volatile(".fill 20000, 4, 0"); for (;;) {}
            }

            """
        try big.write(toFile: dir + "/big.c", atomically: true, encoding: .utf8)
        let cc = try Tool.run("clang", cFlags(l.platform) + ["-c", dir + "/big.c", "-o", dir + "/big.o"])
        try #require(cc.status == 0, "\(cc.text)")
        let ld = try Tool.run("ld.lld", ["-static", "-nostdlib", "-T", dir + "/shards/producer/link.ld",
                                         dir + "/big.o", "-o", dir + "/big.elf"])
        #expect(ld.status != 0)
        #expect(ld.text.contains("shard producer: .text is larger than its 16 KiB region (max-sizes.text)"), "\(ld.text)")
    }

    @Test func swiftBindingsCompileWithEmbeddedSwiftForEveryTarget() throws {
        let lib = try FileManager.default.contentsOfDirectory(atPath: repoRoot + "/Shards/lib/swift")
            .filter { $0.hasSuffix(".swift") }.sorted().map { repoRoot + "/Shards/lib/swift/" + $0 }
        let main = """
            @_cdecl("vanity_main")
            public func vanityMain() -> UInt32 {
                let rx = Shard.Channels.samples
                let tx = Shard.Channels.results
                return UInt32(rx.msgSize) &+ tx.slots &+ UInt32(Shard.id) &+ UInt32(rx.ring.pointee.info.slots)
            }

            """
        for l in demoLayouts {
            let dir = try materialise(l)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let shard = dir + "/shards/transformer"
            try main.write(toFile: shard + "/main.swift", atomically: true, encoding: .utf8)
            var args = ["-enable-experimental-feature", "Embedded", "-target", l.platform.swiftTarget, "-wmo",
                        "-parse-as-library", "-Osize", "-Xfrontend", "-disable-stack-protector",
                        "-Xcc", "-ffreestanding", "-Xcc", "-I" + repoRoot + "/Kernel/include",
                        "-Xcc", "-I" + shard, "-Xcc", "-I" + repoRoot + "/Shards/lib/c/include",
                        "-Xcc", "-I\(repoRoot)/Platforms/\(l.platform.name)/include",
                        "-import-objc-header", repoRoot + "/Shards/lib/swift/Bridging.h", "-module-name", "transformer",
                        "-c", shard + "/Shard.swift", shard + "/main.swift", "-o", shard + "/shard.o"] + lib
            for f in l.platform.swiftCFlags { args += ["-Xcc", f] }
            let r = try Tool.run("swiftc", args, cwd: dir)
            #expect(r.status == 0, "\(l.platform.name): \(r.text)")
        }
    }

    /// Every ABI name the generators write (ABIConstant) is the headers' name
    /// for the value the Swift side imported through VanityABI.
    @Test func abiNamesAreTheHeadersConstants() throws {
        let all: [ABIConstant] = [.noShard, .noIrq] + Capability.allCases.map(\.abi) + PolicyKind.allCases.map(\.abi)
            + ShardLang.allCases.map(\.abi) + Direction.allCases.map(\.abi) + ImageFormat.allCases.map(\.abi)
            + RegionKind.allCases.map(\.abi) + Perm.allCases.map(\.abi)
        #expect(Set(all.map(\.name)).count == all.count, "a name is given to two constants")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func compile(_ constants: [ABIConstant]) throws -> Tool.Output {
            var src = "#include <vanity/abi.h>\n#include <vanity/handles.h>\n"
            for k in constants { src += "_Static_assert(\(k.name) == \(k.value)u, \"\(k.name) is not \(k.value)\");\n" }
            try src.write(toFile: dir + "/names.c", atomically: true, encoding: .utf8)
            return try Tool.run("clang", ["-std=c17", "-ffreestanding", "-fsyntax-only", "-Wall", "-Werror",
                                          "-I", repoRoot + "/Kernel/include", dir + "/names.c"])
        }
        let r = try compile(all)
        #expect(r.status == 0, "\(r.text)")
        // The check can fail: a name with another constant's value does not compile.
        let drifted = try compile([ABIConstant(Capability.log.abi.name, Capability.time.abi.value)])
        #expect(drifted.status != 0 && drifted.text.contains("VANITY_CAP_LOG is not"), "\(drifted.text)")
    }

    @Test func swiftIdentifiersStayDistinct() {
        let layouts = pipeline("""
            [system]
            name = "t"
            [shards.a-1]
            lang = "swift"
            cores = [1]
            [shards.a1]
            lang = "c"
            cores = [2]
            [channels.in]
            from = "a1"
            to = "a-1"
            msg-size = 8
            slots = 2
            [channels.a-b]
            from = "a-1"
            to = "a1"
            msg-size = 8
            slots = 2
            """).layouts
        let l = try! #require(layouts.first)
        let swift = Codegen.generate(l).first { $0.path == "shards/a-1/Shard.swift" }!.contents
        #expect(swift.contains("static var `in`: Receiver"))
        #expect(swift.contains("static var aB: Sender"))
        let header = Codegen.generate(l).first { $0.path == "shards/a-1/vanity_shard.h" }!.contents
        #expect(header.contains("#define VANITY_CHANNEL_A_B_ADDR"))
        #expect(header.contains("static const struct vanity_channel vanity_channel_a_b ="))
    }
}

func generateManifestText(seed: UInt64) -> String {
    var rng = SplitMix64(seed: seed)
    return generateManifest(&rng)
}

/// Shared regions in the generated sources: each mapping shard's header,
/// Swift binding and region list in the system table say the same, from the
/// layout's one record per mapping; shards that do not map a region see
/// nothing of it.
@Suite struct RegionCodegenTests {
    static let manifest = """
        [system]
        name = "t"

        [shards.driver]
        lang = "c"
        cores = [1]

        [shards.client]
        lang = "swift"
        cores = [2]

        [shards.other]
        lang = "c"
        cores = [3]

        [regions.rx-frames]
        size = "64 KiB"
        dma = true
        map = { driver = "rw", client = "r" }

        [regions.notes]
        size = 8192
        cache = "uncached"
        map = { client = "rw" }
        """

    static func file(_ l: Layout, _ path: String) throws -> String {
        try #require(Codegen.generate(l).first { $0.path == path }).contents
    }

    @Test func eachMappingShardGetsItsRightsAndOnlyDMARegionsTheirPhysicalAddress() throws {
        let (layouts, diags) = pipeline(Self.manifest)
        #expect(diags.filter { $0.severity == .error }.isEmpty, "\(diags)")
        try #require(layouts.count == TestPlatforms.all.count)
        for l in layouts {
            let frames = try #require(l.shared.first { $0.region.name == "rx-frames" })
            let notes = try #require(l.shared.first { $0.region.name == "notes" })
            #expect(frames.size == 64 << 10 && notes.size == 8192 && frames.phys % l.pageSize == 0)
            let f = hex(frames.phys), n = hex(notes.phys)

            let driver = try Self.file(l, "shards/driver/vanity_shard.h")
            for line in ["#define VANITY_REGION_RX_FRAMES_ADDR \(f)ull", "#define VANITY_REGION_RX_FRAMES_SIZE 0x10000ull",
                         "#define VANITY_REGION_RX_FRAMES_WRITABLE 1u", "#define VANITY_REGION_RX_FRAMES_DMA 1u",
                         "#define VANITY_REGION_RX_FRAMES_UNCACHED 0u", "#define VANITY_REGION_RX_FRAMES_PHYS \(f)ull",
                         "static const struct vanity_shared_region vanity_region_rx_frames = {"] {
                #expect(driver.contains(line + "\n"), "\(l.platform.name) driver: \(line)\n\(driver)")
            }
            #expect(!driver.contains("NOTES") && !driver.contains("vanity_region_notes"))

            let client = try Self.file(l, "shards/client/vanity_shard.h")
            for line in ["#define VANITY_REGION_RX_FRAMES_WRITABLE 0u", "#define VANITY_REGION_RX_FRAMES_PHYS \(f)ull",
                         "#define VANITY_REGION_NOTES_ADDR \(n)ull", "#define VANITY_REGION_NOTES_SIZE 0x2000ull",
                         "#define VANITY_REGION_NOTES_WRITABLE 1u", "#define VANITY_REGION_NOTES_DMA 0u",
                         "#define VANITY_REGION_NOTES_UNCACHED 1u", "    .phys = 0,"] {
                #expect(client.contains(line + "\n"), "\(l.platform.name) client: \(line)\n\(client)")
            }
            #expect(!client.contains("VANITY_REGION_NOTES_PHYS"), "a region without dma has no physical address")

            let other = try Self.file(l, "shards/other/vanity_shard.h")
            #expect(!other.contains("VANITY_REGION_RX") && !other.contains("VANITY_REGION_NOTES") && other.contains("/* Shared regions (0)"))

            let swift = try Self.file(l, "shards/client/Shard.swift")
            #expect(swift.contains("static let rxFrames = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(\(f)))!, count: 65536)\n"), "\(swift)")
            #expect(swift.contains("static let notes = UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: UInt(\(n)))!, count: 8192)\n"), "\(swift)")
            #expect(swift.contains("        enum Physical {\n            static let rxFrames: UInt64 = \(f)\n        }\n"), "\(swift)")

            let table = try Self.file(l, "kernel/system_table.c")
            func entry(_ phys: UInt64, _ size: UInt64, _ perms: String, _ name: String) -> String {
                "    {.phys = \(hex(phys))ull, .virt = \(hex(phys))ull, .size = \(hex(size))ull, .kind = VANITY_REGION_SHARED, .perms = \(perms)}, /* \(name) */\n"
            }
            func list(_ shard: String) -> Substring {
                let start = table.range(of: "static const struct vanity_region shard_\(shard)_regions[] = {\n")!.upperBound
                return table[start..<table[start...].range(of: "};\n")!.lowerBound]
            }
            #expect(list("driver").contains(entry(frames.phys, frames.size, "VANITY_PERM_R | VANITY_PERM_W", "rx-frames")), "\(table)")
            #expect(list("client").contains(entry(frames.phys, frames.size, "VANITY_PERM_R", "rx-frames")), "\(table)")
            #expect(list("client").contains(entry(notes.phys, notes.size, "VANITY_PERM_R | VANITY_PERM_W | VANITY_PERM_UNCACHED", "notes")),
                    "\(table)")
            #expect(!list("other").contains("VANITY_REGION_SHARED") && !list("driver").contains("notes"))
        }
    }

    /// A platform whose descriptor does not list "uncached" in
    /// `region-cache` refuses a region that asks for it, at its value.
    @Test func aCacheModeThePlatformLacksIsAnErrorAtTheValue() throws {
        let plain = TestPlatforms.make("test-plain", .riscv64, ramBase: 0x8000_0000, kernelBase: 0x8020_0000, cacheModes: [.normal])
        let (layouts, diags) = pipeline(Self.manifest, platforms: [plain] + TestPlatforms.all)
        #expect(layouts.isEmpty)
        let errors = diags.filter { $0.severity == .error }
        #expect(errors.count == 1, "\(diags)")
        let line = Self.manifest.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("cache = ") }! + 1
        #expect(errors.first?.location.line == line && errors.first?.location.column == 9, "\(errors)")
        #expect(errors.first?.message == "region \"notes\" asks for cache = \"uncached\", which test-plain does not offer (it offers \"normal\");"
                + " build for the others with --platform, or use the default \"normal\"", "\(errors)")
        #expect(pipeline(Self.manifest.replacingOccurrences(of: "cache = \"uncached\"\n", with: ""), platforms: [plain]).layouts.count == 1)
    }

    @Test func reportsShowEachRegionOnceWithItsMap() throws {
        let l = try #require(pipeline(Self.manifest).layouts.first)
        let frames = try #require(l.shared.first { $0.region.name == "rx-frames" })
        let json = try Self.file(l, "layout.json")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let shared = try #require(doc["shared"] as? [[String: Any]])
        #expect(shared.compactMap { $0["name"] as? String } == ["rx-frames", "notes"])
        #expect((shared[0]["phys"] as? NSNumber)?.uint64Value == frames.phys && (shared[0]["size"] as? NSNumber)?.uint64Value == 65536)
        #expect(shared[0]["dma"] as? Bool == true && shared[1]["dma"] as? Bool == false && shared[0]["cache"] as? String == "normal"
                && shared[1]["cache"] as? String == "uncached")
        #expect(shared[0]["map"] as? [String: String] == ["driver": "rw", "client": "r"])
        // Once per mapping shard among the regions, with that shard's rights.
        let regions = try #require(doc["regions"] as? [[String: Any]]).filter { $0["kind"] as? String == "shared" }
        #expect(regions.map { "\($0["owner"]!):\($0["name"]!):\($0["perms"]!)" } == ["driver:rx-frames:rw-", "client:rx-frames:r--", "client:notes:rw-"])

        let text = try Self.file(l, "layout.txt")
        #expect(text.contains("\nshared regions\n  rx-frames: 64 KiB at \(hex(frames.phys)), dma, mapped by \"driver\" (rw), \"client\" (r)\n"), "\(text)")
        #expect(text.contains("\n  notes: 8 KiB at "), "\(text)")
        #expect(text.contains(", uncached, mapped by \"client\" (rw)\n"), "\(text)")
        let svg = try Self.file(l, "memory-map.svg")
        #expect(svg.components(separatedBy: ">shared rx-frames<").count == 2, "one row per region")
        #expect(svg.contains("64 KiB dma, driver rw, client r<") && svg.contains("8 KiB uncached, client rw<"), "\(svg)")
        let dot = try Self.file(l, "topology.dot")
        #expect(dot.contains("\"region:rx-frames\" -> \"client\" [label=\"r\", dir=forward, style=dotted];"))
    }

    /// No segment of a shard's ELF may land in a shared region (the image
    /// would overwrite what the other shards keep there).
    @Test func theImageCheckRefusesASegmentInASharedRegion() throws {
        let l = try #require(pipeline(Self.manifest).layouts.first)
        let client = try #require(l.shards.first { $0.shard.name == "client" })
        let notes = try #require(client.regions.first { $0.kind == .shared && $0.name == "notes" })
        let seg = ElfFile.Segment(type: 1, flags: 6, vaddr: notes.virt, paddr: notes.virt, offset: 0, fileSize: 16, memSize: 16)
        let elf = ElfFile(machine: 183, entry: client.entry, segments: [seg], sections: [], symbols: [])
        #expect(ImageCheck.segments(elf, within: client.regions, who: "client")
            == ["client: segment \(hex(notes.virt))..\(hex(notes.virt + 16)) lies in shared region \"notes\""])
    }

    /// The headers compile for every real target with the handles used and
    /// their values checked by the compiler.
    @Test func headersWithRegionsCompileForEveryTarget() throws {
        let (platforms, _) = PlatformLoader.loadAll(platformsDirectory: repoRoot + "/Platforms")
        let out = Frontend.run(text: Self.manifest, file: "t.toml", platforms: platforms, directoryExists: { _ in true })
        try #require(out.layouts.count == 4, "\(out.diagnostics)")
        for l in out.layouts {
            let dir = try materialise(l)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let shardDir = dir + "/shards/client"
            let src = """
                #include <vanity_shard.h>
                _Static_assert(VANITY_REGION_RX_FRAMES_SIZE == 65536 && !VANITY_REGION_RX_FRAMES_WRITABLE && VANITY_REGION_NOTES_WRITABLE, "facts");
                _Static_assert(VANITY_REGION_RX_FRAMES_PHYS == VANITY_REGION_RX_FRAMES_ADDR, "virt == phys");
                unsigned long long used(void) {
                  return (unsigned long long)(uintptr_t)vanity_region_rx_frames.base + vanity_region_rx_frames.phys + vanity_region_notes.size
                         + vanity_region_notes.writable + vanity_region_notes.dma;
                }

                """
            try src.write(toFile: shardDir + "/use.c", atomically: true, encoding: .utf8)
            let r = try Tool.run("clang", cFlags(l.platform) + ["-I", shardDir, "-c", shardDir + "/use.c", "-o", shardDir + "/use.o"])
            #expect(r.status == 0, "\(l.platform.name): \(r.text)")
        }
    }
}
