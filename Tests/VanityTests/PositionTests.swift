import Foundation
import Testing
import VanityDiagnostics
@testable import VanityDriver
import VanityImage
import VanityLayout
import VanityManifest
@testable import VanityToolchain

/// Positions travel from the manifest through the model and layout to the
/// ELF checks and build failures.
@Suite struct PositionTests {
    static let manifest = """
    [system]
    name = "t"

    [shards.a]
    lang = "c"
    cores = [1]
    devices = ["dev1"]
    max-sizes = { text = "8 KiB" }

    [shards.b]
    lang = "c"
    cores = [2]
    devices = ["dev2"]
    """

    @Test func theModelCarriesTheManifestsPositions() throws {
        let layout = try #require(pipeline(Self.manifest).layouts.first)
        let a = layout.shards[0].shard
        #expect(a.source.name == SourceLocation(file: "gen.toml", line: 4, column: 9))
        #expect(a.source.budget(.text) == SourceLocation(file: "gen.toml", line: 8, column: 22))
        #expect(a.source.budget(.data) == a.source.name)
        #expect(a.devices.first?.location == SourceLocation(file: "gen.toml", line: 7, column: 12))
    }

    /// One check of a linked shard, for the build and for reload: segment
    /// problems at the shard, budget overflows at the max-sizes value (or the
    /// shard when the default applies).
    @Test func theShardElfCheckReportsAtTheManifestPositions() throws {
        let layout = try #require(pipeline(Self.manifest).layouts.first)
        for (sl, budgetLine) in zip(layout.shards, [8, 10]) {
            let text = try #require(sl.region(.text))
            let over = ElfFile.Segment(type: 1, flags: 5, vaddr: text.virt, paddr: text.virt, offset: 0,
                                       fileSize: 16, memSize: BudgetKey.text.budget(of: sl.shard) + 1)
            var wx = over
            wx.flags = 7
            wx.memSize = 16
            let elf = ElfFile(machine: 183, entry: text.virt, segments: [over, wx], sections: [], symbols: [])
            let diags = ImageCheck.check(shard: elf, sl)
            let budget = try #require(diags.first { $0.message.contains("over its max-sizes.text budget") })
            #expect(budget.location.line == budgetLine)
            let wxDiag = try #require(diags.first { $0.message.contains("writable and executable") })
            #expect(wxDiag.location == sl.shard.source.name)
        }
    }

    /// A failed compile is about the source its output names, else its only
    /// source, else the shard's folder.
    @Test func aFailedJobIsReportedAtTheSourceItNames() {
        func failure(_ kind: Job.Kind, _ inputs: [String], _ output: String) -> Executor.Failure {
            Executor.Failure(job: Job(kind: kind, label: "x", tool: "t", arguments: [], inputs: inputs, output: "/o/x.o", depfile: nil),
                             output: output, status: 1)
        }
        let swift = ["/g/Shard.swift", "/s/a/one.swift", "/s/a/two.swift", "/g/vanity_shard.h"]
        #expect(Driver.failureLocation(failure(.compileSwift, swift, "/s/a/two.swift:3:1: error: x\n/s/a/one.swift:9:1: error: y"),
                                       shardFolder: "/s/a").file == "/s/a/two.swift")
        #expect(Driver.failureLocation(failure(.compileSwift, swift, "swiftc crashed"), shardFolder: "/s/a").file == "/s/a")
        #expect(Driver.failureLocation(failure(.compileC, ["/s/a/main.c"], "fatal"), shardFolder: "/s/a").file == "/s/a/main.c")
        #expect(Driver.failureLocation(failure(.link, ["/o/main.o"], "/s/a/main.c:1: undefined"), shardFolder: "/s/a").file == "/s/a")
        #expect(Driver.failureLocation(failure(.link, ["/o/main.o"], "undefined"), shardFolder: nil).file == "/o/x.o")
    }

    /// The summary counts each file's diagnostics, not the manifest's alone.
    @Test func theSummaryNamesTheFilesWithProblems() {
        var bag = DiagnosticBag()
        #expect(bag.summary(for: "system.toml") == "no problems in system.toml")
        bag.warning(SourceLocation(file: "system.toml", line: 3, column: 1), "w")
        #expect(bag.summary(for: "system.toml") == "1 warning in system.toml")
        bag.error(.unknown("Shards/a/main.c"), "e")
        #expect(bag.summary(for: "system.toml") == "1 warning in system.toml; 1 error in Shards/a/main.c")
        var other = DiagnosticBag()
        other.error(.unknown("Shards/a/main.c"), "e")
        #expect(other.summary(for: "system.toml") == "1 error in Shards/a/main.c")
    }

    @Test func everySectionCountsAgainstTheLongestMatchingPrefix() {
        #expect(BudgetKey.containing(section: ".text.main") == .text)
        #expect(BudgetKey.containing(section: ".data.rel.ro.local") == .rodata)
        #expect(BudgetKey.containing(section: ".srodata.cst8") == .rodata)
        #expect(BudgetKey.containing(section: ".sbss") == .data)
        #expect(BudgetKey.containing(section: ".comment") == nil)
    }

    /// Rebuilding one shard for reload goes through the same checks: its
    /// budget overflows are reported at their max-sizes values.
    @Test func aReloadBuildReportsBudgetsAtTheManifest() throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let config = repoRoot + "/Tests/Fixtures/systems/overbudget/system.toml"
        let r = Driver.buildShard(configPath: config, platform: "aarch64-virt", shard: "big", out: out,
                                  platformsDirectory: repoRoot + "/Platforms")
        guard case .failure(let f) = r else {
            Issue.record("the over-budget shard built")
            return
        }
        #expect(f.status == .dataError)
        #expect(f.diagnostics.map(\.location) == [SourceLocation(file: config, line: 11, column: 22),
                                                   SourceLocation(file: config, line: 11, column: 38)], "\(f.diagnostics)")
        let demo = Driver.buildShard(configPath: repoRoot + "/Config/system.toml", platform: "aarch64-virt", shard: "producer",
                                     out: out, platformsDirectory: repoRoot + "/Platforms")
        if case .failure(let f) = demo { Issue.record("\(f.diagnostics)") }
    }
}
