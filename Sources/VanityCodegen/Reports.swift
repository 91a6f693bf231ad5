import VanityDiagnostics
import VanityLayout
import VanityModel

/// `layout.txt`: the memory map a person reads.
public enum LayoutText {
    public static func render(_ layout: Layout) -> String {
        let p = layout.platform
        let sys = layout.system
        let used = layout.ramUsedEnd - p.kernelBase
        var o = "\(sys.name) on \(p.name) (\(p.architecture.rawValue)): RAM \(hex(p.ram.base))..\(hex(p.ram.end)) (\(formatBytes(p.ram.size))), page \(formatBytes(layout.pageSize))\n"
        o += "uses \(formatBytes(used)) from the kernel base \(hex(p.kernelBase)); \(sys.shards.count) shard(s), \(sys.channels.count) channel(s), "
        o += sys.regions.isEmpty ? "" : "\(sys.regions.count) shared region(s), "
        o += "\(sys.cpuCount) core(s)\n\n"
        let rows = layout.regions.map { r in
            [r.owner, r.kind.rawValue, r.name, "\(hex(r.phys))..\(hex(r.end))", formatBytes(r.size), r.perms.description
                + (r.kind == .device ? " device" : "")]
        }
        let header = ["owner", "kind", "name", "address", "size", "perms"]
        var widths = header.map(\.count)
        for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                i == 4 ? String(repeating: " ", count: widths[i] - c.count) + c  // sizes right-aligned
                    : c + String(repeating: " ", count: widths[i] - c.count)
            }.joined(separator: "  ").replacingTrailingSpaces() + "\n"
        }
        o += line(header)
        for row in rows { o += line(row) }
        if !layout.channels.isEmpty {
            o += "\nchannels\n"
            for cl in layout.channels {
                let c = cl.channel
                o += "  \(c.name): \(sys.shards[c.from].name) → \(sys.shards[c.to].name), \(c.slots) × \(c.msgSize) B at \(hex(cl.phys)) (\(formatBytes(cl.size)))\(c.notify ? "" : ", no notify")\n"
            }
        }
        let shared = SharedRegionView.all(layout)
        if !shared.isEmpty {
            o += "\nshared regions\n"
            for r in shared {
                o += "  \(r.name): \(formatBytes(r.size)) at \(hex(r.address))\(r.traits.map { ", " + $0 }.joined()), mapped by \(r.mapSummary)\n"
            }
        }
        let grants = sys.shards.flatMap { s in s.devices.map { (s, $0) } }
        if !grants.isEmpty {
            o += "\ndevices\n"
            for (s, g) in grants {
                let irqs = g.node.irqs.isEmpty ? "no irq" : "irq " + g.node.irqs.map { "\($0)" }.joined(separator: ", ")
                let regs = g.node.regs.map { "\(hex($0.base))+\(hex($0.size))" }.joined(separator: ", ")
                o += "  \(g.identifier) (\(g.node.path)) → \(s.name): \(regs), \(irqs)\n"
            }
        }
        return o
    }
}

extension String {
    func replacingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}

/// `layout.json` (docs/layout-json.md). Keys in a fixed order, one region per
/// line, integers for addresses and sizes.
public enum LayoutJSON {
    static func string(_ s: String) -> String {
        var o = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": o += "\\\""
            case "\\": o += "\\\\"
            case "\n": o += "\\n"
            case "\t": o += "\\t"
            case "\r": o += "\\r"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    o += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    o.unicodeScalars.append(u)
                }
            }
        }
        return o + "\""
    }

    public static func render(_ layout: Layout) -> String {
        var o = "{\n"
        o += "  \"system\": \(string(layout.system.name)),\n"
        o += "  \"platform\": \(string(layout.platform.name)),\n"
        o += "  \"page-size\": \(layout.pageSize),\n"
        o += "  \"ram\": { \"base\": \(layout.platform.ram.base), \"size\": \(layout.platform.ram.size) },\n"
        o += "  \"regions\": [\n"
        let rs = layout.regions
        for (i, r) in rs.enumerated() {
            o += "    { \"owner\": \(string(r.owner)), \"kind\": \(string(r.kind.rawValue)), \"name\": \(string(r.name)), "
            o += "\"phys\": \(r.phys), \"virt\": \(r.virt), \"size\": \(r.size), \"perms\": \(string(r.perms.description)) }"
            o += i == rs.count - 1 ? "\n" : ",\n"
        }
        o += "  ]"
        // Each shared region once, with who maps it (docs/layout-json.md).
        let shared = SharedRegionView.all(layout)
        if !shared.isEmpty {
            o += ",\n  \"shared\": [\n"
            for (i, r) in shared.enumerated() {
                let map = r.mappers.map { "\(string($0.shard.name)): \(string($0.writable ? "rw" : "r"))" }.joined(separator: ", ")
                o += "    { \"name\": \(string(r.name)), \"phys\": \(r.address), \"virt\": \(r.address), \"size\": \(r.size), "
                o += "\"dma\": \(r.dma), \"cache\": \(string(r.cache.rawValue)), \"map\": { \(map) } }"
                o += i == shared.count - 1 ? "\n" : ",\n"
            }
            o += "  ]"
        }
        o += "\n}\n"
        return o
    }
}

/// `memory-map.svg`: one bar per physical region in address order (a
/// channel once), coloured by owner, labelled with address, name and size.
enum MemoryMapSVG {
    static let palette = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac"]

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func render(_ layout: Layout) -> String {
        var seen = Set<UInt64>()
        var rows: [Region] = []
        for r in layout.regions.sorted(by: { ($0.phys, $0.owner) < ($1.phys, $1.owner) }) where seen.insert(r.phys).inserted {
            rows.append(r)
        }
        let owners = ["kernel"] + layout.shards.map(\.shard.name)
        let shared = Dictionary(SharedRegionView.all(layout).map { r in
            (r.name, r.traits.map { $0 + ", " }.joined() + r.mappers.map { "\($0.shard.name) \($0.writable ? "rw" : "r")" }.joined(separator: ", "))
        }, uniquingKeysWith: { a, _ in a })
        let rowH = 18, top = 40, width = 720
        let height = top + rows.count * rowH + 20
        var o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        o += "<!-- \(escape(Codegen.banner(layout, "memory map"))) -->\n"
        o += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-family=\"monospace\" font-size=\"12\">\n"
        o += "  <text x=\"10\" y=\"20\" font-size=\"14\">\(escape(layout.system.name)) on \(escape(layout.platform.name)): \(rows.count) regions</text>\n"
        for (i, r) in rows.enumerated() {
            let y = top + i * rowH
            let colour: String
            if r.kind == .channel { colour = "#e15759" } else if r.kind == .shared { colour = "#17becf" } else if r.kind == .guard { colour = "#dddddd" } else {
                colour = palette[(owners.firstIndex(of: r.owner) ?? 0) % palette.count]
            }
            let owner = r.kind == .channel ? "channel" : r.kind == .shared ? "shared" : r.owner
            o += "  <rect x=\"150\" y=\"\(y)\" width=\"220\" height=\"\(rowH - 2)\" fill=\"\(colour)\"/>\n"
            o += "  <text x=\"10\" y=\"\(y + 13)\">\(hex(r.phys))</text>\n"
            o += "  <text x=\"155\" y=\"\(y + 13)\" fill=\"#ffffff\">\(escape(owner)) \(escape(r.name))</text>\n"
            // A shared region's row says who maps it; its perms differ per shard.
            let detail = r.kind == .shared ? (shared[r.name].map { " " + $0 } ?? "") : " \(r.perms)\(r.kind == .device ? " device" : "")"
            o += "  <text x=\"380\" y=\"\(y + 13)\">\(escape(formatBytes(r.size)))\(escape(detail))</text>\n"
        }
        o += "</svg>\n"
        return o
    }
}

/// `topology.dot`: shards, channels and devices as a Graphviz graph.
enum TopologyDOT {
    static func quote(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static func render(_ layout: Layout) -> String {
        let sys = layout.system
        var o = "// \(Codegen.banner(layout, "channel topology"))\n"
        o += "digraph \(quote(sys.name)) {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"monospace\"];\n"
        for s in sys.shards {
            let cores = s.cores.map { "\($0)" }.joined(separator: ",")
            o += "  \(quote(s.name)) [label=\(quote("\(s.name)\n\(s.lang.rawValue), core \(cores)\n\(s.policy.kind.rawValue)"))];\n"
        }
        for c in sys.channels {
            o += "  \(quote(sys.shards[c.from].name)) -> \(quote(sys.shards[c.to].name)) [label=\(quote("\(c.name)\n\(c.slots) × \(c.msgSize) B"))\(c.notify ? "" : ", style=dashed")];\n"
        }
        for r in SharedRegionView.all(layout) {
            o += "  \(quote("region:" + r.name)) [shape=cylinder, label=\(quote("\(r.name)\n\(formatBytes(r.size))\(r.traits.map { ", " + $0 }.joined())"))];\n"
            for m in r.mappers {
                o += "  \(quote("region:" + r.name)) -> \(quote(m.shard.name)) [label=\(quote(m.writable ? "rw" : "r")), dir=\(m.writable ? "both" : "forward"), style=dotted];\n"
            }
        }
        for s in sys.shards {
            for g in s.devices {
                let irqs = g.node.irqs.isEmpty ? "" : "\nirq " + g.node.irqs.map { "\($0)" }.joined(separator: ",")
                o += "  \(quote("dev:" + g.node.path)) [shape=component, label=\(quote("\(g.identifier)\n\(g.node.path)\(irqs)"))];\n"
                o += "  \(quote("dev:" + g.node.path)) -> \(quote(s.name)) [dir=both, style=dotted];\n"
            }
        }
        o += "}\n"
        return o
    }
}
