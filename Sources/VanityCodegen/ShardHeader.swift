import VanityDiagnostics
import VanityLayout
import VanityModel

/// `shards/<name>/vanity_shard.h`: everything one shard knows about itself.
/// The ring format comes from <vanity/ring.h>; this header only says where
/// each ring is and how it is shaped.
enum ShardHeader {
    static func render(_ sl: ShardLayout, in layout: Layout) -> String {
        let s = sl.shard
        let sys = layout.system
        var o = "/* \(Codegen.banner(layout, "header of shard \"\(s.name)\"")) */\n"
        o += "#ifndef VANITY_SHARD_H\n#define VANITY_SHARD_H\n\n"
        o += "#include <vanity/caps.h>\n#include <vanity/handles.h>\n\n"
        o += "#define VANITY_SYSTEM_NAME \"\(sys.name)\"\n"
        o += "#define VANITY_PLATFORM_NAME \"\(layout.platform.name)\"\n"
        o += "#define VANITY_KERNEL_BASE \(cHex(layout.platform.kernelBase))\n"
        o += "#define VANITY_SHARD_ID \(s.id)u\n"
        o += "#define VANITY_SHARD_NAME \"\(s.name)\"\n"
        let caps = s.caps.isEmpty ? "0u" : "(" + s.caps.map(\.cName).joined(separator: " | ") + ")"
        o += "#define VANITY_SHARD_CAPS \(caps)\n"
        o += "#define VANITY_SHARD_CORE \(s.cores.first ?? 0)u\n"
        for kind in [RegionKind.text, .rodata, .data, .stack, .heap] {
            let name = kind.rawValue.uppercased()
            let r = sl.region(kind)
            o += "#define VANITY_SHARD_\(name)_BASE \(cHex(r?.virt ?? 0))\n"
            o += "#define VANITY_SHARD_\(name)_SIZE \(cHex(r?.size ?? 0))\n"
        }
        o += "#define VANITY_SHARD_STACK_TOP \(cHex(sl.stackTop))\n"

        let channels = sys.channels(of: s.id)
        o += "\n/* Channels (\(channels.count)). */\n"
        for c in channels {
            guard let cl = layout.channels.first(where: { $0.channel.id == c.id }) else { continue }
            let m = "VANITY_CHANNEL_" + Ident.macro(c.name)
            let sending = c.from == s.id
            let peer = sys.shards[sending ? c.to : c.from].name
            o += "\n/* \"\(c.name)\": \(sending ? "sends to" : "receives from") \"\(peer)\", \(c.slots) slots of \(c.msgSize) bytes. */\n"
            o += "#define \(m)_ID \(c.id)u\n"
            o += "#define \(m)_ADDR \(cHex(cl.phys))\n"
            o += "#define \(m)_SIZE \(cHex(cl.size))\n"
            o += "#define \(m)_MSG_SIZE \(c.msgSize)u\n"
            o += "#define \(m)_SLOTS \(c.slots)u\n"
            o += "#define \(m)_DIRECTION \(sending ? "VANITY_DIR_SEND" : "VANITY_DIR_RECEIVE")\n"
            o += "static const struct vanity_channel vanity_channel_\(Ident.c(c.name)) = {\n"
            o += "    (struct vanity_ring *)\(m)_ADDR, \(m)_ID, \(m)_DIRECTION, \(sys.shards[sending ? c.to : c.from].id)u, \(c.notify ? 1 : 0)u,\n"
            o += "    \(m)_MSG_SIZE, \(m)_SLOTS};\n"
        }

        let devices = DeviceView.of(s)
        o += "\n/* Devices (\(devices.count)). */\n"
        for d in devices {
            let m = "VANITY_DEVICE_" + Ident.macro(d.identifier)
            o += "\n/* \"\(d.identifier)\": \(d.path) */\n"
            o += "#define \(m)_ADDR \(cHex(d.base))\n"
            o += "#define \(m)_SIZE \(cHex(d.size))\n"
            o += "#define \(m)_IRQ_COUNT \(d.irqs.count)u\n"
            for c in d.compatible { o += "#define \(m)_COMPAT_\(Ident.macro(c)) 1 /* \"\(c)\" */\n" }
            for (k, irq) in d.irqs.enumerated() { o += "#define \(m)_IRQ\(k == 0 ? "" : String(k)) \(irq)u\n" }
            if d.irqs.isEmpty { o += "#define \(m)_IRQ VANITY_NO_IRQ\n" }
            o += "static const struct vanity_device vanity_device_\(Ident.c(d.identifier)) = {\n"
            o += "    (uintptr_t)\(m)_ADDR, \(m)_SIZE, \(m)_IRQ, \(m)_IRQ_COUNT};\n"
        }
        o += "\n#endif\n"
        return o
    }
}

/// `shards/<name>/Shard.swift`: the typed view of the same facts for an
/// Embedded Swift shard (compiled with vanity_shard.h as its bridging header).
enum SwiftBindings {
    static func render(_ sl: ShardLayout, in layout: Layout) -> String {
        let s = sl.shard
        let sys = layout.system
        var o = "// \(Codegen.banner(layout, "bindings of shard \"\(s.name)\""))\n\n"
        o += "/// Shard \"\(s.name)\" (id \(s.id)) of \"\(sys.name)\" on \(layout.platform.name).\n"
        o += "enum Shard {\n"
        o += "    static let id: UInt16 = \(s.id)\n"
        o += "    static let name: StaticString = \"\(s.name)\"\n"
        o += "    static let stackTop: UInt = \(hex(sl.stackTop))\n"
        if let h = sl.region(.heap) {
            o += "    static let heap = UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: UInt(\(hex(h.virt))))!, count: \(h.size))\n"
        }
        o += "\n    /// Channel endpoints.\n    enum Channels {\n"
        for c in sys.channels(of: s.id) {
            guard let cl = layout.channels.first(where: { $0.channel.id == c.id }) else { continue }
            let sending = c.from == s.id
            let peer = sys.shards[sending ? c.to : c.from]
            let type = sending ? "Sender" : "Receiver"
            o += "        /// \"\(c.name)\": \(sending ? "sends to" : "receives from") \"\(peer.name)\", \(c.slots) slots of \(c.msgSize) bytes.\n"
            o += "        static var \(Ident.swift(c.name)): \(type) {\n"
            o += "            \(type)(address: \(hex(cl.phys)), id: \(c.id), peer: \(peer.id), msgSize: \(c.msgSize), slots: \(c.slots), notify: \(c.notify))\n"
            o += "        }\n"
        }
        o += "    }\n\n    /// Granted devices.\n    enum Devices {\n"
        for d in DeviceView.of(s) {
            o += "        /// \"\(d.identifier)\": \(d.path)\n"
            o += "        static var \(Ident.swift(d.identifier)): Device {\n"
            o += "            Device(address: \(hex(d.base)), size: \(d.size), irq: \(d.irqs.first.map { String($0) } ?? "nil"))\n"
            o += "        }\n"
        }
        o += "    }\n}\n"
        return o
    }
}
