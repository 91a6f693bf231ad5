import Foundation
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
}

extension Driver {
    /// The repository root: the folder holding Platforms/, Kernel/ and Shards/.
    static func repoRoot(platformsDirectory: String) -> String {
        (platformsDirectory as NSString).deletingLastPathComponent
    }

    static func files(in dir: String, suffixes: [String]) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { f in suffixes.contains { f.hasSuffix($0) } }.sorted().map { dir + "/" + $0 }
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
        let (jobs, products) = planBuild(layout, checked: checked, configPath: configPath, generated: generated)
        var executor = Executor()
        let name = layout.platform.name
        let hosted = layout.platform.architecture == .host
        let outcome: Executor.Outcome
        switch time(&steps, "compile \(name)", detail: { (r: Result<Executor.Outcome, Executor.Failure>) in
            (try? r.get()).map { "\($0.ran.count) ran, \($0.upToDate.count) up to date" } ?? "failed"
        }, { executor.run(jobs) }) {
        case .success(let o): outcome = o
        case .failure(let f): return .failure(buildFailure(f, layout: layout, checked: checked, configPath: configPath))
        }

        if hosted {
            // Host executables: nothing to place or pack; the kernel runs the shards.
            return .success(PlatformImage(platform: name, image: products.image, kernelELF: products.kernelELF,
                                          shardELFs: products.shardELFs.map(\.path), ran: outcome.ran.count,
                                          upToDate: outcome.upToDate.count))
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
                let at = shardLocation(sl.shard.name, checked: checked, configPath: configPath)
                problems += ImageCheck.segments(e, within: sl.regions, who: "shard \(sl.shard.name)").map { .error(at, $0) }
                for over in ImageCheck.overBudget(e, sl) {
                    problems.append(.error(budgetLocation(sl.shard.name, key: over.key, checked: checked, configPath: configPath), over.message))
                }
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
        return .success(PlatformImage(platform: name, image: products.image, kernelELF: products.kernelELF,
                                      shardELFs: products.shardELFs.map(\.path), ran: outcome.ran.count,
                                      upToDate: outcome.upToDate.count))
    }

    /// The sources of `layout`'s build and the jobs that build them.
    static func planBuild(_ layout: Layout, checked: CheckedSystem, configPath: String, generated: String) -> (jobs: [Job], products: BuildProducts) {
        let platDir = checked.platformsDirectory
        let root = repoRoot(platformsDirectory: platDir)
        let manifestDir = (configPath as NSString).deletingLastPathComponent
        var shardSources: [String: [String]] = [:]
        for s in layout.system.shards {
            let dir = s.path.hasPrefix("/") ? s.path : ((manifestDir.isEmpty ? "." : manifestDir) as NSString).appendingPathComponent(s.path)
            let abs = URL(fileURLWithPath: dir).standardizedFileURL.path
            shardSources[s.name] = files(in: abs, suffixes: s.lang == .c ? [".c", ".S"] : [".swift"])
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
        return BuildPlanner.plan(layout, sources: sources, generated: absGenerated)
    }

    static func shardLocation(_ name: String, checked: CheckedSystem, configPath: String) -> SourceLocation {
        checked.manifest.shards.first { $0.name.value == name }?.name.location ?? .unknown(configPath)
    }

    static func budgetLocation(_ name: String, key: String, checked: CheckedSystem, configPath: String) -> SourceLocation {
        guard let s = checked.manifest.shards.first(where: { $0.name.value == name }) else { return .unknown(configPath) }
        return s.maxSizes[key]?.location ?? s.name.location
    }

    /// A failed tool run as diagnostics: a shard outgrowing a max-sizes
    /// budget points at the manifest; anything else shows the tool's output.
    static func buildFailure(_ f: Executor.Failure, layout: Layout, checked: CheckedSystem, configPath: String) -> DriverFailure {
        if f.job.kind == .link, let range = f.output.range(of: #"shard [a-z0-9-]+: \.[a-z]+ (is|and \.bss are) larger than (its|their) [^"]*\(max-sizes\.[a-z]+\)"#, options: .regularExpression) {
            let msg = String(f.output[range])
            let shard = msg.dropFirst("shard ".count).split(separator: ":").first.map(String.init) ?? ""
            let key = msg.components(separatedBy: "max-sizes.").last?.dropLast().description ?? ""
            let objects = f.job.inputs.filter { $0.hasSuffix(".o") }
            let need = objectBytes(objects)[key] ?? 0
            let budget = layout.shards.first { $0.shard.name == shard }.map { sl -> UInt64 in
                key == "text" ? sl.shard.budgets.text : key == "rodata" ? sl.shard.budgets.rodata : sl.shard.budgets.data
            } ?? 0
            let text = "shard \(shard): .\(key) needs at least \(need) bytes, over its max-sizes.\(key) budget of \(formatBytes(budget)) (\(budget) bytes)"
            return DriverFailure(status: .dataError, diagnostics: [.error(budgetLocation(shard, key: key, checked: checked, configPath: configPath), text)], file: configPath)
        }
        let output = f.output.trimmingCharacters(in: .whitespacesAndNewlines)
        return DriverFailure(status: .buildFailed, diagnostics: [.error(.unknown(f.job.output),
            "\(f.job.tool) failed (\(f.job.label)), status \(f.status)\(output.isEmpty ? "" : ":\n" + output)")], file: configPath)
    }

    /// Allocated bytes per budget key in relocatable objects.
    static func objectBytes(_ objects: [String]) -> [String: UInt64] {
        var sums: [String: UInt64] = [:]
        for path in objects {
            guard let d = FileManager.default.contents(atPath: path), let e = try? ElfFile.parse([UInt8](d)).get() else { continue }
            for s in e.sections where s.isAllocated {
                let key: String
                if s.name.hasPrefix(".text") { key = "text" }
                else if s.name.hasPrefix(".rodata") || s.name.hasPrefix(".srodata") || s.name.hasPrefix(".data.rel.ro") { key = "rodata" }
                else if s.name.hasPrefix(".data") || s.name.hasPrefix(".bss") || s.name.hasPrefix(".sdata") || s.name.hasPrefix(".sbss") { key = "data" }
                else { continue }
                sums[key, default: 0] += s.size
            }
        }
        return sums
    }
}
