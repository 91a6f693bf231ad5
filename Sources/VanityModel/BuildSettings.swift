import VanityDiagnostics

/// How a shard or a library is compiled, beyond what the platform decides:
/// the manifest's `sources`, `include`, `defines`, `c-flags`,
/// `swift-flags`, `warnings-as-errors`, `bridging-header` and `libraries`.
/// Paths are relative to the shard's (library's) folder.
public struct BuildSettings: Hashable, Sendable {
    /// Globs selecting the sources; nil: `SourceFiles.defaultGlobs`.
    public var sources: [String]?
    public var include: [String]
    public var defines: [String]
    public var cFlags: [String]
    public var swiftFlags: [String]
    /// nil: true for a folder inside the Vanity repository, else false.
    public var warningsAsErrors: Bool?
    /// Swift shards: replaces Shards/lib/swift/Bridging.h.
    public var bridgingHeader: String?
    /// Shards: the libraries linked in, in manifest order.
    public var libraries: [String]

    public init(sources: [String]? = nil, include: [String] = [], defines: [String] = [], cFlags: [String] = [],
                swiftFlags: [String] = [], warningsAsErrors: Bool? = nil, bridgingHeader: String? = nil,
                libraries: [String] = []) {
        self.sources = sources
        self.include = include
        self.defines = defines
        self.cFlags = cFlags
        self.swiftFlags = swiftFlags
        self.warningsAsErrors = warningsAsErrors
        self.bridgingHeader = bridgingHeader
        self.libraries = libraries
    }
}

/// `[libraries.<name>]`: C sources built once per platform into an archive
/// that every shard listing the library links.
public struct LibraryModel: Hashable, Sendable {
    public var name: String
    /// The library's folder, relative to the manifest's folder.
    public var path: String
    public var build: BuildSettings
    /// The library's name in `[libraries.<name>]`.
    public var location: SourceLocation

    public init(name: String, path: String, build: BuildSettings, location: SourceLocation) {
        self.name = name
        self.path = path
        self.build = build
        self.location = location
    }

    /// The default folder of a library: Libraries/<name>, beside the manifest.
    public static func defaultPath(_ name: String) -> String { "Libraries/\(name)" }
}

/// Which files of a folder are sources: a pure glob matcher over a listed
/// tree (paths relative to the folder, `/`-separated).
public enum SourceFiles {
    public enum Kind: Sendable {
        /// `.c`
        case c
        /// `.S`: assembly through the C preprocessor.
        case assembly
        /// `.s`: plain assembly.
        case rawAssembly
        case swift
    }

    /// What the build does with `path`, or nil when it is not a source.
    public static func kind(of path: String) -> Kind? {
        if path.hasSuffix(".c") { return .c }
        if path.hasSuffix(".S") { return .assembly }
        if path.hasSuffix(".s") { return .rawAssembly }
        if path.hasSuffix(".swift") { return .swift }
        return nil
    }

    /// Every source file under the folder, subfolders included.
    public static let defaultGlobs = ["**/*.c", "**/*.S", "**/*.s", "**/*.swift"]

    /// The source files of `files` that `globs` (nil: the default) select,
    /// sorted.
    public static func select(_ globs: [String]?, from files: [String]) -> [String] {
        let globs = globs ?? defaultGlobs
        return files.filter { f in kind(of: f) != nil && globs.contains { matches($0, f) } }.sorted()
    }

    /// Does `glob` match the relative path `path`? `*` matches any run of
    /// characters within one path component, `?` one character, and `**` as
    /// a whole component any number of components (none included).
    public static func matches(_ glob: String, _ path: String) -> Bool {
        func parts(_ s: String) -> [Substring] { s.split(separator: "/").filter { $0 != "." } }
        return match(parts(glob)[...], parts(path)[...])
    }

    static func match(_ p: ArraySlice<Substring>, _ s: ArraySlice<Substring>) -> Bool {
        guard let first = p.first else { return s.isEmpty }
        if first == "**" {
            return (0...s.count).contains { match(p.dropFirst(), s.dropFirst($0)) }
        }
        guard let c = s.first, component(Array(first.unicodeScalars)[...], Array(c.unicodeScalars)[...]) else { return false }
        return match(p.dropFirst(), s.dropFirst())
    }

    static func component(_ p: ArraySlice<Unicode.Scalar>, _ s: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let c = p.first else { return s.isEmpty }
        switch c {
        case "*": return (0...s.count).contains { component(p.dropFirst(), s.dropFirst($0)) }
        case "?": return !s.isEmpty && component(p.dropFirst(), s.dropFirst())
        default: return s.first == c && component(p.dropFirst(), s.dropFirst())
        }
    }
}
