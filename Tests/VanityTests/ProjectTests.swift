import Foundation
import Testing
import VanityDriver
import VanityPlatform

/// Where vanity-build finds its platforms, kernel and shard libraries
/// (ResourceLocator), over a made-up file system.
@Suite struct ResourceLocatorTests {
    /// A file system holding just these folders (and their parents).
    struct FakeFS {
        var folders: Set<String> = ["/"]
        init(homes: [String] = [], platformsOnly: [String] = [], other: [String] = []) {
            for h in homes { for r in ResourceLocator.required { add(h + "/" + r) } }
            for p in platformsOnly { add(p + "/Platforms") }
            for o in other { add(o) }
        }
        mutating func add(_ path: String) {
            var p = path
            while p != "/" && !p.isEmpty {
                folders.insert(p)
                p = (p as NSString).deletingLastPathComponent
            }
        }
        func isDirectory(_ p: String) -> Bool { folders.contains(p) }
    }

    func locate(_ fs: FakeFS, flag: String? = nil, home: String? = nil, exe: String? = "/opt/vanity/bin/vanity-build",
                manifest: String = "/home/u/proj/system.toml", cwd: String = "/home/u") -> Result<VanityResources, ResourceFailure> {
        ResourceLocator.locate(ResourceSearch(platformsFlag: flag, home: home, executable: exe, manifest: manifest, currentDirectory: cwd),
                               isDirectory: fs.isDirectory)
    }

    @Test func theFlagComesFirstAndItsParentIsTheRoot() throws {
        let fs = FakeFS(homes: ["/opt/vanity/share/vanity", "/env"], other: ["/mine/Platforms"])
        let r = try locate(fs, flag: "../../mine/Platforms", home: "/env").get()
        #expect(r == VanityResources(root: "/mine", platforms: "/mine/Platforms", origin: .flag))
    }

    @Test func aFlagNamingNoFolderEndsTheSearch() {
        let fs = FakeFS(homes: ["/opt/vanity/share/vanity"])
        guard case .failure(let f) = locate(fs, flag: "nowhere") else { Issue.record("found resources"); return }
        #expect(f.message == "--platforms nowhere: no such folder")
    }

    @Test func vanityHomeComesBeforeTheInstallation() throws {
        let fs = FakeFS(homes: ["/opt/vanity/share/vanity", "/home/u/vanity"])
        let r = try locate(fs, home: "vanity").get()
        #expect(r == VanityResources(root: "/home/u/vanity", platforms: "/home/u/vanity/Platforms", origin: .environment))
        // Empty is unset.
        #expect(try locate(fs, home: "").get().origin == .installation)
    }

    @Test func anIncompleteVanityHomeSaysWhatIsMissing() {
        let fs = FakeFS(homes: ["/opt/vanity/share/vanity"], other: ["/v/Platforms"])
        guard case .failure(let f) = locate(fs, home: "/v") else { Issue.record("found resources"); return }
        #expect(f.message == "VANITY_HOME=/v does not hold Vanity's resources: no Kernel/, Shards/lib/ in /v")
    }

    @Test func theInstallationBesideTheExecutableComesBeforeARepositoryAboveTheManifest() throws {
        let fs = FakeFS(homes: ["/opt/vanity/share/vanity", "/home/u/repo"])
        let r = try locate(fs, manifest: "repo/Config/system.toml").get()
        #expect(r == VanityResources(root: "/opt/vanity/share/vanity", platforms: "/opt/vanity/share/vanity/Platforms", origin: .installation))
    }

    @Test func aRepositoryAboveTheExecutable() throws {
        let fs = FakeFS(homes: ["/src/vanity"], platformsOnly: ["/home/u"])
        let r = try locate(fs, exe: "/src/vanity/.build/x86_64-unknown-linux-gnu/debug/vanity-build").get()
        #expect(r == VanityResources(root: "/src/vanity", platforms: "/src/vanity/Platforms", origin: .repository))
    }

    @Test func lastPlatformsAboveTheManifest() throws {
        let fs = FakeFS(platformsOnly: ["/home/u/work"], other: ["/home/u/work/a/b"])
        let r = try locate(fs, exe: nil, manifest: "work/a/b/../b/system.toml").get()
        #expect(r == VanityResources(root: "/home/u/work", platforms: "/home/u/work/Platforms", origin: .manifest))
    }

    @Test func nothingFoundListsEveryPlaceLookedAt() {
        let fs = FakeFS(other: ["/opt/vanity/share/vanity/Kernel", "/home/u/proj"])
        guard case .failure(let f) = locate(fs) else { Issue.record("found resources"); return }
        #expect(!f.explicit)
        #expect(f.lookedAt == [
            "VANITY_HOME: not set",
            "/opt/vanity/share/vanity (the installation beside /opt/vanity/bin/vanity-build): no Platforms/, Shards/lib/",
            "a Vanity repository (Platforms/, Kernel/, Shards/lib) in /opt/vanity/bin or a folder above it: none",
            "Platforms/ in /home/u/proj (the manifest's folder) or a folder above it: none",
        ])
        #expect(f.message.hasPrefix("cannot find Vanity's platforms, kernel and shard libraries (a folder holding Platforms/, Kernel/, Shards/lib/); looked for them:\n  VANITY_HOME: not set\n"))
        #expect(f.message.hasSuffix("\nset VANITY_HOME to such a folder, pass --platforms, or install Vanity (make install PREFIX=...)"))
    }

    @Test func pathsAreMadeAbsoluteByName() {
        #expect(ResourceLocator.absolute("a/./b/../c", in: "/x/y") == "/x/y/a/c")
        #expect(ResourceLocator.absolute("/../..", in: "/x") == "/")
        #expect(ResourceLocator.absolute(".", in: "/x/") == "/x")
    }
}

/// The build folder sits beside the manifest unless --out says otherwise.
@Suite struct BuildPathsTests {
    @Test func theBuildFolderIsBesideTheManifest() {
        #expect(BuildPaths(system: "demo", platform: "sim", out: nil, manifest: "/p/demo/system.toml").directory == "/p/demo/build/demo/sim")
        #expect(BuildPaths(system: "demo", platform: "sim", out: nil, manifest: "Config/system.toml").directory == "Config/build/demo/sim")
        #expect(BuildPaths(system: "demo", platform: "sim", out: nil, manifest: "system.toml").directory == "build/demo/sim")
        #expect(BuildPaths(system: "demo", platform: "sim", out: "/o", manifest: "/p/demo/system.toml").directory == "/o/sim")
        #expect(BuildPaths(system: "demo", platform: "sim", out: nil, manifest: "/p/system.toml").debugSocket == "/p/build/demo/sim/debug.sock")
    }
}

/// `vanity-build new`, the --config default, and a project outside the
/// repository built and booted by an installed vanity-build.
@Suite(.serialized) struct ProjectTests {
    /// The test environment without VANITY_HOME (the search must not depend on the caller's).
    static var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["VANITY_HOME"] = nil
        return env
    }

    /// `tool` (the built vanity-build unless given) run in `cwd`.
    static func run(_ args: [String], cwd: String, tool: String = CLI.binary) throws -> Spawned {
        try spawn(tool, args, cwd: cwd, environment: environment, mergeStderr: false)
    }

    /// A temporary folder outside the repository, removed at the end of `body`.
    static func outside<T>(_ body: (String) throws -> T) throws -> T {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #require(!dir.hasPrefix(repoRoot + "/"), "the temporary folder \(dir) is inside the repository")
        return try body(dir)
    }

    static func contents(_ dir: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() }

    @Test func theTemplateChecksCleanlyOnEveryPlatform() throws {
        try Self.outside { dir in
            let project = dir + "/hello"
            let written = try Driver.createProject(at: project, system: "hello").get()
            #expect(written.map { String($0.dropFirst(project.count + 1)) }.sorted()
                    == [".gitignore", "README.md", "shards/counter/main.swift", "shards/printer/main.c", "system.toml"])
            let checked = try Driver.check(configPath: project + "/system.toml", platformsDirectory: repoRoot + "/Platforms").get()
            #expect(checked.diagnostics.isEmpty, "\(checked.diagnostics.map(\.description))")
            #expect(checked.layouts.map(\.platform.name).sorted() == ProjectTemplate.platforms.sorted())
            #expect(try String(contentsOfFile: project + "/.gitignore", encoding: .utf8) == "build/\n")
        }
    }

    @Test func newRefusesAFolderThatIsNotEmptyAndANameThatCannotNameASystem() throws {
        try Self.outside { dir in
            try FileManager.default.createDirectory(atPath: dir + "/taken", withIntermediateDirectories: true)
            try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/taken/notes.txt"))
            let taken = try Self.run(["new", "taken"], cwd: dir)
            #expect(taken.status == 64)
            #expect(taken.stderr.hasPrefix("taken: error: the folder exists and is not empty (notes.txt); a project needs a new or empty folder\n"), "\(taken.stderr)")
            #expect(Self.contents(dir + "/taken") == ["notes.txt"])

            try Data().write(to: URL(fileURLWithPath: dir + "/file"))
            #expect(try Self.run(["new", "file"], cwd: dir).stderr.contains("a file of that name exists"))

            let bad = try Self.run(["new", "My Project"], cwd: dir)
            #expect(bad.status == 64)
            #expect(bad.stderr.contains("\"My Project\" cannot name a system"), "\(bad.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/My Project"))

            // An empty folder is fine, and --name names the system.
            try FileManager.default.createDirectory(atPath: dir + "/Empty", withIntermediateDirectories: true)
            let named = try Self.run(["new", "Empty/", "--name", "empty"], cwd: dir)
            #expect(named.status == 0, "\(named.stderr)")
            #expect(named.stdout.hasSuffix("next: cd Empty && vanity-build run --platform sim\n"), "\(named.stdout)")
            #expect(try String(contentsOfFile: dir + "/Empty/system.toml", encoding: .utf8).contains("name = \"empty\""))
        }
    }

    /// Every subcommand that takes --config reads ./system.toml without it,
    /// and one that finds none says so.
    @Test func theConfigDefaultsToSystemTomlInTheCurrentFolder() throws {
        try Self.outside { dir in
            #expect(try Self.run(["new", "demo"], cwd: dir).status == 0)
            let project = dir + "/demo"
            let check = try Self.run(["check"], cwd: project)
            #expect(check.status == 0, "\(check.stderr)")
            #expect(check.stdout.hasPrefix("demo 0.1.0: 2 shard(s), 1 channel(s), 0 device grant(s), 3 core(s)\n"), "\(check.stdout)")
            let layout = try Self.run(["layout", "--platform", "sim", "--json"], cwd: project)
            #expect(layout.status == 0 && layout.stdout.hasPrefix("{"), "\(layout.stderr)")
            // No system runs: the link commands look for it in build/ beside the manifest.
            for cmd in [["ps"], ["logs"], ["restart", "--shard", "printer"], ["hold", "--shard", "printer"],
                        ["release", "--shard", "printer"], ["reload", "--shard", "printer"]] {
                let r = try Self.run(cmd, cwd: project)
                #expect(r.status == 69, "\(cmd): \(r.stderr)")
                #expect(r.stderr == "vanity-build: error: no running system at build/demo/sim/debug.sock (start it with `vanity-build run`)\n",
                        "\(cmd): \(r.stderr)")
            }
            // The same from elsewhere, with --config: the socket beside the manifest.
            let ps = try Self.run(["ps", "--config", "demo/system.toml"], cwd: dir)
            #expect(ps.stderr.contains("no running system at demo/build/demo/sim/debug.sock"), "\(ps.stderr)")
            #expect(Self.contents(project) == [".gitignore", "README.md", "shards", "system.toml"])

            for cmd in [["check"], ["build"], ["generate"], ["layout"], ["run", "--platform", "sim"], ["ps"], ["logs"],
                        ["restart", "--shard", "x"], ["hold", "--shard", "x"], ["release", "--shard", "x"], ["reload", "--shard", "x"], []] {
                let r = try Self.run(cmd, cwd: dir)
                #expect(r.status == 66, "\(cmd): \(r.stderr)")
                #expect(r.stderr.hasPrefix("vanity-build: error: no system.toml in the current directory (\(dir)); pass --config FILE, "
                                           + "or start a project with `vanity-build new NAME`"), "\(cmd): \(r.stderr)")
            }
        }
    }

    /// A copy of vanity-build without its share/vanity says where it looked.
    @Test func anInstallationWithoutItsResourcesSaysWhereItLooked() throws {
        try Self.outside { dir in
            try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: CLI.binary, toPath: dir + "/bin/vanity-build")
            #expect(try Self.run(["new", "demo"], cwd: dir, tool: dir + "/bin/vanity-build").status == 0)
            let r = try Self.run(["check"], cwd: dir + "/demo", tool: dir + "/bin/vanity-build")
            #expect(r.status == 66)
            #expect(r.stderr.hasPrefix("system.toml: error: cannot find Vanity's platforms, kernel and shard libraries"), "\(r.stderr)")
            #expect(r.stderr.contains("  \(dir)/share/vanity (the installation beside \(dir)/bin/vanity-build): no such folder or an empty one\n"), "\(r.stderr)")
            #expect(r.stderr.contains("  Platforms/ in \(dir)/demo (the manifest's folder) or a folder above it: none\n"), "\(r.stderr)")
        }
    }

    /// Install the built vanity-build into a prefix, make a project with it
    /// in another folder, and from a third boot it in the simulator, build it
    /// for every board and boot it on each.
    @Test func anInstalledVanityBuildMakesBuildsAndBootsAProjectOutsideTheRepository() throws {
        try Self.outside { prefix in
            try Self.outside { projects in
                try Self.outside { elsewhere in
                    let install = try spawn("/bin/bash", [repoRoot + "/Scripts/install.sh", "--prefix", prefix, "--binary", CLI.binary],
                                            cwd: elsewhere, environment: Self.environment, timeout: 120)
                    try #require(install.status == 0, "\(install.stdout)")
                    let tool = prefix + "/bin/vanity-build"
                    for f in ["Platforms/sim/platform.toml", "Kernel/src", "Kernel/include/vanity", "Shards/lib/c/start.c", "Shards/lib/swift/Handles.swift",
                              "build/third-party/picolibc/aarch64-none-elf/lib/libc.a", "build/third-party/picolibc/x86_64-unknown-elf/include/stdio.h"] {
                        #expect(FileManager.default.fileExists(atPath: "\(prefix)/share/vanity/\(f)"), "not installed: \(f)")
                    }

                    let new = try Self.run(["new", "demo"], cwd: projects, tool: tool)
                    try #require(new.status == 0, "\(new.stderr)")
                    #expect(new.stdout.hasSuffix("next: cd demo && vanity-build run --platform sim\n"), "\(new.stdout)")
                    let config = projects + "/demo/system.toml"

                    let sim = try Self.run(["run", "--config", config, "--platform", "sim", "--timeout", "120"], cwd: elsewhere, tool: tool)
                    #expect(sim.status == 0, "\(sim.stdout)\n\(sim.stderr)")
                    Self.expectTheShardsSpoke(sim.stdout)
                    #expect(sim.stdout.contains("load platforms"), "\(sim.stdout)")
                    #expect(sim.stdout.contains("from \(prefix)/share/vanity/Platforms"), "\(sim.stdout)")
                    #expect(FileManager.default.fileExists(atPath: projects + "/demo/build/demo/sim/elf/kernel"))
                    #expect(Self.contents(elsewhere).isEmpty, "written to the current folder: \(Self.contents(elsewhere))")

                    let boards = try Self.run(["build", "--config", config, "--platform", "aarch64-virt", "--platform", "riscv64-virt",
                                                     "--platform", "x86_64-pc"], cwd: elsewhere, tool: tool)
                    #expect(boards.status == 0, "\(boards.stderr)")
                    for p in ["aarch64-virt", "riscv64-virt", "x86_64-pc"] {
                        #expect(FileManager.default.fileExists(atPath: "\(projects)/demo/build/demo/\(p)/image.elf"), "no image for \(p)")
                    }

                    for p in ["aarch64-virt", "riscv64-virt", "x86_64-pc"] {
                        let board = try Self.run(["run", "--config", config, "--platform", p, "--timeout", "120"], cwd: elsewhere, tool: tool)
                        #expect(board.status == 0, "\(p): \(board.stdout)\n\(board.stderr)")
                        Self.expectTheShardsSpoke(board.stdout.replacingOccurrences(of: "\r\n", with: "\n"))
                    }
                    #expect(Self.contents(elsewhere).isEmpty, "written to the current folder: \(Self.contents(elsewhere))")
                    #expect(Self.contents(projects) == ["demo"])
                }
            }
        }
    }

    static func expectTheShardsSpoke(_ console: String) {
        #expect(console.contains("counter: hello from Embedded Swift, sending 10 numbers to the printer"), "\(console)")
        #expect(console.contains("printer: hello from C17, waiting for numbers"), "\(console)")
        #expect(console.contains("printer: 1 of 10: 1 squared is 1\n"), "\(console)")
        #expect(console.contains("printer: 10 of 10: 10 squared is 100\n"), "\(console)")
        #expect(console.contains("printer: all numbers arrived, shutting the system down"), "\(console)")
        #expect(console.contains("system stopping with status 0"), "\(console)")
    }
}
