import VanityABI
import VanityDiagnostics
import VanityManifest
import VanityPlatform

/// Capabilities a shard may hold. The bits come from the kernel's caps.h
/// (`abi`, ABI.swift).
public enum Capability: String, Sendable, CaseIterable {
    case log, time, shutdown, reload, restart
}

public struct Policy: Hashable, Sendable {
    public var kind: PolicyKind
    public var maxRestarts: UInt32
    public var minRunMs: UInt32
    /// Shard id of the supervisor for `propagate`.
    public var propagateTo: Int?

    public init(kind: PolicyKind, maxRestarts: UInt32, minRunMs: UInt32, propagateTo: Int?) {
        self.kind = kind
        self.maxRestarts = maxRestarts
        self.minRunMs = minRunMs
        self.propagateTo = propagateTo
    }

    public static let defaultMaxRestarts: UInt32 = 3
    public static let defaultMinRunMs: UInt32 = 100
}

/// Upper bounds for a shard's sections; the layout reserves this much.
public struct SectionBudgets: Hashable, Sendable {
    public var text: UInt64
    public var rodata: UInt64
    public var data: UInt64

    public init(text: UInt64, rodata: UInt64, data: UInt64) {
        self.text = text
        self.rodata = rodata
        self.data = data
    }

    public static let defaults = SectionBudgets(text: 64 << 10, rodata: 16 << 10, data: 16 << 10)

    /// The budget of one `max-sizes` key.
    public subscript(key: BudgetKey) -> UInt64 {
        get {
            switch key {
            case .text: return text
            case .rodata: return rodata
            case .data: return data
            }
        }
        set {
            switch key {
            case .text: text = newValue
            case .rodata: rodata = newValue
            case .data: data = newValue
            }
        }
    }
}

extension BudgetKey {
    /// This key's budget of `shard` (its `max-sizes` value or the default).
    public func budget(of shard: ShardModel) -> UInt64 { shard.budgets[self] }
}

/// Where a shard's settings are written in the manifest, so that the later
/// stages (layout, build, ELF checks) report at the line that caused a
/// problem.
public struct ShardSource: Hashable, Sendable {
    /// The shard's name in `[shards.<name>]`.
    public var name: SourceLocation
    /// The `max-sizes` values given.
    public var budgets: [BudgetKey: SourceLocation]
    public var stackSize: SourceLocation?
    public var heapSize: SourceLocation?

    public init(name: SourceLocation, budgets: [BudgetKey: SourceLocation] = [:], stackSize: SourceLocation? = nil,
                heapSize: SourceLocation? = nil) {
        self.name = name
        self.budgets = budgets
        self.stackSize = stackSize
        self.heapSize = heapSize
    }

    /// Where `key`'s budget is set: its `max-sizes` value, or the shard's
    /// name when the default applies.
    public func budget(_ key: BudgetKey) -> SourceLocation { budgets[key] ?? name }
}

public struct DeviceGrant: Hashable, Sendable {
    /// As written in the manifest (a device-table name or a node path).
    public var reference: String
    /// A C/Swift identifier for it: the table name, or the node name.
    public var identifier: String
    public var node: DeviceNode
    /// The grant in the shard's `devices`.
    public var location: SourceLocation
}

public struct ShardModel: Hashable, Sendable {
    public var id: Int
    public var name: String
    public var lang: ShardLang
    /// The shard's source folder, relative to the manifest's folder.
    public var path: String
    public var cores: [Int]
    public var stackSize: UInt64
    public var heapSize: UInt64
    public var budgets: SectionBudgets
    public var caps: [Capability]
    public var devices: [DeviceGrant]
    public var policy: Policy
    /// 0: no watchdog.
    public var watchdogMs: UInt32
    /// How the kernel schedules the shard on a core it shares (nil: the
    /// shard has its cores to itself).
    public var schedule: Schedule? = nil
    /// Where the shard's settings are written.
    public var source: ShardSource
    /// Sources, include folders, defines, flags and libraries.
    public var build = BuildSettings()
    /// Shard ids this shard may restart, hold, release and read the fault
    /// record of: its `propagate` children and its `supervises`, ascending.
    public var reach: [Int] = []

    /// The reach as the system table's bit mask (bit n: shard n).
    public var reachMask: UInt64 { reach.reduce(0) { $0 | (1 << UInt64($1)) } }
    public var capMask: UInt32 { caps.reduce(0) { $0 | $1.abi.value } }
    public var coreMask: UInt64 { cores.reduce(0) { $0 | (1 << UInt64($1)) } }
}

/// A shard's `priority` and optional CPU budget (`budget-us` of every
/// `period-us`), for a core it shares with other shards.
public struct Schedule: Hashable, Sendable {
    public var priority: UInt8
    /// 0 with `periodUs` 0: no budget.
    public var budgetUs: UInt32
    public var periodUs: UInt32

    public init(priority: UInt8, budgetUs: UInt32 = 0, periodUs: UInt32 = 0) {
        self.priority = priority
        self.budgetUs = budgetUs
        self.periodUs = periodUs
    }
}

/// A thread of execution the kernel runs: one per core (the first shard
/// that claims the core, in manifest order; none on the kernel's core and
/// unused ones), then one for every further shard on a shared core. The
/// system table's shard core masks and the kernel's per-core state count
/// contexts; `cpu` is the physical core.
public struct ExecutionContext: Hashable, Sendable {
    public var id: Int
    public var cpu: Int
    public var shard: Int?
}

public struct ChannelModel: Hashable, Sendable {
    public var id: Int
    public var name: String
    public var from: Int
    public var to: Int
    public var msgSize: UInt32
    public var slots: UInt32
    public var notify: Bool
    /// The channel's name in `[channels.<name>]`.
    public var location: SourceLocation

    /// Bytes of the ring: header plus slots (before page rounding).
    public var ringBytes: UInt64 { UInt64(VANITY_RING_HEADER_SIZE) + UInt64(msgSize) * UInt64(slots) }
}

/// One shard's mapping of a shared region.
public struct RegionMap: Hashable, Sendable {
    /// The shard's id.
    public var shard: Int
    public var writable: Bool
    /// The shard's key in the region's `map`.
    public var location: SourceLocation

    public init(shard: Int, writable: Bool, location: SourceLocation) {
        self.shard = shard
        self.writable = writable
        self.location = location
    }
}

/// A shared memory region (`[regions.<name>]`): physically contiguous RAM
/// mapped into each shard of `maps` with its rights, never executable.
public struct RegionModel: Hashable, Sendable {
    /// The index in `SystemModel.regions`.
    public var id: Int
    public var name: String
    /// Bytes, a multiple of the page size.
    public var size: UInt64
    /// The shards that map it see its physical address.
    public var dma: Bool
    public var cache: CacheMode
    /// In the order of the manifest's `map`; never empty.
    public var maps: [RegionMap]
    /// The region's name in `[regions.<name>]`.
    public var location: SourceLocation
    /// Its `size` value (where a system that does not fit RAM is reported).
    public var sizeLocation: SourceLocation

    public init(id: Int, name: String, size: UInt64, dma: Bool, cache: CacheMode, maps: [RegionMap],
                location: SourceLocation, sizeLocation: SourceLocation) {
        (self.id, self.name, self.size, self.dma, self.cache, self.maps) = (id, name, size, dma, cache, maps)
        (self.location, self.sizeLocation) = (location, sizeLocation)
    }

    /// How `shard` maps this region, if it does.
    public func map(of shard: Int) -> RegionMap? { maps.first { $0.shard == shard } }
}

/// A host port `vanity-build run` forwards to a port of the system, through
/// the network device of the shard granted the platform's `net` device
/// (`[run] forward`).
public struct PortForward: Hashable, Sendable, CustomStringConvertible {
    public enum Transport: String, Sendable, CaseIterable { case udp, tcp }
    public var transport: Transport
    /// The port on 127.0.0.1; nil: `run` picks a free one and prints it.
    public var host: UInt16?
    /// The port of the system (its network stack's).
    public var guest: UInt16
    /// The system's IPv4 address the port is reached at (a system with
    /// several network stacks behind one device, each with its address).
    public var address: String
    public var location: SourceLocation

    /// The guest address QEMU's user networking gives a guest (10.0.2.15).
    public static let defaultAddress = "10.0.2.15"

    public init(transport: Transport, host: UInt16?, guest: UInt16, address: String = PortForward.defaultAddress, location: SourceLocation) {
        (self.transport, self.host, self.guest, self.address, self.location) = (transport, host, guest, address, location)
    }

    /// As written in the manifest: "udp:7", "tcp:5007:7", "udp:7@10.0.2.16".
    public var description: String {
        "\(transport.rawValue):" + (host.map { "\($0):" } ?? "") + "\(guest)" + (address == Self.defaultAddress ? "" : "@\(address)")
    }

    /// Parses one `forward` entry; nil (and an error at it) when it is malformed.
    public static func parse(_ text: String, at location: SourceLocation, diagnostics d: inout DiagnosticBag) -> PortForward? {
        func fail(_ why: String) -> PortForward? {
            d.error(location, "forward \"\(text)\" \(why)")
            return nil
        }
        var body = Substring(text), address = defaultAddress
        if let at = text.firstIndex(of: "@") {
            body = text[..<at]
            let a = String(text[text.index(after: at)...])
            guard let ip = parseIPv4(a) else {
                return fail("has address \"\(a)\"; an address is four numbers from 0 to 255, as in 10.0.2.16")
            }
            guard ip >> 8 == 0x0a_00_02, (4...254).contains(ip & 0xff) else {
                return fail("has address \"\(a)\", outside the network QEMU's user networking gives the system (10.0.2.4 to 10.0.2.254; 10.0.2.2 and 10.0.2.3 are its gateway and name server)")
            }
            address = a
        }
        let parts = body.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), let transport = Transport(rawValue: parts[0]) else {
            return fail("is not \"udp:PORT\", \"tcp:PORT\", \"udp:HOST-PORT:PORT\" or \"tcp:HOST-PORT:PORT\", each optionally followed by \"@ADDRESS\"")
        }
        var ports: [UInt16] = []
        for p in parts.dropFirst() {
            guard !p.isEmpty, p.allSatisfy(\.isASCII), p.allSatisfy(\.isNumber), let v = UInt16(p), v != 0 else {
                return fail("has port \"\(p)\"; a port is a number from 1 to 65535")
            }
            ports.append(v)
        }
        return PortForward(transport: transport, host: ports.count == 2 ? ports[0] : nil, guest: ports.last!, address: address, location: location)
    }

    /// "a.b.c.d" with each part 0–255 written in decimal without a sign, as a number.
    static func parseIPv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard (1...3).contains(p.count), p.allSatisfy({ $0.isASCII && $0.isNumber }), let b = UInt32(p), b <= 255 else { return nil }
            v = v << 8 | b
        }
        return v
    }
}

/// The host file behind the platform's emulated block device (`[run] disk`).
public struct DiskImage: Hashable, Sendable {
    /// As written: relative to the manifest's folder, or absolute.
    public var path: String
    /// Bytes a missing file is created with (a multiple of 512).
    public var size: UInt64
    public var location: SourceLocation
    public static let defaultSize: UInt64 = 16 << 20
    public init(path: String, size: UInt64, location: SourceLocation) {
        (self.path, self.size, self.location) = (path, size, location)
    }
}

/// A validated system for one platform: names resolved, defaults applied.
public struct SystemModel: Sendable {
    public var name: String
    public var version: String?
    public var platform: Platform
    public var kernelCore: Int
    public var kernelStackSize: UInt64
    /// In manifest order; `id` is the index.
    public var shards: [ShardModel]
    /// In manifest order; `id` is the index.
    public var channels: [ChannelModel]
    /// The manifest's path, for messages.
    public var manifestFile: String
    /// The system's name in the manifest.
    public var location: SourceLocation
    /// The kernel's `stack-size`, when given.
    public var kernelStackLocation: SourceLocation?
    /// `[libraries.<name>]`, in manifest order.
    public var libraries: [LibraryModel] = []
    /// `[regions.<name>]` that some shard maps, in manifest order; `id` is the index.
    public var regions: [RegionModel] = []
    /// `[run] forward`, in manifest order.
    public var forwards: [PortForward] = []
    /// `[run] disk`, when given.
    public var disk: DiskImage?

    /// Cores from 0 to the highest one used.
    public var cpuCount: Int { (shards.flatMap(\.cores) + [kernelCore]).max()! + 1 }

    /// Every execution context: core n's is context n; the further shards
    /// on shared cores follow, in manifest order.
    public var contexts: [ExecutionContext] {
        var out = (0..<cpuCount).map { ExecutionContext(id: $0, cpu: $0, shard: nil) }
        for s in shards {
            for c in s.cores {
                if out[c].shard == nil { out[c].shard = s.id } else { out.append(ExecutionContext(id: out.count, cpu: c, shard: s.id)) }
            }
        }
        return out
    }

    /// The contexts `shard` runs in, ascending (its core indices count them in this order).
    public func contextIds(of shard: Int) -> [Int] {
        contexts.filter { $0.shard == shard }.map(\.id)
    }

    /// The shard's context mask (the system table's `core_mask`).
    public func contextMask(of shard: Int) -> UInt64 {
        contextIds(of: shard).reduce(0) { $0 | (1 << UInt64($1)) }
    }

    public func channels(of shard: Int) -> [ChannelModel] {
        channels.filter { $0.from == shard || $0.to == shard }
    }

    /// The shared regions `shard` maps.
    public func regions(of shard: Int) -> [RegionModel] {
        regions.filter { $0.map(of: shard) != nil }
    }

    public static let defaultKernelStack: UInt64 = 16 << 10
    public static let defaultShardStack: UInt64 = 16 << 10
}
