import VanityABI
import VanityDiagnostics
import VanityManifest
import VanityPlatform

/// Turns a parsed manifest into one validated `SystemModel` per platform, or
/// reports every problem. Pure: the file system is reached only through
/// `directoryExists` and `listFiles`.
public struct SystemChecker {
    public var manifest: Manifest
    /// Every platform known (Platforms/*).
    public var available: [Platform]
    /// Is there a folder at this manifest-relative path?
    public var directoryExists: (String) -> Bool
    /// The files under this manifest-relative folder, subfolders included,
    /// as paths relative to it; nil when they cannot be listed (then the
    /// globs, headers and source kinds of the folder are not checked).
    public var listFiles: (String) -> [String]?

    public init(manifest: Manifest, available: [Platform], directoryExists: @escaping (String) -> Bool,
                listFiles: @escaping (String) -> [String]? = { _ in nil }) {
        self.manifest = manifest
        self.available = available
        self.directoryExists = directoryExists
        self.listFiles = listFiles
    }

    /// The platforms the manifest asks for, restricted to `only` if given.
    /// Each named check appends to one list; the result is sorted by
    /// position, so the order of the checks does not show.
    public func check(only: [String] = []) -> (systems: [SystemModel], diagnostics: [Diagnostic]) {
        var d = DiagnosticBag()
        let chosen = checkPlatforms(only: only, into: &d)
        checkCores(into: &d)
        checkShards(into: &d)
        let libraries = checkBuildSettings(into: &d)
        let channels = checkChannels(into: &d)
        let regions = checkRegions(into: &d)
        checkGeneratedNames(into: &d)
        checkPlatformLimits(chosen, into: &d)
        var systems: [SystemModel] = []
        let forwards = checkForwards(into: &d)
        let disk = checkDisk(into: &d)
        for plat in chosen {
            let before = d.errorCount
            let shards = shardModels(on: plat, into: &d)
            checkForwardsReach(forwards, shards, on: plat, into: &d)
            checkDiskUse(disk, shards, on: plat, into: &d)
            if d.errorCount == before, !d.hasErrors, let name = manifest.system.name {
                systems.append(SystemModel(name: name.value, version: manifest.system.version?.value, platform: plat,
                                           kernelCore: kernelCore, kernelStackSize: kernelStack,
                                           shards: shards, channels: channels, manifestFile: manifest.file,
                                           location: name.location, kernelStackLocation: manifest.kernel.stackSize?.location,
                                           libraries: libraries, regions: regions, forwards: forwards, disk: disk))
            }
        }
        if d.hasErrors { systems = [] }
        if manifest.shards.isEmpty {
            d.error(manifest.system.location, "the system has no shards; add a [shards.<name>] table")
            systems = []
        }
        return (systems, d.sorted)
    }

    // Facts every check reads.

    /// Shard name → index, for channel endpoints and supervisors.
    var shardIndex: [String: Int] {
        Dictionary(manifest.shards.enumerated().map { ($0.element.name.value, $0.offset) }, uniquingKeysWith: { a, _ in a })
    }
    var shardNames: [String] { manifest.shards.map(\.name.value) }
    var kernelCore: Int { Int(manifest.kernel.core?.value ?? 0) }
    var kernelStack: UInt64 { manifest.kernel.stackSize?.value ?? SystemModel.defaultKernelStack }

    /// `platforms` of [system] and `only` (the command line): the platforms to build for.
    func checkPlatforms(only: [String], into d: inout DiagnosticBag) -> [Platform] {
        let m = manifest
        var chosen: [Platform] = []
        let names = available.map(\.name)
        if let list = m.system.platforms {
            if list.value.isEmpty {
                d.error(list.location, "\"platforms\" in [system] must name at least one platform; available: \(humanList(names))")
            }
            var seen: [String: SourceLocation] = [:]
            for p in list.value {
                if let first = seen[p.value] {
                    d.error(p.location, "platform \"\(p.value)\" is listed twice", notes: [.init(first, "first listed here")])
                    continue
                }
                seen[p.value] = p.location
                if let plat = available.first(where: { $0.name == p.value }) {
                    chosen.append(plat)
                } else {
                    let hint = didYouMean(p.value, among: names).map { "did you mean \"\($0)\"? " } ?? ""
                    d.error(p.location, "unknown platform \"\(p.value)\"; \(hint)available platforms are \(humanList(names))")
                }
            }
        } else {
            chosen = available
        }
        for o in only where !chosen.contains(where: { $0.name == o }) {
            let valid = chosen.map(\.name)
            d.error(m.system.location, "platform \"\(o)\" was asked for on the command line but the system does not build for it; it builds for \(humanList(valid))")
        }
        if !only.isEmpty { chosen = chosen.filter { only.contains($0.name) } }
        return chosen
    }

    /// Cores: never the kernel's; one owner each, unless every shard on a
    /// shared core sets `priority` (and then runs on that core alone).
    func checkCores(into d: inout DiagnosticBag) {
        let m = manifest
        let kernelCore = self.kernelCore
        var coreOwners: [Int64: [(shard: ShardDecl, at: SourceLocation)]] = [:]
        for s in m.shards {
            checkSchedule(of: s, into: &d)
            var mine: [Int64: SourceLocation] = [:]
            for c in s.cores?.value ?? [] {
                if let prev = mine[c.value] {
                    d.error(c.location, "core \(c.value) is listed twice for shard \"\(s.name.value)\"", notes: [.init(prev, "first listed here")])
                    continue
                }
                mine[c.value] = c.location
                if c.value == Int64(kernelCore) {
                    var notes: [Diagnostic.Note] = []
                    if let kc = m.kernel.core {
                        notes.append(.init(kc.location, "the kernel core is set here"))
                    }
                    d.error(c.location, "core \(c.value) of shard \"\(s.name.value)\" is the kernel core\(m.kernel.core == nil ? " (core \(kernelCore) by default; set [kernel] core to use another)" : "")", notes: notes)
                    continue
                }
                coreOwners[c.value, default: []].append((s, c.location))
            }
        }
        var manyCoreSharers = Set<String>()
        for core in coreOwners.keys.sorted() {
            let owners = coreOwners[core]!
            guard owners.count > 1 else { continue }
            let first = owners[0]
            for o in owners.dropFirst() {
                let without = [first.shard, o.shard].filter { $0.priority == nil }.map(\.name.value)
                guard !without.isEmpty else { continue }
                d.error(o.at, "core \(core) is claimed by shards \"\(first.shard.name.value)\" and \"\(o.shard.name.value)\"; shards share a core only when each sets \"priority\" (\(humanList(without, conjunction: "and")) \(without.count == 1 ? "does" : "do") not)",
                        notes: [.init(first.at, "shard \"\(first.shard.name.value)\" claims it here")])
            }
            guard owners.allSatisfy({ $0.shard.priority != nil }) else { continue }
            for o in owners where (o.shard.cores?.value.count ?? 0) > 1 && manyCoreSharers.insert(o.shard.name.value).inserted {
                d.error(o.at, "shard \"\(o.shard.name.value)\" shares core \(core) with another shard but runs on \(o.shard.cores!.value.count) cores; a shard that shares a core runs on that one core only",
                        notes: owners.filter { $0.shard.name.value != o.shard.name.value }.map { .init($0.at, "shard \"\($0.shard.name.value)\" claims it here") })
            }
        }
    }

    /// `priority`, `budget-us` and `period-us` of one shard: a budget needs
    /// both keys and fits in its period, and both need a priority.
    func checkSchedule(of s: ShardDecl, into d: inout DiagnosticBag) {
        let ctx = "shard \"\(s.name.value)\""
        switch (s.budgetUs, s.periodUs) {
        case (let b?, nil):
            d.error(b.location, "\"budget-us\" in \(ctx) needs \"period-us\": the budget is spent over each period")
        case (nil, let p?):
            d.error(p.location, "\"period-us\" in \(ctx) needs \"budget-us\": how much of each period the shard may run")
        case (let b?, let p?) where b.value > p.value:
            d.error(b.location, "\"budget-us\" in \(ctx) is \(b.value) us, more than its period of \(p.value) us",
                    notes: [.init(p.location, "\"period-us\" is set here")])
        default: break
        }
        if s.priority == nil, let k = s.budgetUs ?? s.periodUs {
            d.error(k.location, "\(ctx) sets a budget but no \"priority\"; the kernel schedules by priority first")
        }
    }

    /// Per-shard checks that do not depend on the platform: the source
    /// folder, capabilities and the supervisor.
    func checkShards(into d: inout DiagnosticBag) {
        for s in manifest.shards {
            let ctx = "shard \"\(s.name.value)\""
            let path = s.path?.value ?? "Shards/\(s.name.value)"
            if !isValidName(s.name.value) {
                // Reported already; its default folder is no question.
            } else if !directoryExists(path) {
                let at = s.path?.location ?? s.name.location
                d.error(at, "the source folder of \(ctx) does not exist: \(path)\(s.path == nil ? " (the default; set \"path\" to use another)" : "")")
            } else if let p = s.path, let resolved = outsideManifestFolder(p.value) {
                d.warning(p.location, "the source folder of \(ctx) is outside the manifest's folder: \"\(p.value)\" resolves to \(resolved)")
            }
            checkCaps(of: s, into: &d)
            checkSupervisor(of: s, into: &d)
            checkSupervises(of: s, into: &d)
        }
    }

    /// Where a shard `path` leads when that is outside the manifest's folder
    /// (read lexically: the checker does not touch the file system), or nil.
    func outsideManifestFolder(_ path: String) -> String? {
        func normalized(_ p: String) -> [String] {
            var out: [String] = []
            for part in p.split(separator: "/") where part != "." {
                if part == "..", let last = out.last, last != ".." { out.removeLast() } else if !(part == ".." && p.hasPrefix("/") && out.isEmpty) { out.append(String(part)) }
            }
            return out
        }
        let file = manifest.file
        let folder = file.contains("/") ? String(file[..<file.lastIndex(of: "/")!]) : ""
        let folderIsAbsolute = file.hasPrefix("/"), pathIsAbsolute = path.hasPrefix("/")
        let joined = pathIsAbsolute ? path : (folder.isEmpty ? path : folder + "/" + path)
        let target = normalized(joined), base = normalized(folder)
        let absolute = pathIsAbsolute || folderIsAbsolute
        let shown = (absolute ? "/" : "") + target.joined(separator: "/")
        if pathIsAbsolute && !folderIsAbsolute { return shown.isEmpty ? "/" : shown }
        guard target.starts(with: base), target.dropFirst(base.count).first != ".." else {
            return shown.isEmpty ? "." : shown
        }
        return nil
    }

    func checkCaps(of s: ShardDecl, into d: inout DiagnosticBag) {
        let ctx = "shard \"\(s.name.value)\""
        var seenCaps: [String: SourceLocation] = [:]
        for c in s.caps {
            if let prev = seenCaps[c.value] {
                d.warning(c.location, "capability \"\(c.value)\" is listed twice for \(ctx)", notes: [.init(prev, "first listed here")])
            }
            seenCaps[c.value] = c.location
            if c.value == Capability.reload.rawValue {
                d.warning(c.location, "capability \"reload\" of \(ctx) grants nothing: no system call reloads a shard; reloads come over the debug link (vanity-build reload). Remove it")
            }
            if Capability(rawValue: c.value) == nil {
                let valid = Capability.allCases.map(\.rawValue)
                let hint = didYouMean(c.value, among: valid).map { "did you mean \"\($0)\"? " } ?? ""
                d.error(c.location, "unknown capability \"\(c.value)\" for \(ctx); \(hint)valid capabilities are \(humanList(valid))")
            }
        }
    }

    func checkSupervisor(of s: ShardDecl, into d: inout DiagnosticBag) {
        guard let sup = s.supervisor else { return }
        let ctx = "shard \"\(s.name.value)\""
        let policy = sup.policy?.value
        if policy == .propagate {
            if let to = sup.to {
                if to.value == s.name.value {
                    d.error(to.location, "\(ctx) cannot supervise itself: \"to\" must name another shard")
                } else if shardIndex[to.value] == nil {
                    let hint = didYouMean(to.value, among: shardNames).map { "did you mean \"\($0)\"? " } ?? ""
                    d.error(to.location, "supervisor \"\(to.value)\" of \(ctx) is not a shard; \(hint)shards are \(humanList(shardNames))")
                }
            } else {
                d.error(sup.policy!.location, "policy \"propagate\" of \(ctx) needs to = \"<shard>\" naming the supervising shard")
            }
        } else if let to = sup.to, policy != nil {
            d.error(to.keyLocation, "\"to\" is only meaningful with policy \"propagate\", but \(ctx) has policy \"\(policy!.rawValue)\"")
        }
        if policy != nil && policy != .restart {
            for v in [sup.maxRestarts, sup.minRunMs].compactMap({ $0 }) {
                d.warning(v.keyLocation, "restart settings of \(ctx) have no effect with policy \"\(policy!.rawValue)\"")
            }
        }
    }

    /// `supervises`: each name a shard, not the shard itself, named once;
    /// without cap "restart" the list only lets the shard read fault records.
    func checkSupervises(of s: ShardDecl, into d: inout DiagnosticBag) {
        guard let list = s.supervises else { return }
        let ctx = "shard \"\(s.name.value)\""
        var seen: [String: SourceLocation] = [:]
        for n in list.value {
            if let prev = seen[n.value] {
                d.warning(n.location, "shard \"\(n.value)\" is listed twice in \"supervises\" of \(ctx)", notes: [.init(prev, "first listed here")])
                continue
            }
            seen[n.value] = n.location
            if n.value == s.name.value {
                d.error(n.location, "\(ctx) cannot supervise itself: \"supervises\" must name other shards")
            } else if shardIndex[n.value] == nil {
                let hint = didYouMean(n.value, among: shardNames).map { "did you mean \"\($0)\"? " } ?? ""
                d.error(n.location, "\"supervises\" of \(ctx) names \"\(n.value)\", which is not a shard; \(hint)shards are \(humanList(shardNames))")
            }
        }
        if !list.value.isEmpty, !s.caps.contains(where: { $0.value == Capability.restart.rawValue }) {
            d.warning(list.keyLocation, "\(ctx) supervises shards but lacks capability \"restart\": it may read their fault records, but its restart, hold and release calls are denied; add \"restart\" to its caps")
        }
    }

    /// A shard's reach (docs/kernel.md): the shards whose `propagate`
    /// policy names it and the shards its `supervises` names, never itself.
    func reach(of s: ShardDecl, id: Int) -> [Int] {
        var ids = Set((s.supervises?.value ?? []).compactMap { shardIndex[$0.value] })
        for (i, c) in manifest.shards.enumerated() where c.supervisor?.policy?.value == .propagate && c.supervisor?.to?.value == s.name.value {
            ids.insert(i)
        }
        ids.remove(id)
        return ids.sorted()
    }

    /// Channels: endpoints, message size and slots; then a warning for every
    /// shard that can talk to nothing. Returns the valid channels.
    func checkChannels(into d: inout DiagnosticBag) -> [ChannelModel] {
        let m = manifest
        let shardIndex = self.shardIndex, shardNames = self.shardNames
        var channelModels: [ChannelModel] = []
        var connected = Set<String>()
        for (i, c) in m.channels.enumerated() {
            let ctx = "channel \"\(c.name.value)\""
            func endpoint(_ v: Located<String>?, _ role: String) -> Int? {
                guard let v else { return nil }
                if let idx = shardIndex[v.value] { return idx }
                let hint = didYouMean(v.value, among: shardNames).map { "did you mean \"\($0)\"? " } ?? ""
                d.error(v.location, "\(role) of \(ctx) is \"\(v.value)\", which is not a shard; \(hint)shards are \(humanList(shardNames))")
                return nil
            }
            let from = endpoint(c.from, "the writer (\"from\")")
            let to = endpoint(c.to, "the reader (\"to\")")
            if let f = from, let t = to, f == t {
                d.error(c.to!.location, "\(ctx) goes from shard \"\(c.from!.value)\" to itself; \"from\" and \"to\" must be different shards",
                        notes: [.init(c.from!.location, "the writer is named here")])
            }
            let msgSize = checkMsgSize(c.msgSize, ctx, into: &d)
            let slots = checkSlots(c.slots, ctx, into: &d)
            if let f = from, let t = to, f != t, let ms = msgSize, let sl = slots {
                channelModels.append(ChannelModel(id: i, name: c.name.value, from: f, to: t, msgSize: ms, slots: sl,
                                                  notify: c.notify?.value ?? true, location: c.name.location))
            }
            if let f = c.from?.value { connected.insert(f) }
            if let t = c.to?.value { connected.insert(t) }
        }
        checkWakeBits(channelModels, into: &d)
        for r in m.regions { for e in r.map { connected.insert(e.shard.value) } }
        for s in m.shards where !connected.contains(s.name.value) && s.devices.isEmpty {
            d.warning(s.name.location, "shard \"\(s.name.value)\" has no channels, shared regions or devices: it cannot talk to anything")
        }
        return channelModels
    }

    /// A wait reports each of a shard's channels by its position in the
    /// shard's channel list (<vanity/syscall.h>); past the last bit the
    /// channels share it. A warning at the first channel that shares.
    func checkWakeBits(_ channels: [ChannelModel], into d: inout DiagnosticBag) {
        let bits = Int(VANITY_WAKE_CHANNEL_BITS)
        for (id, s) in manifest.shards.enumerated() {
            let mine = channels.filter { $0.from == id || $0.to == id }
            guard mine.count > bits else { continue }
            let last = mine[bits - 1], first = mine[bits]
            d.warning(first.location, "channel \"\(first.name)\" is shard \"\(s.name.value)\"'s channel \(bits) (counting from 0), and a wait reports at most \(bits) channels apart: channels \(bits - 1) to \(mine.count - 1) share the last bit, so the shard cannot tell them apart by what woke it",
                      notes: [.init(last.location, "channel \"\(last.name)\" (\(bits - 1)) is the first to share it")])
        }
    }

    /// Shared regions: each shard of `map` known, a name no channel has;
    /// a region no shard maps is a warning and is left out. Sizes are
    /// checked here (zero: by the reader) and against the page size in
    /// `checkPlatformLimits`. Returns the regions some shard maps.
    func checkRegions(into d: inout DiagnosticBag) -> [RegionModel] {
        let shardIndex = self.shardIndex, shardNames = self.shardNames
        var channelAt: [String: SourceLocation] = [:]
        for c in manifest.channels where channelAt[c.name.value] == nil { channelAt[c.name.value] = c.name.location }
        var models: [RegionModel] = []
        for r in manifest.regions {
            let ctx = "region \"\(r.name.value)\""
            if let ch = channelAt[r.name.value] {
                d.error(r.name.location, "\(ctx) has the name of a channel; a shard's mappings are named by them (layout.json), so rename one",
                        notes: [.init(ch, "channel \"\(r.name.value)\" is declared here")])
            }
            var maps: [RegionMap] = []
            for e in r.map {
                guard let id = shardIndex[e.shard.value] else {
                    let hint = didYouMean(e.shard.value, among: shardNames).map { "did you mean \"\($0)\"? " } ?? ""
                    d.error(e.shard.location, "\"\(e.shard.value)\" in the \"map\" of \(ctx) is not a shard; \(hint)shards are \(humanList(shardNames))")
                    continue
                }
                if let rights = e.rights {
                    maps.append(RegionMap(shard: id, writable: rights.value.writable, location: e.shard.location))
                }
            }
            if r.map.isEmpty && r.mapIsTable {
                d.warning(r.mapLocation ?? r.name.location,
                          "\(ctx) is mapped by no shard: nothing can use it, so it is not placed; add map = { <shard> = \"rw\" }")
            }
            if !maps.isEmpty, let size = r.size {
                models.append(RegionModel(id: models.count, name: r.name.value, size: size.value, dma: r.dma?.value ?? false,
                                          cache: r.cache?.value ?? .normal, maps: maps, location: r.name.location,
                                          sizeLocation: size.location))
            }
        }
        return models
    }

    /// Two channels (or two shared regions) of one shard must not meet in
    /// its generated sources once mangled: `x` and `x-msg` both define
    /// VANITY_CHANNEL_X_MSG_SIZE, `p-q` and `p--q` are both `pQ` in Swift
    /// (`Ident.channelIdentifiers`, `Ident.regionIdentifiers`).
    func checkGeneratedNames(into d: inout DiagnosticBag) {
        checkChannelNames(into: &d)
        checkRegionNames(into: &d)
    }

    func checkRegionNames(into d: inout DiagnosticBag) {
        let regions = manifest.regions
        var reported = Set<[Int]>()
        for s in manifest.shards {
            var owner: [String: Int] = [:]
            for (i, r) in regions.enumerated() where r.map.contains(where: { $0.shard.value == s.name.value }) {
                for ident in Ident.regionIdentifiers(r.name.value) {
                    guard let j = owner[ident] else { owner[ident] = i; continue }
                    if j != i, reported.insert([j, i]).inserted {
                        let first = regions[j].name
                        d.error(r.name.location, "regions \"\(first.value)\" and \"\(r.name.value)\" of shard \"\(s.name.value)\" both become `\(ident)` in its generated sources; rename one",
                                notes: [.init(first.location, "region \"\(first.value)\" is declared here")])
                    }
                }
            }
        }
    }

    func checkChannelNames(into d: inout DiagnosticBag) {
        let channels = manifest.channels
        var reported = Set<[Int]>()
        for s in manifest.shards {
            var owner: [String: Int] = [:]
            for (i, c) in channels.enumerated() where c.from?.value == s.name.value || c.to?.value == s.name.value {
                for ident in Ident.channelIdentifiers(c.name.value) {
                    guard let j = owner[ident] else { owner[ident] = i; continue }
                    if j != i, reported.insert([j, i]).inserted {
                        let first = channels[j].name
                        d.error(c.name.location, "channels \"\(first.value)\" and \"\(c.name.value)\" of shard \"\(s.name.value)\" both become `\(ident)` in its generated sources; rename one",
                                notes: [.init(first.location, "channel \"\(first.value)\" is declared here")])
                    }
                }
            }
        }
    }

    func checkMsgSize(_ ms: Located<Int64>?, _ ctx: String, into d: inout DiagnosticBag) -> UInt32? {
        guard let ms else { return nil }
        let v = ms.value
        if v < Int64(VANITY_RING_MIN_MSG_SIZE) || v > Int64(VANITY_RING_MAX_MSG_SIZE) || v % Int64(VANITY_RING_MSG_ALIGN) != 0 {
            d.error(ms.location, "\"msg-size\" of \(ctx) is \(v); it must be \(VANITY_RING_MIN_MSG_SIZE)...\(VANITY_RING_MAX_MSG_SIZE) bytes and a multiple of \(VANITY_RING_MSG_ALIGN)")
            return nil
        }
        return UInt32(v)
    }

    func checkSlots(_ sl: Located<Int64>?, _ ctx: String, into d: inout DiagnosticBag) -> UInt32? {
        guard let sl else { return nil }
        let v = sl.value
        if v < Int64(VANITY_RING_MIN_SLOTS) || v > Int64(VANITY_RING_MAX_SLOTS) || (v & (v - 1)) != 0 {
            var msg = "\"slots\" of \(ctx) is \(v); it must be a power of two from \(VANITY_RING_MIN_SLOTS) to \(VANITY_RING_MAX_SLOTS)"
            if v > 2 && v < Int64(VANITY_RING_MAX_SLOTS) && (v & (v - 1)) != 0 {
                var p: Int64 = 1
                while p < v { p <<= 1 }
                msg += " (nearest: \(p >> 1) or \(p))"
            }
            d.error(sl.location, msg)
            return nil
        }
        return UInt32(v)
    }

    /// Limits of the chosen platforms (core counts, page sizes), reported
    /// once per distinct value.
    func checkPlatformLimits(_ chosen: [Platform], into d: inout DiagnosticBag) {
        let m = manifest
        let kernelCore = self.kernelCore
        let limits = Dictionary(grouping: chosen, by: \.cpuLimit).sorted { $0.key < $1.key }
        func checkCore(_ core: Int64, at loc: SourceLocation, what: String) {
            for (limit, plats) in limits where core >= Int64(limit) {
                d.error(loc, "\(what) is beyond the limit of \(limit) cores (0...\(limit - 1)) of \(humanList(plats.map(\.name), quoted: false))")
                return
            }
        }
        checkCore(Int64(kernelCore), at: m.kernel.core?.location ?? m.kernel.location, what: "kernel core \(kernelCore)")
        for s in m.shards {
            for c in s.cores?.value ?? [] where c.value != Int64(kernelCore) {
                checkCore(c.value, at: c.location, what: "core \(c.value) of shard \"\(s.name.value)\"")
            }
        }
        // Every further shard on a shared core is one more execution context.
        let highest = m.shards.flatMap { $0.cores?.value.map(\.value) ?? [] }.max() ?? 0
        var contexts = Int(max(highest, Int64(kernelCore))) + 1, claimed = Set<Int64>()
        for s in m.shards {
            for c in s.cores?.value ?? [] where c.value != Int64(kernelCore) && !claimed.insert(c.value).inserted {
                contexts += 1
                if contexts == Int(VANITY_MAX_CORES) + 1 {
                    d.error(c.location, "shard \"\(s.name.value)\" on core \(c.value) would be execution context \(contexts - 1); the kernel runs at most \(VANITY_MAX_CORES) (one per core up to the highest used, plus one per further shard on a shared core)")
                }
            }
        }
        let pageSizes = Dictionary(grouping: chosen, by: \.pageSize).sorted { $0.key < $1.key }
        func checkPageMultiple(_ v: Located<UInt64>?, what: String) {
            guard let v else { return }
            for (page, plats) in pageSizes where v.value % page != 0 {
                // The next multiple, or the one below when none fits in 64 bits.
                let down = v.value / page * page
                let up = down.addingReportingOverflow(page)
                let suggestion = up.overflow ? down : up.partialValue
                let whose = pageSizes.count == 1 ? "the page size" : "the page size of \(humanList(plats.map(\.name), quoted: false))"
                d.error(v.location, "\(what) is \(v.value) bytes, not a multiple of \(whose) (\(page)); use \(ByteSize.exact(suggestion))")
                return
            }
        }
        checkPageMultiple(m.kernel.stackSize, what: "the kernel \"stack-size\"")
        for s in m.shards {
            checkPageMultiple(s.stackSize, what: "\"stack-size\" of shard \"\(s.name.value)\"")
            checkPageMultiple(s.heapSize, what: "\"heap-size\" of shard \"\(s.name.value)\"")
        }
        for r in m.regions {
            checkPageMultiple(r.size, what: "\"size\" of region \"\(r.name.value)\"")
            // A cache mode the platform does not map (its `region-cache`).
            guard let c = r.cache else { continue }
            let lacking = chosen.filter { !$0.cacheModes.contains(c.value) }
            if !lacking.isEmpty {
                let names = humanList(lacking.map(\.name), quoted: false, conjunction: "and")
                d.error(c.location, "region \"\(r.name.value)\" asks for cache = \"\(c.value.rawValue)\", which \(names) \(lacking.count == 1 ? "does" : "do") not offer"
                            + (lacking.count == 1 ? " (it offers \(humanList(lacking[0].cacheModes.map(\.rawValue), conjunction: "and")))" : "") + ";"
                            + " build for the others with --platform, or use the default \"normal\"")
            }
        }
    }

    /// `[run] forward`: each entry well-formed; a system port (at one
    /// address) and a fixed host port forwarded once per transport.
    func checkForwards(into d: inout DiagnosticBag) -> [PortForward] {
        var forwards: [PortForward] = []
        for entry in manifest.run?.forward?.value ?? [] {
            guard let f = PortForward.parse(entry.value, at: entry.location, diagnostics: &d) else { continue }
            if let prev = forwards.first(where: { $0.transport == f.transport && $0.guest == f.guest && $0.address == f.address }) {
                d.error(f.location, "\(f.transport.rawValue) port \(f.guest) of \(f.address) is forwarded twice",
                        notes: [.init(prev.location, "first forwarded here")])
                continue
            }
            if let h = f.host, let prev = forwards.first(where: { $0.transport == f.transport && $0.host == h }) {
                d.error(f.location, "host \(f.transport.rawValue) port \(h) is forwarded twice", notes: [.init(prev.location, "first forwarded here")])
                continue
            }
            forwards.append(f)
        }
        return forwards
    }

    /// Forwarded ports reach the system through the platform's `net` device
    /// (QEMU's user networking): some shard must hold it.
    func checkForwardsReach(_ forwards: [PortForward], _ shards: [ShardModel], on plat: Platform, into d: inout DiagnosticBag) {
        guard let first = forwards.first else { return }
        guard let net = plat.device(named: "net"), plat.attachesDevice("net") else {
            let needs = plat.kind == .simulator ? "\"net\" in its [devices]" : "\"net\" in its [devices] and [qemu-devices]"
            d.error(first.location, "\(plat.name) cannot forward ports: it has no emulated network device (\(needs))")
            return
        }
        if !shards.contains(where: { $0.devices.contains { $0.node.path == net.path } }) {
            d.error(first.location, "forwarded ports reach the system through its \"net\" device, but no shard is granted it on \(plat.name); add \"net\" to a driver shard's devices")
        }
    }

    /// `[run] disk` and `disk-size`: a path without NUL, a size that is a
    /// non-zero multiple of 512 (a sector).
    func checkDisk(into d: inout DiagnosticBag) -> DiskImage? {
        guard let run = manifest.run else { return nil }
        if let size = run.diskSize, size.value == 0 || size.value % 512 != 0 {
            d.error(size.location, "\"disk-size\" must be a non-zero multiple of 512 bytes (a sector), not \(size.value)")
        }
        guard let disk = run.disk else {
            if let size = run.diskSize { d.warning(size.location, "\"disk-size\" without \"disk\" does nothing") }
            return nil
        }
        if disk.value.isEmpty {
            d.error(disk.location, "\"disk\" must name a file")
            return nil
        }
        return DiskImage(path: disk.value, size: run.diskSize?.value ?? DiskImage.defaultSize, location: disk.location)
    }

    /// A granted device whose QEMU arguments need the disk (`{disk}`) needs
    /// `[run] disk`; a disk nothing reads is a warning.
    func checkDiskUse(_ disk: DiskImage?, _ shards: [ShardModel], on plat: Platform, into d: inout DiagnosticBag) {
        let needing = plat.deviceTable.filter { plat.deviceIsDisk($0.name) }
        let grants = shards.flatMap { s in s.devices.map { (s, $0) } }.filter { _, g in needing.contains { $0.path == g.node.path } }
        if disk == nil {
            for (s, g) in grants {
                d.error(g.location, "device \(describe(g.reference, g.node.path)) of shard \"\(s.name)\" is a disk on \(plat.name): set the file behind it with \"disk\" in [run]")
            }
        } else if let disk, grants.isEmpty, !d.all.contains(where: { $0.location == disk.location }) {
            d.warning(disk.location, "no shard is granted a block device on \(plat.name), so nothing reads the disk")
        }
    }

    /// Every shard's model on `plat`, its device grants checked there.
    func shardModels(on plat: Platform, into d: inout DiagnosticBag) -> [ShardModel] {
        var deviceOwner: [String: (shard: String, at: SourceLocation)] = [:]
        return manifest.shards.enumerated().map { id, s in
            let grants = checkDevices(of: s, on: plat, owners: &deviceOwner, into: &d)
            return shardModel(s, id: id, devices: grants)
        }
    }

    /// A shard's device grants on `plat`: each known, not the kernel's, and
    /// granted once (`owners`: the grants of the shards before it).
    func checkDevices(of s: ShardDecl, on plat: Platform, owners deviceOwner: inout [String: (shard: String, at: SourceLocation)],
                      into d: inout DiagnosticBag) -> [DeviceGrant] {
        let ctx = "shard \"\(s.name.value)\""
        var grants: [DeviceGrant] = []
        var mine: [String: SourceLocation] = [:]
        for dev in s.devices {
            guard let node = plat.device(named: dev.value) else {
                if dev.value.hasPrefix("/") {
                    let near = didYouMean(dev.value, among: plat.devices.keys.sorted()).map { "; did you mean \"\($0)\"?" } ?? ""
                    d.error(dev.location, "the device tree of \(plat.name) has no device node \"\(dev.value)\" (a node with \"reg\" or \"interrupts\")\(near)")
                    continue
                }
                let table = plat.deviceTable.map(\.name)
                let hint = didYouMean(dev.value, among: table).map { "did you mean \"\($0)\"? " } ?? ""
                let listing = table.isEmpty ? "\(plat.name) has no device table" : "devices are \(humanList(table, conjunction: "and")), or a device-tree node path"
                d.error(dev.location, "unknown device \"\(dev.value)\" for \(ctx) on \(plat.name); \(hint)\(listing)")
                continue
            }
            if plat.reserved.contains(node.path) {
                d.error(dev.location, "device \(describe(dev.value, node.path)) is reserved for the kernel on \(plat.name) and cannot be granted to \(ctx)")
                continue
            }
            if let prev = mine[node.path] {
                d.error(dev.location, "device \"\(dev.value)\" is granted twice to \(ctx)", notes: [.init(prev, "first granted here")])
                continue
            }
            mine[node.path] = dev.location
            if let owner = deviceOwner[node.path] {
                d.error(dev.location, "device \(describe(dev.value, node.path)) is granted to shards \"\(owner.shard)\" and \"\(s.name.value)\"; a device belongs to one shard",
                        notes: [.init(owner.at, "granted to shard \"\(owner.shard)\" here")])
                continue
            }
            deviceOwner[node.path] = (s.name.value, dev.location)
            let before = grants.reduce(0) { $0 + $1.node.irqs.count }, bits = Int(VANITY_WAKE_IRQ_BITS)
            if before <= bits && before + node.irqs.count > bits {
                d.warning(dev.location, "device \(describe(dev.value, node.path)) brings \(ctx)'s interrupts to more than \(bits) on \(plat.name), and a wait reports at most \(bits) apart: interrupts \(bits - 1) and later share the last bit")
            }
            let ident = plat.deviceTable.first(where: { $0.name == dev.value && !dev.value.hasPrefix("/") })?.name
                ?? Ident.node(node.path)
            grants.append(DeviceGrant(reference: dev.value, identifier: ident, node: node, location: dev.location))
        }
        return grants
    }

    /// A shard's model: defaults applied, budgets and positions carried.
    func shardModel(_ s: ShardDecl, id: Int, devices: [DeviceGrant]) -> ShardModel {
        let sup = s.supervisor
        let policy = Policy(
            kind: sup?.policy?.value ?? .restart,
            maxRestarts: UInt32(sup?.maxRestarts?.value ?? Int64(Policy.defaultMaxRestarts)),
            minRunMs: UInt32(sup?.minRunMs?.value ?? Int64(Policy.defaultMinRunMs)),
            propagateTo: sup?.to.flatMap { shardIndex[$0.value] })
        var budgets = SectionBudgets.defaults
        for (key, v) in s.maxSizes { budgets[key] = v.value }
        let source = ShardSource(name: s.name.location, budgets: s.maxSizes.mapValues(\.location),
                                 stackSize: s.stackSize?.location, heapSize: s.heapSize?.location)
        return ShardModel(
            id: id, name: s.name.value, lang: s.lang?.value ?? .c,
            path: s.path?.value ?? "Shards/\(s.name.value)",
            cores: (s.cores?.value ?? []).map { Int($0.value) },
            stackSize: s.stackSize?.value ?? SystemModel.defaultShardStack,
            heapSize: s.heapSize?.value ?? 0,
            budgets: budgets,
            caps: s.caps.compactMap { Capability(rawValue: $0.value) }.uniqued(),
            devices: devices, policy: policy,
            watchdogMs: UInt32(s.watchdogMs?.value ?? 0),
            schedule: s.priority.map {
                Schedule(priority: UInt8($0.value), budgetUs: UInt32(s.budgetUs?.value ?? 0), periodUs: UInt32(s.periodUs?.value ?? 0))
            },
            source: source, build: settings(s.build), reach: reach(of: s, id: id))
    }
}

/// `"rtc" (/pl031@9010000)`, or just the quoted path when that is what was written.
func describe(_ reference: String, _ path: String) -> String {
    reference == path ? "\"\(path)\"" : "\"\(reference)\" (\(path))"
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
