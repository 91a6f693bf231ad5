import Foundation
import Testing
import VanityCodegen
import VanityDriver
import VanityLayout
import VanityPlatform
import VanityToolchain

/// Facts that differ from their defaults reach every generated form: the
/// shard's C header, the kernel's system table and the shard's Swift
/// binding. Each form is compiled for the host (the simulator's target) and
/// run, and prints what it holds; the Swift binding is compiled by the
/// simulator's own Swift job (BuildPlanner) with the Swift user library.
@Suite(.serialized) struct GeneratedFactsTests {
    /// `listener` (Swift) receives "quiet" without notification and sends
    /// "loud" with the default; it has a heap, a watchdog and a propagate
    /// policy with non-default numbers. It maps the DMA region "shelf"
    /// read-only (talker: read-write) and "notes" read-write (talker: not).
    static let manifest = """
        [system]
        name = "facts"

        [shards.listener]
        lang = "swift"
        cores = [1]
        heap-size = "8 KiB"
        watchdog-ms = 250
        supervisor = { policy = "propagate", to = "talker", max-restarts = 5, min-run-ms = 20 }

        [shards.talker]
        lang = "c"
        cores = [2]

        [channels.quiet]
        from = "talker"
        to = "listener"
        msg-size = 16
        slots = 8
        notify = false

        [channels.loud]
        from = "listener"
        to = "talker"
        msg-size = 8
        slots = 4

        [regions.shelf]
        size = "8 KiB"
        dma = true
        map = { talker = "rw", listener = "r" }

        [regions.notes]
        size = "4 KiB"
        map = { listener = "rw" }

        """

    /// The manifest laid out on the simulator, whose target is this host.
    static func simLayout(_ manifest: String = manifest, platform: String = "sim") throws -> Layout {
        let (platforms, _) = PlatformLoader.loadAll(platformsDirectory: repoRoot + "/Platforms")
        let sim = try #require(platforms.first { $0.name == platform })
        let out = Frontend.run(text: manifest, file: "facts.toml", platforms: [sim], directoryExists: { _ in true })
        #expect(out.diagnostics.filter { $0.severity == .error }.isEmpty, "\(out.diagnostics.map(\.description))")
        return try #require(out.layouts.first)
    }

    /// Runs `body` with the manifest's simulator layout and its generated
    /// files in a fresh folder.
    static func withGenerated(_ manifest: String = manifest, platform: String = "sim",
                              _ body: (_ layout: Layout, _ dir: String) throws -> Void) throws {
        let layout = try simLayout(manifest, platform: platform)
        let dir = try materialise(layout)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(layout, dir)
    }

    /// "key=value" lines → a dictionary.
    static func values(_ text: String) -> [String: String] {
        var d: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { d[parts[0]] = parts[1] }
        }
        return d
    }

    /// Links `objects` with `c` (a C source holding `main`) for the host,
    /// runs the program and returns what it printed.
    static func linkAndRun(_ dir: String, c: String, objects: [String] = [], includes: [String] = []) throws -> [String: String] {
        try c.write(toFile: dir + "/main.c", atomically: true, encoding: .utf8)
        let cc = try Tool.run("clang", ["-std=c17", "-Wall", "-Wextra", "-Werror", "-no-pie", "-I", repoRoot + "/Kernel/include"]
                                  + includes.flatMap { ["-I", $0] } + [dir + "/main.c"] + objects + ["-o", dir + "/main"])
        try #require(cc.status == 0, "\(cc.text)")
        let run = try Tool.run(dir + "/main", [])
        try #require(run.status == 0, "\(run.text)")
        return values(run.text)
    }

    /// Compiles `main` (Swift statements run as the shard's entry point)
    /// with the shard's generated Shard.swift and the Swift user library, by
    /// the simulator's build job, then runs it.
    static func runSwiftBinding(_ layout: Layout, generated dir: String, shard: String, main: String,
                                extraC: String = "") throws -> [String: String] {
        let own = dir + "/\(shard).swift"
        try "@_cdecl(\"vanity_main\")\npublic func vanityMain() -> UInt32 {\n\(main)\n    return 0\n}\n"
            .write(toFile: own, atomically: true, encoding: .utf8)
        let library = try FileManager.default.contentsOfDirectory(atPath: repoRoot + "/Shards/lib/swift")
            .filter { $0.hasSuffix(".swift") }.sorted().map { repoRoot + "/Shards/lib/swift/" + $0 }
        var sources = SourceSet(repoRoot: repoRoot, manifestDirectory: dir, kernelSources: [], platformSources: [],
                                shardSources: [shard: [own]], swiftLibrary: library)
        sources.libc = try shardCLibrary(layout.platform)
        let (jobs, _) = BuildPlanner.plan(layout, sources: sources, generated: dir)
        let job = try #require(jobs.first { $0.kind == .compileSwift && $0.label.hasPrefix("shard \(shard):") })
        try FileManager.default.createDirectory(atPath: (job.output as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let swiftc = try Tool.run(job.tool, job.arguments, cwd: dir)
        try #require(swiftc.status == 0, "\(swiftc.text)")
        // The simulator's shard runtime, reduced to what the library links against.
        let c = """
            #include <stdint.h>
            int vanity_sim_deterministic;
            int64_t vanity_sim_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2) {
              (void)nr; (void)a0; (void)a1; (void)a2;
              return -1;
            }
            uint64_t vanity_sim_mmio_read(uintptr_t addr, uint32_t width) { (void)addr; (void)width; return 0; }
            void vanity_sim_mmio_write(uintptr_t addr, uint64_t value, uint32_t width) { (void)addr; (void)value; (void)width; }
            uint32_t vanity_main(void);
            int main(void) { return (int)vanity_main(); }

            """ + extraC
        return try linkAndRun(dir, c: c, objects: [job.output])
    }

    /// Compiles `body` (C statements printing with printf) with the shard's
    /// generated vanity_shard.h and runs it.
    static func runCHeader(generated dir: String, shard: String, body: String) throws -> [String: String] {
        let c = "#include <stdio.h>\n#include <vanity_shard.h>\nint main(void) {\n\(body)\n  return 0;\n}\n"
        return try linkAndRun(dir, c: c, includes: [dir + "/shards/\(shard)"])
    }

    /// Compiles `body` (C statements printing with printf) with the generated
    /// kernel/system_table.c and runs it.
    static func runSystemTable(generated dir: String, body: String) throws -> [String: String] {
        let c = """
            #include <stdio.h>
            #include <string.h>
            #include <vanity/abi.h>
            __attribute__((unused)) static const struct vanity_shard_desc *shard(const char *name) {
              for (uint32_t i = 0; i < vanity_system.shard_count; i++)
                if (!strcmp(vanity_system.shards[i].name, name)) return &vanity_system.shards[i];
              return 0;
            }
            __attribute__((unused)) static const struct vanity_channel_desc *channel(const char *name) {
              for (uint32_t i = 0; i < vanity_system.channel_count; i++)
                if (!strcmp(vanity_system.channels[i].name, name)) return &vanity_system.channels[i];
              return 0;
            }
            int main(void) {
            \(body)
              return 0;
            }

            """
        return try linkAndRun(dir, c: c, objects: [dir + "/kernel/system_table.c"])
    }

    /// `notify = false` on "quiet": 0 in the header, the table and the
    /// compiled Swift receiver; "loud" keeps the default 1 everywhere.
    @Test func notifyFalseReachesEveryForm() throws {
        try Self.withGenerated { layout, dir in

            let swift = try Self.runSwiftBinding(layout, generated: dir, shard: "listener", main: """
                    print("quiet=\\(Shard.Channels.quiet.raw.notify)")
                    print("loud=\\(Shard.Channels.loud.raw.notify)")
                """)
            #expect(swift["quiet"] == "0", "Shard.swift: \(swift)")
            #expect(swift["loud"] == "1", "Shard.swift: \(swift)")

            for shard in ["listener", "talker"] {
                let header = try Self.runCHeader(generated: dir, shard: shard, body: """
                      printf("quiet=%u\\n", vanity_channel_quiet.notify);
                      printf("loud=%u\\n", vanity_channel_loud.notify);
                    """)
                #expect(header["quiet"] == "0" && header["loud"] == "1", "\(shard)/vanity_shard.h: \(header)")
            }

            let table = try Self.runSystemTable(generated: dir, body: """
                  printf("quiet=%u\\n", channel("quiet")->notify);
                  printf("loud=%u\\n", channel("loud")->notify);
                """)
            #expect(table["quiet"] == "0" && table["loud"] == "1", "system_table.c: \(table)")
        }
    }

    /// Each channel's wake bit is its position in each endpoint's own
    /// channel list, and each interrupt's its position in the shard's
    /// grants: the same in the header (macros and handles), the table (the
    /// kernel's from_index, to_index and irq index) and the Swift binding.
    /// "a" holds x (its 0), y (1), z (2); "b" holds y (0) and z (1); "c"
    /// holds x (0). "a" is granted the RTC, and on aarch64-virt also the
    /// GPIO controller: one line each, its interrupts 0 and 1.
    static let wakeManifest = """
        [system]
        name = "wakebits"

        [shards.a]
        lang = "c"
        cores = [1]
        devices = ["rtc"]

        [shards.b]
        lang = "swift"
        cores = [2]

        [shards.c]
        lang = "c"
        cores = [3]

        [channels.x]
        from = "a"
        to = "c"
        msg-size = 8
        slots = 2

        [channels.y]
        from = "b"
        to = "a"
        msg-size = 8
        slots = 2

        [channels.z]
        from = "a"
        to = "b"
        msg-size = 8
        slots = 2

        """

    @Test func wakeBitsReachEveryForm() throws {
        try Self.withGenerated(Self.wakeManifest) { layout, dir in
            let swift = try Self.runSwiftBinding(layout, generated: dir, shard: "b", main: """
                    print("y=\\(Shard.Channels.y.woke.rawValue)")
                    print("z=\\(Shard.Channels.z.woke.rawValue)")
                    print("zin=\\(Wake(rawValue: VANITY_WAKE_CHANNEL | 2).contains(Shard.Channels.z))")
                    print("yin=\\(Wake(rawValue: VANITY_WAKE_CHANNEL | 2).contains(Shard.Channels.y))")
                """)
            #expect(swift == ["y": "1", "z": "2", "zin": "true", "yin": "false"], "Shard.swift: \(swift)")

            let a = try Self.runCHeader(generated: dir, shard: "a", body: """
                  printf("x=%llu\\ny=%llu\\nz=%llu\\n", VANITY_WOKE_CHANNEL_X, VANITY_WOKE_CHANNEL_Y, VANITY_WOKE_CHANNEL_Z);
                  printf("zi=%u\\n", vanity_channel_z.wake_index);
                """)
            #expect(a == ["x": "1", "y": "2", "z": "4", "zi": "2"], "a/vanity_shard.h: \(a)")
            let b = try Self.runCHeader(generated: dir, shard: "b", body: """
                  printf("y=%llu\\nz=%llu\\n", VANITY_WOKE_CHANNEL_Y, VANITY_WOKE_CHANNEL_Z);
                """)
            #expect(b == ["y": "1", "z": "2"], "b/vanity_shard.h: \(b)")

            let table = try Self.runSystemTable(generated: dir, body: """
                  printf("x=%u,%u\\ny=%u,%u\\nz=%u,%u\\n", channel("x")->from_index, channel("x")->to_index,
                         channel("y")->from_index, channel("y")->to_index, channel("z")->from_index, channel("z")->to_index);
                """)
            #expect(table == ["x": "0,0", "y": "0,1", "z": "2,1"], "system_table.c: \(table)")
        }
        // Interrupts: a board's devices (the header and table compile on the host too).
        let board = Self.wakeManifest.replacingOccurrences(of: "devices = [\"rtc\"]", with: "devices = [\"rtc\", \"gpio\"]")
        try Self.withGenerated(board, platform: "aarch64-virt") { _, dir in
            let a = try Self.runCHeader(generated: dir, shard: "a", body: """
                  printf("rtc=%llx\\ngpio=%llx\\n", VANITY_WOKE_IRQ_RTC, VANITY_WOKE_IRQ_GPIO);
                  printf("gi=%u\\n", vanity_device_gpio.irq_index);
                """)
            #expect(a == ["rtc": "1000000000000", "gpio": "2000000000000", "gi": "1"], "a/vanity_shard.h: \(a)")
            let table = try Self.runSystemTable(generated: dir, body: """
                  for (uint32_t i = 0; i < vanity_system.irq_count; i++)
                    printf("irq%u=%u,%u\\n", vanity_system.irqs[i].irq, vanity_system.irqs[i].shard, vanity_system.irqs[i].index);
                """)
            #expect(Set(table.values) == ["0,0", "0,1"], "system_table.c: \(table)")
        }
    }

    /// A device with two reg ranges (x86_64-pc's virtio-pci net: its
    /// configuration page and the window for its BAR): both in the C header
    /// and in the Swift binding's `Device.reg`, nothing past them.
    @Test func deviceRangesReachEveryForm() throws {
        let manifest = Self.wakeManifest.replacingOccurrences(of: "[shards.b]\nlang = \"swift\"\ncores = [2]\n",
                                                              with: "[shards.b]\nlang = \"swift\"\ncores = [2]\ndevices = [\"net\"]\n")
        #expect(manifest != Self.wakeManifest)
        try Self.withGenerated(manifest, platform: "x86_64-pc") { layout, dir in
            let net = try #require(layout.platform.device(named: "net"))
            #expect(net.regs.count == 2)
            let want = ["count": "2", "r0": "\(net.regs[0].base),\(net.regs[0].size)", "r1": "\(net.regs[1].base),\(net.regs[1].size)",
                        "r2": "none"]
            let swift = try Self.runSwiftBinding(layout, generated: dir, shard: "b", main: """
                    let d = Shard.Devices.net
                    print("count=\\(d.regCount)")
                    for k in 0..<3 {
                        if let r = d.reg(k) { print("r\\(k)=\\(r.base),\\(r.size)") } else { print("r\\(k)=none") }
                    }
                """, extraC: "uint64_t vanity_status[8]; /* a board's status block: a linker symbol there */\n")
            #expect(swift == want, "Shard.swift: \(swift)")
            let c = try Self.runCHeader(generated: dir, shard: "b", body: """
                  printf("count=%u\\nr0=%llu,%llu\\n", VANITY_DEVICE_NET_REG_COUNT, (unsigned long long)VANITY_DEVICE_NET_ADDR, (unsigned long long)VANITY_DEVICE_NET_SIZE);
                  printf("r1=%llu,%llu\\nr2=none\\n", (unsigned long long)VANITY_DEVICE_NET_REG1_ADDR, (unsigned long long)VANITY_DEVICE_NET_REG1_SIZE);
                """)
            #expect(c == want, "b/vanity_shard.h: \(c)")
        }
    }

    /// A non-default supervisor policy (propagate to "talker", 5 restarts,
    /// 20 ms): the same `struct vanity_policy` in the header, the table and
    /// the compiled Swift binding; "talker" keeps the defaults.
    @Test func supervisorPolicyReachesEveryForm() throws {
        try Self.withGenerated { layout, dir in
            let propagate = ["kind": "propagate", "max": "5", "min": "20", "to": "1"]
            let defaults = ["kind": "restart", "max": "3", "min": "100", "to": "none"]
            func c(_ p: String) -> String {
                """
                  printf("kind=%s\\n", \(p).kind == VANITY_POLICY_PROPAGATE ? "propagate" : \(p).kind == VANITY_POLICY_RESTART ? "restart" : "other");
                  printf("max=%u\\nmin=%u\\n", \(p).max_restarts, \(p).min_run_ms);
                  if (\(p).propagate_to == VANITY_NO_SHARD) printf("to=none\\n"); else printf("to=%u\\n", \(p).propagate_to);
                """
            }

            let swift = try Self.runSwiftBinding(layout, generated: dir, shard: "listener", main: """
                    let p = Shard.policy
                    print(p.kind == VANITY_POLICY_PROPAGATE.rawValue ? "kind=propagate" : "kind=other")
                    print("max=\\(p.max_restarts)")
                    print("min=\\(p.min_run_ms)")
                    print(p.propagate_to == UInt16(VANITY_NO_SHARD) ? "to=none" : "to=\\(p.propagate_to)")
                """)
            #expect(swift == propagate, "Shard.swift: \(swift)")

            let header = try Self.runCHeader(generated: dir, shard: "listener", body: c("vanity_shard_policy"))
            #expect(header == propagate, "listener/vanity_shard.h: \(header)")
            let talker = try Self.runCHeader(generated: dir, shard: "talker", body: c("vanity_shard_policy"))
            #expect(talker == defaults, "talker/vanity_shard.h: \(talker)")

            let table = try Self.runSystemTable(generated: dir, body: c("shard(\"listener\")->policy"))
            #expect(table == propagate, "system_table.c: \(table)")
            let tableTalker = try Self.runSystemTable(generated: dir, body: c("shard(\"talker\")->policy"))
            #expect(tableTalker == defaults, "system_table.c: \(tableTalker)")
        }
    }

    /// A shard's reach: "boss" (Swift) is named by child's `propagate` and
    /// lists "peer" in `supervises`; the table's mask, the header's macros
    /// and the Swift binding's `Shard.Reach` agree; "peer" reaches nothing.
    @Test func reachReachesEveryForm() throws {
        let manifest = """
            [system]
            name = "reach"

            [shards.boss]
            lang = "swift"
            cores = [1]
            caps = ["restart"]
            supervises = ["peer"]

            [shards.child]
            lang = "c"
            cores = [2]
            supervisor = { policy = "propagate", to = "boss" }

            [shards.peer]
            lang = "c"
            cores = [3]

            """
        try Self.withGenerated(manifest) { layout, dir in
            let swift = try Self.runSwiftBinding(layout, generated: dir, shard: "boss", main: """
                    print("child=\\(Shard.Reach.child)")
                    print("peer=\\(Shard.Reach.peer)")
                """)
            #expect(swift == ["child": "1", "peer": "2"], "Shard.swift: \(swift)")
            let header = try Self.runCHeader(generated: dir, shard: "boss", body: """
                  printf("child=%u\\npeer=%u\\nmask=%llu\\n", VANITY_REACH_CHILD, VANITY_REACH_PEER, VANITY_SHARD_REACH);
                """)
            #expect(header == ["child": "1", "peer": "2", "mask": "6"], "boss/vanity_shard.h: \(header)")
            let peer = try Self.runCHeader(generated: dir, shard: "peer", body: #"  printf("mask=%llu\n", VANITY_SHARD_REACH);"#)
            #expect(peer == ["mask": "0"], "peer/vanity_shard.h: \(peer)")
            let table = try Self.runSystemTable(generated: dir, body: """
                  printf("boss=%llu\\nchild=%llu\\npeer=%llu\\n", (unsigned long long)shard("boss")->reach,
                         (unsigned long long)shard("child")->reach, (unsigned long long)shard("peer")->reach);
                """)
            #expect(table == ["boss": "6", "child": "0", "peer": "0"], "system_table.c: \(table)")
        }
    }

    /// `heap-size = "8 KiB"`: the header, the table (a heap region) and the
    /// compiled Swift binding give the same heap, where the layout put it;
    /// "talker" has none anywhere.
    @Test func heapReachesEveryForm() throws {
        try Self.withGenerated { layout, dir in
            let placed = try #require(layout.shards.first { $0.shard.name == "listener" }?.region(.heap))
            let heap = ["base": "\(placed.virt)", "size": "8192"]
            let none = ["base": "0", "size": "0"]
            func table(_ shard: String) -> String {
                """
                  const struct vanity_shard_desc *s = shard("\(shard)");
                  unsigned long long base = 0, size = 0;
                  for (uint32_t i = 0; i < s->region_count; i++)
                    if (s->regions[i].kind == VANITY_REGION_HEAP && s->regions[i].perms == (VANITY_PERM_R | VANITY_PERM_W)
                        && s->regions[i].phys == s->regions[i].virt)
                      base = s->regions[i].virt, size = s->regions[i].size;
                  printf("base=%llu\\nsize=%llu\\n", base, size);
                """
            }
            let header = "  printf(\"base=%llu\\nsize=%llu\\n\", (unsigned long long)VANITY_SHARD_HEAP_BASE, (unsigned long long)VANITY_SHARD_HEAP_SIZE);"

            let swift = try Self.runSwiftBinding(layout, generated: dir, shard: "listener", main: """
                    print("base=\\(UInt(bitPattern: Shard.heap.baseAddress))")
                    print("size=\\(Shard.heap.count)")
                """)
            #expect(swift == heap, "Shard.swift: \(swift)")
            #expect(try Self.runCHeader(generated: dir, shard: "listener", body: header) == heap)
            #expect(try Self.runCHeader(generated: dir, shard: "talker", body: header) == none)
            #expect(try Self.runSystemTable(generated: dir, body: table("listener")) == heap)
            #expect(try Self.runSystemTable(generated: dir, body: table("talker")) == none)
        }
    }

    /// `watchdog-ms = 250`: 250 in the header, the table and the compiled
    /// Swift binding; "talker" has none (0).
    @Test func watchdogReachesEveryForm() throws {
        try Self.withGenerated { layout, dir in
            let swift = try Self.runSwiftBinding(layout, generated: dir, shard: "listener", main: """
                    print("watchdog=\\(Shard.watchdogMs)")
                """)
            #expect(swift == ["watchdog": "250"], "Shard.swift: \(swift)")
            let header = "  printf(\"watchdog=%u\\n\", VANITY_SHARD_WATCHDOG_MS);"
            #expect(try Self.runCHeader(generated: dir, shard: "listener", body: header) == ["watchdog": "250"])
            #expect(try Self.runCHeader(generated: dir, shard: "talker", body: header) == ["watchdog": "0"])
            let table = try Self.runSystemTable(generated: dir, body: """
                  printf("listener=%u\\ntalker=%u\\n", shard("listener")->watchdog_ms, shard("talker")->watchdog_ms);
                """)
            #expect(table == ["listener": "250", "talker": "0"], "system_table.c: \(table)")
        }
    }

    /// Shared regions: the same address, size, rights and (DMA only)
    /// physical address in the listener's Swift binding, both shards' C
    /// headers and their region lists in the system table; the talker, which
    /// does not map "notes", has it nowhere.
    @Test func sharedRegionsReachEveryForm() throws {
        try Self.withGenerated { layout, dir in
            let shelf = try #require(layout.shared.first { $0.region.name == "shelf" })
            let notes = try #require(layout.shared.first { $0.region.name == "notes" })
            func facts(_ name: String, _ r: SharedLayout?, writable: Bool, phys: Bool) -> [String: String] {
                guard let r else { return ["\(name).base": "0", "\(name).size": "0"] }
                var f = ["\(name).base": "\(r.phys)", "\(name).size": "\(r.size)", "\(name).writable": writable ? "1" : "0"]
                f["\(name).phys"] = phys ? "\(r.phys)" : "0"
                return f
            }
            let listener = facts("shelf", shelf, writable: false, phys: true).merging(facts("notes", notes, writable: true, phys: false)) { a, _ in a }
            let talker = facts("shelf", shelf, writable: true, phys: true).merging(facts("notes", nil, writable: false, phys: false)) { a, _ in a }

            // Overloads pick the binding's type: a read-only region is an UnsafeRawBufferPointer.
            let swift = try Self.runSwiftBinding(layout, generated: dir, shard: "listener", main: """
                    func writable(_ b: UnsafeRawBufferPointer) -> Int { 0 }
                    func writable(_ b: UnsafeMutableRawBufferPointer) -> Int { 1 }
                    print("shelf.base=\\(UInt(bitPattern: Shard.Regions.shelf.baseAddress))")
                    print("shelf.size=\\(Shard.Regions.shelf.count)")
                    print("shelf.writable=\\(writable(Shard.Regions.shelf))")
                    print("shelf.phys=\\(Shard.Regions.Physical.shelf)")
                    print("notes.base=\\(UInt(bitPattern: Shard.Regions.notes.baseAddress))")
                    print("notes.size=\\(Shard.Regions.notes.count)")
                    print("notes.writable=\\(writable(Shard.Regions.notes))")
                    print("notes.phys=0")
                """)
            #expect(swift == listener, "Shard.swift: \(swift)")

            func header(_ regions: [String]) -> String {
                regions.map { r in
                    """
                      printf("\(r).base=%llu\\n\(r).size=%llu\\n", (unsigned long long)(uintptr_t)vanity_region_\(r).base, (unsigned long long)vanity_region_\(r).size);
                      printf("\(r).writable=%u\\n\(r).phys=%llu\\n", vanity_region_\(r).writable, (unsigned long long)vanity_region_\(r).phys);
                    """
                }.joined(separator: "\n")
            }
            #expect(try Self.runCHeader(generated: dir, shard: "listener", body: header(["shelf", "notes"])) == listener)
            let talkerHeader = try Self.runCHeader(generated: dir, shard: "talker", body: header(["shelf"]) + """

                  #ifdef VANITY_REGION_NOTES_ADDR
                  printf("notes.base=1\\n");
                  #else
                  printf("notes.base=0\\nnotes.size=0\\n");
                  #endif
                """)
            #expect(talkerHeader == talker, "talker/vanity_shard.h: \(talkerHeader)")

            // The table's entries: rights in their perms, never executable;
            // the physical address (always in the table) is checked for shelf.
            func table(_ shard: String) -> String {
                """
                  const struct vanity_shard_desc *s = shard("\(shard)");
                  unsigned long long shelf = 0, notes = 0;
                  for (uint32_t i = 0; i < s->region_count; i++) {
                    const struct vanity_region *r = &s->regions[i];
                    if (r->kind != VANITY_REGION_SHARED) continue;
                    const char *name = r->phys == \(shelf.phys)ull ? "shelf" : r->phys == \(notes.phys)ull ? "notes" : "?";
                    if (r->virt != r->phys || (r->perms & (VANITY_PERM_X | VANITY_PERM_DEVICE))) printf("%s.bad=1\\n", name);
                    printf("%s.base=%llu\\n%s.size=%llu\\n", name, (unsigned long long)r->virt, name, (unsigned long long)r->size);
                    printf("%s.writable=%u\\n", name, (r->perms & VANITY_PERM_W) ? 1u : 0u);
                    printf("%s.phys=%llu\\n", name, name[0] == 's' ? (unsigned long long)r->phys : 0ull);
                    if (name[0] == 's') shelf = 1; else notes = 1;
                  }
                  if (!shelf) printf("shelf.base=0\\nshelf.size=0\\n");
                  if (!notes) printf("notes.base=0\\nnotes.size=0\\n");
                """
            }
            #expect(try Self.runSystemTable(generated: dir, body: table("listener")) == listener)
            #expect(try Self.runSystemTable(generated: dir, body: table("talker")) == talker)
        }
    }
}
