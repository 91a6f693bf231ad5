import Foundation
import VanityDebug
import VanityModel
import VanityLayout
import VanityPlatform

/// How `vanity-build run` starts a built system: the platform's kind says
/// what runs (QEMU or the simulator's kernel) and where its link is.
public struct RunPlan: Sendable {
    /// The command line, tool first ("qemu-system-aarch64", or the simulator's kernel).
    public var argv: [String]
    public var environment: [String: String]
    /// QEMU's serial line carries console and link: run it through LinkServer.
    public var servesLink: Bool
    public var paths: BuildPaths
    public var platform: Platform
    /// Names where a shard faulted in the console's fault lines (nil: the console as it is).
    public var faults: FaultAnnotator?

    /// The simulator's deterministic mode (GUIDE: seeded scheduling and fault injection).
    public struct Deterministic: Sendable {
        public var seed: UInt64
        public var inject: String?
        public var rate: Int?
        public var trace: String?
        public init(seed: UInt64, inject: String?, rate: Int?, trace: String?) {
            (self.seed, self.inject, self.rate, self.trace) = (seed, inject, rate, trace)
        }
    }

    /// `hostPorts`: the host port of each of the system's forwarded ports (`HostPorts.choose`).
    public init(layout: Layout, image: PlatformImage, paths: BuildPaths, gdb: Bool = false, deterministic: Deterministic? = nil,
                hostPorts: [UInt16] = [], disk: String? = nil) {
        platform = layout.platform
        self.paths = paths
        faults = FaultAnnotator(bootELFs: Dictionary(zip(layout.shards.map(\.shard.name), image.shardELFs), uniquingKeysWith: { a, _ in a }),
                                history: ReloadHistory(folder: paths.reloadFolder))
        var env: [String: String] = [:]
        switch layout.platform.kind {
        case .simulator:
            argv = [image.image] + image.shardELFs
            env["VANITY_SIM_DEBUG_SOCKET"] = paths.debugSocket
            // The simulator's device models: the file behind `block`, the ports `net` forwards.
            if let disk { env["VANITY_SIM_DISK"] = disk }
            let forwards = zip(layout.system.forwards, hostPorts).map { f, h in "\(f.transport.rawValue):\(h):\(f.guest)@\(f.address)" }
            if !forwards.isEmpty { env["VANITY_SIM_FORWARD"] = forwards.joined(separator: ",") }
            servesLink = false
        case .board:
            argv = QemuCommand.arguments(layout.platform, cpus: layout.system.cpuCount, image: image.image, gdb: gdb)
                + QemuCommand.deviceArguments(layout.system, hostPorts: hostPorts, disk: disk)
            servesLink = !gdb
        }
        if let d = deterministic {
            env["VANITY_SIM_SEED"] = String(d.seed)
            if let inject = d.inject { env["VANITY_SIM_INJECT"] = inject }
            if let rate = d.rate { env["VANITY_SIM_RATE"] = String(rate) }
            if let trace = d.trace { env["VANITY_SIM_TRACE"] = trace }
        }
        environment = env
    }

    /// Runs it to the end; returns the system's exit status (124 on timeout).
    public func run(timeout: Double?) -> Int32 {
        let platform = self.platform
        let status: (Int32) -> Int32 = { platform.kind == .simulator ? $0 : QemuCommand.systemStatus(platform, qemu: $0) }
        guard servesLink else {
            // The simulator's kernel and its shards form one process group that ending the run ends.
            return QemuCommand.run(argv, timeout: timeout, environment: environment, newGroup: platform.kind == .simulator,
                                   console: faults?.console, exitStatus: status)
        }
        // The one serial line carries the console and the debug link.
        let args = Array(argv.dropFirst()).filter { $0 != "-nographic" } + ["-display", "none", "-monitor", "none", "-serial", "stdio"]
        guard let ending = LinkServer.run(executable: QemuCommand.find(argv[0]), arguments: args, socketPath: paths.debugSocket, timeout: timeout,
                                          console: faults?.console, started: { QemuCommand.yieldToDevices(pid: $0, cpus: QemuCommand.cpus(args)) })
        else { return 69 }
        return QemuCommand.ended(ending, timeout: timeout, exitStatus: status)
    }
}

/// Host ports for a system's forwarded ports: the manifest's, or a free one
/// on 127.0.0.1 the kernel hands out (free when asked: QEMU binds it a moment later).
public enum HostPorts {
    public static func choose(_ forwards: [PortForward]) -> [UInt16] {
        forwards.map { f in f.host ?? free(f.transport) }
    }

    static func free(_ transport: PortForward.Transport) -> UInt16 {
        let fd = socket(AF_INET, Int32(transport == .udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        return ok ? UInt16(bigEndian: addr.sin_port) : 0
    }

    /// What `run` prints for each forwarded port.
    public static func describe(_ forwards: [PortForward], _ ports: [UInt16]) -> [String] {
        zip(forwards, ports).map { f, h in "vanity-build: \(f.transport.rawValue) 127.0.0.1:\(h) reaches port \(f.guest) of the system" + (f.address == PortForward.defaultAddress ? "" : " at \(f.address)") }
    }
}

/// The file behind the block device (`[run] disk`): where it is, created
/// (zero-filled, sparse) at `disk-size` when missing.
public enum DiskFile {
    public struct Failure: Error, CustomStringConvertible { public var description: String }

    /// The disk's absolute path; `manifest` is the manifest's path.
    public static func prepare(_ disk: DiskImage, manifest: String) throws -> (path: String, created: Bool) {
        let base = URL(fileURLWithPath: manifest).deletingLastPathComponent()
        let url = disk.path.hasPrefix("/") ? URL(fileURLWithPath: disk.path) : base.appendingPathComponent(disk.path)
        let path = url.standardizedFileURL.path
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            if isDir.boolValue { throw Failure(description: "the disk \(path) is a folder, not a file") }
            return (path, false)
        }
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw Failure(description: "cannot create the folder of the disk \(path): \(error.localizedDescription)")
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0, ftruncate(fd, off_t(disk.size)) == 0 else {
            let why = String(cString: strerror(errno))
            if fd >= 0 { close(fd) }
            throw Failure(description: "cannot create the disk \(path): \(why)")
        }
        close(fd)
        return (path, true)
    }
}
