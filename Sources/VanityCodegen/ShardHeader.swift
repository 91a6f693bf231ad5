import VanityDiagnostics
import VanityLayout
import VanityModel

/// `shards/<name>/vanity_shard.h`: everything one shard knows about itself.
/// The ring format comes from <vanity/ring.h>; this header only says where
/// each ring is and how it is shaped.
enum ShardHeader {
    static func render(_ v: ShardView, in layout: Layout) -> String {
        let sl = v.placed
        var o = "/* \(Codegen.banner(layout, "header of shard \"\(v.name)\"")) */\n"
        o += "#ifndef VANITY_SHARD_H\n#define VANITY_SHARD_H\n\n"
        o += "#include <vanity/caps.h>\n#include <vanity/handles.h>\n#include <vanity/syscall.h>\n#include <vanity/system_table.h>\n\n"
        o += "#define VANITY_SYSTEM_NAME \"\(layout.system.name)\"\n"
        o += "#define VANITY_PLATFORM_NAME \"\(layout.platform.name)\"\n"
        o += "#define VANITY_KERNEL_BASE \(C.hex(layout.platform.kernelBase))\n"
        o += "#define VANITY_SHARD_ID \(v.id)u\n"
        o += "#define VANITY_SHARD_NAME \"\(v.name)\"\n"
        let caps = v.model.caps.map(\.abi)
        o += "#define VANITY_SHARD_CAPS \(caps.isEmpty ? "0u" : "(" + C.bits(caps) + ")")\n"
        o += "#define VANITY_SHARD_CORE \(v.core)u\n"
        for kind in [RegionKind.text, .rodata, .data, .stack, .heap] {
            let name = kind.rawValue.uppercased()
            let r = sl.region(kind)
            o += "#define VANITY_SHARD_\(name)_BASE \(C.hex(r?.virt ?? 0))\n"
            o += "#define VANITY_SHARD_\(name)_SIZE \(C.hex(r?.size ?? 0))\n"
        }
        o += "#define VANITY_SHARD_STACK_TOP \(C.hex(sl.stackTop)) /* one past the first core's stack */\n"
        o += "/* The shard's cores: one thread of execution each, on a stack of its own\n"
        o += " * (core k's ends k * VANITY_SHARD_STACK_STRIDE above the first's). */\n"
        o += "#define VANITY_SHARD_CORE_COUNT \(max(v.model.cores.count, 1))u\n"
        o += "#define VANITY_SHARD_STACK_STRIDE \(C.hex(sl.stackStride))\n"
        o += "#define VANITY_SHARD_WATCHDOG_MS \(v.watchdogMs)u /* 0: none */\n"
        o += "/* What the kernel does when this shard faults. */\n"
        o += "static const struct vanity_policy vanity_shard_policy = \(C.policy(v.policy));\n"
        let reach = v.model.reach.map { layout.system.shards[$0] }
        o += "/* Reach (\(reach.count)): the shards this one may restart, hold, release (cap \"restart\") and read the fault record of. */\n"
        o += "#define VANITY_SHARD_REACH \(C.hex(v.model.reachMask))\n"
        for r in reach { o += "#define VANITY_REACH_\(Ident.macro(r.name)) \(r.id)u /* shard \"\(r.name)\" */\n" }

        o += "\n/* Channels (\(v.endpoints.count)). */\n"
        for e in v.endpoints {
            let c = e.channel
            o += "\n/* \(e.summary) */\n"
            let facts: KeyValuePairs<Ident.ChannelMacro, String> = [
                .id: "\(c.id)u", .address: C.hex(c.address), .size: C.hex(c.size), .msgSize: "\(c.msgSize)u",
                .slots: "\(c.slots)u", .direction: e.direction.abi.name, .notify: "\(c.notify ? 1 : 0)u",
                .wakeIndex: "\(e.index)u",
            ]
            for (fact, value) in facts { o += "#define \(e.macro(fact)) \(value)\n" }
            o += "#define \(e.wokeMacro) VANITY_WAKE_CHANNEL_BIT(\(e.macro(.wakeIndex))) /* its bit in a wait's result */\n"
            o += "static const struct vanity_channel \(e.cName) = "
            o += C.initializer(["ring": "(struct vanity_ring *)\(e.macro(.address))", "id": e.macro(.id), "direction": e.macro(.direction),
                                "peer": "\(e.peer.id)u", "notify": e.macro(.notify), "msg_size": e.macro(.msgSize), "slots": e.macro(.slots),
                                "wake_index": e.macro(.wakeIndex)],
                                indent: "")
            o += ";\n"
        }

        o += "\n/* Shared regions (\(v.mappings.count)): never executable; their contents outlive restarts and reloads. */\n"
        for m in v.mappings {
            o += "\n/* \(m.summary) */\n"
            var facts: [(Ident.RegionMacro, String)] = [
                (.address, C.hex(m.address)), (.size, C.hex(m.size)), (.writable, "\(m.writable ? 1 : 0)u"), (.dma, "\(m.region.dma ? 1 : 0)u"),
                (.uncached, "\(m.placed.uncached ? 1 : 0)u"),
            ]
            if let phys = m.phys { facts.append((.phys, C.hex(phys))) }
            for (fact, value) in facts { o += "#define \(m.macro(fact)) \(value)\n" }
            o += "static const struct vanity_shared_region \(m.cName) = "
            o += C.initializer(["base": "(void *)\(m.macro(.address))", "size": m.macro(.size),
                                "phys": m.phys == nil ? "0" : m.macro(.phys),
                                "writable": m.macro(.writable), "dma": m.macro(.dma), "uncached": m.macro(.uncached)], indent: "")
            o += ";\n"
        }

        o += "\n/* Devices (\(v.devices.count)). */\n"
        for d in v.devices {
            let m = d.macro
            o += "\n/* \"\(d.identifier)\": \(d.path) */\n"
            o += "#define \(m)_ADDR \(C.hex(d.base))\n"
            o += "#define \(m)_SIZE \(C.hex(d.size))\n"
            o += "#define \(m)_REG_COUNT \(d.regs.count)u /* reg ranges, each mapped at its physical address */\n"
            for (k, r) in d.regs.enumerated() where k > 0 {
                o += "#define \(m)_REG\(k)_ADDR \(C.hex(r.base))\n"
                o += "#define \(m)_REG\(k)_SIZE \(C.hex(r.size))\n"
            }
            o += "#define \(m)_IRQ_COUNT \(d.irqs.count)u\n"
            for c in d.compatible { o += "#define \(m)_COMPAT_\(Ident.macro(c)) 1 /* \"\(c)\" */\n" }
            for (k, irq) in d.irqs.enumerated() { o += "#define \(m)_IRQ\(k == 0 ? "" : String(k)) \(irq)u\n" }
            if d.irqs.isEmpty { o += "#define \(m)_IRQ \(ABIConstant.noIrq.name)\n" }
            o += "#define \(m)_IRQ_INDEX \(d.irqIndex)u /* the shard's interrupt index of _IRQ (the others follow) */\n"
            o += "#define \(d.wokeMacro) VANITY_WAKE_IRQ_RANGE(\(m)_IRQ_INDEX, \(m)_IRQ_COUNT) /* its lines' bits in a wait's result */\n"
            o += "static const struct vanity_device \(d.cName) = "
            o += C.initializer(["base": "(uintptr_t)\(m)_ADDR", "size": "\(m)_SIZE", "irq": "\(m)_IRQ", "irq_count": "\(m)_IRQ_COUNT",
                                "irq_index": "\(m)_IRQ_INDEX"], indent: "")
            o += ";\n"
        }
        o += "\n#endif\n"
        return o
    }
}

/// `shards/<name>/Shard.swift`: the typed view of the same facts for an
/// Embedded Swift shard (compiled with vanity_shard.h as its bridging header).
enum SwiftBindings {
    static func render(_ v: ShardView, in layout: Layout) -> String {
        var o = "// \(Codegen.banner(layout, "bindings of shard \"\(v.name)\""))\n\n"
        o += "/// Shard \"\(v.name)\" (id \(v.id)) of \"\(layout.system.name)\" on \(layout.platform.name).\n"
        o += "enum Shard {\n"
        o += "    static let id: UInt16 = \(v.id)\n"
        o += "    static let name: StaticString = \"\(v.name)\"\n"
        o += "    /// One past the first core's stack; core k's ends k * stackStride above it.\n"
        o += "    static let stackTop: UInt = \(hex(v.placed.stackTop))\n"
        o += "    static let stackStride: UInt = \(hex(v.placed.stackStride))\n"
        o += "    /// The cores the shard runs on: one thread of execution each.\n"
        o += "    static let coreCount: Int = \(max(v.model.cores.count, 1))\n"
        if let h = v.heap {
            o += "    static let heap = UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: UInt(\(hex(h.virt))))!, count: \(h.size))\n"
        }
        o += "    /// 0: no watchdog.\n"
        o += "    static let watchdogMs: UInt32 = \(v.watchdogMs)\n"
        o += "    /// What the kernel does when this shard faults.\n"
        o += "    static var policy: vanity_policy { \(SwiftCode.policy(v.policy)) }\n"
        o += "    /// The shards this one may restart, hold, release (cap \"restart\") and read the fault record of: their ids.\n"
        o += "    enum Reach {\n"
        for r in v.model.reach.map({ layout.system.shards[$0] }) { o += "        static let \(Ident.swift(r.name)) = \(r.id)\n" }
        o += "    }\n"
        o += "\n    /// Channel endpoints.\n    enum Channels {\n"
        for e in v.endpoints {
            let c = e.channel
            o += "        /// \(e.summary)\n"
            o += "        static var \(e.swiftName): \(e.swiftType) {\n"
            o += "            \(e.swiftType)(address: \(hex(c.address)), id: \(c.id), peer: \(e.peer.id), msgSize: \(c.msgSize), slots: \(c.slots), notify: \(c.notify), wakeIndex: \(e.index))\n"
            o += "        }\n"
        }
        o += "    }\n\n    /// Shared regions: never executable; their contents outlive restarts and reloads.\n    enum Regions {\n"
        for m in v.mappings {
            let type = m.writable ? "UnsafeMutableRawBufferPointer" : "UnsafeRawBufferPointer"
            let pointer = m.writable ? "UnsafeMutableRawPointer" : "UnsafeRawPointer"
            o += "        /// \(m.summary)\n"
            o += "        static let \(m.swiftName) = \(type)(start: \(pointer)(bitPattern: UInt(\(hex(m.address))))!, count: \(m.size))\n"
        }
        let dma = v.mappings.filter { $0.region.dma }
        if !dma.isEmpty {
            o += "        /// Physical addresses of the DMA regions (what a device is given).\n        enum Physical {\n"
            for m in dma { o += "            static let \(m.swiftName): UInt64 = \(hex(m.phys!))\n" }
            o += "        }\n"
        }
        o += "    }\n\n    /// Granted devices.\n    enum Devices {\n"
        for d in v.devices {
            o += "        /// \"\(d.identifier)\": \(d.path)\n"
            o += "        static var \(d.swiftName): Device {\n"
            // The ranges after the first: at most 4 here (the header has them all).
            let more = d.regs.dropFirst().prefix(4).map { (hex($0.base), String($0.size)) }
                + Array(repeating: ("0", "0"), count: 4 - min(4, max(0, d.regs.count - 1)))
            let ranges = d.regs.count > 1 ? ", regCount: \(min(d.regs.count, 5)), more: (\(more.map { "(\($0.0), \($0.1))" }.joined(separator: ", ")))" : ""
            o += "            Device(address: \(hex(d.base)), size: \(d.size), irq: \(d.irqs.first.map { String($0) } ?? "nil"), irqCount: \(d.irqs.count), irqIndex: \(d.irqIndex)\(ranges))\n"
            o += "        }\n"
        }
        o += "    }\n}\n"
        return o
    }
}
