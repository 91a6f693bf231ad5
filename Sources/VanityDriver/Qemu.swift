import Foundation
import VanityPlatform
import VanityToolchain

/// The emulator command line for a platform and running it.
public enum QemuCommand {
    /// The platform's `qemu` line plus the core count, the image and, for
    /// debugging, a halted start with a GDB server.
    public static func arguments(_ p: Platform, cpus: Int, image: String, gdb: Bool = false) -> [String] {
        p.qemu + ["-smp", String(cpus), "-kernel", image] + (gdb ? ["-s", "-S"] : [])
    }

    /// Runs QEMU with the terminal's stdin/stdout; returns its exit status,
    /// or 124 when `timeout` seconds pass first.
    public static func run(_ argv: [String], timeout: Double?, environment: [String: String] = [:]) -> Int32 {
        guard let tool = argv.first else { return 64 }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.find(tool))
        p.arguments = Array(argv.dropFirst())
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        do { try p.run() } catch {
            FileHandle.standardError.write(Data("vanity-build: cannot start \(tool): \(error.localizedDescription) (run Scripts/setup.sh)\n".utf8))
            return 69
        }
        var timedOut = false
        if let timeout {
            let deadline = Date().addingTimeInterval(timeout)
            while p.isRunning && Date() < deadline { usleep(20_000) }
            if p.isRunning {
                timedOut = true
                p.terminate()
            }
        }
        p.waitUntilExit()
        if timedOut {
            FileHandle.standardError.write(Data("vanity-build: QEMU stopped after \(timeout ?? 0) s (timeout)\n".utf8))
            return 124
        }
        return p.terminationStatus
    }

    public static func find(_ tool: String) -> String { Executor.find(tool) }
}
