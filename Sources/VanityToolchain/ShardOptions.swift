import VanityModel

/// The manifest's build keys in the plan: sources in subfolders, include
/// folders, defines, c-flags and swift-flags, warnings-as-errors, a Swift
/// shard's bridging header, and libraries built into archives. Kept apart
/// from BuildPlan.swift: the jobs there call these helpers.
extension SourceSet {
    /// A library's folder (absolute) and sources.
    public struct LibraryFiles: Sendable {
        public var folder: String
        public var sources: [String]

        public init(folder: String, sources: [String]) {
            self.folder = folder
            self.sources = sources
        }
    }
}

extension BuildPlanner {
    /// `path` with `.` and `..` components resolved lexically.
    public static func normalized(_ path: String) -> String {
        var out: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == "..", let last = out.last, last != ".." { out.removeLast() } else if !(part == ".." && path.hasPrefix("/") && out.isEmpty) { out.append(part) }
        }
        return (path.hasPrefix("/") ? "/" : "") + out.joined(separator: "/")
    }

    /// `rel` (relative to `folder`, or absolute) as a normalized absolute path.
    public static func resolve(_ rel: String, in folder: String) -> String {
        normalized(rel.hasPrefix("/") ? rel : folder + "/" + rel)
    }

    /// Do warnings stop the build of `folder`? Its `warnings-as-errors`, or
    /// by default whether it lies inside the Vanity repository.
    public static func warningsAsErrors(_ b: BuildSettings, folder: String, repoRoot: String) -> Bool {
        b.warningsAsErrors ?? normalized(folder).hasPrefix(normalized(repoRoot) + "/")
    }

    /// `job` without -Werror when warnings are not errors.
    static func warnings(_ job: Job, asErrors: Bool) -> Job {
        guard !asErrors else { return job }
        var j = job
        j.arguments.removeAll { $0 == "-Werror" }
        return j
    }

    /// The include folders (absolute) of the libraries `names`, in order.
    static func libraryIncludes(_ names: [String], system: SystemModel, sources: SourceSet) -> [String] {
        names.flatMap { name -> [String] in
            guard let lib = system.libraries.first(where: { $0.name == name }),
                  let folder = sources.libraries[name]?.folder else { return [] }
            return lib.build.include.map { resolve($0, in: folder) }
        }
    }

    /// The clang options of a shard's or library's own keys, after the
    /// build's: -I for its include folders, then its libraries', -D for its
    /// defines, then its c-flags (last, so they can override).
    static func cOptions(_ b: BuildSettings, folder: String, libraryIncludes: [String]) -> [String] {
        (b.include.map { resolve($0, in: folder) } + libraryIncludes).flatMap { ["-I", $0] }
            + b.defines.map { "-D" + $0 } + b.cFlags
    }

    /// The same for a Swift shard's compile: include folders and defines
    /// reach its clang importer; then its swift-flags.
    static func swiftOptions(_ b: BuildSettings, folder: String, libraryIncludes: [String]) -> [String] {
        (b.include.map { resolve($0, in: folder) } + libraryIncludes).flatMap { ["-Xcc", "-I" + $0] }
            + b.defines.flatMap { ["-Xcc", "-D" + $0] } + b.swiftFlags
    }

    /// A Swift shard's bridging header: its own, or the fixed one.
    static func bridgingHeader(_ s: ShardModel, sources: SourceSet) -> String {
        guard let h = s.build.bridgingHeader, let folder = sources.shardFolders[s.name] else {
            return sources.repoRoot + "/Shards/lib/swift/Bridging.h"
        }
        return resolve(h, in: folder)
    }

    /// What a Swift shard's compile may read besides its Swift files and
    /// Vanity's headers (swiftc writes no dependency file): its own bridging
    /// header and the headers under its folder and its include folders and
    /// its libraries'.
    static func swiftHeaderInputs(_ s: ShardModel, system: SystemModel, sources: SourceSet) -> [String] {
        guard let folder = sources.shardFolders[s.name] else { return [] }
        let own = s.build.bridgingHeader.map { [resolve($0, in: folder)] } ?? []
        let folders = [normalized(folder)] + s.build.include.map { resolve($0, in: folder) }
            + libraryIncludes(s.build.libraries, system: system, sources: sources)
        var seen = Set(own)
        return own + folders.flatMap { sources.headers[$0] ?? [] }.filter { seen.insert($0).inserted }
    }

    /// Where the object of `src` goes: its path under `folder` kept, so
    /// `a/util.c` and `b/util.c` do not meet (`main.c` → `dir/main_c.o`).
    static func objectPath(_ src: String, folder: String?, into dir: String) -> String {
        let rel = folder.flatMap { f in src.hasPrefix(f + "/") ? String(src.dropFirst(f.count + 1)) : nil } ?? fileName(src)
        var parts = rel.split(separator: "/").map(String.init)
        parts[parts.count - 1] = stem(parts[parts.count - 1])
        return dir + "/" + parts.joined(separator: "/") + ".o"
    }

    /// How the build log names `src`: its path under `folder`.
    static func relativeName(_ src: String, folder: String?) -> String {
        folder.flatMap { f in src.hasPrefix(f + "/") ? String(src.dropFirst(f.count + 1)) : nil } ?? fileName(src)
    }

    /// The C and assembly files of a shard's or library's sources (a Swift
    /// shard's are compiled by swiftc); `hosted`: .c only (assembly is
    /// for the boards).
    static func clangSources(_ files: [String], hosted: Bool) -> [String] {
        files.filter { f in
            switch SourceFiles.kind(of: f) {
            case .c: return true
            case .assembly, .rawAssembly: return !hosted
            case .swift, nil: return false
            }
        }
    }

    /// One compile per source of each library, then its archive
    /// (`obj/libraries/<name>/lib<name>.a`); a library without sources is
    /// headers only. `compile(src, out, options, label)` makes a job with
    /// the shards' Vanity include folders (not a shard's generated one).
    /// Returns the archive of each library.
    static func libraryJobs(_ system: SystemModel, sources: SourceSet, obj: String, hosted: Bool, jobs: inout [Job],
                            compile: (_ src: String, _ out: String, _ options: [String], _ label: String) -> Job) -> [String: String] {
        var archives: [String: String] = [:]
        for lib in system.libraries {
            guard let files = sources.libraries[lib.name] else { continue }
            let own = clangSources(files.sources, hosted: hosted)
            guard !own.isEmpty else { continue }
            let dir = "\(obj)/libraries/\(lib.name)"
            let options = cOptions(lib.build, folder: files.folder, libraryIncludes: [])
            let werror = warningsAsErrors(lib.build, folder: files.folder, repoRoot: sources.repoRoot)
            let objects = own.map { src in
                let out = objectPath(src, folder: files.folder, into: dir)
                jobs.append(warnings(compile(src, out, options, "library \(lib.name): \(relativeName(src, folder: files.folder))"),
                                     asErrors: werror))
                return out
            }
            let archive = "\(dir)/lib\(lib.name).a"
            jobs.append(Job(kind: .archive, label: "library \(lib.name)", tool: "llvm-ar", arguments: ["rcsD", archive] + objects,
                            inputs: objects, output: archive, depfile: nil))
            archives[lib.name] = archive
        }
        return archives
    }
}
