import VanityDiagnostics

/// The language a shard is written in.
public enum ShardLang: String, Sendable, CaseIterable {
    case c, swift
}

/// What happens when a shard faults.
public enum PolicyKind: String, Sendable, CaseIterable {
    case restart, hold, abort, propagate
}

/// `[system]`
public struct SystemDecl: Sendable {
    public var name: Located<String>?
    public var version: Located<String>?
    /// nil: every platform in Platforms/.
    public var platforms: Located<[Located<String>]>?
    public var location: SourceLocation
}

/// `[run]`: how `vanity-build run` connects the system to the host.
public struct RunDecl: Sendable {
    /// `forward`: host ports forwarded to the system's network device, as written ("udp:7", "tcp:5007:7").
    public var forward: Located<[Located<String>]>?
    /// `disk`: the file behind the platform's block device, relative to the manifest's folder.
    public var disk: Located<String>?
    /// `disk-size`: the size `run` creates a missing disk file with.
    public var diskSize: Located<UInt64>?
    public var location: SourceLocation
}

/// `[kernel]`
public struct KernelDecl: Sendable {
    public var core: Located<Int64>?
    public var stackSize: Located<UInt64>?
    public var location: SourceLocation
}

/// `supervisor = { ... }`
public struct SupervisorDecl: Sendable {
    public var policy: Located<PolicyKind>?
    public var maxRestarts: Located<Int64>?
    public var minRunMs: Located<Int64>?
    public var to: Located<String>?
    public var location: SourceLocation
}

/// `[shards.<name>]`
public struct ShardDecl: Sendable {
    public var name: Located<String>
    public var lang: Located<ShardLang>?
    public var path: Located<String>?
    public var cores: Located<[Located<Int64>]>?
    public var stackSize: Located<UInt64>?
    public var heapSize: Located<UInt64>?
    /// The `max-sizes` budgets given.
    public var maxSizes: [BudgetKey: Located<UInt64>]
    public var caps: [Located<String>]
    public var devices: [Located<String>]
    public var supervisor: SupervisorDecl?
    /// `supervises = ["name", ...]`: shards this one may act on besides its
    /// `propagate` children (its reach); nil when not written.
    public var supervises: Located<[Located<String>]>?
    public var watchdogMs: Located<Int64>?
    /// Scheduling on a shared core: `priority` (higher runs first) and an
    /// optional CPU budget of `budget-us` every `period-us`.
    public var priority: Located<Int64>?
    public var budgetUs: Located<Int64>?
    public var periodUs: Located<Int64>?
    /// Sources, include folders, defines, flags and libraries.
    public var build = BuildDecl()
}

/// `[channels.<name>]`
public struct ChannelDecl: Sendable {
    public var name: Located<String>
    public var from: Located<String>?
    public var to: Located<String>?
    public var msgSize: Located<Int64>?
    public var slots: Located<Int64>?
    public var notify: Located<Bool>?
}

/// A shard's rights on a shared region: `"r"` (read-only) or `"rw"`.
public enum RegionRights: String, Sendable, CaseIterable {
    case r, rw

    public var writable: Bool { self == .rw }
}

/// How a shared region is cached (docs/manifest.md, `[regions]`). `normal`
/// is write-back cached like the rest of RAM; `uncached` maps it so that
/// every access goes to memory (aarch64: normal non-cacheable; riscv64:
/// Svpbmt's NC; x86_64: PCD|PWT). A platform lists the modes it offers in
/// `region-cache` of its descriptor.
public enum CacheMode: String, Sendable, CaseIterable {
    case normal, uncached
}

/// One entry of a region's `map`: a shard and its rights.
public struct RegionMapDecl: Sendable {
    /// The shard's name, at its key in `map`.
    public var shard: Located<String>
    /// The rights, at their value; nil when they are wrong (reported).
    public var rights: Located<RegionRights>?
}

/// `[regions.<name>]`
public struct RegionDecl: Sendable {
    public var name: Located<String>
    public var size: Located<UInt64>?
    public var dma: Located<Bool>?
    public var cache: Located<CacheMode>?
    /// `map = { shard = "r" | "rw" }`, in document order.
    public var map: [RegionMapDecl] = []
    /// Where `map` is written, if it is.
    public var mapLocation: SourceLocation?
    /// False when `map` is there but not a table (reported).
    public var mapIsTable = true
}

/// A manifest as written: every value keeps its position. Produced even when
/// parts are wrong, so that validation can report everything in one run.
public struct Manifest: Sendable {
    /// The manifest's path as given (used in every diagnostic).
    public var file: String
    public var system: SystemDecl
    public var kernel: KernelDecl
    /// In document order.
    public var shards: [ShardDecl]
    /// In document order.
    public var channels: [ChannelDecl]
    /// In document order.
    public var libraries: [LibraryDecl] = []
    /// `[regions.<name>]`, in document order.
    public var regions: [RegionDecl] = []
    /// `[run]`, when present.
    public var run: RunDecl?
}

public enum ManifestKeys {
    public static let topLevel = ["system", "kernel", "shards", "channels", "libraries", "regions", "run"]
    public static let system = ["name", "version", "platforms"]
    public static let kernel = ["core", "stack-size"]
    public static let shard = ["lang", "path", "cores", "stack-size", "heap-size", "max-sizes", "caps", "devices",
                               "supervisor", "supervises", "watchdog-ms", "priority", "budget-us", "period-us"] + shardBuild
    public static let maxSizes = BudgetKey.allCases.map(\.manifestKey)
    public static let supervisor = ["policy", "max-restarts", "min-run-ms", "to"]
    public static let channel = ["from", "to", "msg-size", "slots", "notify"]
    public static let region = ["size", "dma", "cache", "map"]
    public static let run = ["forward", "disk", "disk-size"]
}

extension String {
    /// U+0000 spelled as TOML writes it.
    var replacingNUL: String { split(separator: "\u{0}", omittingEmptySubsequences: false).joined(separator: "\\u0000") }
}

/// Is `name` a valid system, shard, channel, library or region name: [a-z][a-z0-9-]*?
public func isValidName(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
    return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
}

public enum ManifestParser {
    /// Largest value accepted for counts and milliseconds.
    static let maxU32: Int64 = Int64(UInt32.max)

    /// Parses manifest text. Returns the manifest (nil only when the TOML
    /// itself does not parse) and every problem found while reading it.
    public static func parse(_ text: String, file: String) -> (Manifest?, [Diagnostic]) {
        var d = DiagnosticBag()
        let root: TomlNode
        switch Toml.parse(text, file: file) {
        case .success(let r): root = r
        case .failure(.syntax(let diag)): return (nil, [diag])
        }
        rejectNUL(in: root, diagnostics: &d)
        let top = TableReader(root, context: "the manifest", diagnostics: &d)!
        top.checkKeys(ManifestKeys.topLevel, diagnostics: &d)
        let start = SourceLocation(file: file, line: 1, column: 1)

        // [system]
        var system = SystemDecl(location: start)
        if let t = top.table("system", context: "[system]", required: true, diagnostics: &d) {
            t.checkKeys(ManifestKeys.system, diagnostics: &d)
            system.location = t.node.keyLocation
            system.name = t.string("name", required: true, diagnostics: &d)
            if let n = system.name, !isValidName(n.value) {
                d.error(n.location, "system name \"\(n.value)\" is not valid: use lower-case letters, digits and '-', starting with a letter")
            }
            system.version = t.string("version", diagnostics: &d)
            system.platforms = t.strings("platforms", diagnostics: &d)
        } else if root["system"] == nil {
            // reported by `required`
        }

        // [kernel]
        var kernel = KernelDecl(location: start)
        if let t = top.table("kernel", context: "[kernel]", diagnostics: &d) {
            t.checkKeys(ManifestKeys.kernel, diagnostics: &d)
            kernel.location = t.node.keyLocation
            kernel.core = t.integer("core", in: 0...1023, diagnostics: &d)
            kernel.stackSize = t.size("stack-size", diagnostics: &d)
        }

        // [shards.*], [channels.*], [libraries.*], [regions.*]: one table each, in document order.
        func entries(_ key: String) -> [(key: String, node: TomlNode)] {
            top.table(key, context: "[\(key)]", diagnostics: &d)?.node.entries ?? []
        }
        let shards = entries("shards").compactMap { parseShard(name: $0.key, node: $0.node, diagnostics: &d) }
        let channels = entries("channels").compactMap { parseChannel(name: $0.key, node: $0.node, diagnostics: &d) }
        let libraries = entries("libraries").compactMap { parseLibrary(name: $0.key, node: $0.node, diagnostics: &d) }
        let regions = entries("regions").compactMap { parseRegion(name: $0.key, node: $0.node, diagnostics: &d) }

        // [run]
        var run: RunDecl?
        if let t = top.table("run", context: "[run]", diagnostics: &d) {
            t.checkKeys(ManifestKeys.run, diagnostics: &d)
            run = RunDecl(forward: t.strings("forward", diagnostics: &d), disk: t.string("disk", diagnostics: &d),
                          diskSize: t.size("disk-size", diagnostics: &d), location: t.node.keyLocation)
        }

        var m = Manifest(file: file, system: system, kernel: kernel, shards: shards, channels: channels)
        m.libraries = libraries
        m.regions = regions
        m.run = run
        return (m, d.all)
    }

    /// A key or string holding U+0000 (written `\u0000`) is an error: C
    /// and the file system would cut the name there. It is spelled `\u0000`
    /// from then on, so later messages print it and no path holds it.
    static func rejectNUL(in node: TomlNode, diagnostics d: inout DiagnosticBag) {
        if let key = node.key, key.utf8.contains(0) {
            d.error(node.keyLocation, "the key \"\(key.replacingNUL)\" contains the character U+0000; names cannot hold it")
            node.key = key.replacingNUL
        }
        switch node.value {
        case .string(let s) where s.utf8.contains(0):
            d.error(node.location, "the string \"\(s.replacingNUL)\" contains the character U+0000; names and paths cannot hold it")
            node.value = .string(s.replacingNUL)
        case .table(let entries):
            for e in entries { rejectNUL(in: e.node, diagnostics: &d) }
            node.value = .table(entries.map { (key: $0.node.key ?? $0.key, node: $0.node) })
        case .array(let items):
            for item in items { rejectNUL(in: item, diagnostics: &d) }
        default:
            break
        }
    }

    static func parseShard(name: String, node: TomlNode, diagnostics d: inout DiagnosticBag) -> ShardDecl? {
        let ctx = "shard \"\(name)\""
        guard let t = TableReader(node, context: ctx, diagnostics: &d) else { return nil }
        if !isValidName(name) {
            d.error(node.keyLocation, "shard name \"\(name)\" is not valid: use lower-case letters, digits and '-', starting with a letter")
        }
        t.checkKeys(ManifestKeys.shard, diagnostics: &d)
        var s = ShardDecl(name: Located(name, at: node.keyLocation), maxSizes: [:], caps: [], devices: [])
        if let lang = t.choice("lang", ShardLang.allCases.map(\.rawValue), what: "lang", required: true, diagnostics: &d) {
            s.lang = Located(ShardLang(rawValue: lang.value)!, at: lang.location, key: lang.keyLocation)
        }
        s.path = t.string("path", diagnostics: &d)
        if let p = s.path, p.value.isEmpty {
            d.error(p.location, "\"path\" in \(ctx) must not be empty")
            s.path = nil
        }
        s.cores = t.array("cores", required: true, diagnostics: &d) { item, d in
            TableReader.integer(item, name: "a core number in \(ctx)", in: 0...1023, diagnostics: &d)
        }
        if let c = s.cores, c.value.isEmpty, case .array(let items) = t.node["cores"]!.value, items.isEmpty {
            d.error(c.location, "\(ctx) must have at least one core")
        }
        s.stackSize = t.size("stack-size", diagnostics: &d)
        if let st = s.stackSize, st.value == 0 {
            d.error(st.location, "\"stack-size\" in \(ctx) must not be zero")
            s.stackSize = nil
        }
        s.heapSize = t.size("heap-size", diagnostics: &d)
        if let ms = t.table("max-sizes", context: "\"max-sizes\" of \(ctx)", diagnostics: &d) {
            ms.checkKeys(ManifestKeys.maxSizes, diagnostics: &d)
            for key in BudgetKey.allCases {
                if let v = ms.size(key.manifestKey, diagnostics: &d) {
                    if v.value == 0 {
                        d.error(v.location, "\"\(key.manifestKey)\" in \"max-sizes\" of \(ctx) must not be zero")
                    } else {
                        s.maxSizes[key] = v
                    }
                }
            }
        }
        s.caps = t.strings("caps", diagnostics: &d)?.value ?? []
        s.devices = t.strings("devices", diagnostics: &d)?.value ?? []
        if let sup = t.table("supervisor", context: "\"supervisor\" of \(ctx)", diagnostics: &d) {
            sup.checkKeys(ManifestKeys.supervisor, diagnostics: &d)
            var decl = SupervisorDecl(location: sup.node.location)
            if let p = sup.choice("policy", PolicyKind.allCases.map(\.rawValue), what: "policy", required: true, diagnostics: &d) {
                decl.policy = Located(PolicyKind(rawValue: p.value)!, at: p.location, key: p.keyLocation)
            }
            decl.maxRestarts = sup.integer("max-restarts", in: 0...maxU32, diagnostics: &d)
            decl.minRunMs = sup.integer("min-run-ms", in: 0...maxU32, diagnostics: &d)
            decl.to = sup.string("to", diagnostics: &d)
            s.supervisor = decl
        }
        s.supervises = t.strings("supervises", diagnostics: &d)
        s.watchdogMs = t.integer("watchdog-ms", in: 1...maxU32, diagnostics: &d)
        s.priority = t.integer("priority", in: 0...255, diagnostics: &d)
        if s.priority == nil, let n = t.node["priority"] { // reported: it is set, just not right
            s.priority = Located(0, at: n.location, key: n.keyLocation)
        }
        s.budgetUs = t.integer("budget-us", in: 10...60_000_000, diagnostics: &d)
        s.periodUs = t.integer("period-us", in: 100...60_000_000, diagnostics: &d)
        s.build = parseBuild(t, keys: ManifestKeys.shardBuild, diagnostics: &d)
        return s
    }

    static func parseChannel(name: String, node: TomlNode, diagnostics d: inout DiagnosticBag) -> ChannelDecl? {
        let ctx = "channel \"\(name)\""
        guard let t = TableReader(node, context: ctx, diagnostics: &d) else { return nil }
        if !isValidName(name) {
            d.error(node.keyLocation, "channel name \"\(name)\" is not valid: use lower-case letters, digits and '-', starting with a letter")
        }
        t.checkKeys(ManifestKeys.channel, diagnostics: &d)
        var c = ChannelDecl(name: Located(name, at: node.keyLocation))
        c.from = t.string("from", required: true, diagnostics: &d)
        c.to = t.string("to", required: true, diagnostics: &d)
        c.msgSize = t.integer("msg-size", in: Int64.min...Int64.max, required: true, diagnostics: &d)
        c.slots = t.integer("slots", in: Int64.min...Int64.max, required: true, diagnostics: &d)
        c.notify = t.bool("notify", diagnostics: &d)
        return c
    }

    static func parseRegion(name: String, node: TomlNode, diagnostics d: inout DiagnosticBag) -> RegionDecl? {
        let ctx = "region \"\(name)\""
        guard let t = TableReader(node, context: ctx, diagnostics: &d) else { return nil }
        if !isValidName(name) {
            d.error(node.keyLocation, "region name \"\(name)\" is not valid: use lower-case letters, digits and '-', starting with a letter")
        }
        t.checkKeys(ManifestKeys.region, diagnostics: &d)
        var r = RegionDecl(name: Located(name, at: node.keyLocation))
        r.size = t.size("size", required: true, diagnostics: &d)
        if let s = r.size, s.value == 0 {
            d.error(s.location, "\"size\" of \(ctx) must not be zero")
            r.size = nil
        }
        r.dma = t.bool("dma", diagnostics: &d)
        if let c = t.string("cache", diagnostics: &d) {
            if let mode = CacheMode(rawValue: c.value) {
                r.cache = Located(mode, at: c.location, key: c.keyLocation)
            } else {
                let valid = CacheMode.allCases.map(\.rawValue)
                let hint = didYouMean(c.value, among: valid).map { "did you mean \"\($0)\"? " } ?? ""
                d.error(c.location, "\"cache\" of \(ctx) is \"\(c.value)\"; \(hint)use \(humanList(valid))")
            }
        }
        if let n = t.node["map"] {
            r.mapLocation = n.keyLocation
            if case .table = n.value {} else { r.mapIsTable = false }
        }
        if let m = t.table("map", context: "\"map\" of \(ctx)", diagnostics: &d) {
            for (shard, value) in m.node.entries {
                let what = "rights of shard \"\(shard)\" on \(ctx)"
                var rights: Located<RegionRights>?
                if case .string(let s) = value.value {
                    if let v = RegionRights(rawValue: s) {
                        rights = Located(v, at: value.location, key: value.keyLocation)
                    } else {
                        d.error(value.location, "\(what) are \"\(s)\"; rights are \"r\" (read-only) or \"rw\" (read-write)")
                    }
                } else {
                    d.error(value.location, "\(what) must be \(humanList(RegionRights.allCases.map(\.rawValue))), not \(value.typeDescription)")
                }
                r.map.append(RegionMapDecl(shard: Located(shard, at: value.keyLocation), rights: rights))
            }
        }
        return r
    }
}
