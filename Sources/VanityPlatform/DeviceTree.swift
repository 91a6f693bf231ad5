import CFdt

/// A device tree read with libfdt: every node with a `reg` or `interrupts`
/// property, resolved to physical ranges and interrupt numbers.
public struct DeviceTree: Sendable {
    public var devices: [String: DeviceNode]
    /// Number of /cpus/cpu@* nodes.
    public var cpuCount: Int

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads a flattened device tree. Any malformed blob is an error, never
    /// a crash: the whole structure is validated by libfdt first.
    public static func read(_ bytes: [UInt8], irqDecoding: IrqDecoding) -> Result<DeviceTree, Failure> {
        guard bytes.count >= 40 else { return .failure(Failure(description: "the device tree is truncated (\(bytes.count) bytes)")) }
        return bytes.withUnsafeBytes { raw -> Result<DeviceTree, Failure> in
            let fdt = raw.baseAddress!
            let headerStatus = fdt_check_header(fdt)
            if headerStatus != 0 { return .failure(Failure(description: "not a valid device tree: " + errorString(headerStatus))) }
            if Int(vfdt_totalsize(fdt)) > bytes.count {
                return .failure(Failure(description: "the device tree is truncated: its header says \(vfdt_totalsize(fdt)) bytes, the file has \(bytes.count)"))
            }
            let full = fdt_check_full(fdt, bytes.count)
            if full != 0 { return .failure(Failure(description: "the device tree is corrupt: " + errorString(full))) }
            return Reader(fdt: fdt, irqDecoding: irqDecoding).readAll()
        }
    }

    static func errorString(_ code: Int32) -> String {
        String(cString: fdt_strerror(code))
    }
}

private struct Reader {
    let fdt: UnsafeRawPointer
    let irqDecoding: IrqDecoding

    struct NodeInfo {
        var path: String
        var parent: Int32
        var addressCells: Int
        var sizeCells: Int
    }

    func property(_ node: Int32, _ name: String) -> UnsafeRawBufferPointer? {
        var len: Int32 = 0
        guard let p = fdt_getprop(fdt, node, name, &len), len >= 0 else { return nil }
        return UnsafeRawBufferPointer(start: UnsafeRawPointer(p), count: Int(len))
    }

    func cells(_ node: Int32, _ name: String) -> [UInt32]? {
        guard let p = property(node, name) else { return nil }
        return stride(from: 0, to: p.count / 4 * 4, by: 4).map { vfdt_be32(p.baseAddress! + $0) }
    }

    func u32(_ node: Int32, _ name: String) -> UInt32? { cells(node, name)?.first }

    func strings(_ node: Int32, _ name: String) -> [String] {
        guard let p = property(node, name), p.count > 0 else { return [] }
        return p.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    static func number(_ cells: ArraySlice<UInt32>) -> UInt64 {
        cells.suffix(2).reduce(0) { ($0 << 32) | UInt64($1) }
    }

    func readAll() -> Result<DeviceTree, DeviceTree.Failure> {
        var infos: [Int32: NodeInfo] = [:]
        var stack: [(offset: Int32, depth: Int32)] = []
        var devices: [String: DeviceNode] = [:]
        var cpus = 0
        var depth: Int32 = 0
        var offset: Int32 = 0
        // The root.
        infos[0] = NodeInfo(path: "/", parent: -1, addressCells: Int(u32(0, "#address-cells") ?? 2),
                            sizeCells: Int(u32(0, "#size-cells") ?? 1))
        stack.append((0, 0))
        var ordered: [Int32] = []
        while true {
            offset = fdt_next_node(fdt, offset, &depth)
            if offset < 0 || depth < 0 { break }
            while let last = stack.last, last.depth >= depth { stack.removeLast() }
            guard let parent = stack.last else { break }
            var len: Int32 = 0
            let name = fdt_get_name(fdt, offset, &len).map { String(cString: $0) } ?? "?"
            let parentPath = infos[parent.offset]!.path
            let path = (parentPath == "/" ? "" : parentPath) + "/" + name
            infos[offset] = NodeInfo(path: path, parent: parent.offset,
                                     addressCells: Int(u32(offset, "#address-cells") ?? 2),
                                     sizeCells: Int(u32(offset, "#size-cells") ?? 1))
            stack.append((offset, depth))
            ordered.append(offset)
            if parentPath == "/cpus" && name.hasPrefix("cpu@") { cpus += 1 }
        }
        for node in ordered {
            let info = infos[node]!
            let parent = infos[info.parent]!
            var regs: [MemoryRange] = []
            if let reg = cells(node, "reg") {
                let ac = parent.addressCells, sc = parent.sizeCells
                if ac + sc > 0, ac <= 3, sc <= 2 {
                    var i = 0
                    while i + ac + sc <= reg.count {
                        let addr = Self.number(reg[i..<(i + ac)])
                        let size = Self.number(reg[(i + ac)..<(i + ac + sc)])
                        i += ac + sc
                        guard let phys = translate(addr, from: info.parent, infos: infos) else { continue }
                        regs.append(MemoryRange(base: phys, size: size))
                    }
                }
            }
            let irqs = interrupts(node, infos: infos)
            if !regs.isEmpty || !irqs.isEmpty {
                devices[info.path] = DeviceNode(path: info.path, compatible: strings(node, "compatible"), regs: regs, irqs: irqs)
            }
        }
        return .success(DeviceTree(devices: devices, cpuCount: cpus))
    }

    /// Translates a child-bus address through every `ranges` up to the root.
    /// An absent `ranges` means the bus is not memory-mapped (e.g. /cpus):
    /// nil. An empty one is the identity.
    func translate(_ address: UInt64, from bus: Int32, infos: [Int32: NodeInfo]) -> UInt64? {
        var addr = address
        var node = bus
        while node != 0 {
            let info = infos[node]!
            let parent = infos[info.parent]!
            guard let ranges = cells(node, "ranges") else { return nil }
            if !ranges.isEmpty {
                let ca = info.addressCells, pa = parent.addressCells, cs = info.sizeCells
                let entry = ca + pa + cs
                guard entry > 0 else { return nil }
                var found = false
                var i = 0
                while i + entry <= ranges.count {
                    let child = Self.number(ranges[i..<(i + ca)])
                    let parentAddr = Self.number(ranges[(i + ca)..<(i + ca + pa)])
                    let size = Self.number(ranges[(i + ca + pa)..<(i + entry)])
                    i += entry
                    if addr >= child && addr - child < size {
                        addr = parentAddr + (addr - child)
                        found = true
                        break
                    }
                }
                if !found { return nil }
            }
            node = info.parent
        }
        return addr
    }

    /// The interrupt parent's phandle target, following `interrupt-parent`
    /// up the tree.
    func interruptParent(_ node: Int32, infos: [Int32: NodeInfo]) -> Int32? {
        var n: Int32 = node
        while n >= 0 {
            if let ph = u32(n, "interrupt-parent") {
                let target = fdt_node_offset_by_phandle(fdt, ph)
                return target >= 0 ? target : nil
            }
            guard let info = infos[n], info.parent >= 0 else { return nil }
            n = info.parent
        }
        return nil
    }

    func interrupts(_ node: Int32, infos: [Int32: NodeInfo]) -> [UInt32] {
        guard let raw = cells(node, "interrupts"), !raw.isEmpty else { return [] }
        let controller = interruptParent(node, infos: infos)
        let width = Int(controller.flatMap { u32($0, "#interrupt-cells") } ?? (irqDecoding == .gic ? 3 : 1))
        guard width > 0 else { return [] }
        var out: [UInt32] = []
        var i = 0
        while i + width <= raw.count {
            let group = raw[i..<(i + width)]
            i += width
            switch irqDecoding {
            case .gic:
                guard width >= 2 else { out.append(group.first!); continue }
                let kind = group[group.startIndex], number = group[group.startIndex + 1]
                out.append(kind == 1 ? 16 + number : 32 + number)
            case .single:
                out.append(group.first!)
            }
        }
        return out
    }
}
