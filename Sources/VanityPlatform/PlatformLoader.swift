import Foundation
import VanityABI
import VanityDiagnostics
import VanityManifest

/// Reads `Platforms/<name>/platform.toml` and its device tree.
public enum PlatformLoader {
    public static let descriptorName = "platform.toml"
    public static let platformKeys = ["architecture", "ram", "page-size", "cpu-limit", "kernel-base", "clang-target",
                                      "swift-target", "c-flags", "swift-c-flags", "shard-clang-target", "shard-swift-target", "shard-c-flags",
                                      "shard-swift-c-flags", "libc-target", "qemu", "device-tree", "irq-decoding", "reserved", "region-cache"]

    /// The device tree file named by a descriptor, if any, without checking
    /// anything else (the shell reads it before calling `parse`).
    public static func deviceTreeName(descriptor: String, file: String) -> String? {
        guard case .success(let root) = Toml.parse(descriptor, file: file),
              case .string(let s)? = root["platform"]?["device-tree"]?.value else { return nil }
        return s
    }

    /// Pure core: a descriptor's text and its device tree's bytes (nil when
    /// it has none or it could not be read) → a platform, or every problem.
    public static func parse(descriptor: String, file: String, name: String, deviceTree: [UInt8]?) -> Result<Platform, DiagnosticError> {
        var d = DiagnosticBag()
        let root: TomlNode
        switch Toml.parse(descriptor, file: file) {
        case .success(let r): root = r
        case .failure(.syntax(let diag)): return .failure(DiagnosticError([diag]))
        }
        let top = TableReader(root, context: "the platform descriptor", diagnostics: &d)!
        top.checkKeys(["platform", "devices", "qemu-devices"], diagnostics: &d)
        guard let t = top.table("platform", context: "[platform]", required: true, diagnostics: &d) else {
            return .failure(DiagnosticError(d.sorted))
        }
        t.checkKeys(platformKeys, diagnostics: &d)
        let arch = t.choice("architecture", Architecture.allCases.map(\.rawValue), what: "architecture", required: true, diagnostics: &d)
        var ram: MemoryRange?
        if let r = t.table("ram", context: "\"ram\" of [platform]", required: true, diagnostics: &d) {
            r.checkKeys(["base", "size"], diagnostics: &d)
            let base = r.integer("base", in: 0...Int64.max, required: true, diagnostics: &d)
            let size = r.size("size", required: true, diagnostics: &d)
            if let base, let size {
                if size.value == 0 { d.error(size.location, "\"size\" of \"ram\" must not be zero") }
                ram = MemoryRange(base: UInt64(base.value), size: size.value)
            }
        }
        let page = t.integer("page-size", in: 1...(1 << 30), required: true, diagnostics: &d)
        if let p = page, p.value & (p.value - 1) != 0 || p.value < 4096 {
            d.error(p.location, "\"page-size\" must be a power of two of at least 4096, not \(p.value)")
        }
        let cpus = t.integer("cpu-limit", in: 1...Int64(VANITY_MAX_CORES), required: true, diagnostics: &d)
        let kernelBase = t.integer("kernel-base", in: 0...Int64.max, required: true, diagnostics: &d)
        if let kb = kernelBase, let ram, let page {
            let v = UInt64(kb.value)
            if v < ram.base || v >= ram.end {
                d.error(kb.location, "\"kernel-base\" \(hex(v)) is outside the RAM (\(hex(ram.base))...\(hex(ram.end - 1)))")
            } else if v % UInt64(page.value) != 0 {
                d.error(kb.location, "\"kernel-base\" \(hex(v)) is not aligned to the page size (\(page.value))")
            }
        }
        let clang = t.string("clang-target", required: true, diagnostics: &d)
        let swift = t.string("swift-target", required: true, diagnostics: &d)
        let cflags = t.strings("c-flags", diagnostics: &d)?.value.map(\.value) ?? []
        let swiftCFlags = t.strings("swift-c-flags", diagnostics: &d)?.value.map(\.value) ?? []
        let shardClang = t.string("shard-clang-target", diagnostics: &d)?.value
        let shardSwift = t.string("shard-swift-target", diagnostics: &d)?.value
        let shardCFlags = t.strings("shard-c-flags", diagnostics: &d)?.value.map(\.value)
        let shardSwiftCFlags = t.strings("shard-swift-c-flags", diagnostics: &d)?.value.map(\.value)
        let libcTarget = t.string("libc-target", diagnostics: &d)?.value
        let qemu = t.strings("qemu", diagnostics: &d)?.value.map(\.value) ?? []
        let dtName = t.string("device-tree", diagnostics: &d)
        let irq = t.choice("irq-decoding", ["gic", "single"], what: "irq decoding", diagnostics: &d)
        let irqDecoding = irq.flatMap { IrqDecoding(rawValue: $0.value) } ?? .single
        let reserved = t.strings("reserved", diagnostics: &d)?.value ?? []
        var cacheModes: [CacheMode] = [.normal]
        if let list = t.strings("region-cache", diagnostics: &d) {
            cacheModes = []
            for m in list.value {
                guard let mode = CacheMode(rawValue: m.value) else {
                    let valid = CacheMode.allCases.map(\.rawValue)
                    let hint = didYouMean(m.value, among: valid).map { "did you mean \"\($0)\"? " } ?? ""
                    d.error(m.location, "\"region-cache\" lists \"\(m.value)\"; \(hint)use \(humanList(valid, conjunction: "and"))")
                    continue
                }
                if !cacheModes.contains(mode) { cacheModes.append(mode) }
            }
            if !list.value.contains(where: { $0.value == CacheMode.normal.rawValue }) {
                d.error(list.location, "\"region-cache\" must list \"normal\" (every platform maps memory write-back cached)")
            }
        }

        var devices: [String: DeviceNode] = [:]
        if let dtName {
            if let bytes = deviceTree {
                switch DeviceTree.read(bytes, irqDecoding: irqDecoding) {
                case .success(let tree):
                    devices = tree.devices
                    if let cpus, tree.cpuCount > 0, tree.cpuCount < Int(cpus.value) {
                        d.warning(cpus.location, "\"cpu-limit\" is \(cpus.value) but \(dtName.value) describes only \(tree.cpuCount) CPUs")
                    }
                case .failure(let f):
                    d.error(dtName.location, "cannot use the device tree \"\(dtName.value)\": \(f.description)")
                }
            } else {
                d.error(dtName.location, "cannot read the device tree \"\(dtName.value)\"")
            }
        }
        let paths = Set(devices.keys)
        func checkPath(_ p: Located<String>, _ what: String) {
            guard dtName != nil, deviceTree != nil, !devices.isEmpty, !paths.contains(p.value) else { return }
            let hint = didYouMean(p.value, among: paths.sorted()).map { "; did you mean \"\($0)\"?" } ?? ""
            d.error(p.location, "\(what) \"\(p.value)\" is not a device in the device tree\(hint)")
        }
        for r in reserved { checkPath(r, "reserved path") }
        var table: [DeviceAlias] = []
        if let devs = top.table("devices", context: "[devices]", diagnostics: &d) {
            for (key, node) in devs.node.entries {
                guard case .string(let path) = node.value else {
                    d.error(node.location, "device \"\(key)\" in [devices] must be a device tree path string, not \(node.typeDescription)")
                    continue
                }
                if !isValidName(key) {
                    d.error(node.keyLocation, "device name \"\(key)\" is not valid: use lower-case letters, digits and '-', starting with a letter")
                }
                checkPath(Located(path, at: node.location), "device \"\(key)\" names")
                table.append(DeviceAlias(name: key, path: path))
            }
        }
        var qemuDevices: [String: [String]] = [:]
        if let q = top.table("qemu-devices", context: "[qemu-devices]", diagnostics: &d) {
            for (key, node) in q.node.entries {
                guard table.contains(where: { $0.name == key }) else {
                    d.error(node.keyLocation, "[qemu-devices] names \"\(key)\", which is not in [devices]")
                    continue
                }
                qemuDevices[key] = q.strings(key, diagnostics: &d)?.value.map(\.value)
            }
        }
        if d.hasErrors { return .failure(DiagnosticError(d.sorted)) }
        var platform = Platform(
            name: name, architecture: Architecture(rawValue: arch!.value)!, ram: ram!, pageSize: UInt64(page!.value),
            cpuLimit: Int(cpus!.value), kernelBase: UInt64(kernelBase!.value), qemu: qemu, clangTarget: clang!.value,
            swiftTarget: swift!.value, cFlags: cflags, swiftCFlags: swiftCFlags, deviceTable: table, reserved: reserved.map(\.value),
            devices: devices, descriptorPath: file)
        // Shards are compiled like the kernel unless the descriptor says otherwise.
        let shardTarget = shardClang ?? clang!.value
        platform.shard = ShardToolchain(clangTarget: shardTarget, swiftTarget: shardSwift ?? swift!.value,
                                        cFlags: shardCFlags ?? cflags, swiftCFlags: shardSwiftCFlags ?? swiftCFlags,
                                        libcTarget: libcTarget ?? shardTarget)
        platform.qemuDevices = qemuDevices
        platform.cacheModes = cacheModes
        return .success(platform)
    }

    /// Reads one platform folder.
    public static func load(directory: String) -> Result<Platform, DiagnosticError> {
        let dir = URL(fileURLWithPath: directory)
        let file = dir.appendingPathComponent(descriptorName).path
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            return .failure(DiagnosticError([.error(.unknown(file), "cannot read the platform descriptor")]))
        }
        var dtb: [UInt8]?
        if let name = deviceTreeName(descriptor: text, file: file),
           let bytes = FileManager.default.contents(atPath: dir.appendingPathComponent(name).path) {
            dtb = [UInt8](bytes)
        }
        return parse(descriptor: text, file: file, name: dir.lastPathComponent, deviceTree: dtb)
    }

    /// Every subfolder of `platformsDirectory` with a platform.toml, sorted
    /// by name.
    public static func loadAll(platformsDirectory: String) -> (platforms: [Platform], diagnostics: [Diagnostic]) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: platformsDirectory) else {
            return ([], [.error(.unknown(platformsDirectory), "cannot read the platforms folder")])
        }
        var platforms: [Platform] = []
        var diags: [Diagnostic] = []
        for name in names.sorted() {
            let dir = (platformsDirectory as NSString).appendingPathComponent(name)
            guard fm.fileExists(atPath: (dir as NSString).appendingPathComponent(descriptorName)) else { continue }
            switch load(directory: dir) {
            case .success(let p): platforms.append(p)
            case .failure(let e): diags += e.diagnostics
            }
        }
        return (platforms, diags)
    }
}

