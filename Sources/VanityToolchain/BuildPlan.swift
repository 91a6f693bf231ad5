import VanityDiagnostics
import VanityLayout
import VanityModel
import VanityPlatform

/// One tool invocation: compile, assemble or link.
public struct Job: Hashable, Sendable {
    public enum Kind: String, Sendable { case compileC = "cc", assemble = "as", compileSwift = "swiftc", link = "ld", archive = "ar" }

    public var kind: Kind
    /// What the step list shows: "kernel/init.c", "shard producer".
    public var label: String
    public var tool: String
    public var arguments: [String]
    /// Files whose contents decide whether the job must run again (besides
    /// the dependency file clang writes, when `depfile` is set).
    public var inputs: [String]
    public var output: String
    /// clang's -MD output listing every header the compile read.
    public var depfile: String?
    /// The shard this job builds part of; nil for the kernel's jobs.
    public var shard: String? = nil
}

/// Where the sources of one platform build are. The shell lists folders;
/// the planner is pure.
public struct SourceSet: Sendable {
    public var repoRoot: String
    /// The manifest's folder (shard paths are relative to it).
    public var manifestDirectory: String
    public var kernelSources: [String]
    /// Platforms/<name>/*.c and *.S.
    public var platformSources: [String]
    /// Per shard name: its sources (`sources`, by default every .c, .S, .s
    /// and .swift file under its folder).
    public var shardSources: [String: [String]]
    /// Shards/lib/swift/*.swift.
    public var swiftLibrary: [String]
    /// Headers a Swift shard's compile can reach (clang compiles list theirs
    /// in dependency files): Kernel/include/vanity, Shards/lib/c/include/vanity
    /// and the platform's include/vanity.
    public var kernelHeaders: [String] = []
    public var libraryHeaders: [String] = []
    public var platformHeaders: [String] = []
    /// The shards' C library for this platform's shard target.
    public var libc = CLibrary(folder: "<libc>", compilerInclude: "<clang>/include")
    /// llvm-objcopy (the simulator's shard objects keep one global symbol).
    public var objcopy = "llvm-objcopy"
    /// Per shard name: its folder (absolute; see ShardOptions.swift).
    public var shardFolders: [String: String] = [:]
    /// Per library name: its folder and sources.
    public var libraries: [String: LibraryFiles] = [:]
    /// The headers (.h) under each shard folder and include folder (by
    /// normalized absolute folder): what a Swift shard's compile may read.
    public var headers: [String: [String]] = [:]

    public init(repoRoot: String, manifestDirectory: String, kernelSources: [String], platformSources: [String],
                shardSources: [String: [String]], swiftLibrary: [String]) {
        self.repoRoot = repoRoot
        self.manifestDirectory = manifestDirectory
        self.kernelSources = kernelSources
        self.platformSources = platformSources
        self.shardSources = shardSources
        self.swiftLibrary = swiftLibrary
    }
}

/// The shards' C library for one target (picolibc, built by Scripts/libc.sh
/// into build/third-party/picolibc/<target>): its headers and archive, and
/// the compiler's own headers (stddef.h, stdarg.h), which -nostdinc hides.
public struct CLibrary: Sendable, Equatable {
    public var include: String
    public var archive: String
    public var compilerInclude: String

    public init(folder: String, compilerInclude: String) {
        include = folder + "/include"
        archive = folder + "/lib/libc.a"
        self.compilerInclude = compilerInclude
    }
}

/// The files a platform build produces.
public struct BuildProducts: Sendable {
    public var kernelELF: String
    /// Shard name → linked ELF, in manifest order.
    public var shardELFs: [(name: String, path: String)]
    public var image: String
}

/// Layout + sources → the jobs that build the kernel, the platform and every
/// shard. Pure and deterministic.
public enum BuildPlanner {
    static func base(_ p: Platform) -> [String] {
        ["--target=\(p.clangTarget)", "-std=c17", "-ffreestanding", "-nostdlib", "-fno-pic", "-fno-stack-protector",
         "-fno-builtin", "-O2", "-g", "-Wall", "-Wextra", "-Werror"] + p.cFlags
    }

    static func stem(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return name.replacingOccurrences(of: ".", with: "_")
    }

    /// The kernel's generated C: the system table and the build's reload key.
    static func generatedKernelSources(_ generated: String) -> [String] {
        [generated + "/kernel/system_table.c", generated + "/kernel/reload_key.c"]
    }

    /// One job per source, each writing `dir/<stem>.o`; returns the objects in order.
    static func compileEach(_ sources: [String], into dir: String, jobs: inout [Job], _ job: (_ src: String, _ out: String) -> Job) -> [String] {
        sources.map { src in
            let out = "\(dir)/\(stem(src)).o"
            jobs.append(job(src, out))
            return out
        }
    }

    /// The kernel's, the platform's and the generated kernel sources.
    static func kernelSources(_ sources: SourceSet, generated: String) -> [String] {
        sources.kernelSources + sources.platformSources + generatedKernelSources(generated)
    }

    /// How the build log names a kernel source: repository-relative, or kernel/<file>.
    static func kernelLabel(_ src: String, root: String) -> String {
        src.hasPrefix(root + "/") ? String(src.dropFirst(root.count + 1)) : "kernel/" + fileName(src)
    }

    static func fileName(_ path: String) -> String { path.split(separator: "/").last.map(String.init) ?? path }

    /// `generated`: the platform's generated folder (build/<system>/<platform>).
    public static func plan(_ layout: Layout, sources: SourceSet, generated: String) -> (jobs: [Job], products: BuildProducts) {
        if layout.platform.kind == .simulator { return planHosted(layout, sources: sources, generated: generated) }
        let p = layout.platform
        let root = sources.repoRoot
        let obj = generated + "/obj"
        let elf = generated + "/elf"
        let kernelInclude = root + "/Kernel/include"
        var jobs: [Job] = []

        func compile(_ src: String, _ out: String, _ flags: [String], _ label: String) -> Job {
            if src.hasSuffix(".S") {
                return Job(kind: .assemble, label: label, tool: "clang",
                           arguments: ["--target=\(p.clangTarget)"] + p.cFlags.filter { !$0.hasPrefix("-mgeneral") }
                               + ["-I", kernelInclude, "-c", src, "-o", out, "-MD", "-MF", out + ".d"],
                           inputs: [src], output: out, depfile: out + ".d")
            }
            return Job(kind: .compileC, label: label, tool: "clang",
                       arguments: base(p) + flags + ["-c", src, "-o", out, "-MD", "-MF", out + ".d"],
                       inputs: [src], output: out, depfile: out + ".d")
        }

        // Kernel library, platform and the system table.
        let kernelObjects = compileEach(kernelSources(sources, generated: generated), into: obj + "/kernel", jobs: &jobs) {
            compile($0, $1, ["-I", kernelInclude], kernelLabel($0, root: root))
        }
        let kernelELF = elf + "/kernel.elf"
        jobs.append(Job(kind: .link, label: "kernel", tool: "ld.lld",
                        arguments: ["-static", "-nostdlib", "--no-undefined", "-T", generated + "/kernel/kernel.ld"]
                            + kernelObjects + ["-o", kernelELF],
                        inputs: [generated + "/kernel/kernel.ld"] + kernelObjects, output: kernelELF, depfile: nil))

        // Libraries, once for all shards; then the shards.
        let archives = libraryArchives(layout, sources: sources, generated: generated, hosted: false, jobs: &jobs)
        var shardELFs: [(String, String)] = []
        for sl in layout.shards {
            let s = sl.shard
            let shardGen = "\(generated)/shards/\(s.name)"
            let first = jobs.count
            defer { for k in first..<jobs.count { jobs[k].shard = s.name } }
            let objects = shardObjects(sl, of: layout, sources: sources, generated: generated, hosted: false, jobs: &jobs)
            let libraries = s.build.libraries.compactMap { archives[$0] } + [sources.libc.archive]
            let out = "\(elf)/\(s.name).elf"
            jobs.append(Job(kind: .link, label: "shard \(s.name)", tool: "ld.lld",
                            arguments: ["-static", "-nostdlib", "--no-undefined", "-T", shardGen + "/link.ld"] + objects
                                + ["--start-group"] + libraries + ["--end-group", "-o", out],
                            inputs: [shardGen + "/link.ld"] + objects + libraries, output: out, depfile: nil))
            shardELFs.append((s.name, out))
        }
        return (jobs, BuildProducts(kernelELF: kernelELF, shardELFs: shardELFs, image: generated + "/image.elf"))
    }
}

extension BuildPlanner {
    /// clang's flags for a shard's C: the platform's shard target, hosted
    /// (the C library is there, so the compiler may use its builtins), with
    /// the shards' C library's headers and never the host's.
    static func shardCFlags(_ p: Platform, _ libc: CLibrary) -> [String] {
        ["--target=\(p.shard.clangTarget)", "-std=gnu17", "-nostdinc", "-isystem", libc.include, "-isystem", libc.compilerInclude,
         "-fno-pic", "-fno-stack-protector", "-O2", "-g", "-Wall", "-Wextra", "-Werror"] + p.shard.cFlags
    }

    /// One C or assembly source of a shard or a library; `options` are its
    /// own keys' (ShardOptions.swift), after the build's.
    static func shardCompile(_ p: Platform, _ libc: CLibrary, _ src: String, _ out: String, _ includes: [String], _ label: String,
                             options: [String] = []) -> Job {
        if src.hasSuffix(".S") || src.hasSuffix(".s") {
            let dep = src.hasSuffix(".S") ? ["-MD", "-MF", out + ".d"] : [] // clang writes none for .s
            return Job(kind: .assemble, label: label, tool: "clang",
                       arguments: ["--target=\(p.shard.clangTarget)"] + p.shard.cFlags.filter { !$0.hasPrefix("-mgeneral") }
                           + includes + options + ["-c", src, "-o", out] + dep,
                       inputs: [src], output: out, depfile: dep.isEmpty ? nil : out + ".d")
        }
        return Job(kind: .compileC, label: label, tool: "clang",
                   arguments: shardCFlags(p, libc) + includes + options + ["-c", src, "-o", out, "-MD", "-MF", out + ".d"],
                   inputs: [src], output: out, depfile: out + ".d")
    }

    /// The Vanity include folders of a shard's compiles (its generated
    /// folder first, when it has one).
    static func shardIncludes(_ p: Platform, root: String, generated shardGen: String?) -> [String] {
        (shardGen.map { ["-I", $0] } ?? []) + ["-I", root + "/Shards/lib/c/include", "-I", "\(root)/Platforms/\(p.name)/include",
                                               "-I", root + "/Kernel/include"]
    }

    /// Every library of the system, compiled once for the platform's shards
    /// (with their flags and C library) into an archive; by name.
    static func libraryArchives(_ layout: Layout, sources: SourceSet, generated: String, hosted: Bool, jobs: inout [Job]) -> [String: String] {
        let p = layout.platform
        let includes = shardIncludes(p, root: sources.repoRoot, generated: nil)
        return libraryJobs(layout.system, sources: sources, obj: generated + "/obj", hosted: hosted, jobs: &jobs) {
            shardCompile(p, sources.libc, $0, $1, includes, $3, options: $2)
        }
    }

    /// Every object of one shard, the same on every platform: the shard
    /// runtime (start-up, vanity_printf, what the C library needs), its own
    /// C and assembly files (in either language; `hosted`: C only, assembly
    /// is for the boards), and for a Swift shard its Swift.
    static func shardObjects(_ sl: ShardLayout, of layout: Layout, sources: SourceSet, generated: String, hosted: Bool,
                             jobs: inout [Job]) -> [String] {
        let p = layout.platform, system = layout.system
        let s = sl.shard
        let root = sources.repoRoot
        let shardGen = "\(generated)/shards/\(s.name)"
        let shardObj = "\(generated)/obj/shards/\(s.name)"
        let includes = shardIncludes(p, root: root, generated: shardGen)
        var objects: [String] = []
        for lib in ["start", "printf", "libc"] {
            let out = "\(shardObj)/\(lib).o"
            jobs.append(shardCompile(p, sources.libc, "\(root)/Shards/lib/c/\(lib).c", out, includes, "shard \(s.name): \(lib).c"))
            objects.append(out)
        }
        let own = sources.shardSources[s.name] ?? []
        let folder = sources.shardFolders[s.name]
        let options = cOptions(s.build, folder: folder ?? "",
                               libraryIncludes: libraryIncludes(s.build.libraries, system: system, sources: sources))
        let werror = warningsAsErrors(s.build, folder: folder ?? "", repoRoot: root)
        for src in clangSources(own, hosted: hosted) {
            let out = objectPath(src, folder: folder, into: shardObj)
            jobs.append(warnings(shardCompile(p, sources.libc, src, out, includes, "shard \(s.name): \(relativeName(src, folder: folder))",
                                              options: options), asErrors: werror))
            objects.append(out)
        }
        if s.lang == .swift {
            let out = shardObj + "/swift.o"
            jobs.append(swiftShardJob(s, platform: p, sources: sources, shardGen: shardGen, output: out, system: system))
            objects.append(out)
        }
        return objects
    }

    /// The Embedded Swift compile of a Swift shard: its bindings, its own
    /// sources and the Swift user library, with the C view (Bridging.h) of
    /// its generated header and the C user library, for the platform's shard
    /// target (the simulator's shards too are built for a bare target).
    static func swiftShardJob(_ s: ShardModel, platform p: Platform, sources: SourceSet, shardGen: String, output: String,
                              system: SystemModel) -> Job {
        let root = sources.repoRoot
        let kernelInclude = root + "/Kernel/include"
        let platformInclude = "\(root)/Platforms/\(p.name)/include"
        let own = sources.shardSources[s.name] ?? []
        let swiftFiles = [shardGen + "/Shard.swift"] + own.filter { $0.hasSuffix(".swift") } + sources.swiftLibrary
        var args = ["-enable-experimental-feature", "Embedded", "-enable-experimental-feature", "Extern",
                    "-target", p.shard.swiftTarget, "-wmo", "-parse-as-library", "-Osize", "-g",
                    "-Xfrontend", "-disable-stack-protector", "-Xfrontend", "-function-sections", "-Xcc", "-ffreestanding"]
        for f in p.shard.swiftCFlags { args += ["-Xcc", f] }
        // The C view: the shards' C library's headers, never the host's.
        args += ["-Xcc", "-nostdinc", "-Xcc", "-isystem", "-Xcc", sources.libc.include, "-Xcc", "-isystem", "-Xcc", sources.libc.compilerInclude]
        for dir in [shardGen, root + "/Shards/lib/c/include", platformInclude, kernelInclude] { args += ["-Xcc", "-I" + dir] }
        let folder = sources.shardFolders[s.name] ?? ""
        let bridging = bridgingHeader(s, sources: sources)
        if s.build.bridgingHeader != nil { args += ["-Xcc", "-I" + root + "/Shards/lib/swift"] } // for its #include <Bridging.h>
        args += swiftOptions(s.build, folder: folder, libraryIncludes: libraryIncludes(s.build.libraries, system: system, sources: sources))
        if warningsAsErrors(s.build, folder: folder, repoRoot: root) { args += ["-warnings-as-errors"] }
        args += ["-import-objc-header", bridging,
                 "-module-name", Ident.c(s.name), "-c"] + swiftFiles + ["-o", output]
        // swiftc writes no dependency file: every header the bridging header can reach.
        let headers = [shardGen + "/vanity_shard.h", root + "/Shards/lib/swift/Bridging.h", sources.libc.archive]
            + sources.libraryHeaders + sources.kernelHeaders + sources.platformHeaders
            + swiftHeaderInputs(s, system: system, sources: sources)
        return Job(kind: .compileSwift, label: "shard \(s.name): \(swiftFiles.count) Swift files", tool: "swiftc",
                   arguments: args, inputs: swiftFiles + headers, output: output, depfile: nil)
    }
}

extension BuildPlanner {
    /// The hosted simulator: the kernel library and the platform become one
    /// host executable (the "image"); each shard becomes a host executable
    /// linked with the simulator's shard runtime and the host C library.
    static func planHosted(_ layout: Layout, sources: SourceSet, generated: String) -> (jobs: [Job], products: BuildProducts) {
        let p = layout.platform
        let root = sources.repoRoot
        let obj = generated + "/obj"
        let bin = generated + "/elf"
        let kernelInclude = root + "/Kernel/include"
        let platformDir = "\(root)/Platforms/\(p.name)"
        let platformInclude = platformDir + "/include"
        let cflags = ["--target=\(p.clangTarget)", "-std=c17", "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-fno-builtin"] + p.cFlags
        var jobs: [Job] = []

        func compile(_ src: String, _ out: String, _ includes: [String], _ label: String) -> Job {
            Job(kind: .compileC, label: label, tool: "clang",
                arguments: cflags + includes + ["-c", src, "-o", out, "-MD", "-MF", out + ".d"],
                inputs: [src], output: out, depfile: out + ".d")
        }

        let kernelObjects = compileEach(kernelSources(sources, generated: generated), into: obj + "/kernel", jobs: &jobs) {
            compile($0, $1, ["-I", kernelInclude, "-I", platformInclude], kernelLabel($0, root: root))
        }
        let kernel = bin + "/kernel"
        // The simulator's network device model is libslirp (QEMU's user
        // networking as a library; Scripts/setup.sh installs libslirp-dev).
        let hostLibraries = ["-lslirp"]
        jobs.append(Job(kind: .link, label: "kernel", tool: "clang",
                        arguments: ["--target=\(p.clangTarget)", "-pthread"] + kernelObjects + hostLibraries + ["-o", kernel],
                        inputs: kernelObjects, output: kernel, depfile: nil))

        // Libraries, once for all shards, built like the shards.
        let archives = libraryArchives(layout, sources: sources, generated: generated, hosted: true, jobs: &jobs)

        // A shard: its objects and the C library become one object that
        // exports only its entry (so its C library's names never meet the
        // host's), linked with the simulator's shard runtime for the host.
        var shardBins: [(String, String)] = []
        for sl in layout.shards {
            let s = sl.shard
            let shardObj = "\(obj)/shards/\(s.name)"
            let first = jobs.count
            defer { for k in first..<jobs.count { jobs[k].shard = s.name } }
            let objects = shardObjects(sl, of: layout, sources: sources, generated: generated, hosted: true, jobs: &jobs)
            let libraries = s.build.libraries.compactMap { archives[$0] } + [sources.libc.archive]
            jobs.append(budgetLink(sl, objects: objects, libraries: libraries, generated: generated, output: shardObj + "/budgets.elf"))
            let combined = shardObj + "/shard-all.o", own = shardObj + "/shard.o"
            jobs.append(Job(kind: .link, label: "shard \(s.name): with its libraries", tool: "ld.lld",
                            arguments: ["-r"] + objects + ["--start-group"] + libraries + ["--end-group", "-o", combined],
                            inputs: objects + libraries, output: combined, depfile: nil))
            jobs.append(Job(kind: .link, label: "shard \(s.name): one entry", tool: sources.objcopy,
                            arguments: ["--keep-global-symbol=vanity_shard_entry", combined, own],
                            inputs: [combined], output: own, depfile: nil))
            let runtime = shardObj + "/sim-runtime.o"
            jobs.append(compile(platformDir + "/shard/shard.c", runtime, ["-I", platformInclude, "-I", kernelInclude],
                                "shard \(s.name): sim-runtime"))
            let out = "\(bin)/\(s.name)"
            jobs.append(Job(kind: .link, label: "shard \(s.name)", tool: "clang",
                            arguments: ["--target=\(p.clangTarget)", "-no-pie", "-Wl,-z,noexecstack", runtime, own, "-o", out],
                            inputs: [runtime, own], output: out, depfile: nil))
            shardBins.append((s.name, out))
        }
        return (jobs, BuildProducts(kernelELF: kernel, shardELFs: shardBins, image: kernel))
    }

    /// The simulator's `max-sizes` check: the shard's objects and libraries
    /// linked as a board links them, with its generated linker script (the
    /// layout's regions and their ASSERTs), so a shard over a budget stops
    /// the build with the boards' diagnostic. Its code is x86_64-pc's, so the
    /// sizes are x86_64-pc's too. The file is only measured: the calls into
    /// the simulator's runtime stay unresolved (at address 0).
    static func budgetLink(_ sl: ShardLayout, objects: [String], libraries: [String], generated: String, output: String) -> Job {
        let script = "\(generated)/shards/\(sl.shard.name)/link.ld"
        return Job(kind: .link, label: "shard \(sl.shard.name): max-sizes", tool: "ld.lld",
                   arguments: ["-static", "-nostdlib", "--unresolved-symbols=ignore-all", "-T", script] + objects
                       + ["--start-group"] + libraries + ["--end-group", "-o", output],
                   inputs: [script] + objects + libraries, output: output, depfile: nil)
    }
}
