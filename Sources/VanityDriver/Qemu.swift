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

    /// The system's exit status from QEMU's. Most boards make QEMU exit with
    /// the status itself (semihosting, sifive_test). A board whose run line
    /// has an `isa-debug-exit` device (x86_64-pc) makes QEMU exit with
    /// `(v << 1) | 1` for the value v the kernel writes there, and the kernel
    /// writes status + 1: so 0 (QEMU reset the machine and -no-reboot ended
    /// it, e.g. after a triple fault) and 1 (QEMU's own errors) are failures
    /// of the run, never the system's status. Those are reported on stderr
    /// and become 70.
    public static func systemStatus(_ p: Platform, qemu status: Int32) -> Int32 {
        guard p.qemu.contains(where: { $0.hasPrefix("isa-debug-exit") }) else { return status }
        if status & 1 == 1 && status >= 3 { return (status >> 1) - 1 }
        let why = status == 0
            ? "the machine reset without the kernel's exit status (a triple fault, with -no-reboot)"
            : status == 1 ? "QEMU failed (see its message above)" : "QEMU exited with status \(status), not through isa-debug-exit"
        FileHandle.standardError.write(Data("vanity-build: error: \(why)\n".utf8))
        return 70
    }

    /// Runs QEMU with the terminal's stdin/stdout; returns its exit status
    /// passed through `exitStatus`, or 124 when `timeout` seconds pass first.
    public static func run(_ argv: [String], timeout: Double?, environment: [String: String] = [:],
                           exitStatus: (Int32) -> Int32 = { $0 }) -> Int32 {
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
        return exitStatus(p.terminationStatus)
    }

    public static func find(_ tool: String) -> String { Executor.find(tool) }
}
