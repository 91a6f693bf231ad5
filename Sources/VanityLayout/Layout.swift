import VanityABI
import VanityDiagnostics
import VanityManifest
import VanityModel
import VanityPlatform

public enum RegionKind: String, Sendable, CaseIterable, ABIEnum {
    case text, rodata, data, stack, `guard`, heap, channel, device, tables, image, staging, mailbox, shared

    /// <vanity/system_table.h>, enum vanity_region_kind.
    public var abi: ABIConstant {
        switch self {
        case .text: return ABIConstant("VANITY_REGION_TEXT", VANITY_REGION_TEXT.rawValue)
        case .rodata: return ABIConstant("VANITY_REGION_RODATA", VANITY_REGION_RODATA.rawValue)
        case .data: return ABIConstant("VANITY_REGION_DATA", VANITY_REGION_DATA.rawValue)
        case .stack: return ABIConstant("VANITY_REGION_STACK", VANITY_REGION_STACK.rawValue)
        case .guard: return ABIConstant("VANITY_REGION_GUARD", VANITY_REGION_GUARD.rawValue)
        case .heap: return ABIConstant("VANITY_REGION_HEAP", VANITY_REGION_HEAP.rawValue)
        case .channel: return ABIConstant("VANITY_REGION_CHANNEL", VANITY_REGION_CHANNEL.rawValue)
        case .device: return ABIConstant("VANITY_REGION_DEVICE", VANITY_REGION_DEVICE.rawValue)
        case .tables: return ABIConstant("VANITY_REGION_TABLES", VANITY_REGION_TABLES.rawValue)
        case .image: return ABIConstant("VANITY_REGION_IMAGE", VANITY_REGION_IMAGE.rawValue)
        case .staging: return ABIConstant("VANITY_REGION_STAGING", VANITY_REGION_STAGING.rawValue)
        case .mailbox: return ABIConstant("VANITY_REGION_MAILBOX", VANITY_REGION_MAILBOX.rawValue)
        case .shared: return ABIConstant("VANITY_REGION_SHARED", VANITY_REGION_SHARED.rawValue)
        }
    }
}

/// One bit of a mapping's rights in the system table.
public enum Perm: Sendable, CaseIterable, ABIEnum {
    case read, write, execute, device, uncached

    /// <vanity/system_table.h>, enum vanity_perm.
    public var abi: ABIConstant {
        switch self {
        case .read: return ABIConstant("VANITY_PERM_R", VANITY_PERM_R.rawValue)
        case .write: return ABIConstant("VANITY_PERM_W", VANITY_PERM_W.rawValue)
        case .execute: return ABIConstant("VANITY_PERM_X", VANITY_PERM_X.rawValue)
        case .device: return ABIConstant("VANITY_PERM_DEVICE", VANITY_PERM_DEVICE.rawValue)
        case .uncached: return ABIConstant("VANITY_PERM_UNCACHED", VANITY_PERM_UNCACHED.rawValue)
        }
    }
}

/// Access rights of a mapping. Device memory is `kind == .device`.
public struct Perms: Hashable, Sendable, CustomStringConvertible {
    public var read: Bool
    public var write: Bool
    public var execute: Bool

    public static let none = Perms(read: false, write: false, execute: false)
    public static let rx = Perms(read: true, write: false, execute: true)
    public static let r = Perms(read: true, write: false, execute: false)
    public static let rw = Perms(read: true, write: true, execute: false)

    /// "r-x" style.
    public var description: String { (read ? "r" : "-") + (write ? "w" : "-") + (execute ? "x" : "-") }
}

/// One placed piece of memory. Addresses are identical for virt and phys
/// (see docs/architecture.md: every shard has its own translation table, but
/// each thing has one address everywhere).
public struct Region: Hashable, Sendable {
    /// "kernel" or a shard name.
    public var owner: String
    public var kind: RegionKind
    /// Unique within the owner: "text", "stack", a channel or device name.
    public var name: String
    public var phys: UInt64
    public var virt: UInt64
    public var size: UInt64
    public var perms: Perms
    /// A shared region with `cache = "uncached"`: mapped so that accesses
    /// bypass the caches.
    public var uncached: Bool = false

    public var end: UInt64 { phys + size }
    public var virtEnd: UInt64 { virt + size }
    /// Guards are reserved but never mapped.
    public var isMapped: Bool { kind != .guard }

    /// The system table's permission bits (device memory is one of them).
    public var abiPerms: [Perm] {
        [(perms.read, Perm.read), (perms.write, .write), (perms.execute, .execute), (kind == .device, .device), (uncached, .uncached)]
            .filter(\.0).map(\.1)
    }
}

public struct ShardLayout: Hashable, Sendable {
    public var shard: ShardModel
    /// In address order of the shard's own regions, then channels, then
    /// shared regions, then devices.
    public var regions: [Region]
    public var entry: UInt64
    /// One past the stack of the shard's first core.
    public var stackTop: UInt64
    /// From one core's stack to the next's (a stack and its guard page):
    /// core k's stack ends at `stackTop + k * stackStride`.
    public var stackStride: UInt64
    /// The kernel's pristine copy of the shard's data region (for restarts).
    public var dataImage: UInt64

    public func region(_ kind: RegionKind) -> Region? { regions.first { $0.kind == kind } }
}

public struct ChannelLayout: Hashable, Sendable {
    public var channel: ChannelModel
    public var phys: UInt64
    /// Page-rounded.
    public var size: UInt64
}

/// A shared region's place in RAM. Each shard that maps it has a `Region`
/// of kind `.shared` at the same address (virt == phys), with its rights.
public struct SharedLayout: Hashable, Sendable {
    public var region: RegionModel
    public var phys: UInt64
    /// Page-rounded (the size is a page multiple already).
    public var size: UInt64

    public var end: UInt64 { phys + size }
}

/// Where everything of one system lands on one platform.
public struct Layout: Sendable {
    public var system: SystemModel
    public var kernel: [Region]
    public var shards: [ShardLayout]
    public var channels: [ChannelLayout]
    /// Shared regions, in manifest order.
    public var shared: [SharedLayout] = []
    /// First byte after the last RAM region used.
    public var ramUsedEnd: UInt64

    public var platform: Platform { system.platform }
    public var pageSize: UInt64 { system.platform.pageSize }

    /// Every region: kernel first, then each shard's (a channel appears once
    /// per endpoint, a shared region once per shard that maps it).
    public var regions: [Region] { kernel + shards.flatMap(\.regions) }
}

extension BudgetKey {
    /// The region a budget sizes.
    public var regionKind: RegionKind {
        switch self {
        case .text: return .text
        case .rodata: return .rodata
        case .data: return .data
        }
    }

    /// The region's access rights.
    public var perms: Perms {
        switch self {
        case .text: return .rx
        case .rodata: return .r
        case .data: return .rw
        }
    }
}

/// Fixed kernel reservations (bytes). The kernel build checks its real sizes
/// against these.
public enum KernelBudget {
    /// The kernel's text, rodata and data regions.
    public static let sections = SectionBudgets(text: 256 << 10, rodata: 64 << 10, data: 128 << 10)
    /// Translation-table pages reserved per address space (each shard, plus
    /// the kernel's own).
    public static let tablePagesPerSpace = UInt64(VANITY_TABLE_PAGES_PER_SPACE)
    /// The simulator's reload staging area: a whole shard executable.
    public static let hostStaging: UInt64 = 2 << 20
}

/// Why a system cannot be placed, at the manifest value that caused it.
public struct LayoutError: Error, Sendable {
    public var diagnostic: Diagnostic
    public var message: String { diagnostic.message }
}

public enum Placer {
    /// Layout arithmetic saturates: a sum past 2^64 - 1 stays there, beyond
    /// every platform's RAM, and the layout fails at the value that caused it.
    static func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
    static func roundUp(_ v: UInt64, _ a: UInt64) -> UInt64 { add(v, a - 1) / a * a }
    static func roundDown(_ v: UInt64, _ a: UInt64) -> UInt64 { v / a * a }

    /// Lays out `system`. Pure and deterministic: regions are placed in
    /// manifest order from the platform's kernel base upwards. A failure is
    /// reported at the manifest value that caused it.
    public static func place(_ system: SystemModel) -> Result<Layout, LayoutError> {
        let plat = system.platform
        let page = plat.pageSize
        let ramEnd = plat.ram.end
        var cursor = roundUp(plat.kernelBase, page)
        var kernel: [Region] = []
        // The manifest value that sized the first region past the end of RAM.
        var pastRAM: SourceLocation?

        func take(_ owner: String, _ kind: RegionKind, _ name: String, _ size: UInt64, _ perms: Perms,
                  at source: SourceLocation) -> Region {
            let size = roundUp(max(size, 1), page)
            let r = Region(owner: owner, kind: kind, name: name, phys: cursor, virt: cursor, size: size, perms: perms)
            cursor = add(cursor, size)
            if cursor > ramEnd || cursor == .max, pastRAM == nil { pastRAM = source }
            return r
        }

        // Kernel image, tables and one stack per core in use, each with a guard
        for key in BudgetKey.allCases {
            kernel.append(take("kernel", key.regionKind, key.rawValue, KernelBudget.sections[key], key.perms, at: system.location))
        }
        let spaces = UInt64(system.shards.count + 1)
        kernel.append(take("kernel", .tables, "tables", spaces * KernelBudget.tablePagesPerSpace * page, .rw, at: system.location))
        let kernelStackAt = system.kernelStackLocation ?? system.location
        // (Then one for each further shard on a shared core: every
        // execution context has a kernel stack of its own.)
        for ctx in system.contexts {
            let name = ctx.id < system.cpuCount ? "core\(ctx.cpu)" : "context\(ctx.id)"
            kernel.append(take("kernel", .guard, "stack-guard.\(name)", page, .none, at: kernelStackAt))
            kernel.append(take("kernel", .stack, "stack.\(name)", system.kernelStackSize, .rw, at: kernelStackAt))
        }

        // Pristine data images, one per shard: restart copies them back.
        var images: [UInt64] = []
        for s in system.shards {
            let r = take("kernel", .image, "image.\(s.name)", BudgetKey.data.budget(of: s), .rw, at: s.source.budget(.data))
            kernel.append(r)
            images.append(r.phys)
        }

        // Shards.
        var shardRegions: [[Region]] = []
        for s in system.shards {
            var rs: [Region] = []
            for key in BudgetKey.allCases {
                rs.append(take(s.name, key.regionKind, key.rawValue, key.budget(of: s), key.perms, at: s.source.budget(key)))
            }
            // One stack per core, each above a guard page of its own: the
            // shard's core k (in ascending core order) runs on "stack.k"
            // ("stack" for the first), `stackStride` above the one before.
            let stackAt = s.source.stackSize ?? s.source.name
            for k in 0..<max(s.cores.count, 1) {
                let suffix = k == 0 ? "" : ".\(k)"
                rs.append(take(s.name, .guard, "stack-guard" + suffix, page, .none, at: stackAt))
                rs.append(take(s.name, .stack, "stack" + suffix, s.stackSize, .rw, at: stackAt))
            }
            if s.heapSize > 0 { rs.append(take(s.name, .heap, "heap", s.heapSize, .rw, at: s.source.heapSize ?? s.source.name)) }
            // The simulator's system calls go through a mailbox page of the
            // shard's own, so that all of its stack region is stack, as on a
            // board (docs/simulator.md).
            // One page per core of the shard.
            if plat.kind == .simulator {
                rs.append(take(s.name, .mailbox, "mailbox", UInt64(max(s.cores.count, 1)) * page, .rw, at: s.source.name))
            }
            shardRegions.append(rs)
        }

        // Channel rings: shared pages, mapped into both endpoints.
        var channels: [ChannelLayout] = []
        for c in system.channels {
            let ring = take(c.name, .channel, c.name, c.ringBytes, .rw, at: c.location)
            channels.append(ChannelLayout(channel: c, phys: ring.phys, size: ring.size))
        }

        // Shared regions, after the rings: mapped into each shard of their
        // `map`, at the same address everywhere.
        var shared: [SharedLayout] = []
        for r in system.regions {
            let placed = take(r.name, .shared, r.name, r.size, .rw, at: r.sizeLocation)
            shared.append(SharedLayout(region: r, phys: placed.phys, size: placed.size))
        }

        // The reload staging area: the largest shard's text, rodata and data
        // plus the image's header page on a board; a whole host executable in
        // the simulator (docs/debug-protocol.md).
        let largest = system.shards.map { s in BudgetKey.allCases.reduce(0) { add($0, $1.budget(of: s)) } }.max() ?? 0
        let stagingSize = plat.imageFormat == .hostExecutable ? KernelBudget.hostStaging : add(largest, page)
        kernel.append(take("kernel", .staging, "reload-staging", stagingSize, .rw, at: system.location))

        if cursor > ramEnd || cursor == .max {
            let avail = ramEnd > plat.kernelBase ? ramEnd - plat.kernelBase : 0
            let need = cursor == .max ? "more than 2^64 bytes" : formatBytes(cursor - plat.kernelBase)
            return .failure(LayoutError(diagnostic: .error(pastRAM ?? system.location,
                "system \"\(system.name)\" does not fit \(plat.name)'s RAM: it needs \(need) from the kernel base \(hex(plat.kernelBase)) but only \(formatBytes(avail)) is available (up to \(hex(ramEnd))); shrink stacks, heaps, budgets, channel rings or shared regions")))
        }

        // Endpoints and devices join each shard's regions.
        var shards: [ShardLayout] = []
        var devices: [(region: Region, grant: DeviceGrant)] = []
        for (i, s) in system.shards.enumerated() {
            var rs = shardRegions[i]
            for cl in channels where cl.channel.from == s.id || cl.channel.to == s.id {
                // The writer needs write access to indices it reads back, and
                // so does the reader (it advances `tail`), so both map rw-.
                rs.append(Region(owner: s.name, kind: .channel, name: cl.channel.name, phys: cl.phys, virt: cl.phys,
                                 size: cl.size, perms: .rw))
            }
            for sh in shared {
                // Never executable; read-only where the map says "r".
                guard let m = sh.region.map(of: s.id) else { continue }
                rs.append(Region(owner: s.name, kind: .shared, name: sh.region.name, phys: sh.phys, virt: sh.phys,
                                 size: sh.size, perms: m.writable ? .rw : .r, uncached: sh.region.cache == .uncached))
            }
            for g in s.devices {
                for (k, reg) in g.node.regs.enumerated() {
                    let base = roundDown(reg.base, page)
                    let end = roundUp(reg.end, page)
                    let name = g.node.regs.count == 1 ? g.identifier : "\(g.identifier).\(k)"
                    let r = Region(owner: s.name, kind: .device, name: name, phys: base, virt: base, size: end - base, perms: .rw)
                    rs.append(r)
                    devices.append((r, g))
                }
            }
            let text = rs[0], stack = rs.first { $0.kind == .stack }!
            shards.append(ShardLayout(shard: s, regions: rs, entry: text.virt, stackTop: stack.virtEnd,
                                      stackStride: stack.size + page, dataImage: images[i]))
        }

        // Device pages must not overlap RAM or each other across shards.
        for (r, g) in devices where r.phys < plat.ram.end && plat.ram.base < r.end {
            return .failure(LayoutError(diagnostic: .error(g.location,
                "device \"\(r.name)\" of shard \"\(r.owner)\" at \(hex(r.phys)) overlaps \(plat.name)'s RAM")))
        }
        for (i, (a, ga)) in devices.enumerated() {
            for (b, gb) in devices[(i + 1)...] where a.owner != b.owner && a.phys < b.end && b.phys < a.end {
                return .failure(LayoutError(diagnostic: .error(gb.location,
                    "devices \"\(a.name)\" of shard \"\(a.owner)\" and \"\(b.name)\" of shard \"\(b.owner)\" share the page at \(hex(max(a.phys, b.phys))); pages cannot be split between shards",
                    notes: [.init(ga.location, "granted to shard \"\(a.owner)\" here")])))
            }
        }
        return .success(Layout(system: system, kernel: kernel, shards: shards, channels: channels, shared: shared, ramUsedEnd: cursor))
    }
}

/// "16 KiB", "1.5 MiB".
public func formatBytes(_ v: UInt64) -> String { ByteSize.format(v) }
