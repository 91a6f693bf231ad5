import VanityDiagnostics

/// How a shard or a library is built: its sources, include folders, defines
/// and flags, as written. Shared by `[shards.<name>]` and
/// `[libraries.<name>]`; the keys a library does not take stay nil/empty.
public struct BuildDecl: Sendable {
    /// Globs relative to the folder; nil: every source file under it.
    public var sources: Located<[Located<String>]>?
    /// Folders relative to the folder, added with -I.
    public var include: Located<[Located<String>]>?
    /// "NAME" or "NAME=VALUE", checked to be a C identifier.
    public var defines: Located<[Located<String>]>?
    public var cFlags: Located<[Located<String>]>?
    /// Swift shards only.
    public var swiftFlags: Located<[Located<String>]>?
    /// nil: true inside the Vanity repository, false outside it.
    public var warningsAsErrors: Located<Bool>?
    /// Swift shards only: a header in the shard's folder.
    public var bridgingHeader: Located<String>?
    /// Shards only: names of `[libraries.<name>]` tables.
    public var libraries: Located<[Located<String>]>?

    public init() {}
}

/// `[libraries.<name>]`: C sources built once per platform into an archive
/// linked into every shard that lists the library.
public struct LibraryDecl: Sendable {
    public var name: Located<String>
    public var path: Located<String>?
    public var build: BuildDecl
}

extension ManifestKeys {
    /// The build keys a shard takes (besides its layout keys).
    public static let shardBuild = ["sources", "include", "defines", "c-flags", "swift-flags", "warnings-as-errors",
                                    "bridging-header", "libraries"]
    public static let library = ["path", "sources", "include", "defines", "c-flags", "warnings-as-errors"]
}

/// Flags a shard or library may not pass to its compiler: each would break
/// what the build relies on (the platform's target, code linked at fixed
/// addresses, one object per source with its dependency file, the
/// `warnings-as-errors` key). A flag is refused when it is one of these or
/// starts with one followed by `=` (but `-Werror=<warning>` is fine). After
/// `-Xcc` in `swift-flags`, the C list applies.
public enum FlagPolicy {
    public static let cDenied: [(flags: [String], why: String)] = [
        (["--target", "-target"], "the target is the platform's"),
        (["-fpic", "-fPIC", "-fpie", "-fPIE", "-shared"], "shards are static and linked at fixed addresses"),
        (["-o", "-c", "-S", "-E"], "the build decides what each compile produces"),
        (["-M", "-MM", "-MD", "-MMD", "-MF", "-MT", "-MQ"], "the build writes the dependency files"),
        (["-Werror", "-Wno-error"], "use \"warnings-as-errors\""),
    ]

    public static let swiftDenied: [(flags: [String], why: String)] = [
        (["-target", "--target"], "the target is the platform's"),
        (["-o", "-c", "-emit-library", "-emit-executable", "-emit-object", "-emit-module", "-emit-assembly"],
         "the build decides what the compile produces"),
        (["-module-name"], "the module is named after the shard"),
        (["-import-objc-header"], "use \"bridging-header\""),
        (["-no-whole-module-optimization", "-incremental"], "Embedded Swift is compiled as a whole module"),
        (["-warnings-as-errors", "-no-warnings-as-errors"], "use \"warnings-as-errors\""),
    ]

    /// Why `flag` is refused, or nil when it may be passed.
    public static func refusal(_ flag: String, in list: [(flags: [String], why: String)]) -> String? {
        let exactOnly: Set = ["-Werror", "-Wno-error"]
        for (flags, why) in list where flags.contains(where: { flag == $0 || (!exactOnly.contains($0) && flag.hasPrefix($0 + "=")) }) {
            return why
        }
        return nil
    }
}

/// A `defines` entry: NAME or NAME=VALUE, NAME a C identifier.
public enum Define {
    /// The name of a valid define, or nil.
    public static func name(of define: String) -> String? {
        let name = define.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard let first = name.unicodeScalars.first, first == "_" || isLetter(first),
              name.unicodeScalars.allSatisfy({ $0 == "_" || isLetter($0) || ("0"..."9").contains($0) }) else { return nil }
        return name
    }

    static func isLetter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
}

extension ManifestParser {
    /// The build keys of a shard or library table (`ctx` names it). Only the
    /// keys in `keys` are read; checkKeys has reported the others.
    static func parseBuild(_ t: TableReader, keys: [String], diagnostics d: inout DiagnosticBag) -> BuildDecl {
        let ctx = t.context
        var b = BuildDecl()
        /// An array of non-empty strings.
        func list(_ key: String) -> Located<[Located<String>]>? {
            guard keys.contains(key), let l = t.strings(key, diagnostics: &d) else { return nil }
            var kept: [Located<String>] = []
            for item in l.value {
                if item.value.isEmpty {
                    d.error(item.location, "elements of \"\(key)\" in \(ctx) must not be empty")
                } else {
                    kept.append(item)
                }
            }
            return Located(kept, at: l.location, key: l.keyLocation)
        }
        if let sources = list("sources") {
            if case .array(let items)? = t.node["sources"]?.value, items.isEmpty {
                d.error(sources.location, "\"sources\" in \(ctx) is empty; leave it out to compile every source file under the folder")
            }
            var kept = sources
            kept.value.removeAll { g in
                guard g.value.hasPrefix("/") || g.value.split(separator: "/").contains("..") else { return false }
                d.error(g.location, "glob \"\(g.value)\" in \(ctx) leaves its folder; \"sources\" are relative to it, without \"..\" or a leading \"/\"")
                return true
            }
            b.sources = kept
        }
        b.include = list("include")
        b.defines = list("defines")
        var defined: [String: SourceLocation] = [:]
        for def in b.defines?.value ?? [] {
            guard let name = Define.name(of: def.value) else {
                d.error(def.location, "define \"\(def.value)\" in \(ctx) is not valid: write NAME or NAME=VALUE, NAME a C identifier (letters, digits and '_', not starting with a digit)")
                continue
            }
            if let first = defined[name] {
                d.error(def.location, "\"\(name)\" is defined twice in \(ctx)", notes: [.init(first, "first defined here")])
            }
            defined[name] = defined[name] ?? def.location
        }
        b.cFlags = list("c-flags")
        for f in b.cFlags?.value ?? [] {
            if let why = FlagPolicy.refusal(f.value, in: FlagPolicy.cDenied) {
                d.error(f.location, "flag \"\(f.value)\" in \"c-flags\" of \(ctx) is refused: \(why)")
            }
        }
        b.swiftFlags = list("swift-flags")
        let swift = b.swiftFlags?.value ?? []
        for (i, f) in swift.enumerated() {
            let afterXcc = i > 0 && swift[i - 1].value == "-Xcc"
            if let why = FlagPolicy.refusal(f.value, in: afterXcc ? FlagPolicy.cDenied : FlagPolicy.swiftDenied) {
                d.error(f.location, "flag \"\(f.value)\"\(afterXcc ? " (after -Xcc)" : "") in \"swift-flags\" of \(ctx) is refused: \(why)")
            }
        }
        if let last = swift.last, last.value == "-Xcc" {
            d.error(last.location, "\"-Xcc\" ends \"swift-flags\" of \(ctx); it needs the flag it passes to clang after it")
        }
        if keys.contains("warnings-as-errors") { b.warningsAsErrors = t.bool("warnings-as-errors", diagnostics: &d) }
        if keys.contains("bridging-header") {
            b.bridgingHeader = t.string("bridging-header", diagnostics: &d)
            if let h = b.bridgingHeader, h.value.isEmpty || h.value.hasPrefix("/") || h.value.split(separator: "/").contains("..") {
                d.error(h.location, "\"bridging-header\" of \(ctx) must name a header in its folder, relative to it (no \"..\" or leading \"/\")")
                b.bridgingHeader = nil
            }
        }
        b.libraries = list("libraries")
        return b
    }

    static func parseLibrary(name: String, node: TomlNode, diagnostics d: inout DiagnosticBag) -> LibraryDecl? {
        let ctx = "library \"\(name)\""
        guard let t = TableReader(node, context: ctx, diagnostics: &d) else { return nil }
        if !isValidName(name) {
            d.error(node.keyLocation, "library name \"\(name)\" is not valid: use lower-case letters, digits and '-', starting with a letter")
        }
        t.checkKeys(ManifestKeys.library, diagnostics: &d)
        var path = t.string("path", diagnostics: &d)
        if let p = path, p.value.isEmpty {
            d.error(p.location, "\"path\" in \(ctx) must not be empty")
            path = nil
        }
        let build = parseBuild(t, keys: ManifestKeys.library, diagnostics: &d)
        return LibraryDecl(name: Located(name, at: node.keyLocation), path: path, build: build)
    }
}
