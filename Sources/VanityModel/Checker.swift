import VanityABI
import VanityDiagnostics
import VanityManifest
import VanityPlatform

/// Turns a parsed manifest into one validated `SystemModel` per platform, or
/// reports every problem. Pure: the file system is reached only through
/// `directoryExists`.
public struct SystemChecker {
    public var manifest: Manifest
    /// Every platform known (Platforms/*).
    public var available: [Platform]
    /// Is there a folder at this manifest-relative path?
    public var directoryExists: (String) -> Bool

    public init(manifest: Manifest, available: [Platform], directoryExists: @escaping (String) -> Bool) {
        self.manifest = manifest
        self.available = available
        self.directoryExists = directoryExists
    }

    /// The platforms the manifest asks for, restricted to `only` if given.
    public func check(only: [String] = []) -> (systems: [SystemModel], diagnostics: [Diagnostic]) {
        var d = DiagnosticBag()
        let m = manifest
        let file = m.file

        // Platforms.
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

        // Shard names, for channel endpoints and supervisors.
        let shardIndex = Dictionary(m.shards.enumerated().map { ($0.element.name.value, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let shardNames = m.shards.map(\.name.value)

        // Kernel.
        let kernelCore = Int(m.kernel.core?.value ?? 0)
        let kernelStack = m.kernel.stackSize?.value ?? SystemModel.defaultKernelStack

        // Cores: one owner each, never the kernel's.
        var coreOwner: [Int64: (shard: String, at: SourceLocation)] = [:]
        for s in m.shards {
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
                if let owner = coreOwner[c.value] {
                    d.error(c.location, "core \(c.value) is claimed by shards \"\(owner.shard)\" and \"\(s.name.value)\"; a core belongs to one shard",
                            notes: [.init(owner.at, "shard \"\(owner.shard)\" claims it here")])
                    continue
                }
                coreOwner[c.value] = (s.name.value, c.location)
            }
        }

        // Per-shard checks that do not depend on the platform.
        for s in m.shards {
            let ctx = "shard \"\(s.name.value)\""
            let path = s.path?.value ?? "Shards/\(s.name.value)"
            if !directoryExists(path) {
                let at = s.path?.location ?? s.name.location
                d.error(at, "the source folder of \(ctx) does not exist: \(path)\(s.path == nil ? " (the default; set \"path\" to use another)" : "")")
            }
            var seenCaps: [String: SourceLocation] = [:]
            for c in s.caps {
                if let prev = seenCaps[c.value] {
                    d.warning(c.location, "capability \"\(c.value)\" is listed twice for \(ctx)", notes: [.init(prev, "first listed here")])
                }
                seenCaps[c.value] = c.location
                if Capability(rawValue: c.value) == nil {
                    let valid = Capability.allCases.map(\.rawValue)
                    let hint = didYouMean(c.value, among: valid).map { "did you mean \"\($0)\"? " } ?? ""
                    d.error(c.location, "unknown capability \"\(c.value)\" for \(ctx); \(hint)valid capabilities are \(humanList(valid))")
                }
            }
            if let sup = s.supervisor {
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
        }

        // Channels.
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
            var msgSize: UInt32?
            if let ms = c.msgSize {
                let v = ms.value
                if v < Int64(VANITY_RING_MIN_MSG_SIZE) || v > Int64(VANITY_RING_MAX_MSG_SIZE) || v % Int64(VANITY_RING_MSG_ALIGN) != 0 {
                    d.error(ms.location, "\"msg-size\" of \(ctx) is \(v); it must be \(VANITY_RING_MIN_MSG_SIZE)...\(VANITY_RING_MAX_MSG_SIZE) bytes and a multiple of \(VANITY_RING_MSG_ALIGN)")
                } else {
                    msgSize = UInt32(v)
                }
            }
            var slots: UInt32?
            if let sl = c.slots {
                let v = sl.value
                if v < Int64(VANITY_RING_MIN_SLOTS) || v > Int64(VANITY_RING_MAX_SLOTS) || (v & (v - 1)) != 0 {
                    var msg = "\"slots\" of \(ctx) is \(v); it must be a power of two from \(VANITY_RING_MIN_SLOTS) to \(VANITY_RING_MAX_SLOTS)"
                    if v > 2 && v < Int64(VANITY_RING_MAX_SLOTS) && (v & (v - 1)) != 0 {
                        var p: Int64 = 1
                        while p < v { p <<= 1 }
                        msg += " (nearest: \(p >> 1) or \(p))"
                    }
                    d.error(sl.location, msg)
                } else {
                    slots = UInt32(v)
                }
            }
            if let f = from, let t = to, f != t, let ms = msgSize, let sl = slots {
                channelModels.append(ChannelModel(id: i, name: c.name.value, from: f, to: t, msgSize: ms, slots: sl,
                                                  notify: c.notify?.value ?? true))
            }
            if let f = c.from?.value { connected.insert(f) }
            if let t = c.to?.value { connected.insert(t) }
        }
        for s in m.shards where !connected.contains(s.name.value) && s.devices.isEmpty {
            d.warning(s.name.location, "shard \"\(s.name.value)\" has neither channels nor devices: it cannot talk to anything")
        }

        // Limits of the chosen platforms, reported once per distinct value.
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
        let pageSizes = Dictionary(grouping: chosen, by: \.pageSize).sorted { $0.key < $1.key }
        func checkPageMultiple(_ v: Located<UInt64>?, what: String) {
            guard let v else { return }
            for (page, plats) in pageSizes where v.value % page != 0 {
                let up = (v.value + page - 1) / page * page
                let whose = pageSizes.count == 1 ? "the page size" : "the page size of \(humanList(plats.map(\.name), quoted: false))"
                d.error(v.location, "\(what) is \(v.value) bytes, not a multiple of \(whose) (\(page)); use \(ByteSize.format(up))")
                return
            }
        }
        checkPageMultiple(m.kernel.stackSize, what: "the kernel \"stack-size\"")
        for s in m.shards {
            checkPageMultiple(s.stackSize, what: "\"stack-size\" of shard \"\(s.name.value)\"")
            checkPageMultiple(s.heapSize, what: "\"heap-size\" of shard \"\(s.name.value)\"")
        }

        // Per platform.
        var systems: [SystemModel] = []
        for plat in chosen {
            let before = d.errorCount
            var deviceOwner: [String: (shard: String, at: SourceLocation)] = [:]
            var shards: [ShardModel] = []
            for (id, s) in m.shards.enumerated() {
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
                    let ident = plat.deviceTable.first(where: { $0.name == dev.value && !dev.value.hasPrefix("/") })?.name
                        ?? Ident.node(node.path)
                    grants.append(DeviceGrant(reference: dev.value, identifier: ident, node: node))
                }
                let sup = s.supervisor
                let policy = Policy(
                    kind: sup?.policy?.value ?? .restart,
                    maxRestarts: UInt32(sup?.maxRestarts?.value ?? Int64(Policy.defaultMaxRestarts)),
                    minRunMs: UInt32(sup?.minRunMs?.value ?? Int64(Policy.defaultMinRunMs)),
                    propagateTo: sup?.to.flatMap { shardIndex[$0.value] })
                var budgets = SectionBudgets.defaults
                if let v = s.maxSizes["text"] { budgets.text = v.value }
                if let v = s.maxSizes["rodata"] { budgets.rodata = v.value }
                if let v = s.maxSizes["data"] { budgets.data = v.value }
                shards.append(ShardModel(
                    id: id, name: s.name.value, lang: s.lang?.value ?? .c,
                    path: s.path?.value ?? "Shards/\(s.name.value)",
                    cores: (s.cores?.value ?? []).map { Int($0.value) },
                    stackSize: s.stackSize?.value ?? SystemModel.defaultShardStack,
                    heapSize: s.heapSize?.value ?? 0,
                    budgets: budgets,
                    caps: s.caps.compactMap { Capability(rawValue: $0.value) }.uniqued(),
                    devices: grants, policy: policy,
                    watchdogMs: UInt32(s.watchdogMs?.value ?? 0)))
            }
            if d.errorCount == before, !d.hasErrors, let name = m.system.name?.value {
                systems.append(SystemModel(name: name, version: m.system.version?.value, platform: plat,
                                           kernelCore: kernelCore, kernelStackSize: kernelStack,
                                           shards: shards, channels: channelModels, manifestFile: file))
            }
        }
        if d.hasErrors { systems = [] }
        if m.shards.isEmpty {
            d.error(m.system.location, "the system has no shards; add a [shards.<name>] table")
            systems = []
        }
        return (systems, d.sorted)
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
