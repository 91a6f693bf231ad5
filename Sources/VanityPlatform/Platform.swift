import VanityDiagnostics
import VanityManifest

/// The instruction set a platform runs; `host` is the simulator.
public enum Architecture: String, Sendable, CaseIterable {
    case aarch64, riscv64, x86_64, host
}

/// How a device tree node's `interrupts` cells map to interrupt numbers.
public enum IrqDecoding: String, Sendable {
    /// ARM GIC: 3 cells (type, number, flags); SPI → 32 + n, PPI → 16 + n.
    case gic
    /// One cell holding the interrupt number (RISC-V PLIC, x86 I/O APIC).
    case single
}

/// One device from the platform's device tree, resolved.
public struct DeviceNode: Hashable, Sendable {
    /// Full node path, e.g. "/pl031@9010000".
    public var path: String
    public var compatible: [String]
    /// `reg` ranges translated to physical addresses.
    public var regs: [MemoryRange]
    /// Interrupt numbers as the interrupt controller numbers them.
    public var irqs: [UInt32]

    public init(path: String, compatible: [String], regs: [MemoryRange], irqs: [UInt32]) {
        self.path = path
        self.compatible = compatible
        self.regs = regs
        self.irqs = irqs
    }
}

public struct MemoryRange: Hashable, Sendable {
    public var base: UInt64
    public var size: UInt64
    public init(base: UInt64, size: UInt64) {
        self.base = base
        self.size = size
    }
    public var end: UInt64 { base &+ size }
}

/// A friendly device name from the platform's device table.
public struct DeviceAlias: Hashable, Sendable {
    public var name: String
    public var path: String
    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}

/// The targets and flags shards are compiled with, and the build of the
/// shards' C library (picolibc, `Scripts/libc.sh`) they link.
public struct ShardToolchain: Sendable, Equatable {
    public var clangTarget: String
    public var swiftTarget: String
    public var cFlags: [String]
    public var swiftCFlags: [String]
    /// The folder name of the C library's build: build/third-party/picolibc/<libcTarget>.
    public var libcTarget: String

    public init(clangTarget: String, swiftTarget: String, cFlags: [String], swiftCFlags: [String], libcTarget: String) {
        self.clangTarget = clangTarget
        self.swiftTarget = swiftTarget
        self.cFlags = cFlags
        self.swiftCFlags = swiftCFlags
        self.libcTarget = libcTarget
    }
}

/// A platform as described by `Platforms/<name>/platform.toml` and its
/// device tree.
public struct Platform: Sendable {
    public var name: String
    public var architecture: Architecture
    /// RAM the system may use.
    public var ram: MemoryRange
    public var pageSize: UInt64
    /// Cores are numbered 0..<cpuLimit.
    public var cpuLimit: Int
    /// Where the kernel image is linked; the layout starts here.
    public var kernelBase: UInt64
    /// Argument vector for QEMU without the image (empty for `sim`).
    public var qemu: [String]
    /// clang `--target=` for C built for this platform.
    public var clangTarget: String
    /// swiftc `-target` for Embedded Swift built for this platform.
    public var swiftTarget: String
    /// Extra clang flags every C object for this platform needs.
    public var cFlags: [String]
    /// Clang flags (passed with -Xcc) for Embedded Swift built for this
    /// platform: the C view Swift imports must match the shard's C ABI.
    public var swiftCFlags: [String]
    /// How shards are compiled, where it differs from the kernel (the
    /// simulator's kernel is a host program; its shards are compiled like
    /// the x86_64 board's, against the same C library).
    public var shard: ShardToolchain
    /// Friendly names → device tree paths, in descriptor order.
    public var deviceTable: [DeviceAlias]
    /// Device tree paths the kernel keeps (console, interrupt controller):
    /// never granted to a shard.
    public var reserved: [String]
    /// Every node with a `reg` or `interrupts` property, by path. Empty for
    /// platforms without a device tree (`sim`).
    public var devices: [String: DeviceNode]
    /// Where the descriptor was read from (for diagnostics).
    public var descriptorPath: String
    /// `[qemu-devices]`: device-table name → the QEMU arguments that attach
    /// an emulated device there, added when a system grants it. `{forward}`
    /// stands for the `hostfwd` options of the system's forwarded ports.
    public var qemuDevices: [String: [String]] = [:]
    /// `region-cache`: the `cache` modes a shared region may ask for here
    /// ("normal" always; "uncached" where the kernel maps it so).
    public var cacheModes: [CacheMode] = [.normal]

    public init(name: String, architecture: Architecture, ram: MemoryRange, pageSize: UInt64, cpuLimit: Int,
                kernelBase: UInt64, qemu: [String], clangTarget: String, swiftTarget: String, cFlags: [String], swiftCFlags: [String] = [],
                deviceTable: [DeviceAlias], reserved: [String], devices: [String: DeviceNode],
                descriptorPath: String) {
        self.name = name
        self.architecture = architecture
        self.ram = ram
        self.pageSize = pageSize
        self.cpuLimit = cpuLimit
        self.kernelBase = kernelBase
        self.qemu = qemu
        self.clangTarget = clangTarget
        self.swiftTarget = swiftTarget
        self.cFlags = cFlags
        self.swiftCFlags = swiftCFlags
        self.shard = ShardToolchain(clangTarget: clangTarget, swiftTarget: swiftTarget, cFlags: cFlags, swiftCFlags: swiftCFlags,
                                    libcTarget: clangTarget)
        self.deviceTable = deviceTable
        self.reserved = reserved
        self.devices = devices
        self.descriptorPath = descriptorPath
    }

    /// Resolves a manifest device reference: a friendly name from the device
    /// table, or a device tree node path.
    public func device(named ref: String) -> DeviceNode? {
        if let alias = deviceTable.first(where: { $0.name == ref }) { return devices[alias.path] }
        return devices[ref]
    }
}
