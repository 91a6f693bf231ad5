import Foundation

/// Where Vanity's own sources are: the platforms, the kernel library and the
/// shard libraries every build compiles (a "Vanity home": a folder holding
/// Platforms/, Kernel/ and Shards/lib, like the repository or an
/// installation's share/vanity).
public struct VanityResources: Sendable, Equatable {
    /// The folder holding Kernel/ and Shards/lib (the repository root, or an
    /// installation's share/vanity).
    public var root: String
    /// The platforms folder (`root`/Platforms unless --platforms named another).
    public var platforms: String
    /// Which rule found them.
    public var origin: Origin

    public enum Origin: String, Sendable, Equatable {
        /// `--platforms DIR`: the platforms folder; the root is its parent.
        case flag = "--platforms"
        /// `VANITY_HOME`.
        case environment = "VANITY_HOME"
        /// `<prefix>/share/vanity` beside `<prefix>/bin/vanity-build`.
        case installation = "installation"
        /// A repository above the executable (`swift run`, `.build/debug/vanity-build`).
        case repository = "repository"
        /// Platforms/ above the manifest.
        case manifest = "manifest"
    }

    public init(root: String, platforms: String, origin: Origin) {
        (self.root, self.platforms, self.origin) = (root, platforms, origin)
    }
}

/// Everything the search looks at besides the file system.
public struct ResourceSearch: Sendable, Equatable {
    /// `--platforms`, if given.
    public var platformsFlag: String?
    /// `VANITY_HOME`, if set (an empty value counts as unset).
    public var home: String?
    /// The running executable's path (symbolic links resolved), if known.
    public var executable: String?
    /// The manifest's path.
    public var manifest: String
    /// What relative paths are relative to.
    public var currentDirectory: String

    public init(platformsFlag: String? = nil, home: String? = nil, executable: String?, manifest: String, currentDirectory: String) {
        self.platformsFlag = platformsFlag
        self.home = home.flatMap { $0.isEmpty ? nil : $0 }
        self.executable = executable
        self.manifest = manifest
        self.currentDirectory = currentDirectory
    }

    /// This process's search: its environment, its executable and its current directory.
    public static func current(manifest: String, platformsFlag: String?) -> ResourceSearch {
        ResourceSearch(platformsFlag: platformsFlag, home: ProcessInfo.processInfo.environment["VANITY_HOME"],
                       executable: executablePath(), manifest: manifest,
                       currentDirectory: FileManager.default.currentDirectoryPath)
    }

    /// The running executable, symbolic links resolved (so a link in
    /// /usr/local/bin to an installation elsewhere finds that installation).
    public static func executablePath() -> String? {
        #if os(Linux)
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        #endif
        return Bundle.main.executableURL?.resolvingSymlinksInPath().path
    }
}

/// Why no resources were found: each place looked at and what was missing there.
public struct ResourceFailure: Error, Sendable, Equatable {
    public var lookedAt: [String]
    /// A wrong explicit choice (--platforms, VANITY_HOME) ends the search at once.
    public var explicit: Bool

    public var message: String {
        if explicit { return lookedAt.joined(separator: "; ") }
        return "cannot find Vanity's platforms, kernel and shard libraries (a folder holding "
            + ResourceLocator.required.map { $0 + "/" }.joined(separator: ", ") + "); looked for them:\n"
            + lookedAt.map { "  " + $0 }.joined(separator: "\n")
            + "\nset VANITY_HOME to such a folder, pass --platforms, or install Vanity (make install PREFIX=...)"
    }
}

/// Decides where the platforms, kernel and shard libraries come from. Pure:
/// the file system is only asked, through `isDirectory`, whether folders
/// exist. In order:
/// 1. `--platforms DIR` (the root is DIR's parent);
/// 2. `VANITY_HOME`, a folder holding Platforms/, Kernel/ and Shards/lib;
/// 3. the installation beside the executable: `<prefix>/bin/vanity-build`
///    → `<prefix>/share/vanity`;
/// 4. a repository above the executable (`swift run`, `.build/debug/vanity-build`);
/// 5. Platforms/ above the manifest's folder.
public enum ResourceLocator {
    /// What a Vanity home holds.
    public static let required = ["Platforms", "Kernel", "Shards/lib"]

    public static func locate(_ s: ResourceSearch, isDirectory: (String) -> Bool) -> Result<VanityResources, ResourceFailure> {
        let abs = { (p: String) in absolute(p, in: s.currentDirectory) }
        func missing(_ root: String) -> [String] { required.filter { !isDirectory(join(root, $0)) } }

        if let flag = s.platformsFlag {
            let dir = abs(flag)
            guard isDirectory(dir) else { return .failure(ResourceFailure(lookedAt: ["--platforms \(flag): no such folder"], explicit: true)) }
            return .success(VanityResources(root: parent(dir), platforms: dir, origin: .flag))
        }
        if let home = s.home {
            let root = abs(home)
            let lack = missing(root)
            guard lack.isEmpty else {
                return .failure(ResourceFailure(lookedAt: ["VANITY_HOME=\(home) does not hold Vanity's resources: no "
                                                           + lack.map { $0 + "/" }.joined(separator: ", ") + " in \(root)"],
                                                explicit: true))
            }
            return .success(VanityResources(root: root, platforms: join(root, "Platforms"), origin: .environment))
        }
        var looked = ["VANITY_HOME: not set"]
        if let exe = s.executable {
            let bin = parent(abs(exe))
            let installed = join(parent(bin), "share/vanity")
            let lack = missing(installed)
            if lack.isEmpty { return .success(VanityResources(root: installed, platforms: join(installed, "Platforms"), origin: .installation)) }
            looked.append("\(installed) (the installation beside \(abs(exe))): "
                          + (lack.count == required.count ? "no such folder or an empty one" : "no " + lack.map { $0 + "/" }.joined(separator: ", ")))
            if let root = ancestors(of: bin).first(where: { missing($0).isEmpty }) {
                return .success(VanityResources(root: root, platforms: join(root, "Platforms"), origin: .repository))
            }
            looked.append("a Vanity repository (Platforms/, Kernel/, Shards/lib) in \(bin) or a folder above it: none")
        } else {
            looked.append("the installation beside the executable: the executable's path is unknown")
        }
        let manifestDir = parent(abs(s.manifest))
        if let root = ancestors(of: manifestDir).first(where: { isDirectory(join($0, "Platforms")) }) {
            return .success(VanityResources(root: root, platforms: join(root, "Platforms"), origin: .manifest))
        }
        looked.append("Platforms/ in \(manifestDir) (the manifest's folder) or a folder above it: none")
        return .failure(ResourceFailure(lookedAt: looked, explicit: false))
    }

    /// `path` made absolute against `cwd`, with `.` and `..` resolved by name.
    public static func absolute(_ path: String, in cwd: String) -> String {
        let full = path.hasPrefix("/") ? path : cwd + "/" + path
        var parts: [Substring] = []
        for c in full.split(separator: "/") {
            if c == "." || c.isEmpty { continue }
            if c == ".." { _ = parts.popLast(); continue }
            parts.append(c)
        }
        return "/" + parts.joined(separator: "/")
    }

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func join(_ dir: String, _ name: String) -> String { dir == "/" ? "/" + name : dir + "/" + name }

    /// `dir` and every folder above it, nearest first.
    static func ancestors(of dir: String) -> [String] {
        var out = [dir]
        while let last = out.last, last != "/" { out.append(parent(last)) }
        return out
    }
}
