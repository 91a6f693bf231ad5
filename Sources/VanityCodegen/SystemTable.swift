import VanityDiagnostics
import VanityLayout
import VanityModel

/// `kernel/system_table.c`: the kernel's whole knowledge of this system, as
/// the `vanity_system` constant declared in <vanity/system_table.h>.
enum SystemTable {
    static func regions(_ name: String, _ rs: [Region]) -> String {
        var o = "static const struct vanity_region \(name)[] = {\n"
        for r in rs {
            let fields: KeyValuePairs = ["phys": C.hex(r.phys), "virt": C.hex(r.virt), "size": C.hex(r.size),
                                         "kind": r.kind.abi.name, "perms": C.bits(r.abiPerms.map(\.abi))]
            o += "    \(C.initializer(fields)), /* \(r.name) */\n"
        }
        return o + "};\n"
    }

    static func render(_ layout: Layout, buildID: [UInt8]) -> String {
        let sys = layout.system
        let shards = ShardView.all(layout)
        let channels = ChannelView.all(layout)
        var o = "/* \(Codegen.banner(layout, "system table")) */\n"
        o += "#include <vanity/abi.h>\n\n"
        o += regions("kernel_regions", layout.kernel) + "\n"

        for v in shards {
            o += "/* Shard \"\(v.name)\". */\n"
            o += regions("\(v.tablePrefix)_regions", v.placed.regions)
            if !v.endpoints.isEmpty {
                o += "static const uint16_t \(v.tablePrefix)_channels[] = {\(v.endpoints.map { "\($0.channel.id)" }.joined(separator: ", "))};\n"
            }
            if !v.irqs.isEmpty {
                o += "static const uint32_t \(v.tablePrefix)_irqs[] = {\(v.irqs.map { "\($0)u" }.joined(separator: ", "))};\n"
            }
            o += "\n"
        }

        if !channels.isEmpty {
            o += "static const struct vanity_channel_desc channels[] = {\n"
            for c in channels {
                let fromIndex = shards[c.from.id].index(of: c) ?? 0, toIndex = shards[c.to.id].index(of: c) ?? 0
                let fields: KeyValuePairs = ["name": "\"\(c.name)\"", "from": "\(c.from.id)", "to": "\(c.to.id)",
                                             "msg_size": "\(c.msgSize)", "slots": "\(c.slots)", "notify": "\(c.notify ? 1 : 0)",
                                             "from_index": "\(fromIndex)", "to_index": "\(toIndex)",
                                             "phys": C.hex(c.address), "size": C.hex(c.size)]
                o += "    \(C.initializer(fields)),\n"
            }
            o += "};\n\n"
        }
        let irqGrants = shards.flatMap { v in v.irqs.enumerated().map { (irq: $1, shard: v.id, core: v.core, index: $0) } }
        if !irqGrants.isEmpty {
            o += "static const struct vanity_irq_grant irqs[] = {\n"
            for g in irqGrants {
                o += "    \(C.initializer(["irq": "\(g.irq)u", "shard": "\(g.shard)", "core": "\(g.core)", "index": "\(g.index)"])),\n"
            }
            o += "};\n\n"
        }

        o += "static const struct vanity_shard_desc shards[] = {\n"
        for v in shards {
            let s = v.model
            let fields: KeyValuePairs = [
                "name": "\"\(s.name)\"",
                "id": "\(s.id)",
                "lang": s.lang.abi.name,
                "caps": C.bits(s.caps.map(\.abi)),
                "core_mask": C.hex(sys.contextMask(of: s.id)),
                "entry": C.hex(v.placed.entry),
                "stack_top": C.hex(v.placed.stackTop),
                "stack_stride": C.hex(v.placed.stackStride),
                "data_image": C.hex(v.placed.dataImage),
                "watchdog_ms": "\(v.watchdogMs)",
                "region_count": "\(v.placed.regions.count)",
                "regions": "\(v.tablePrefix)_regions",
                "channel_count": "\(v.endpoints.count)",
                "channels": v.endpoints.isEmpty ? "0" : "\(v.tablePrefix)_channels",
                "irq_count": "\(v.irqs.count)",
                "irqs": v.irqs.isEmpty ? "0" : "\(v.tablePrefix)_irqs",
                "policy": C.policy(v.policy),
                "reach": C.hex(s.reachMask),
            ]
            o += "    \(C.initializer(fields, indent: "    ")),\n"
        }
        o += "};\n\n"

        o += "static const struct vanity_context contexts[] = {\n"
        for ctx in sys.contexts {
            let sched = ctx.shard.flatMap { sys.shards[$0].schedule }
            var fields: KeyValuePairs<String, String> = ["cpu": "\(ctx.cpu)", "shard": ctx.shard.map { "\($0)" } ?? "VANITY_NO_SHARD"]
            if let sched {
                fields = ["cpu": "\(ctx.cpu)", "shard": ctx.shard.map { "\($0)" } ?? "VANITY_NO_SHARD", "scheduled": "1",
                          "priority": "\(sched.priority)", "budget_us": "\(sched.budgetUs)", "period_us": "\(sched.periodUs)"]
            }
            o += "    \(C.initializer(fields)),\n"
        }
        o += "};\n\n"

        o += "const struct vanity_system vanity_system = "
        o += C.initializer([
            "name": "\"\(sys.name)\"",
            "build_id": "{" + buildID.map { hex($0) }.joined(separator: ", ") + "}",
            "platform": "\"\(layout.platform.name)\"",
            "image_format": layout.platform.imageFormat.abi.name,
            "page_size": "\(layout.pageSize)",
            "kernel_core": "\(sys.kernelCore)",
            "ram_base": C.hex(layout.platform.ram.base),
            "ram_size": C.hex(layout.platform.ram.size),
            "kernel_stack_size": C.hex(sys.kernelStackSize),
            "cpu_count": "\(sys.cpuCount)",
            "context_count": "\(sys.contexts.count)",
            "contexts": "contexts",
            "kernel_region_count": "\(layout.kernel.count)",
            "kernel_regions": "kernel_regions",
            "shard_count": "\(layout.shards.count)",
            "shards": "shards",
            "channel_count": "\(channels.count)",
            "channels": channels.isEmpty ? "0" : "channels",
            "irq_count": "\(irqGrants.count)",
            "irqs": irqGrants.isEmpty ? "0" : "irqs",
        ], indent: "")
        o += ";\n"
        return o
    }
}
