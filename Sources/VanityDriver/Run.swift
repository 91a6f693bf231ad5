import Foundation
import VanityDebug
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

    public init(layout: Layout, image: PlatformImage, paths: BuildPaths, gdb: Bool = false, deterministic: Deterministic? = nil) {
        platform = layout.platform
        self.paths = paths
        faults = FaultAnnotator(bootELFs: Dictionary(zip(layout.shards.map(\.shard.name), image.shardELFs), uniquingKeysWith: { a, _ in a }),
                                history: ReloadHistory(folder: paths.reloadFolder))
        var env: [String: String] = [:]
        switch layout.platform.kind {
        case .simulator:
            argv = [image.image] + image.shardELFs
            env["VANITY_SIM_DEBUG_SOCKET"] = paths.debugSocket
            servesLink = false
        case .board:
            argv = QemuCommand.arguments(layout.platform, cpus: layout.system.cpuCount, image: image.image, gdb: gdb)
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
                                          console: faults?.console)
        else { return 69 }
        return QemuCommand.ended(ending, timeout: timeout, exitStatus: status)
    }
}
