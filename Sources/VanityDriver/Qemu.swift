import Foundation
import VanityDebug
import VanityModel
import VanityPlatform
import VanityProcess
import VanityToolchain

/// The emulator command line for a platform and running it.
public enum QemuCommand {
    /// The platform's `qemu` line plus the core count, the image and, for
    /// debugging, a halted start with a GDB server. QEMU names its threads
    /// (`debug-threads`), so that the virtual CPUs can be told from the
    /// device models (`yieldToDevices`).
    public static func arguments(_ p: Platform, cpus: Int, image: String, gdb: Bool = false) -> [String] {
        p.qemu + ["-name", "vanity,debug-threads=on", "-smp", String(cpus), "-kernel", image] + (gdb ? ["-s", "-S"] : [])
    }

    /// How many nice steps QEMU's virtual-CPU threads are put below its
    /// main loop. A polling shard keeps its virtual CPU busy without end;
    /// on a host with few cores that thread then starves the one that runs
    /// the device models and the user-mode network, and the host's own
    /// clients, which is what the shard waits for: the driver goes idle,
    /// sleeps in the kernel and is woken by interrupts. Lowered, the vCPUs
    /// still get every cycle nobody else wants (docs/performance.md,
    /// "Virtual CPUs give way"). `VANITY_VCPU_NICE` (0–19) sets another
    /// step; 0 leaves them as they are.
    public static var vcpuNice: Int32 { vcpuNice(ProcessInfo.processInfo.environment["VANITY_VCPU_NICE"]) }
    public static let defaultVcpuNice: Int32 = 15

    /// The step `VANITY_VCPU_NICE` asks for; a value that is not 0–19 is
    /// reported on stderr and the default used.
    public static func vcpuNice(_ setting: String?) -> Int32 {
        guard let setting else { return defaultVcpuNice }
        if let n = Int32(setting.trimmingCharacters(in: .whitespaces)), (0...19).contains(n) { return n }
        FileHandle.standardError.write(Data("vanity-build: VANITY_VCPU_NICE must be a whole number from 0 to 19, not \"\(setting)\"; using \(defaultVcpuNice)\n".utf8))
        return defaultVcpuNice
    }

    /// The number of virtual CPUs an argument list asks for (`-smp n`), 1 without one.
    public static func cpus(_ argv: [String]) -> Int {
        guard let i = argv.firstIndex(of: "-smp"), i + 1 < argv.count else { return 1 }
        return Int(argv[i + 1].prefix { $0.isNumber }) ?? 1
    }

    /// Whether a QEMU thread name (`debug-threads`) is a virtual CPU's:
    /// "CPU 3/TCG", "CPU 0/KVM"; "ALL CPUs/TCG" for single-threaded TCG.
    public static func isVirtualCPU(_ thread: String) -> Bool {
        (thread.hasPrefix("CPU ") || thread.hasPrefix("ALL CPUs")) && thread.contains("/")
    }

    /// Lowers the running QEMU `pid`'s virtual-CPU threads by `vcpuNice` as
    /// they appear (in the background; a few seconds at most).
    public static func yieldToDevices(pid: pid_t, cpus: Int) {
        let steps = vcpuNice
        if steps > 0 { ThreadPriority.lower(threadsOf: pid, matching: isVirtualCPU, count: cpus, by: steps, within: 30) }
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
        if argv.contains(where: { $0.hasSuffix("debug-threads=on") }) { // QEMU, not the simulator
            yieldToDevices(pid: child.pid, cpus: cpus(argv))
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
