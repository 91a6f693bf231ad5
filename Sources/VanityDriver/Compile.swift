import Foundation
import VanityCodegen
import VanityDiagnostics
import VanityImage
import VanityLayout
import VanityManifest
import VanityModel
import VanityPlatform
import VanityToolchain

/// What compiling one platform produced.
public struct PlatformImage: Sendable {
    public var platform: String
    public var image: String
    public var kernelELF: String
    public var shardELFs: [String]
    public var ran: Int
    public var upToDate: Int
    /// What the build says about this platform without failing: where the
    /// simulator cannot do what the boards do for this system.
    public var notes: [Diagnostic] = []
}

extension Driver {
    static func files(in dir: String, suffixes: [String]) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { f in suffixes.contains { f.hasSuffix($0) } }.sorted().map { dir + "/" + $0 }
    }

    /// The shards' C library for `platform`'s shard target: under
    /// VANITY_LIBC_DIR if set, else the repository's
    /// build/third-party/picolibc, where Scripts/libc.sh builds it.
    public static func shardLibrary(_ platform: Platform, root: String) -> Result<CLibrary, DriverFailure> {
        let base = ProcessInfo.processInfo.environment["VANITY_LIBC_DIR"] ?? root + "/build/third-party/picolibc"
        let folder = base + "/" + platform.shard.libcTarget
        let lib = CLibrary(folder: folder, compilerInclude: compilerInclude)
        guard FileManager.default.fileExists(atPath: lib.archive), FileManager.default.fileExists(atPath: lib.include + "/stdio.h") else {
            return .failure(DriverFailure(status: .noInput, diagnostics: [.error(.unknown(folder),
                "the shards' C library (picolibc) for \(platform.shard.libcTarget) is not built: run Scripts/libc.sh (Scripts/setup.sh runs it)")],
                file: folder))
        }
        return .success(lib)
    }

    /// clang's own headers (stddef.h, stdarg.h…): `clang -print-resource-dir`/include.
    static let compilerInclude: String = {
        let (status, text) = Executor.spawn(Executor.find("clang"), ["-print-resource-dir"])
        let dir = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return (status == 0 && !dir.isEmpty ? dir : "/usr/lib/clang") + "/include"
    }()

    /// A tool of the Swift toolchain (beside swiftc), else the first on PATH.
    static func toolchainTool(_ name: String) -> String {
        let swiftc = URL(fileURLWithPath: Executor.find("swiftc")).resolvingSymlinksInPath()
        let beside = swiftc.deletingLastPathComponent().appendingPathComponent(name).path
        return FileManager.default.isExecutableFile(atPath: beside) ? beside : Executor.find(name)
    }

    /// A platform has a kernel port when its folder holds platform code.
    public static func hasKernelPort(_ platform: Platform, platformsDirectory: String) -> Bool {
        !files(in: "\(platformsDirectory)/\(platform.name)", suffixes: [".S", ".c"]).isEmpty
    }

    /// Compiles the kernel, the platform and every shard of `layout` into
    /// `generated` (the platform's output folder), checks every ELF against
    /// the layout with libelf, and packs the image.
    static func compile(_ layout: Layout, checked: CheckedSystem, configPath: String, generated: String,
                        steps: inout [Step]) -> Result<PlatformImage, DriverFailure> {
        do { _ = try ReloadKey.ensure(in: generated) } catch {
            return .failure(DriverFailure(status: .ioError, diagnostics: [.error(.unknown(generated), "cannot write the reload key: \(error.localizedDescription)")], file: configPath))
        }
        let libc: CLibrary
        switch shardLibrary(layout.platform, root: checked.resources.root) {
        case .success(let l): libc = l
        case .failure(let f): return .failure(f)
        }
        let (jobs, products) = planBuild(layout, checked: checked, configPath: configPath, generated: generated, libc: libc)
        var executor = Executor()
        let name = layout.platform.name
        let hosted = layout.platform.kind == .simulator
        let outcome: Executor.Outcome
        switch time(&steps, "compile \(name)", detail: { (r: Result<Executor.Outcome, Executor.Failure>) in
            (try? r.get()).map { "\($0.ran.count) ran, \($0.upToDate.count) up to date" } ?? "failed"
        }, { executor.run(jobs) }) {
        case .success(let o): outcome = o
        case .failure(let f): return .failure(buildFailure(f, layout: layout, checked: checked, configPath: configPath))
        }

        if hosted {
            // Host executables: nothing to place or pack; the kernel runs the shards.
            ReloadKey.protect(in: generated) // the kernel's executable holds the key
            return .success(PlatformImage(platform: name, image: products.image, kernelELF: products.kernelELF,
                                          shardELFs: products.shardELFs.map(\.path), ran: outcome.ran.count,
                                          upToDate: outcome.upToDate.count,
                                          notes: simulatorNotes(layout, configPath: configPath)))
        }

        // Check every ELF against the layout, then pack.
        var problems: [Diagnostic] = []
        var kernelBytes: [UInt8] = []
        var shardBytes: [[UInt8]] = []
        time(&steps, "check \(name) ELFs", detail: { (_: Void) in "\(1 + products.shardELFs.count) files" }) {
            func load(_ path: String) -> (ElfFile, [UInt8])? {
                guard let d = FileManager.default.contents(atPath: path) else {
                    problems.append(.error(.unknown(path), "cannot read the linked file"))
                    return nil
                }
                switch ElfFile.parse([UInt8](d)) {
                case .success(let e): return (e, [UInt8](d))
                case .failure(let f):
                    problems.append(.error(.unknown(path), f.message))
                    return nil
                }
            }
            if let (k, b) = load(products.kernelELF) {
                kernelBytes = b
                problems += ImageCheck.segments(k, within: layout.kernel, who: "kernel").map { .error(.unknown(products.kernelELF), $0) }
            }
            for (sl, (_, path)) in zip(layout.shards, products.shardELFs) {
                guard let (e, b) = load(path) else { continue }
                shardBytes.append(b)
                problems += ImageCheck.check(shard: e, sl)
            }
        }
        if !problems.isEmpty { return .failure(DriverFailure(status: .dataError, diagnostics: problems, file: configPath)) }
        let packed = time(&steps, "pack \(name) image", detail: { (_: Result<Void, ImagePacker.Failure>) in
            (products.image as NSString).lastPathComponent
        }) { () -> Result<Void, ImagePacker.Failure> in
            // Packed beside the image and moved over it only if it changed.
            let fresh = products.image + ".new"
            let r = ImagePacker.pack(kernel: kernelBytes, shards: shardBytes, to: fresh)
            let fm = FileManager.default
            if case .success = r {
                if let a = fm.contents(atPath: fresh), let b = fm.contents(atPath: products.image), a == b {
                    try? fm.removeItem(atPath: fresh)
                } else {
                    try? fm.removeItem(atPath: products.image)
                    try? fm.moveItem(atPath: fresh, toPath: products.image)
                }
            }
            return r
        }
        if case .failure(let f) = packed {
            return .failure(DriverFailure(status: .ioError, diagnostics: [.error(.unknown(products.image), "cannot pack the image: \(f.description)")], file: configPath))
        }
        ReloadKey.protect(in: generated) // the image holds the kernel, and so the key
        return .success(PlatformImage(platform: name, image: products.image, kernelELF: products.kernelELF,
                                      shardELFs: products.shardELFs.map(\.path), ran: outcome.ran.count,
                                      upToDate: outcome.upToDate.count))
    }

    /// Where the simulator cannot match the boards for this system, one note
    /// each, only when the system needs it (docs/simulator.md lists the rest):
    /// assembly sources it leaves out, and granted devices, which are shared
    /// pages that raise no interrupt.
    static func simulatorNotes(_ layout: Layout, configPath: String) -> [Diagnostic] {
        var notes: [Diagnostic] = []
        var assembly: [(what: String, files: [String], at: SourceLocation)] = []
        func assemblyFiles(_ globs: [String]?, in folder: String) -> [String] {
            SourceFiles.select(globs, from: listFiles(under: folder) ?? []).filter {
                let k = SourceFiles.kind(of: $0)
                return k == .assembly || k == .rawAssembly
            }
        }
        for s in layout.system.shards {
            let files = assemblyFiles(s.build.sources, in: shardFolder(s, configPath: configPath))
            if !files.isEmpty { assembly.append(("shard \(s.name)", files, s.source.name)) }
        }
        for l in layout.system.libraries {
            let files = assemblyFiles(l.build.sources, in: sourceFolder(l.path, configPath: configPath))
            if !files.isEmpty { assembly.append(("library \(l.name)", files, l.location)) }
        }
        if let first = assembly.first {
            let list = assembly.map { "\($0.what) (\($0.files.joined(separator: ", ")))" }.joined(separator: ", ")
            notes.append(Diagnostic(.note, first.at,
                "the simulator compiles C only: the assembly of \(list) is left out of its build; the boards build it"))
        }
        let modelled = Set(layout.platform.deviceTable.filter { layout.platform.attachesDevice($0.name) }.map(\.path))
        let grants = layout.system.shards.flatMap { s in s.devices.map { (shard: s.name, grant: $0) } }
            .filter { !modelled.contains($0.grant.node.path) }
        if let first = grants.first {
            let list = grants.map { "\($0.grant.identifier) (shard \($0.shard))" }.joined(separator: ", ")
            notes.append(Diagnostic(.note, first.grant.location,
                "in the simulator a device is a page of shared memory that raises no interrupt, and only the RTC's data register keeps time: \(list)"))
        }
        return notes
    }

    /// The sources of `layout`'s build and the jobs that build them.
    static func planBuild(_ layout: Layout, checked: CheckedSystem, configPath: String, generated: String,
                          libc: CLibrary) -> (jobs: [Job], products: BuildProducts) {
        let platDir = checked.platformsDirectory
        let root = checked.resources.root
        let manifestDir = (configPath as NSString).deletingLastPathComponent
        var shardSources: [String: [String]] = [:]
        var shardFolders: [String: String] = [:]
        var libraries: [String: SourceSet.LibraryFiles] = [:]
        var headers: [String: [String]] = [:]
        /// The sources `globs` select under `folder`, and its headers.
        func select(_ globs: [String]?, in folder: String) -> [String] {
            let all = listFiles(under: folder) ?? []
            headers[folder] = all.filter { $0.hasSuffix(".h") }.map { folder + "/" + $0 }
            return SourceFiles.select(globs, from: all).map { folder + "/" + $0 }
        }
        func listHeaders(_ include: [String], in folder: String) {
            for inc in include {
                let dir = BuildPlanner.resolve(inc, in: folder)
                headers[dir] = (listFiles(under: dir) ?? []).filter { $0.hasSuffix(".h") }.map { dir + "/" + $0 }
            }
        }
        for s in layout.system.shards {
            let folder = shardFolder(s, configPath: configPath)
            shardFolders[s.name] = folder
            shardSources[s.name] = select(s.build.sources, in: folder)
            listHeaders(s.build.include, in: folder)
        }
        for l in layout.system.libraries {
            let folder = sourceFolder(l.path, configPath: configPath)
            libraries[l.name] = SourceSet.LibraryFiles(folder: folder, sources: select(l.build.sources, in: folder))
            listHeaders(l.build.include, in: folder)
        }
        let absGenerated = URL(fileURLWithPath: generated).standardizedFileURL.path
        var sources = SourceSet(repoRoot: root, manifestDirectory: manifestDir,
                                kernelSources: files(in: root + "/Kernel/src", suffixes: [".c"]),
                                platformSources: files(in: "\(platDir)/\(layout.platform.name)", suffixes: [".c", ".S"]),
                                shardSources: shardSources,
                                swiftLibrary: files(in: root + "/Shards/lib/swift", suffixes: [".swift"]))
        sources.kernelHeaders = files(in: root + "/Kernel/include/vanity", suffixes: [".h"])
        sources.libraryHeaders = files(in: root + "/Shards/lib/c/include/vanity", suffixes: [".h"])
        sources.platformHeaders = files(in: "\(platDir)/\(layout.platform.name)/include/vanity", suffixes: [".h"])
        sources.libc = libc
        sources.objcopy = toolchainTool("llvm-objcopy")
        sources.shardFolders = shardFolders
        sources.libraries = libraries
        sources.headers = headers
        return BuildPlanner.plan(layout, sources: sources, generated: absGenerated)
    }

    /// A shard's source folder (absolute): its `path`, relative to the manifest's folder.
    static func shardFolder(_ s: ShardModel, configPath: String) -> String {
        sourceFolder(s.path, configPath: configPath)
    }

    /// A shard's or library's folder (absolute): `path`, relative to the manifest's folder.
    static func sourceFolder(_ path: String, configPath: String) -> String {
        let manifestDir = (configPath as NSString).deletingLastPathComponent
        let dir = path.hasPrefix("/") ? path : ((manifestDir.isEmpty ? "." : manifestDir) as NSString).appendingPathComponent(path)
        return URL(fileURLWithPath: dir).standardizedFileURL.path
    }

    /// A failed tool run as diagnostics: a shard's link stopped by a
    /// `max-sizes` ASSERT is reported at each budget it exceeds; anything
    /// else shows the tool's output at the source it is about.
    static func buildFailure(_ f: Executor.Failure, layout: Layout, checked: CheckedSystem, configPath: String) -> DriverFailure {
        let sl = layout.shards.first { $0.shard.name == f.job.shard }
        if f.job.kind == .link, let sl {
            let who = "shard \(sl.shard.name)"
            let over = BudgetKey.allCases.filter { key in
                Codegen.budgetAssertion(sl, key).map(f.output.contains) ?? false
            }
            if !over.isEmpty {
                let need = objectBytes(f.job.inputs.filter { $0.hasSuffix(".o") })
                let problems = over.map { key -> Diagnostic in
                    .error(sl.shard.source.budget(key),
                           "\(who): .\(key.manifestKey) needs at least \(need[key] ?? 0) bytes, \(key.over(budget: key.budget(of: sl.shard)))")
                }
                return DriverFailure(status: .dataError, diagnostics: problems, file: configPath)
            }
        }
        let at = failureLocation(f, shardFolder: sl.map { shardFolder($0.shard, configPath: configPath) })
        let output = f.output.trimmingCharacters(in: .whitespacesAndNewlines)
        return DriverFailure(status: .buildFailed, diagnostics: [.error(at,
            "\(f.job.tool) failed (\(f.job.label)), status \(f.status)\(output.isEmpty ? "" : ":\n" + output)")], file: at.file)
    }

    /// The file a failed job is about: of its sources, the first its output
    /// names, else its only source; a link (or a job with several sources
    /// and no name in its output) is about the shard's folder, or, for the
    /// kernel, the file it was making.
    static func failureLocation(_ f: Executor.Failure, shardFolder: String?) -> SourceLocation {
        let sources = f.job.kind == .link ? [] : f.job.inputs.filter { SourceFiles.kind(of: $0) != nil }
        let named = sources.compactMap { src in f.output.range(of: src + ":").map { (src, $0.lowerBound) } }
            .min { $0.1 < $1.1 }?.0
        return .unknown(named ?? (sources.count == 1 ? sources[0] : shardFolder ?? f.job.output))
    }

    /// Allocated bytes per budget in relocatable objects.
    static func objectBytes(_ objects: [String]) -> [BudgetKey: UInt64] {
        var sums: [BudgetKey: UInt64] = [:]
        for path in objects {
            guard let d = FileManager.default.contents(atPath: path), let e = try? ElfFile.parse([UInt8](d)).get() else { continue }
            for s in e.sections where s.isAllocated {
                if let key = BudgetKey.containing(section: s.name) { sums[key, default: 0] += s.size }
            }
        }
        return sums
    }
}
