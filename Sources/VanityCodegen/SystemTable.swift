import VanityDiagnostics
import VanityLayout
import VanityManifest
import VanityModel

/// `kernel/system_table.c`: the kernel's whole knowledge of this system, as
/// the `vanity_system` constant declared in <vanity/system_table.h>.
enum SystemTable {
    static func permBits(_ r: Region) -> String {
        var parts: [String] = []
        if r.perms.read { parts.append("VANITY_PERM_R") }
        if r.perms.write { parts.append("VANITY_PERM_W") }
        if r.perms.execute { parts.append("VANITY_PERM_X") }
        if r.kind == .device { parts.append("VANITY_PERM_DEVICE") }
        return parts.isEmpty ? "0" : parts.joined(separator: " | ")
    }

    static func regions(_ name: String, _ rs: [Region]) -> String {
        var o = "static const struct vanity_region \(name)[] = {\n"
        for r in rs {
            o += "    {\(cHex(r.phys)), \(cHex(r.virt)), \(cHex(r.size)), \(r.kind.cName), \(permBits(r))}, /* \(r.name) */\n"
        }
        return o + "};\n"
    }

    static func policyName(_ k: PolicyKind) -> String { "VANITY_POLICY_" + k.rawValue.uppercased() }

    static func render(_ layout: Layout, buildID: [UInt8]) -> String {
        let sys = layout.system
        var o = "/* \(Codegen.banner(layout, "system table")) */\n"
        o += "#include <vanity/abi.h>\n\n"
        o += regions("kernel_regions", layout.kernel) + "\n"

        var irqGrants: [(irq: UInt32, shard: Int, core: Int)] = []
        for sl in layout.shards {
            let s = sl.shard
            let id = Ident.c(s.name)
            o += "/* Shard \"\(s.name)\". */\n"
            o += regions("shard_\(id)_regions", sl.regions)
            let chans = sys.channels(of: s.id)
            if !chans.isEmpty {
                o += "static const uint16_t shard_\(id)_channels[] = {\(chans.map { "\($0.id)" }.joined(separator: ", "))};\n"
            }
            let irqs = s.devices.flatMap(\.node.irqs)
            if !irqs.isEmpty {
                o += "static const uint32_t shard_\(id)_irqs[] = {\(irqs.map { "\($0)u" }.joined(separator: ", "))};\n"
            }
            for irq in irqs { irqGrants.append((irq, s.id, s.cores.first ?? 0)) }
            o += "\n"
        }

        if !layout.channels.isEmpty {
            o += "static const struct vanity_channel_desc channels[] = {\n"
            for cl in layout.channels {
                let c = cl.channel
                o += "    {.name = \"\(c.name)\", .from = \(c.from), .to = \(c.to), .msg_size = \(c.msgSize), .slots = \(c.slots), "
                o += ".notify = \(c.notify ? 1 : 0), .phys = \(cHex(cl.phys)), .size = \(cHex(cl.size))},\n"
            }
            o += "};\n\n"
        }
        if !irqGrants.isEmpty {
            o += "static const struct vanity_irq_grant irqs[] = {\n"
            for g in irqGrants { o += "    {.irq = \(g.irq)u, .shard = \(g.shard), .core = \(g.core)},\n" }
            o += "};\n\n"
        }

        o += "static const struct vanity_shard_desc shards[] = {\n"
        for sl in layout.shards {
            let s = sl.shard
            let id = Ident.c(s.name)
            let chans = sys.channels(of: s.id).count
            let irqs = s.devices.flatMap(\.node.irqs).count
            let caps = s.caps.isEmpty ? "0" : s.caps.map(\.cName).joined(separator: " | ")
            o += "    {\n"
            o += "        .name = \"\(s.name)\",\n"
            o += "        .id = \(s.id),\n"
            o += "        .lang = \(s.lang == .swift ? 1 : 0),\n"
            o += "        .caps = \(caps),\n"
            o += "        .core_mask = \(cHex(s.coreMask)),\n"
            o += "        .entry = \(cHex(sl.entry)),\n"
            o += "        .stack_top = \(cHex(sl.stackTop)),\n"
            o += "        .data_image = \(cHex(sl.dataImage)),\n"
            o += "        .watchdog_ms = \(s.watchdogMs),\n"
            o += "        .region_count = \(sl.regions.count),\n"
            o += "        .regions = shard_\(id)_regions,\n"
            o += "        .channel_count = \(chans),\n"
            o += "        .channels = \(chans == 0 ? "0" : "shard_\(id)_channels"),\n"
            o += "        .irq_count = \(irqs),\n"
            o += "        .irqs = \(irqs == 0 ? "0" : "shard_\(id)_irqs"),\n"
            let to = s.policy.propagateTo.map { "\($0)" } ?? "VANITY_NO_SHARD"
            o += "        .policy = {\(policyName(s.policy.kind)), \(s.policy.maxRestarts), \(s.policy.minRunMs), \(to), 0},\n"
            o += "    },\n"
        }
        o += "};\n\n"

        o += "const struct vanity_system vanity_system = {\n"
        o += "    .name = \"\(sys.name)\",\n"
        o += "    .build_id = {" + buildID.map { hex($0) }.joined(separator: ", ") + "},\n"
        o += "    .platform = \"\(layout.platform.name)\",\n"
        o += "    .image_format = \(layout.platform.architecture == .host ? "VANITY_IMAGE_HOST_EXECUTABLE" : "VANITY_IMAGE_SEGMENTS"),\n"
        o += "    .page_size = \(layout.pageSize),\n"
        o += "    .kernel_core = \(sys.kernelCore),\n"
        o += "    .ram_base = \(cHex(layout.platform.ram.base)),\n"
        o += "    .ram_size = \(cHex(layout.platform.ram.size)),\n"
        o += "    .kernel_stack_size = \(cHex(sys.kernelStackSize)),\n"
        o += "    .cpu_count = \(sys.cpuCount),\n"
        o += "    .kernel_region_count = \(layout.kernel.count),\n"
        o += "    .kernel_regions = kernel_regions,\n"
        o += "    .shard_count = \(layout.shards.count),\n"
        o += "    .shards = shards,\n"
        o += "    .channel_count = \(layout.channels.count),\n"
        o += "    .channels = \(layout.channels.isEmpty ? "0" : "channels"),\n"
        o += "    .irq_count = \(irqGrants.count),\n"
        o += "    .irqs = \(irqGrants.isEmpty ? "0" : "irqs"),\n"
        o += "};\n"
        return o
    }
}
