import Foundation
import VanityDebug
import VanityModel
import VanityPlatform
import VanityProcess
import VanityToolchain

/// The emulator command line for a platform and running it.
public enum QemuCommand {
    /// The platform's `qemu` line plus the core count, the image and, for
    /// debugging, a halted start with a GDB server.
    public static func arguments(_ p: Platform, cpus: Int, image: String, gdb: Bool = false) -> [String] {
        p.qemu + ["-smp", String(cpus), "-kernel", image] + (gdb ? ["-s", "-S"] : [])
    }

    /// The QEMU arguments attaching the emulated devices that `system`'s
    /// shards are granted (the platform's `[qemu-devices]`, in its device
    /// table's order), with `{forward}` replaced by one `hostfwd` option per
    /// forwarded port (`hostPorts[i]` is the host port of `system.forwards[i]`)
    /// and `{disk}` by the disk file's path (commas doubled, as QEMU's option syntax wants).
    public static func deviceArguments(_ system: SystemModel, hostPorts: [UInt16], disk: String? = nil) -> [String] {
        let p = system.platform
        let granted = Set(system.shards.flatMap { $0.devices.map(\.node.path) })
        let hostfwd = zip(system.forwards, hostPorts).map { f, h in ",hostfwd=\(f.transport.rawValue):127.0.0.1:\(h)-\(f.address):\(f.guest)" }.joined()
        return p.deviceTable.flatMap { alias -> [String] in
            guard let args = p.qemuDevices[alias.name], granted.contains(alias.path) else { return [] }
            return args.map {
                $0.replacingOccurrences(of: "{forward}", with: hostfwd)
                    .replacingOccurrences(of: "{disk}", with: (disk ?? "").replacingOccurrences(of: ",", with: ",,"))
            }
        }
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

    /// Runs QEMU (or the simulator's kernel) with the terminal's stdin and
    /// stdout; returns its exit status passed through `exitStatus`, 124 when
    /// `timeout` seconds pass first, or 128 + n when this process gets
    /// signal n. Either way the child is ended.
    /// `newGroup`: the child and everything it starts form a process group
    /// that ending it ends whole (the simulator; not a QEMU that reads the terminal).
    /// `console`: its standard output passes through this filter on its way to ours.
    public static func run(_ argv: [String], timeout: Double?, environment: [String: String] = [:], newGroup: Bool = false,
                           console: ConsoleLines? = nil, exitStatus: (Int32) -> Int32 = { $0 }) -> Int32 {
        guard let tool = argv.first else { return 64 }
        let child: ChildProcess
        do {
            child = try ChildProcess(Self.find(tool), Array(argv.dropFirst()),
                                     environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new },
                                     stdout: console == nil ? .inherit : .pipe, newGroup: newGroup)
        } catch {
            FileHandle.standardError.write(Data("vanity-build: \(error) (run Scripts/setup.sh)\n".utf8))
            return 69
        }
        let reader = console.flatMap { filter in child.output.map { output in
            Thread {
                var lines = filter
                while true {
                    let data = output.availableData
                    if data.isEmpty { break }
                    let out = lines.feed(data)
                    if !out.isEmpty { FileHandle.standardOutput.write(Data(out)) }
                }
                FileHandle.standardOutput.write(Data(lines.flush()))
            }
        } }
        reader?.start()
        let ending = child.run(timeout: timeout, endOnSignals: true)
        // Its output ends with the last process holding it: bounded, in case one outlives the run.
        let deadline = Date().addingTimeInterval(5)
        while let reader, !reader.isFinished, Date() < deadline { usleep(10_000) }
        return ended(ending, timeout: timeout, exitStatus: exitStatus)
    }

    /// The run's status for the user: the system's, 124 after a timeout,
    /// 128 + n after signal n.
    public static func ended(_ e: ChildProcess.Ending, timeout: Double?, exitStatus: (Int32) -> Int32) -> Int32 {
        switch e {
        case .exited(let s): return exitStatus(s)
        case .timedOut:
            FileHandle.standardError.write(Data("vanity-build: stopped after \(timeout ?? 0) s (timeout)\n".utf8))
            return 124
        case .interrupted(let sig):
            FileHandle.standardError.write(Data("vanity-build: stopped by signal \(sig); the system was ended\n".utf8))
            return 128 + sig
        }
    }

    public static func find(_ tool: String) -> String { Executor.find(tool) }
}
