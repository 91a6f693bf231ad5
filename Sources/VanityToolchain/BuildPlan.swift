import VanityDiagnostics
import VanityLayout
import VanityModel
import VanityPlatform

/// One tool invocation: compile, assemble or link.
public struct Job: Hashable, Sendable {
    public enum Kind: String, Sendable { case compileC = "cc", assemble = "as", compileSwift = "swiftc", link = "ld" }

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
    /// Per shard name: its sources (*.c, or *.swift for Swift shards).
    public var shardSources: [String: [String]]
    /// Shards/lib/swift/*.swift.
    public var swiftLibrary: [String]
    /// Headers a Swift shard's compile can reach (clang compiles list theirs
    /// in dependency files): Kernel/include/vanity, Shards/lib/c/include/vanity
    /// and the platform's include/vanity.
    public var kernelHeaders: [String] = []
    public var libraryHeaders: [String] = []
    public var platformHeaders: [String] = []

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
        let platformInclude = "\(root)/Platforms/\(p.name)/include"
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

        // Shards.
        var shardELFs: [(String, String)] = []
        for sl in layout.shards {
            let s = sl.shard
            let shardGen = "\(generated)/shards/\(s.name)"
            let shardObj = "\(obj)/shards/\(s.name)"
            let includes = ["-I", shardGen, "-I", root + "/Shards/lib/c/include", "-I", platformInclude, "-I", kernelInclude]
            let first = jobs.count
            defer { for k in first..<jobs.count { jobs[k].shard = s.name } }
            var objects: [String] = []
            for lib in ["start", "printf"] {
                let out = "\(shardObj)/\(lib).o"
                jobs.append(compile("\(root)/Shards/lib/c/\(lib).c", out, includes, "shard \(s.name): \(lib).c"))
                objects.append(out)
            }
            let own = sources.shardSources[s.name] ?? []
            if s.lang == .c {
                objects += compileEach(own.filter { $0.hasSuffix(".c") || $0.hasSuffix(".S") }, into: shardObj, jobs: &jobs) {
                    compile($0, $1, includes, "shard \(s.name): \(fileName($0))")
                }
            } else {
                let rt = shardObj + "/runtime.o"
                jobs.append(compile(root + "/Shards/lib/swift/runtime.c", rt, includes, "shard \(s.name): runtime.c"))
                objects.append(rt)
                let out = shardObj + "/swift.o"
                jobs.append(swiftShardJob(s, platform: p, sources: sources, shardGen: shardGen, output: out, freestanding: true))
                objects.append(out)
            }
            let out = "\(elf)/\(s.name).elf"
            jobs.append(Job(kind: .link, label: "shard \(s.name)", tool: "ld.lld",
                            arguments: ["-static", "-nostdlib", "--no-undefined", "-T", shardGen + "/link.ld"] + objects + ["-o", out],
                            inputs: [shardGen + "/link.ld"] + objects, output: out, depfile: nil))
            shardELFs.append((s.name, out))
        }
        return (jobs, BuildProducts(kernelELF: kernelELF, shardELFs: shardELFs, image: generated + "/image.elf"))
    }
}

extension BuildPlanner {
    /// The Embedded Swift compile of a Swift shard: its bindings, its own
    /// sources and the Swift user library, with the C view (Bridging.h) of
    /// its generated header and the C user library. `freestanding` for
    /// boards; the simulator builds for the host.
    static func swiftShardJob(_ s: ShardModel, platform p: Platform, sources: SourceSet, shardGen: String, output: String,
                              freestanding: Bool) -> Job {
        let root = sources.repoRoot
        let kernelInclude = root + "/Kernel/include"
        let platformInclude = "\(root)/Platforms/\(p.name)/include"
        let own = sources.shardSources[s.name] ?? []
        let swiftFiles = [shardGen + "/Shard.swift"] + own.filter { $0.hasSuffix(".swift") } + sources.swiftLibrary
        var args = ["-enable-experimental-feature", "Embedded", "-enable-experimental-feature", "Extern",
                    "-target", p.swiftTarget, "-wmo", "-parse-as-library", "-Osize", "-g"]
        if freestanding {
            args += ["-Xfrontend", "-disable-stack-protector", "-Xfrontend", "-function-sections", "-Xcc", "-ffreestanding"]
        }
        for f in p.swiftCFlags { args += ["-Xcc", f] }
        for dir in [shardGen, root + "/Shards/lib/c/include", platformInclude, kernelInclude] { args += ["-Xcc", "-I" + dir] }
        args += ["-import-objc-header", root + "/Shards/lib/swift/Bridging.h",
                 "-module-name", Ident.c(s.name), "-c"] + swiftFiles + ["-o", output]
        // swiftc writes no dependency file: every header the bridging header can reach.
        let headers = [shardGen + "/vanity_shard.h", root + "/Shards/lib/swift/Bridging.h"]
            + sources.libraryHeaders + sources.kernelHeaders + sources.platformHeaders
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
        jobs.append(Job(kind: .link, label: "kernel", tool: "clang",
                        arguments: ["--target=\(p.clangTarget)", "-pthread"] + kernelObjects + ["-o", kernel],
                        inputs: kernelObjects, output: kernel, depfile: nil))

        var shardBins: [(String, String)] = []
        for sl in layout.shards {
            let s = sl.shard
            let shardGen = "\(generated)/shards/\(s.name)"
            let shardObj = "\(obj)/shards/\(s.name)"
            let includes = ["-I", shardGen, "-I", root + "/Shards/lib/c/include", "-I", platformInclude, "-I", kernelInclude]
            let first = jobs.count
            defer { for k in first..<jobs.count { jobs[k].shard = s.name } }
            var objects: [String] = []
            for (src, name) in [(root + "/Shards/lib/c/printf.c", "printf"), (platformDir + "/shard/shard.c", "sim-runtime")] {
                let out = "\(shardObj)/\(name).o"
                jobs.append(compile(src, out, includes, "shard \(s.name): \(name)"))
                objects.append(out)
            }
            let own = sources.shardSources[s.name] ?? []
            if s.lang == .c {
                objects += compileEach(own.filter { $0.hasSuffix(".c") }, into: shardObj, jobs: &jobs) {
                    compile($0, $1, includes, "shard \(s.name): \(fileName($0))")
                }
            } else {
                let out = shardObj + "/swift.o"
                jobs.append(swiftShardJob(s, platform: p, sources: sources, shardGen: shardGen, output: out, freestanding: false))
                objects.append(out)
            }
            let out = "\(bin)/\(s.name)"
            jobs.append(Job(kind: .link, label: "shard \(s.name)", tool: "clang",
                            arguments: ["--target=\(p.clangTarget)", "-no-pie"] + objects + ["-o", out],
                            inputs: objects, output: out, depfile: nil))
            shardBins.append((s.name, out))
        }
        return (jobs, BuildProducts(kernelELF: kernel, shardELFs: shardBins, image: kernel))
    }
}
