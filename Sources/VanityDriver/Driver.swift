import Foundation
import VanityCodegen
import VanityDiagnostics
import VanityLayout
import VanityManifest
import VanityModel
import VanityPlatform

/// Exit statuses (BSD sysexits, as compilers use them).
public enum ExitStatus: Int32, Sendable {
    case ok = 0
    case usage = 64
    /// The manifest (or a platform descriptor) is wrong.
    case dataError = 65
    /// The manifest file cannot be read.
    case noInput = 66
    /// Output could not be written.
    case ioError = 74
    /// A compiler or linker failed on a source file.
    case buildFailed = 1
}

/// A failure that ends the run, with everything that was reported.
public struct DriverFailure: Error {
    public var status: ExitStatus
    public var diagnostics: [Diagnostic]
    /// The file the summary line talks about.
    public var file: String
}

/// One timed step of a run, for the user.
public struct Step: Sendable {
    public var name: String
    public var seconds: Double
    public var detail: String
}

/// The checked system: one model and one layout per platform.
public struct CheckedSystem {
    public var manifest: Manifest
    public var layouts: [Layout]
    /// Warnings (errors end the run).
    public var diagnostics: [Diagnostic]
    public var steps: [Step]
    /// Where the platforms, the kernel and the shard libraries were found.
    public var resources: VanityResources
    public var platformsDirectory: String { resources.platforms }
}

public struct WriteReport: Sendable {
    public var written: [String] = []
    public var unchanged: [String] = []
    public var removed: [String] = []
}

/// The I/O shell around the pure stages: reads the manifest and the
/// platforms, runs parse → check → place, and writes generated files.
public enum Driver {
    /// Where this process finds the platforms, the kernel and the shard
    /// libraries for the manifest at `manifestPath` (ResourceLocator).
    public static func findResources(manifestPath: String, platformsFlag: String?) -> Result<VanityResources, ResourceFailure> {
        ResourceLocator.locate(.current(manifest: manifestPath, platformsFlag: platformsFlag)) { path in
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
        }
    }

    /// The files under `dir`, subfolders included, as sorted paths relative
    /// to it; names starting with "." (files and folders) are left out. nil
    /// when `dir` is not a folder.
    static func listFiles(under dir: String) -> [String]? {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue,
              let walk = fm.enumerator(atPath: dir) else { return nil }
        var out: [String] = []
        while let rel = walk.nextObject() as? String {
            let hidden = (rel as NSString).lastPathComponent.hasPrefix(".")
            guard fm.fileExists(atPath: dir + "/" + rel, isDirectory: &isDir) else { continue }
            if isDir.boolValue {
                if hidden { walk.skipDescendants() }
            } else if !hidden {
                out.append(rel)
            }
        }
        return out.sorted()
    }

    static func time<T>(_ steps: inout [Step], _ name: String, detail: (T) -> String = { _ in "" }, _ body: () throws -> T) rethrows -> T {
        try Frontend.timed(&steps, name, detail: detail, body)
    }

    /// Parses, validates and lays out the manifest at `path` for `platforms`
    /// (all the manifest names when empty). `platformsDirectory`: --platforms.
    public static func check(configPath path: String, platforms only: [String] = [],
                             platformsDirectory: String? = nil) -> Result<CheckedSystem, DriverFailure> {
        var steps: [Step] = []
        let text: String
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            switch ManifestText.decode(Array(data), file: path) {
            case .success(let s): text = s
            case .failure(let bad): return .failure(DriverFailure(status: .dataError, diagnostics: [bad.diagnostic], file: path))
            }
        } catch {
            var isDir: ObjCBool = false
            let why = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
                ? (isDir.boolValue ? "it is a folder, not a file" : "it cannot be read") : "no such file"
            return .failure(DriverFailure(status: .noInput, diagnostics: [.error(.unknown(path), "cannot read the manifest: \(why)")], file: path))
        }

        let resources: VanityResources
        switch findResources(manifestPath: path, platformsFlag: platformsDirectory) {
        case .success(let r): resources = r
        case .failure(let f): return .failure(DriverFailure(status: .noInput, diagnostics: [.error(.unknown(path), f.message)], file: path))
        }
        let platDir = resources.platforms
        let (platforms, platDiags) = time(&steps, "load platforms", detail: { "\($0.platforms.count) from \(platDir)" }) {
            PlatformLoader.loadAll(platformsDirectory: platDir)
        }
        if platDiags.contains(where: { $0.severity == .error }) {
            return .failure(DriverFailure(status: .dataError, diagnostics: platDiags, file: path))
        }

        let manifestDir = URL(fileURLWithPath: path).deletingLastPathComponent()
        func absolute(_ rel: String) -> String { rel.hasPrefix("/") ? rel : manifestDir.appendingPathComponent(rel).path }
        let out = Frontend.run(text: text, file: path, platforms: platforms, only: only, directoryExists: { rel in
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: absolute(rel), isDirectory: &isDir) && isDir.boolValue
        }, listFiles: { rel in listFiles(under: absolute(rel)) })
        steps += out.steps
        guard let manifest = out.manifest, !out.hasErrors else {
            return .failure(DriverFailure(status: .dataError, diagnostics: platDiags + out.diagnostics, file: path))
        }
        let layouts = out.layouts
        let bag = platDiags + out.diagnostics
        return .success(CheckedSystem(manifest: manifest, layouts: layouts, diagnostics: bag, steps: steps,
                                      resources: resources))
    }

    /// The output folder for one platform of the manifest at `configPath`.
    public static func outputDirectory(system: String, platform: String, out: String?, configPath: String) -> String {
        BuildPaths(system: system, platform: platform, out: out, manifest: configPath).directory
    }

    /// Name of the list of generated files kept in each output folder, used
    /// to remove files a previous run generated and this one does not.
    public static let generatedListName = ".vanity-generated"

    /// Writes `files` under `directory`, touching only files whose contents
    /// changed, and removes files a previous run generated that are gone now.
    public static func write(_ files: [GeneratedFile], to directory: String) throws -> WriteReport {
        let fm = FileManager.default
        var report = WriteReport()
        let root = URL(fileURLWithPath: directory)
        let listURL = root.appendingPathComponent(generatedListName)
        let previous = (try? String(contentsOf: listURL, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
        let list = files.map(\.path).sorted().joined(separator: "\n") + "\n"
        for f in files + [GeneratedFile(path: generatedListName, contents: list)] {
            let url = root.appendingPathComponent(f.path)
            let data = Data(f.contents.utf8)
            if let old = try? Data(contentsOf: url), old == data {
                if f.path != generatedListName { report.unchanged.append(f.path) }
                continue
            }
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
            if f.path != generatedListName { report.written.append(f.path) }
        }
        let now = Set(files.map(\.path))
        for old in previous where !now.contains(old) && !old.contains("..") && !old.hasPrefix("/") {
            let url = root.appendingPathComponent(old)
            if (try? fm.removeItem(at: url)) != nil { report.removed.append(old) }
        }
        return report
    }

    public struct BuildResult {
        public var checked: CheckedSystem
        public var outputs: [(platform: String, directory: String, report: WriteReport)]
        public var images: [PlatformImage]
        /// Platforms generated but not compiled (no kernel port yet).
        public var notCompiled: [String]
        public var steps: [Step]

        /// Everything to show: the check's warnings, then each platform's notes.
        public var diagnostics: [Diagnostic] { checked.diagnostics + images.flatMap(\.notes) }
    }

    /// check + generate + write for every platform.
    /// `compile`: also build the kernel and shards and pack an image for
    /// every platform with a kernel port.
    public static func build(configPath: String, platforms: [String] = [], out: String? = nil,
                             platformsDirectory: String? = nil, compile: Bool = false) -> Result<BuildResult, DriverFailure> {
        let checked: CheckedSystem
        switch check(configPath: configPath, platforms: platforms, platformsDirectory: platformsDirectory) {
        case .failure(let f): return .failure(f)
        case .success(let c): checked = c
        }
        var steps = checked.steps
        var outputs: [(String, String, WriteReport)] = []
        var images: [PlatformImage] = []
        var notCompiled: [String] = []
        for layout in checked.layouts {
            let files = time(&steps, "generate \(layout.platform.name)", detail: { "\($0.count) files" }) {
                Codegen.generate(layout)
            }
            let dir = outputDirectory(system: layout.system.name, platform: layout.platform.name, out: out, configPath: configPath)
            do {
                let report = try time(&steps, "write \(dir)", detail: { r in
                    "\(r.written.count) written, \(r.unchanged.count) unchanged" + (r.removed.isEmpty ? "" : ", \(r.removed.count) removed")
                }) { try write(files, to: dir) }
                outputs.append((layout.platform.name, dir, report))
            } catch {
                return .failure(DriverFailure(status: .ioError, diagnostics: [.error(.unknown(dir), "cannot write generated files: \(error.localizedDescription)")], file: configPath))
            }
            guard compile else { continue }
            guard hasKernelPort(layout.platform, platformsDirectory: checked.platformsDirectory) else {
                notCompiled.append(layout.platform.name)
                continue
            }
            switch self.compile(layout, checked: checked, configPath: configPath, generated: dir, steps: &steps) {
            case .success(let img): images.append(img)
            case .failure(let f): return .failure(f)
            }
        }
        return .success(BuildResult(checked: checked, outputs: outputs, images: images, notCompiled: notCompiled, steps: steps))
    }
}

extension Step {
    /// "  parse manifest            0.4 ms".
    public var line: String {
        let ms = seconds * 1000
        let t = ms < 10 ? String(format: "%.2f ms", ms) : String(format: "%.0f ms", ms)
        let pad = String(repeating: " ", count: max(1, 28 - name.count))
        return "  \(name)\(pad)\(t)" + (detail.isEmpty ? "" : "  (\(detail))")
    }
}
