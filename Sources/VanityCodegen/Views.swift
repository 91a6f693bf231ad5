import VanityDiagnostics
import VanityLayout
import VanityManifest
import VanityModel

// One record per generated fact: each view gathers what the shard's C header
// (vanity_shard.h), its Swift binding (Shard.swift) and the kernel's system
// table (system_table.c) say about one thing, and all three render it.

/// One channel: its system-table entry, and the facts both endpoints share.
struct ChannelView {
    var id: Int
    var name: String
    var from: ShardModel
    var to: ShardModel
    var msgSize: UInt32
    var slots: UInt32
    var notify: Bool
    /// The ring (struct vanity_ring), at the same address in both endpoints.
    var address: UInt64
    /// Bytes mapped, page-rounded.
    var size: UInt64

    init(_ cl: ChannelLayout, in system: SystemModel) {
        let c = cl.channel
        (id, name, msgSize, slots, notify) = (c.id, c.name, c.msgSize, c.slots, c.notify)
        (from, to) = (system.shards[c.from], system.shards[c.to])
        (address, size) = (cl.phys, cl.size)
    }

    static func all(_ layout: Layout) -> [ChannelView] { layout.channels.map { ChannelView($0, in: layout.system) } }
}

/// One end of a channel as its shard holds it: a `struct vanity_channel` in
/// the C header, a `Sender` or `Receiver` in the Swift binding.
struct EndpointView {
    var channel: ChannelView
    var direction: Direction
    /// Its position in the shard's channel list: its bit in a wait's result.
    var index: Int

    var peer: ShardModel { direction == .send ? channel.to : channel.from }

    /// The header's macro prefix, e.g. VANITY_CHANNEL_MY_CHAN.
    var macro: String { Ident.channelMacro(channel.name) }
    /// The header's handle, e.g. vanity_channel_my_chan.
    var cName: String { Ident.channelHandle(channel.name) }
    /// One of the header's macros for this endpoint, e.g. VANITY_CHANNEL_MY_CHAN_ADDR.
    func macro(_ fact: Ident.ChannelMacro) -> String { macro + fact.rawValue }
    /// The header's wake bit, e.g. VANITY_WOKE_CHANNEL_MY_CHAN.
    var wokeMacro: String { Ident.channelWokeMacro(channel.name) }
    var swiftName: String { Ident.swift(channel.name) }
    var swiftType: String { direction == .send ? "Sender" : "Receiver" }

    /// "\"samples\": receives from \"producer\", 64 slots of 16 bytes."
    var summary: String {
        "\"\(channel.name)\": \(direction == .send ? "sends to" : "receives from") \"\(peer.name)\", \(channel.slots) slots of \(channel.msgSize) bytes."
    }
}

/// One shared region: where it is and who maps it.
struct SharedRegionView {
    var name: String
    var size: UInt64
    /// The same address in every shard that maps it (virt == phys).
    var address: UInt64
    var dma: Bool
    var cache: CacheMode
    /// The shards that map it and whether each may write, in `map` order.
    var mappers: [(shard: ShardModel, writable: Bool)]

    init(_ sl: SharedLayout, in system: SystemModel) {
        let r = sl.region
        (name, size, address, dma, cache) = (r.name, sl.size, sl.phys, r.dma, r.cache)
        mappers = r.maps.map { (system.shards[$0.shard], $0.writable) }
    }

    /// The physical address the mapping shards are given (DMA regions only).
    var phys: UInt64? { dma ? address : nil }

    /// What sets it apart from plain memory, for the reports: "dma", "uncached".
    var traits: [String] { (dma ? ["dma"] : []) + (cache == .uncached ? ["uncached"] : []) }

    /// "\"driver\" (rw), \"client\" (r)".
    var mapSummary: String { mappers.map { "\"\($0.shard.name)\" (\($0.writable ? "rw" : "r"))" }.joined(separator: ", ") }

    static func all(_ layout: Layout) -> [SharedRegionView] { layout.shared.map { SharedRegionView($0, in: layout.system) } }
}

/// A shared region as one shard maps it: its entry in the shard's region
/// list (the system table's `struct vanity_region`, kind SHARED), a
/// `struct vanity_shared_region` in the C header and a buffer in the Swift
/// binding. All three read `placed`.
struct MappingView {
    var region: SharedRegionView
    /// The shard's own record of the mapping (address, size, rights).
    var placed: Region

    var writable: Bool { placed.perms.write }
    var address: UInt64 { placed.virt }
    var size: UInt64 { placed.size }
    /// What the shard is told of the physical address: DMA regions only.
    var phys: UInt64? { region.dma ? placed.phys : nil }

    /// The header's macro prefix, e.g. VANITY_REGION_RX_FRAMES.
    var macro: String { Ident.regionMacro(region.name) }
    func macro(_ fact: Ident.RegionMacro) -> String { macro + fact.rawValue }
    /// The header's handle, e.g. vanity_region_rx_frames.
    var cName: String { Ident.regionHandle(region.name) }
    var swiftName: String { Ident.swift(region.name) }

    /// "\"frames\": 64 KiB, read-write here, DMA; mapped by \"driver\" (rw), \"client\" (r)."
    var summary: String {
        "\"\(region.name)\": \(formatBytes(size)), \(writable ? "read-write" : "read-only") here\(region.dma ? ", DMA" : "")\(region.cache == .uncached ? ", uncached" : ""); mapped by \(region.mapSummary)."
    }
}

/// The `reg` ranges and the interrupts of a grant, as the shard sees it
/// (`base` and `size` are the first range's; `regs` all of them).
struct DeviceView {
    var identifier: String
    var path: String
    var base: UInt64
    var size: UInt64
    var regs: [(base: UInt64, size: UInt64)] = []
    var irqs: [UInt32]
    var compatible: [String] = []
    /// The shard's interrupt index of the first line (the others follow):
    /// their bits in a wait's result.
    var irqIndex: Int = 0

    var macro: String { "VANITY_DEVICE_" + Ident.macro(identifier) }
    /// The header's wake bits (every line of the device), e.g. VANITY_WOKE_IRQ_RTC.
    var wokeMacro: String { "VANITY_WOKE_IRQ_" + Ident.macro(identifier) }
    var cName: String { "vanity_device_" + Ident.c(identifier) }
    var swiftName: String { Ident.swift(identifier) }

    static func of(_ s: ShardModel) -> [DeviceView] {
        let names = Ident.distinct(s.devices.map(\.identifier))
        var next = 0
        return zip(names, s.devices).map { name, g in
            let first = g.node.regs.first
            defer { next += g.node.irqs.count }
            return DeviceView(identifier: name, path: g.node.path, base: first?.base ?? 0, size: first?.size ?? 0,
                              regs: g.node.regs.map { ($0.base, $0.size) }, irqs: g.node.irqs, compatible: g.node.compatible, irqIndex: next)
        }
    }
}

/// One shard: its header's and binding's description of itself and its
/// system-table entry.
struct ShardView {
    var placed: ShardLayout
    var endpoints: [EndpointView]
    /// The shared regions it maps, in manifest order.
    var mappings: [MappingView]
    var devices: [DeviceView]

    init(_ sl: ShardLayout, channels: [ChannelView], shared: [SharedRegionView]) {
        placed = sl
        let id = sl.shard.id
        endpoints = channels.filter { $0.from.id == id || $0.to.id == id }.enumerated()
            .map { EndpointView(channel: $1, direction: $1.from.id == id ? .send : .receive, index: $0) }
        mappings = shared.compactMap { r in
            sl.regions.first { $0.kind == .shared && $0.name == r.name }.map { MappingView(region: r, placed: $0) }
        }
        devices = DeviceView.of(sl.shard)
    }

    static func all(_ layout: Layout) -> [ShardView] {
        let channels = ChannelView.all(layout)
        let shared = SharedRegionView.all(layout)
        return layout.shards.map { ShardView($0, channels: channels, shared: shared) }
    }

    var model: ShardModel { placed.shard }
    var id: Int { model.id }
    var name: String { model.name }
    /// The core the shard starts on (and its interrupts are routed to).
    var core: Int { model.cores.min() ?? 0 }
    var heap: Region? { placed.region(.heap) }
    var watchdogMs: UInt32 { model.watchdogMs }
    var policy: Policy { model.policy }
    /// Every interrupt of every granted device, in grant order (a line's
    /// position here is its bit in a wait's result).
    var irqs: [UInt32] { devices.flatMap(\.irqs) }
    /// The position of `channel` in this shard's channel list, if it is an endpoint.
    func index(of channel: ChannelView) -> Int? { endpoints.first { $0.channel.id == channel.id }?.index }
    /// The system table's names for this shard's arrays, e.g. shard_my_shard.
    var tablePrefix: String { "shard_" + Ident.c(name) }
}

/// How generated C spells values.
enum C {
    /// "0x40200000ull".
    static func hex(_ v: UInt64) -> String { VanityDiagnostics.hex(v) + "ull" }

    /// A designated initializer: `{.a = 1, .b = 2}`, or one field a line
    /// after `indent`.
    static func initializer(_ fields: KeyValuePairs<String, String>, indent: String? = nil) -> String {
        let parts = fields.map { ".\($0.key) = \($0.value)" }
        guard let indent else { return "{" + parts.joined(separator: ", ") + "}" }
        return "{\n" + parts.map { indent + "    " + $0 + ",\n" }.joined() + indent + "}"
    }

    /// `A | B`, or "0".
    static func bits(_ names: [ABIConstant]) -> String {
        names.isEmpty ? "0" : names.map(\.name).joined(separator: " | ")
    }

    /// The `struct vanity_policy` of a shard (system table and header).
    static func policy(_ p: Policy) -> String {
        initializer(["kind": p.kind.abi.name, "max_restarts": "\(p.maxRestarts)", "min_run_ms": "\(p.minRunMs)",
                     "propagate_to": p.propagateTo.map { "\($0)" } ?? ABIConstant.noShard.name])
    }
}

/// How generated Swift spells values.
enum SwiftCode {
    /// The shard's `vanity_policy` (the C struct, imported through the header).
    static func policy(_ p: Policy) -> String {
        "vanity_policy(kind: \(p.kind.abi.name).rawValue, max_restarts: \(p.maxRestarts), min_run_ms: \(p.minRunMs), "
            + "propagate_to: \(p.propagateTo.map { "\($0)" } ?? "UInt16(\(ABIConstant.noShard.name))"), reserved: 0)"
    }
}
