import VanityDiagnostics
import VanityManifest

/// The build keys of shards and libraries: the globs of `sources` against
/// the listed folders, `include` folders, the Swift-only keys, and the
/// libraries shards name.
extension SystemChecker {
    /// A manifest-relative path inside `folder` (itself manifest-relative or absolute).
    static func join(_ folder: String, _ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return folder.hasSuffix("/") ? folder + path : folder + "/" + path
    }

    /// Checks every shard's and library's build keys; returns the libraries.
    func checkBuildSettings(into d: inout DiagnosticBag) -> [LibraryModel] {
        let libraryNames = manifest.libraries.map(\.name.value)
        var used = Set<String>()
        for s in manifest.shards {
            let ctx = "shard \"\(s.name.value)\""
            let path = s.path?.value ?? "Shards/\(s.name.value)"
            let b = s.build
            let lang = s.lang?.value
            if lang == .c {
                for key in [b.bridgingHeader.map { ("bridging-header", $0.keyLocation) },
                            b.swiftFlags.map { ("swift-flags", $0.keyLocation) }].compactMap({ $0 }) {
                    d.error(key.1, "\"\(key.0)\" is only for Swift shards; \(ctx) is written in C")
                }
            }
            if isValidName(s.name.value) && directoryExists(path) {
                checkFolder(ctx: ctx, path: path, build: b, cOnly: lang == .c ? "is written in C" : nil,
                            defaultAt: s.lang?.location ?? s.name.location, into: &d)
                if lang == .swift, let h = b.bridgingHeader, let files = listFiles(path),
                   !files.contains(h.value.split(separator: "/").filter { $0 != "." }.joined(separator: "/")) {
                    d.error(h.location, "bridging header \"\(h.value)\" of \(ctx) does not exist: \(Self.join(path, h.value))")
                }
            }
            var mine: [String: SourceLocation] = [:]
            for lib in b.libraries?.value ?? [] {
                if let first = mine[lib.value] {
                    d.warning(lib.location, "library \"\(lib.value)\" is listed twice for \(ctx)", notes: [.init(first, "first listed here")])
                    continue
                }
                mine[lib.value] = lib.location
                guard libraryNames.contains(lib.value) else {
                    let hint = didYouMean(lib.value, among: libraryNames).map { "did you mean \"\($0)\"? " } ?? ""
                    let known = libraryNames.isEmpty ? "the manifest declares none" : "libraries are \(humanList(libraryNames))"
                    d.error(lib.location, "library \"\(lib.value)\" of \(ctx) is not declared; \(hint)\(known) (a [libraries.<name>] table)")
                    continue
                }
                used.insert(lib.value)
            }
        }
        var models: [LibraryModel] = []
        for l in manifest.libraries {
            let ctx = "library \"\(l.name.value)\""
            let path = l.path?.value ?? LibraryModel.defaultPath(l.name.value)
            if !isValidName(l.name.value) {
                // Reported already; its default folder is no question.
            } else if !directoryExists(path) {
                let at = l.path?.location ?? l.name.location
                d.error(at, "the source folder of \(ctx) does not exist: \(path)\(l.path == nil ? " (the default; set \"path\" to use another)" : "")")
            } else {
                if let p = l.path, let resolved = outsideManifestFolder(p.value) {
                    d.warning(p.location, "the source folder of \(ctx) is outside the manifest's folder: \"\(p.value)\" resolves to \(resolved)")
                }
                checkFolder(ctx: ctx, path: path, build: l.build, cOnly: "is C only", defaultAt: l.name.location, into: &d)
            }
            if !used.contains(l.name.value) {
                d.warning(l.name.location, "\(ctx) is not used by any shard; list it in a shard's \"libraries\"")
            }
            models.append(LibraryModel(name: l.name.value, path: path, build: settings(l.build), location: l.name.location))
        }
        return models
    }

    /// The globs and include folders of a shard or library whose folder
    /// `path` exists. `cOnly` ("is written in C"): why .swift files cannot
    /// be sources, if they cannot; a default selection holding one is
    /// reported at `defaultAt`.
    func checkFolder(ctx: String, path: String, build b: BuildDecl, cOnly: String?, defaultAt: SourceLocation,
                     into d: inout DiagnosticBag) {
        for inc in b.include?.value ?? [] where !directoryExists(Self.join(path, inc.value)) {
            d.error(inc.location, "include folder \"\(inc.value)\" of \(ctx) does not exist: \(Self.join(path, inc.value))")
        }
        guard let files = listFiles(path) else { return }
        if let globs = b.sources?.value {
            for g in globs {
                let selected = SourceFiles.select([g.value], from: files)
                if selected.isEmpty {
                    let folder = g.value.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
                    let hint = !folder.isEmpty && files.contains { $0.hasPrefix(folder + "/") }
                        ? "; \"\(g.value)\" is a folder: \"\(folder)/**\" selects every file under it" : ""
                    d.error(g.location, "glob \"\(g.value)\" in \(ctx) matches no source file (.c, .S, .s or .swift) in \(path)\(hint)")
                } else if let cOnly, let swift = selected.first(where: { SourceFiles.kind(of: $0) == .swift }) {
                    d.error(g.location, "glob \"\(g.value)\" in \(ctx) selects \(Self.join(path, swift)), but \(ctx) \(cOnly); only Swift shards compile .swift files")
                }
            }
        } else if let cOnly, let swift = SourceFiles.select(nil, from: files).first(where: { SourceFiles.kind(of: $0) == .swift }) {
            d.error(defaultAt, "\(ctx) \(cOnly), but its folder holds \(Self.join(path, swift)), a source by default (every .c, .S, .s and .swift file under the folder is); set \"sources\" to leave it out")
        }
    }

    /// The settings of a shard's or library's build keys.
    func settings(_ b: BuildDecl) -> BuildSettings {
        func strings(_ l: Located<[Located<String>]>?) -> [String] { (l?.value ?? []).map(\.value) }
        return BuildSettings(sources: b.sources.map { $0.value.map(\.value) }, include: strings(b.include),
                             defines: strings(b.defines), cFlags: strings(b.cFlags), swiftFlags: strings(b.swiftFlags),
                             warningsAsErrors: b.warningsAsErrors?.value, bridgingHeader: b.bridgingHeader?.value,
                             libraries: strings(b.libraries).uniqued())
    }
}
