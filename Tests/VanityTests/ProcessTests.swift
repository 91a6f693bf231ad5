import CVanityDebug
import Foundation
import Testing
import VanityDebug
import VanityDriver
import VanityPlatform
import VanityProcess

/// Ending a run ends everything it started, however it ends, even when the
/// run was started by a thread that blocks signals (as test runners' are).
@Suite(.serialized) struct ProcessTests {
    static let config = "Tests/Fixtures/systems/ps-one/system.toml"

    /// Processes whose command line mentions `marker` (a run's output folder).
    static func processes(mentioning marker: String) -> [Int32] {
        let me = getpid()
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }.filter { pid in
            guard pid != me, let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(marker)
        }
    }

    /// Waits (bounded) until no process mentions `marker`; returns the ones left.
    static func gone(_ marker: String, within seconds: Double = 30) -> [Int32] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if processes(mentioning: marker).isEmpty { return [] }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let left = processes(mentioning: marker)
        left.forEach { kill($0, SIGKILL) }
        return left
    }

    /// `vanity-build run` started the way Foundation's Process starts it from
    /// a thread that blocks SIGTERM: the child inherits the blocked mask.
    static func startBlocked(_ args: [String]) throws -> Process {
        var block = sigset_t(), old = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &block, &old)
        defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: repoRoot)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    @Test func aTimeoutEndsTheSystemEvenWhenSignalsWereBlocked() throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        _ = try CLI.run(["build", "--config", Self.config, "--platform", "sim", "--out", out])
        let run = try Self.startBlocked(["run", "--config", Self.config, "--platform", "sim", "--out", out, "--timeout", "2"])
        let deadline = Date().addingTimeInterval(120)
        while run.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!run.isRunning, "run --timeout 2 still runs after 120 s")
        if run.isRunning { kill(run.processIdentifier, SIGKILL) }
        run.waitUntilExit()
        #expect(run.terminationStatus == 124)
        #expect(Self.gone(out).isEmpty, "processes of the system outlived its run")
    }

    @Test(arguments: [SIGTERM, SIGKILL])
    func endingTheRunEndsTheWholeSystem(_ signal: Int32) throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try RunningSystem(config: Self.config, platform: "sim", out: out, timeout: nil)
        let client = try DebugClient(socketPath: run.socket)
        var up = false
        for _ in 0..<300 where !up { up = (try? client.hello()) != nil }
        try #require(up, "the system never answered")
        #expect(Self.processes(mentioning: out).count >= 2, "the kernel and its shard run")
        kill(run.process.pid, signal) // the run alone, not its group
        _ = run.finish()
        #expect(Self.gone(out).isEmpty, "processes of the system outlived its run (signal \(signal))")
    }

    /// A run's end removes its own link socket, never a newer run's.
    @Test func aRunRemovesOnlyTheSocketItMade() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let socket = dir + "/debug.sock"
        let newer = Thread {
            // A newer run of the same system takes the path while this one runs.
            while !FileManager.default.fileExists(atPath: socket) { Thread.sleep(forTimeInterval: 0.01) }
            unlink(socket)
            _ = FileManager.default.createFile(atPath: socket, contents: Data("newer".utf8))
        }
        newer.start()
        let ending = LinkServer.run(executable: "/bin/sh", arguments: ["-c", "while [ ! -s \(socket) ]; do sleep 0.05; done"],
                                    socketPath: socket, timeout: 60)
        #expect(ending == .exited(0))
        #expect(FileManager.default.contents(atPath: socket) == Data("newer".utf8), "the newer run's socket was removed")
        // Its own socket it does remove.
        let own = LinkServer.run(executable: "/bin/true", arguments: [], socketPath: dir + "/own.sock", timeout: 60)
        #expect(own == .exited(0) && !FileManager.default.fileExists(atPath: dir + "/own.sock"))
    }

    /// Lowering another process's threads by name: only the threads named,
    /// each once, as they appear; and the QEMU thread names taken for virtual CPUs.
    @Test func threadsAreLoweredByNameAsTheyAppear() throws {
        let child = try ChildProcess("/bin/sleep", ["60"])
        defer { child.end() }
        let base = try #require(ThreadPriority.nice(of: child.pid))
        ThreadPriority.lower(threadsOf: child.pid, matching: { $0 == "no such thread" }, count: 1, by: 3, within: 0.5)
        ThreadPriority.lower(threadsOf: child.pid, matching: { $0 == "sleep" }, count: 1, by: 3, within: 30)
        var now = base
        for _ in 0..<3000 where now == base { Thread.sleep(forTimeInterval: 0.01); now = ThreadPriority.nice(of: child.pid) ?? base }
        #expect(now == min(19, base + 3))
        Thread.sleep(forTimeInterval: 0.6) // both watchers have given up: nothing lowered it twice
        #expect(ThreadPriority.nice(of: child.pid) == min(19, base + 3))
        #expect(ThreadPriority.threads(of: child.pid).map(\.name) == ["sleep"])

        #expect(QemuCommand.isVirtualCPU("CPU 0/TCG") && QemuCommand.isVirtualCPU("CPU 15/KVM") && QemuCommand.isVirtualCPU("ALL CPUs/TCG"))
        #expect(!QemuCommand.isVirtualCPU("qemu-system-ris") && !QemuCommand.isVirtualCPU("worker") && !QemuCommand.isVirtualCPU("CPU"))
        #expect(QemuCommand.cpus(["qemu", "-smp", "4", "-kernel", "k"]) == 4 && QemuCommand.cpus(["qemu", "-smp", "2,sockets=1"]) == 2)
        #expect(QemuCommand.cpus(["qemu"]) == 1)
        #expect(QemuCommand.vcpuNice(nil) == QemuCommand.defaultVcpuNice && QemuCommand.vcpuNice("0") == 0 && QemuCommand.vcpuNice(" 7") == 7)
        #expect(QemuCommand.vcpuNice("20") == QemuCommand.defaultVcpuNice && QemuCommand.vcpuNice("-1") == QemuCommand.defaultVcpuNice
                && QemuCommand.vcpuNice("lots") == QemuCommand.defaultVcpuNice)
    }

    @Test func aChildStartsWithNoSignalBlocked() throws {
        var block = sigset_t(), old = sigset_t()
        sigfillset(&block)
        pthread_sigmask(SIG_BLOCK, &block, &old)
        defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
        let r = try spawn("/bin/sh", ["-c", "grep SigBlk /proc/self/status"])
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "SigBlk:\t0000000000000000", "\(r.stdout)")
        let child = try ChildProcess("/bin/sleep", ["60"])
        #expect(child.end(grace: 5) == 128 + SIGTERM)
    }
}

/// The reload key is readable by its owner only, in every file that holds it.
@Suite struct ReloadKeyTests {
    @Test(arguments: ["sim", "aarch64-virt"])
    func everyFileHoldingTheKeyIsTheOwnersOnly(_ platform: String) throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try CLI.run(["build", "--config", "Tests/Fixtures/systems/ps-one/system.toml", "--platform", platform, "--out", out])
        try #require(r.status == 0, "\(r.stderr)")
        let dir = BuildPaths(system: "ps-one", platform: platform, out: out, manifest: "Tests/Fixtures/systems/ps-one/system.toml").directory
        let key = try #require(FileManager.default.contents(atPath: BuildPaths(directory: dir).reloadKey))
        var holders: [String] = []
        for rel in FileManager.default.enumerator(atPath: dir)?.compactMap({ $0 as? String }) ?? [] {
            let path = dir + "/" + rel
            guard let data = FileManager.default.contents(atPath: path), ReloadKey.holds(data, key: [UInt8](key)) else { continue }
            holders.append(rel)
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
            #expect(mode & 0o077 == 0, "\(rel) holds the reload key and has mode \(String(mode, radix: 8))")
        }
        // Not vacuous: the key, its source and the kernel's ELF hold it.
        #expect(holders.contains("reload.key") && holders.contains("kernel/reload_key.c") && holders.count >= 4, "\(holders)")
    }
}
