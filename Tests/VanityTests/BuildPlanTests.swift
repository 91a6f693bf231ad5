import Foundation
import Testing
import VanityDiagnostics
@testable import VanityDriver
import VanityLayout
import VanityModel
import VanityPlatform
@testable import VanityToolchain

/// The build keys in the plan (pure): sources in subfolders, include
/// folders, defines, flags, warnings-as-errors, a bridging header and
/// libraries reach the right jobs, and the jobs' inputs cover the new files.
@Suite struct BuildPlanTests {
    static let manifest = """
        [system]
        name = "kit"

        [shards.c1]
        lang = "c"
        cores = [1]
        include = ["inc"]
        defines = ["LEVEL=3", "DEBUG"]
        c-flags = ["-O1", "-Wno-unused-parameter"]
        libraries = ["m", "hdr"]

        [shards.sw]
        lang = "swift"
        path = "/repo/Shards/sw"
        cores = [2]
        include = ["inc"]
        defines = ["SW=1"]
        c-flags = ["-Os"]
        swift-flags = ["-Xcc", "-DFROM_SWIFT_FLAGS"]
        bridging-header = "Bridge.h"
        libraries = ["m"]

        [shards.plain]
        lang = "c"
        path = "/repo/Shards/plain"
        cores = [3]
        warnings-as-errors = false

        [libraries.m]
        include = ["include"]
        defines = ["M=1"]
        c-flags = ["-O3"]

        [libraries.hdr]
        path = "/proj/vendor/hdr"
        include = ["."]

        [channels.x]
        from = "c1"
        to = "sw"
        msg-size = 64
        slots = 4

        [channels.y]
        from = "sw"
        to = "plain"
        msg-size = 64
        slots = 4
        """

    static func layout(_ platform: String) throws -> Layout {
        let (platforms, _) = PlatformLoader.loadAll(platformsDirectory: repoRoot + "/Platforms")
        let p = try #require(platforms.first { $0.name == platform })
        let out = Frontend.run(text: manifest, file: "/proj/system.toml", platforms: [p], directoryExists: { _ in true })
        #expect(!out.hasErrors, "\(out.diagnostics.map(\.description))")
        return try #require(out.layouts.first)
    }

    /// The files the shell would list for the manifest, under /proj (outside
    /// the repository, /repo) and /repo/Shards.
    static var sources: SourceSet {
        var s = SourceSet(repoRoot: "/repo", manifestDirectory: "/proj", kernelSources: ["/repo/Kernel/src/k.c"],
                          platformSources: [], shardSources: [
                              "c1": ["/proj/Shards/c1/main.c", "/proj/Shards/c1/raw.s", "/proj/Shards/c1/src/deep/util.c",
                                     "/proj/Shards/c1/src/entry.S", "/proj/Shards/c1/src/main.c"],
                              "sw": ["/repo/Shards/sw/helper/crc.c", "/repo/Shards/sw/main.swift"],
                              "plain": ["/repo/Shards/plain/main.c"],
                          ], swiftLibrary: ["/repo/Shards/lib/swift/Handles.swift"])
        s.shardFolders = ["c1": "/proj/Shards/c1", "sw": "/repo/Shards/sw", "plain": "/repo/Shards/plain"]
        s.libraries = ["m": .init(folder: "/proj/Libraries/m", sources: ["/proj/Libraries/m/m.c", "/proj/Libraries/m/sub/m.c",
                                                                        "/proj/Libraries/m/asm.S"]),
                       "hdr": .init(folder: "/proj/vendor/hdr", sources: [])]
        s.headers = ["/repo/Shards/sw": ["/repo/Shards/sw/Bridge.h", "/repo/Shards/sw/helper/crc.h"],
                     "/repo/Shards/sw/inc": ["/repo/Shards/sw/inc/sw.h"],
                     "/proj/Libraries/m/include": ["/proj/Libraries/m/include/m.h"],
                     "/proj/Shards/c1/inc": ["/proj/Shards/c1/inc/c1.h"]]
        return s
    }

    static func plan(_ platform: String) throws -> [Job] {
        BuildPlanner.plan(try layout(platform), sources: sources, generated: "/out/\(platform)").jobs
    }

    static func job(_ jobs: [Job], _ label: String) throws -> Job {
        try #require(jobs.first { $0.label == label }, "no job \(label) in \(jobs.map(\.label))")
    }

    /// `needle` appears in `args` as consecutive elements.
    static func contains(_ args: [String], _ needle: [String]) -> Bool {
        guard needle.count <= args.count else { return false }
        return (0...(args.count - needle.count)).contains { Array(args[$0..<$0 + needle.count]) == needle }
    }

    @Test func aCShardsFilesInSubfoldersGetItsIncludesDefinesAndFlags() throws {
        let jobs = try Self.plan("aarch64-virt")
        let util = try Self.job(jobs, "shard c1: src/deep/util.c")
        #expect(util.output == "/out/aarch64-virt/obj/shards/c1/src/deep/util_c.o")
        #expect(util.inputs == ["/proj/Shards/c1/src/deep/util.c"] && util.depfile == util.output + ".d")
        // Its own include folder, then its libraries', its defines, its c-flags last.
        let tail = ["-I", "/proj/Shards/c1/inc", "-I", "/proj/Libraries/m/include", "-I", "/proj/vendor/hdr",
                    "-DLEVEL=3", "-DDEBUG", "-O1", "-Wno-unused-parameter", "-c", "/proj/Shards/c1/src/deep/util.c"]
        #expect(Self.contains(util.arguments, tail), "\(util.arguments)")
        #expect(Self.contains(util.arguments, ["-I", "/out/aarch64-virt/shards/c1"]))
        // Outside the repository, warnings are not errors by default.
        #expect(!util.arguments.contains("-Werror"))
        // Two main.c files do not meet.
        let mains = jobs.filter { $0.shard == "c1" && $0.label.hasSuffix("main.c") }.map(\.output)
        #expect(mains == ["/out/aarch64-virt/obj/shards/c1/main_c.o", "/out/aarch64-virt/obj/shards/c1/src/main_c.o"])
    }

    @Test func assemblyGetsIncludesAndDefinesAndOnlyDotSCapitalHasADependencyFile() throws {
        let jobs = try Self.plan("aarch64-virt")
        let entry = try Self.job(jobs, "shard c1: src/entry.S")
        #expect(entry.kind == .assemble && entry.depfile == entry.output + ".d")
        #expect(Self.contains(entry.arguments, ["-I", "/proj/Shards/c1/inc"]) && entry.arguments.contains("-DLEVEL=3"))
        let raw = try Self.job(jobs, "shard c1: raw.s")
        #expect(raw.kind == .assemble && raw.depfile == nil && !raw.arguments.contains("-MD"))
    }

    @Test func warningsAreErrorsInsideTheRepositoryUnlessTheManifestSaysOtherwise() throws {
        let jobs = try Self.plan("aarch64-virt")
        #expect(try Self.job(jobs, "shard sw: helper/crc.c").arguments.contains("-Werror"))
        #expect(try Self.job(jobs, "shard sw: 3 Swift files").arguments.contains("-warnings-as-errors"))
        #expect(try !Self.job(jobs, "shard plain: main.c").arguments.contains("-Werror"))
        // Vanity's own C files keep -Werror.
        #expect(try Self.job(jobs, "shard plain: printf.c").arguments.contains("-Werror"))
        let inside = BuildSettings(), outside = BuildSettings()
        #expect(BuildPlanner.warningsAsErrors(inside, folder: "/repo/Tests/Fixtures/systems/x/Shards/a", repoRoot: "/repo"))
        #expect(!BuildPlanner.warningsAsErrors(outside, folder: "/repository/Shards/a", repoRoot: "/repo"))
        #expect(!BuildPlanner.warningsAsErrors(outside, folder: "/repo/../proj/Shards/a", repoRoot: "/repo/"))
        #expect(BuildPlanner.warningsAsErrors(BuildSettings(warningsAsErrors: true), folder: "/proj", repoRoot: "/repo"))
    }

    @Test func aSwiftShardCompilesItsCFilesAndUsesItsBridgingHeader() throws {
        let jobs = try Self.plan("aarch64-virt")
        let crc = try Self.job(jobs, "shard sw: helper/crc.c")
        #expect(crc.kind == .compileC && crc.output == "/out/aarch64-virt/obj/shards/sw/helper/crc_c.o")
        #expect(Self.contains(crc.arguments, ["-I", "/repo/Shards/sw/inc", "-I", "/proj/Libraries/m/include", "-DSW=1", "-Os"]))
        let swift = try Self.job(jobs, "shard sw: 3 Swift files")
        let args = swift.arguments
        #expect(Self.contains(args, ["-import-objc-header", "/repo/Shards/sw/Bridge.h"]))
        #expect(!args.contains("/repo/Shards/lib/swift/Bridging.h"))
        // The fixed bridging header stays reachable (#include <Bridging.h>).
        #expect(Self.contains(args, ["-Xcc", "-I/repo/Shards/lib/swift"]))
        #expect(Self.contains(args, ["-Xcc", "-I/repo/Shards/sw/inc", "-Xcc", "-I/proj/Libraries/m/include",
                                     "-Xcc", "-DSW=1", "-Xcc", "-DFROM_SWIFT_FLAGS"]))
        #expect(!args.contains("/repo/Shards/sw/helper/crc.c"))
        // swiftc writes no dependency file: the headers it may read are inputs.
        for h in ["/repo/Shards/sw/Bridge.h", "/repo/Shards/sw/helper/crc.h", "/repo/Shards/sw/inc/sw.h",
                  "/proj/Libraries/m/include/m.h", "/repo/Shards/lib/swift/Bridging.h"] {
            #expect(swift.inputs.contains(h), "\(h) is not an input")
        }
        #expect(swift.inputs.filter { $0 == "/repo/Shards/sw/Bridge.h" }.count == 1)
        let link = try Self.job(jobs, "shard sw")
        #expect(link.inputs.contains(crc.output) && link.arguments.contains(crc.output))
    }

    @Test func aLibraryIsBuiltOnceIntoAnArchiveEveryShardListingItLinks() throws {
        let jobs = try Self.plan("aarch64-virt")
        let compiles = jobs.filter { $0.label.hasPrefix("library m: ") }
        #expect(compiles.map(\.label) == ["library m: m.c", "library m: sub/m.c", "library m: asm.S"])
        #expect(compiles.map(\.output) == ["/out/aarch64-virt/obj/libraries/m/m_c.o", "/out/aarch64-virt/obj/libraries/m/sub/m_c.o",
                                           "/out/aarch64-virt/obj/libraries/m/asm_S.o"])
        for c in compiles {
            #expect(c.shard == nil)
            #expect(Self.contains(c.arguments, ["-I", "/proj/Libraries/m/include", "-DM=1", "-O3"]), "\(c.arguments)")
            // No shard's generated folder, no shard's defines.
            #expect(!c.arguments.contains { $0.contains("/shards/") } && !c.arguments.contains("-DLEVEL=3"))
            #expect(!c.arguments.contains("-Werror")) // outside the repository
        }
        let ar = try Self.job(jobs, "library m")
        #expect(ar.kind == .archive && ar.tool == "llvm-ar")
        #expect(ar.output == "/out/aarch64-virt/obj/libraries/m/libm.a" && ar.inputs == compiles.map(\.output))
        #expect(Self.contains(ar.arguments, ["rcsD", ar.output] + compiles.map(\.output)))
        #expect(jobs.filter { $0.kind == .archive }.count == 1) // hdr is headers only
        for shard in ["c1", "sw"] {
            let link = try Self.job(jobs, "shard \(shard)")
            #expect(link.inputs.contains(ar.output) && link.arguments.contains(ar.output))
            // After the shard's own objects.
            #expect(link.arguments.firstIndex(of: ar.output)! > link.arguments.lastIndex { $0.hasSuffix(".o") }!)
        }
        #expect(try !Self.job(jobs, "shard plain").inputs.contains(ar.output))
        // Built before the first link that needs it.
        #expect(jobs.firstIndex { $0.output == ar.output }! < jobs.firstIndex { $0.label == "shard c1" }!)
    }

    @Test func theSimulatorCompilesCFilesOnlyAndGroupsTheArchives() throws {
        let jobs = try Self.plan("sim")
        #expect(jobs.filter { $0.shard == "c1" && $0.kind == .assemble }.isEmpty)
        #expect(!jobs.contains { $0.label == "library m: asm.S" })
        let util = try Self.job(jobs, "shard c1: src/deep/util.c")
        #expect(Self.contains(util.arguments, ["-I", "/proj/Shards/c1/inc", "-I", "/proj/Libraries/m/include"]))
        let ar = try Self.job(jobs, "library m")
        #expect(ar.inputs.count == 2)
        // Linked into the shard's one object, with its C library.
        let link = try Self.job(jobs, "shard c1: with its libraries")
        #expect(Self.contains(link.arguments, ["--start-group", ar.output, "<libc>/lib/libc.a", "--end-group"]))
        #expect(link.inputs.contains(ar.output))
        // max-sizes: the same objects and libraries linked as on a board,
        // with the shard's generated linker script and its ASSERTs.
        let budgets = try Self.job(jobs, "shard c1: max-sizes")
        #expect(budgets.kind == .link && budgets.shard == "c1")
        #expect(Self.contains(budgets.arguments, ["-T", "/out/sim/shards/c1/link.ld"]))
        #expect(Self.contains(budgets.arguments, ["--start-group", ar.output, "<libc>/lib/libc.a", "--end-group"]))
        #expect(budgets.inputs.filter { $0.hasSuffix(".o") } == link.inputs.filter { $0.hasSuffix(".o") })
        let swift = try Self.job(jobs, "shard sw: 3 Swift files")
        #expect(Self.contains(swift.arguments, ["-import-objc-header", "/repo/Shards/sw/Bridge.h"]))
    }

    /// Where the simulator cannot do what the boards do, the build says so
    /// once per thing, at the manifest, and only for a system that has it.
    @Test func theSimulatorNotesOnlyWhatItCannotMatchForThisSystem() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func write(_ path: String, _ text: String) throws {
            let full = dir + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
        for shard in ["a", "b", "c"] { try write("Shards/\(shard)/main.c", "int main(void) { return 0; }\n") }
        try write("Shards/a/fast.S", "\n")
        try write("Shards/c/sub/slow.s", "\n")
        func notes(_ shards: String) throws -> [Diagnostic] {
            try write("system.toml", "[system]\nname = \"notes\"\nplatforms = [\"sim\"]\n" + shards)
            let checked = try Driver.check(configPath: dir + "/system.toml", platformsDirectory: repoRoot + "/Platforms").get()
            return Driver.simulatorNotes(try #require(checked.layouts.first), configPath: dir + "/system.toml")
        }
        let plain = "[shards.b]\nlang = \"c\"\ncores = [2]\n"
        #expect(try notes(plain).isEmpty)
        let all = try notes("[shards.a]\nlang = \"c\"\ncores = [1]\ndevices = [\"rtc\"]\n" + plain + "[shards.c]\nlang = \"c\"\ncores = [3]\n")
        #expect(all.map(\.severity) == [.note, .note])
        #expect(all.first?.location.line == 4)
        #expect(all.first?.message == "the simulator compiles C only: the assembly of shard a (fast.S), shard c (sub/slow.s) is left out of its build; the boards build it")
        #expect(all.last?.location.line == 7)
        #expect(all.last?.message.hasSuffix("only the RTC's data register keeps time: rtc (shard a)") == true, "\(all)")
    }

    /// The shell's listing: recursive, hidden names left out.
    @Test func theShellListsFoldersRecursivelyWithoutHiddenNames() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for f in ["main.c", "src/a/b.c", ".hidden.c", ".git/x.c", "src/.cache/y.c", "inc/h.h"] {
            let path = dir + "/" + f
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try "".write(toFile: path, atomically: true, encoding: .utf8)
        }
        #expect(Driver.listFiles(under: dir) == ["inc/h.h", "main.c", "src/a/b.c"])
        #expect(Driver.listFiles(under: dir + "/main.c") == nil)
        #expect(Driver.listFiles(under: dir + "/nowhere") == nil)
    }
}
