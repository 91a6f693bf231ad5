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
}

public struct DeviceGrant: Hashable, Sendable {
    /// As written in the manifest (a device-table name or a node path).
    public var reference: String
    /// A C/Swift identifier for it: the table name, or the node name.
    public var identifier: String
    public var node: DeviceNode
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

    public var capMask: UInt32 { caps.reduce(0) { $0 | $1.abi.value } }
    public var coreMask: UInt64 { cores.reduce(0) { $0 | (1 << UInt64($1)) } }
}

public struct ChannelModel: Hashable, Sendable {
    public var id: Int
    public var name: String
    public var from: Int
    public var to: Int
    public var msgSize: UInt32
    public var slots: UInt32
    public var notify: Bool

    /// Bytes of the ring: header plus slots (before page rounding).
    public var ringBytes: UInt64 { UInt64(VANITY_RING_HEADER_SIZE) + UInt64(msgSize) * UInt64(slots) }
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

    /// Cores from 0 to the highest one used.
    public var cpuCount: Int { (shards.flatMap(\.cores) + [kernelCore]).max()! + 1 }

    public func channels(of shard: Int) -> [ChannelModel] {
        channels.filter { $0.from == shard || $0.to == shard }
    }

    public static let defaultKernelStack: UInt64 = 16 << 10
    public static let defaultShardStack: UInt64 = 16 << 10
}
