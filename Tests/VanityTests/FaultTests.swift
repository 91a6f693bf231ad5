import Foundation
import Testing

/// The platforms every system test runs on: one test definition each.
let testPlatforms = ["aarch64-virt", "riscv64-virt", "x86_64-pc", "sim"]

/// Fault isolation and capability checks: each system under
/// Tests/Fixtures/systems boots on every test platform (QEMU or the hosted
/// simulator) and its log is checked.
@Suite(.serialized) struct FaultTests {
    static func boot(_ system: String, on platform: String) throws -> CLI.Result {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        return try CLI.run(["run", "--config", "Tests/Fixtures/systems/\(system)/system.toml",
                            "--platform", platform, "--out", out, "--timeout", "120"])
    }

    static func lines(_ r: CLI.Result, _ prefix: String) -> [String] {
        // The console ends lines with "\r\n", a single Character in Swift.
        r.stdout.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n").map(String.init).filter { $0.hasPrefix(prefix) }
    }

    @Test(arguments: testPlatforms)
    func faultsAreReportedAndHandledWhileThePipelineKeepsCounting(_ platform: String) throws {
        let r = try Self.boot("faults", on: platform)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let faults = Self.lines(r, "kernel: FAULT ")
        func fault(_ shard: String, _ kind: String) -> [String] { faults.filter { $0.contains("shard=\(shard) kind=\(kind) ") } }
        // Another shard's memory (tally's stack, just below poke-other's text).
        #expect(fault("poke-other", "data-abort").count == 1, "\(faults)")
        #expect(fault("poke-text", "data-abort").count == 1, "\(faults)")
        let kernelData = ["aarch64-virt": "0x40250000", "riscv64-virt": "0x80250000", "x86_64-pc": "0x150000", "sim": "0x10050000"][platform] ?? "?"
        #expect(fault("poke-kernel", "data-abort").first?.contains("addr=\(kernelData)") == true, "\(faults)")
        #expect(fault("overflow", "stack-overflow").count == 1, "\(faults)")
        // restart twice (generations 1, 2, 3), then hold.
        #expect(fault("undefined", "undefined-instruction").count == 3, "\(faults)")
        #expect(r.stdout.contains("kernel: undefined reached max-restarts (2); holding it"))
        #expect(Self.lines(r, "[undefined] undefined: generation ") == ["[undefined] undefined: generation 1",
                                                                         "[undefined] undefined: generation 2",
                                                                         "[undefined] undefined: generation 3"])
        #expect(!r.stdout.contains("STILL RUNNING"))
        // The pipeline saw every tick, in order.
        #expect(r.stdout.range(of: #"\[tally\] tally: [0-9]+ ticks in order, no gap"#, options: .regularExpression) != nil, "\(r.stdout)")
        #expect(r.stdout.contains("kernel: system stopping with status 0"))
        // Each fault line names the function and source line (docs/debugging.md).
        func at(_ shard: String, _ function: String, _ line: Int?) -> Bool {
            let file = "(Tests/Fixtures/systems/faults/Shards/\(shard)/main.c:"
            let mine = faults.filter { $0.contains("shard=\(shard) ") }
            return !mine.isEmpty && mine.allSatisfy { fault in
                fault.contains(" -- in \(function)+0x") && (line.map { fault.hasSuffix(file + "\($0))") } ?? fault.contains(file))
            }
        }
        #expect(at("poke-other", "main", 6) && at("poke-text", "main", 4) && at("poke-kernel", "main", 8), "\(faults)")
        #expect(at("overflow", "deeper", nil), "\(faults)")
        // The undefined instruction's line is the platform's own.
        #expect(at("undefined", "main", ["aarch64-virt": 6, "riscv64-virt": 10][platform] ?? 8), "\(faults)")
    }

    @Test(arguments: testPlatforms)
    func swiftTrapsWatchdogsAndDeniedCalls(_ platform: String) throws {
        let r = try Self.boot("watchdog", on: platform)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let faults = Self.lines(r, "kernel: FAULT ")
        #expect(faults.filter { $0.contains("shard=swift-trap kind=trap ") }.count == 2, "\(faults)")
        #expect(faults.filter { $0.contains("shard=hang kind=watchdog ") }.count == 2, "\(faults)")
        // The trap names the Swift function, its line and why.
        #expect(faults.filter { $0.contains("shard=swift-trap kind=trap ") }.allSatisfy {
            $0.contains(" -- in main+0x")
                && $0.hasSuffix(" (Tests/Fixtures/systems/watchdog/Shards/swift-trap/main.swift:6): Swift runtime failure: arithmetic overflow")
        }, "\(faults)")
        // Where the watchdog found the hung shard spinning (the simulator does not say: pc=0x0);
        // on a loaded host its core may not have run a single instruction yet (at _start).
        if platform != "sim" {
            #expect(faults.filter { $0.contains("shard=hang kind=watchdog ") }.allSatisfy {
                ($0.contains(" -- in main+0x") && $0.hasSuffix(" (Tests/Fixtures/systems/watchdog/Shards/hang/main.c:5)"))
                    || $0.contains(" -- in _start+0x0 ")
            }, "\(faults)")
        }
        #expect(r.stdout.contains("kernel: hang reached max-restarts (1); holding it"))
        #expect(Self.lines(r, "[caps] ") == [
            "[caps] caps: notify foreign channel -> -1",
            "[caps] caps: ack foreign irq -> -1",
            "[caps] caps: time without the cap -> -1",
            "[caps] caps: shutdown without the cap -> -1",
            "[caps] caps: notify a channel that does not exist -> -2",
            "[caps] caps: log from a kernel address -> -2",
            "[caps] caps: unknown system call -> -3",
            "[caps] caps: still running",
        ])
        #expect(r.stdout.contains("kernel:   caps: generation 1, 0 restart(s), 16 syscall(s), 4 denied"), "\(r.stdout)")
        #expect(r.stdout.contains("kernel: nolog exited with status 0"), "log without the cap was not denied\n\(r.stdout)")
        #expect(!r.stdout.contains("should not appear"))
        // The RTC's alarm interrupt reached the shard it is granted to, on its
        // core (the simulator's RTC has no interrupt).
        if platform != "sim" {
            #expect(r.stdout.range(of: #"\[alarm\] alarm: woken with bits 0x2001000000000000, rtc [0-9]+ -> [0-9]+, ack -> 0"#, options: .regularExpression) != nil,
                    "\(r.stdout)")
        }
        #expect(r.stdout.range(of: #"\[tally\] tally: [0-9]+ ticks in order, no gap"#, options: .regularExpression) != nil)
        #expect(!r.stdout.contains("STILL RUNNING"))
    }

    @Test(arguments: testPlatforms)
    func anAbortPolicyStopsTheSystemWithANonZeroStatus(_ platform: String) throws {
        let r = try Self.boot("abort", on: platform)
        #expect(r.status == 101, "\(r.stdout)\n\(r.stderr)") // 100 + the data-abort kind
        #expect(Self.lines(r, "kernel: FAULT shard=crash kind=data-abort ").first?.contains("addr=0x0 ") == true, "\(r.stdout)")
        #expect(r.stdout.contains("kernel: crash has policy abort; stopping the system"))
        // propagate: the child is held and its supervisor is woken.
        #expect(Self.lines(r, "kernel: FAULT shard=child kind=trap ").count == 1, "\(r.stdout)")
        #expect(r.stdout.contains("kernel: child is held; telling its supervisor boss"))
        #expect(r.stdout.contains("[boss] boss: woken with bits 0x4000000000000000; child generation 1"), "\(r.stdout)")
        #expect(r.stdout.contains("kernel: system stopping with status 101"))
    }

    /// Random system call numbers and arguments: every answer is documented
    /// and the kernel keeps running (and stops cleanly when asked).
    @Test(arguments: testPlatforms)
    func theSyscallFuzzerGetsOnlyDocumentedAnswers(_ platform: String) throws {
        let r = try Self.boot("fuzz", on: platform)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.range(of: #"\[fuzz\] fuzz: 16385 calls: [0-9]+ ok, [1-9][0-9]* denied, [1-9][0-9]* invalid, [1-9][0-9]* no such call, 0 undocumented"#,
                               options: .regularExpression) != nil, "\(r.stdout)")
        #expect(!r.stdout.contains("FAULT") && !r.stdout.contains("PANIC"))
        #expect(r.stdout.contains("kernel: system stopping with status 0"))
    }

    /// 10^6 random calls, in the simulator; only with VANITY_LONG=1.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["VANITY_LONG"] != nil))
    func theLongSyscallFuzzerRun() throws {
        let r = try Self.boot("fuzz-long", on: "sim")
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains(" undocumented") && r.stdout.contains(", 0 undocumented"), "\(r.stdout)")
    }

    /// A 16 KiB stack that needs 64 KiB: the shard overflows into the guard
    /// page below its stack, and the simulator faults exactly as the boards
    /// do (its shards run on their layout stack, not on a host process's own
    /// 8 MiB one, where this shard used to survive): the same line, a
    /// stack-overflow at an address in the page below the stack.
    @Test(arguments: testPlatforms)
    func aTooSmallStackFaultsInItsGuardPageAsOnTheBoards(_ platform: String) throws {
        let r = try Self.boot("small-stack", on: platform)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(!r.stdout.contains("deep: survived"), "\(r.stdout)")
        let stack = Self.lines(r, "[deep] deep: stack 0x").first.flatMap { line in
            line.dropFirst("[deep] deep: stack 0x".count).split(separator: "-").first.flatMap { UInt64($0, radix: 16) }
        }
        let faults = Self.lines(r, "kernel: FAULT shard=deep ")
        try #require(faults.count == 1 && stack != nil, "\(r.stdout)")
        let fault = faults[0]
        let addr = fault.firstMatch(of: /addr=0x([0-9a-f]+)/).flatMap { UInt64($0.1, radix: 16) }
        #expect(addr.map { $0 < stack! && $0 >= stack! - 4096 } == true, "\(fault): not in the guard page below \(stack!)")
        // Everything but where it happened is the boards' line, word for word.
        let same = fault.replacing(/pc=0x[0-9a-f]+ addr=0x[0-9a-f]+/, with: "pc=? addr=?").replacing(/\s--\sin\s.*$/, with: "")
        #expect(same == "kernel: FAULT shard=deep kind=stack-overflow pc=? addr=? generation=1 policy=propagate", "\(fault)")
        #expect(fault.contains(" -- in deeper+0x"), "\(fault)") // the recursion, named
        #expect(r.stdout.contains("[judge] judge: done"))
    }

    @Test func aShardOverItsBudgetStopsTheBuildAtTheBudget() throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try CLI.run(["build", "--config", "Tests/Fixtures/systems/oversize/system.toml", "--out", out])
        #expect(r.status == 65)
        #expect(r.stderr.contains("Tests/Fixtures/systems/oversize/system.toml:10:22: error: shard big: .text needs at least "), "\(r.stderr)")
        #expect(r.stderr.contains("over its max-sizes.text budget of 4 KiB (4096 bytes)"), "\(r.stderr)")
    }

    /// The simulator enforces max-sizes as the boards do: the build stops
    /// with the same error at the same budget. Its shards are compiled as
    /// x86_64-pc's, so its byte count is x86_64-pc's but for the system-call
    /// sites (a call into the simulator's runtime instead of a `syscall`).
    @Test func theSimulatorStopsAShardOverItsBudgetAsTheBoardsDo() throws {
        func build(_ platform: String) throws -> CLI.Result {
            let out = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: out) }
            return try CLI.run(["build", "--config", "Tests/Fixtures/systems/oversize/system.toml", "--platform", platform, "--out", out])
        }
        let sim = try build("sim"), pc = try build("x86_64-pc"), board = try build("aarch64-virt")
        for r in [sim, pc, board] { #expect(r.status == 65, "\(r.stderr)") }
        #expect(sim.stderr.hasPrefix("Tests/Fixtures/systems/oversize/system.toml:10:22: error: shard big: .text needs at least "), "\(sim.stderr)")
        func uncounted(_ s: String) -> String { s.replacing(/needs at least [0-9]+ bytes/, with: "needs at least N bytes") }
        #expect(uncounted(sim.stderr) == uncounted(board.stderr), "\(sim.stderr)\n\(board.stderr)")
        #expect(uncounted(sim.stderr) == uncounted(pc.stderr), "\(sim.stderr)\n\(pc.stderr)")
        func count(_ s: String) -> Double? { s.firstMatch(of: /needs at least ([0-9]+) bytes/).flatMap { Double($0.1) } }
        let (s, p) = (try #require(count(sim.stderr)), try #require(count(pc.stderr)))
        #expect(abs(s - p) <= p * 0.02, "sim \(s) bytes, x86_64-pc \(p)")
    }
}
