import Foundation
import Testing

/// Runs the real `vanity-build` executable (built next to the test bundle).
struct CLI {
    static var binary: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // The test runner may be inside a .xctest bundle.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("vanity-build")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            dir.deleteLastPathComponent()
        }
        return repoRoot + "/.build/debug/vanity-build"
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ args: [String], cwd: String = repoRoot) throws -> Result {
        let r = try spawn(binary, args, cwd: cwd, mergeStderr: false)
        return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }
}

func temporaryDirectory() throws -> String {
    let dir = NSTemporaryDirectory() + "vanity-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

@Suite(.serialized) struct CLITests {
    @Test func buildsTheDemoForEveryPlatformAndRerunRewritesNothing() throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let first = try CLI.run(["--config", "Config/system.toml", "--out", out])
        #expect(first.status == 0, "\(first.stderr)")
        for plat in ["aarch64-virt", "riscv64-virt", "x86_64-pc"] {
            for f in ["layout.json", "layout.txt", "kernel/system_table.c", "kernel/kernel.ld",
                      "shards/producer/vanity_shard.h", "shards/transformer/Shard.swift", "shards/sink/link.ld"] {
                #expect(FileManager.default.fileExists(atPath: "\(out)/\(plat)/\(f)"), "missing \(plat)/\(f)")
            }
        }
        #expect(first.stdout.contains("parse manifest") && first.stdout.contains("generate aarch64-virt"))

        // Record modification times, run again: nothing may be rewritten.
        func mtimes() throws -> [String: Date] {
            var m: [String: Date] = [:]
            let e = FileManager.default.enumerator(atPath: out)!
            while let f = e.nextObject() as? String {
                let a = try FileManager.default.attributesOfItem(atPath: out + "/" + f)
                if a[.type] as? FileAttributeType == .typeRegular { m[f] = a[.modificationDate] as? Date }
            }
            return m
        }
        let before = try mtimes()
        Thread.sleep(forTimeInterval: 0.05)
        let second = try CLI.run(["build", "--config", "Config/system.toml", "--out", out])
        #expect(second.status == 0)
        #expect(second.stdout.contains("0 written"))
        #expect(second.stdout.range(of: #"compile aarch64-virt .*\(0 ran, [0-9]+ up to date\)"#, options: .regularExpression) != nil, "\(second.stdout)")
        #expect(try mtimes() == before)
    }

    @Test func aBadManifestExits65WithPositionedErrorsAndASummary() throws {
        let r = try CLI.run(["check", "--config", "Tests/Fixtures/manifests/cores.toml"])
        #expect(r.status == 65)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.first?.hasPrefix("Tests/Fixtures/manifests/cores.toml:") == true)
        #expect(lines.last?.hasPrefix("vanity-build: ") == true && lines.last!.contains("errors"))
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"))
        #expect(r.stdout.isEmpty)
    }

    /// Inputs that trapped or overflowed the stack (issue 16) end with exit
    /// 65 and positioned errors: sizes near 2^64, deep nesting, bad bytes,
    /// names that meet once mangled.
    @Test(arguments: ["size-overflow", "layout-overflow-kernel", "layout-overflow-shard", "nesting", "not-utf8",
                      "channel-name-collision", "nul-names"])
    func formerCrashesExit65WithAPosition(_ fixture: String) throws {
        let path = "Tests/Fixtures/manifests/\(fixture).toml"
        let r = try CLI.run(["check", "--config", path])
        #expect(r.status == 65, "\(r.stderr)")
        #expect(r.stderr.contains(try Regex("^\(path):[0-9]+:[0-9]+: error: ")), "\(r.stderr)")
    }

    @Test(arguments: [("deep-key", String(repeating: "a.", count: 20_000) + "a = 1\n"),
                      ("deep-header", "[" + String(repeating: "a.", count: 100_000) + "a]\n"),
                      ("deep-array", "a = " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n"),
                      ("deep-table", "a = " + String(repeating: "{b=", count: 100_000) + "1" + String(repeating: "}", count: 100_000) + "\n")])
    func deepNestingExits65AtTheLevelPastTheLimit(_ name: String, _ text: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/\(name).toml"
        try ("[system]\nname = \"t\"\n" + text).write(toFile: path, atomically: true, encoding: .utf8)
        let r = try CLI.run(["check", "--config", path], cwd: repoRoot)
        #expect(r.status == 65, "\(r.stderr.prefix(500))")
        // Inside [system], one level down already.
        let column = ["deep-key": 126, "deep-header": 129, "deep-array": 68, "deep-table": 194][name]!
        #expect(r.stderr.hasPrefix("\(path):3:\(column): error: the manifest nests more than 64 levels deep here"), "\(r.stderr.prefix(500))")
    }

    @Test func aMissingManifestExits66() throws {
        let r = try CLI.run(["check", "--config", "no/such/system.toml"])
        #expect(r.status == 66)
        #expect(r.stderr.contains("no/such/system.toml: error: cannot read the manifest: no such file"))
    }

    @Test func checkPrintsASummary() throws {
        let r = try CLI.run(["check", "--config", "Config/system.toml"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("demo 0.1.0: 4 shard(s), 2 channel(s), 1 device grant(s)"))
        #expect(r.stdout.contains("aarch64-virt: ok"))
    }

    @Test func layoutJsonIsExactlyTheGeneratedFile() throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        #expect(try CLI.run(["--config", "Config/system.toml", "--out", out, "--platform", "riscv64-virt"]).status == 0)
        let r = try CLI.run(["layout", "--config", "Config/system.toml", "--platform", "riscv64-virt", "--json"])
        #expect(r.status == 0)
        let file = try String(contentsOfFile: out + "/riscv64-virt/layout.json", encoding: .utf8)
        #expect(r.stdout == file)
        // Only the platform asked for was generated.
        #expect(!FileManager.default.fileExists(atPath: out + "/aarch64-virt"))
    }

    @Test func layoutJsonNeedsOnePlatform() throws {
        let r = try CLI.run(["layout", "--config", "Config/system.toml", "--json"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("choose one with --platform"))
    }

    @Test func anUnknownPlatformOnTheCommandLineIsAnError() throws {
        let r = try CLI.run(["check", "--config", "Config/system.toml", "--platform", "sparc-virt"])
        #expect(r.status == 65)
        #expect(r.stderr.contains("platform \"sparc-virt\" was asked for on the command line"))
    }

    /// A compiler error is reported against the source file the compiler
    /// complained about, and the summary names that file, not the manifest.
    @Test func aCompileErrorIsReportedAgainstTheSourceFile() throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try CLI.run(["build", "--config", "Tests/Fixtures/systems/compile-error/system.toml", "--out", out])
        let source = repoRoot + "/Tests/Fixtures/systems/compile-error/Shards/broken/main.c"
        #expect(r.status == 1, "\(r.stderr)")
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.first == "\(source): error: clang failed (shard broken: main.c), status 1:", "\(r.stderr)")
        #expect(r.stderr.contains("use of undeclared identifier 'no_such_variable'"), "\(r.stderr)")
        #expect(lines.last == "vanity-build: 1 error in \(source)", "\(r.stderr)")
    }

    /// A shard over two budgets gets one error at each `max-sizes` key.
    @Test func everyLinkBudgetOverflowIsReportedAtItsMaxSizesKey() throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let config = "Tests/Fixtures/systems/overbudget/system.toml"
        let r = try CLI.run(["build", "--config", config, "--out", out])
        #expect(r.status == 65, "\(r.stderr)")
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(r.stderr)")
        #expect(lines.first?.hasPrefix("\(config):11:22: error: shard big: .text needs at least ") == true, "\(r.stderr)")
        #expect(lines.first?.hasSuffix(" bytes, over its max-sizes.text budget of 4 KiB (4096 bytes)") == true, "\(r.stderr)")
        #expect(lines.dropFirst().first?.hasPrefix("\(config):11:38: error: shard big: .data needs at least ") == true, "\(r.stderr)")
        #expect(lines.dropFirst().first?.hasSuffix(" bytes, over its max-sizes.data budget of 4 KiB (4096 bytes)") == true, "\(r.stderr)")
        #expect(lines.last == "vanity-build: 2 errors in \(config)", "\(r.stderr)")
    }
}
