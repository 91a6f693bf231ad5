import Foundation

/// What kind of machine a platform is. Everything that differs between a
/// board under QEMU and the hosted simulator is asked of this value, not of
/// the architecture.
public enum PlatformKind: Sendable, Equatable {
    /// A board: the kernel and every shard are placed in one bootable ELF
    /// image that QEMU loads; its one serial line carries the console and
    /// the debug link.
    case board
    /// The hosted simulator: the kernel is a host process (one thread per
    /// core) that starts every shard as a host executable; its debug link
    /// is a Unix-domain socket it listens on itself.
    case simulator

    /// Whether `vanity-build run` starts QEMU (and serves the debug link
    /// from the serial line) rather than the simulator's kernel.
    public var runsUnderQemu: Bool { self == .board }
}

extension Platform {
    public var kind: PlatformKind { architecture == .host ? .simulator : .board }

    /// The device-table names the simulator models in its kernel process
    /// (Platforms/sim/virtio_*.c): virtio-net behind libslirp, virtio-blk
    /// behind the `[run] disk` file.
    public static let simulatedDevices: Set<String> = ["net", "block"]

    /// Whether `vanity-build run` attaches a device behind the device-table
    /// name `alias` when a shard is granted it: on a board its
    /// `[qemu-devices]` entry, in the simulator its own device model.
    public func attachesDevice(_ alias: String) -> Bool {
        guard deviceTable.contains(where: { $0.name == alias }) else { return false }
        return kind == .simulator ? Self.simulatedDevices.contains(alias) : qemuDevices[alias] != nil
    }

    /// Whether the device behind `alias` is a disk (`[run] disk` is the file behind it).
    public func deviceIsDisk(_ alias: String) -> Bool {
        kind == .simulator ? alias == "block" && attachesDevice(alias) : qemuDevices[alias]?.contains { $0.contains("{disk}") } == true
    }
}

/// Where one platform's build of a system lives, and what a running system
/// uses there. The CLI, the driver and the tests share this one value.
public struct BuildPaths: Sendable, Equatable {
    /// `<out>/<platform>`, or by default `build/<system>/<platform>` in the
    /// manifest's folder (wherever the command runs from).
    public let directory: String

    /// `manifest`: the manifest's path as given (a relative one gives a relative folder).
    public init(system: String, platform: String, out: String?, manifest: String) {
        if let out {
            directory = (out as NSString).appendingPathComponent(platform)
        } else {
            let folder = (manifest as NSString).deletingLastPathComponent
            directory = (folder.isEmpty ? "" : folder + "/") + "build/\(system)/\(platform)"
        }
    }

    public init(directory: String) { self.directory = directory }

    /// The running system's debug link (the simulator listens on it; for a
    /// board `vanity-build run` serves it from the serial line).
    public var debugSocket: String { directory + "/debug.sock" }
    /// What runs and ran before, per shard (ReloadHistory).
    public var reloadFolder: String { directory + "/reload" }
    /// The build's reload key (32 random bytes, mode 0600).
    public var reloadKey: String { directory + "/reload.key" }
}
