import Foundation
import Testing

/// Supervisors that act (docs/kernel.md, "Supervisors that act"): the
/// `supervise` fixture boots on every test platform; its boss reads the
/// worker's fault record at each fault, restarts it twice, holds it, then
/// restarts a sibling, and a shard outside the reach is denied. The boss ends
/// the system itself when the scenario is complete (the run's timeout is only
/// a bound). Everything is asserted from the log of the real boot.
@Suite(.serialized) struct SuperviseTests {
    /// "kernel: FAULT shard=worker kind=trap pc=0x… addr=0x… generation=N …" → (pc, addr, generation).
    static func faults(_ lines: [String]) -> [(pc: String, addr: String, generation: String)] {
        lines.compactMap { line in
            guard let m = line.firstMatch(of: /kernel: FAULT shard=worker kind=trap pc=(0x[0-9a-f]+) addr=(0x[0-9a-f]+) generation=([0-9]+) policy=propagate/)
            else { return nil }
            return (String(m.1), String(m.2), String(m.3))
        }
    }

    @Test(arguments: testPlatforms)
    func aSupervisorRestartsTwiceThenHoldsThenRestartsASibling(_ platform: String) throws {
        let r = try FaultTests.boot("supervise", on: platform)
        let out = r.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        let all = out.split(separator: "\n").map(String.init)
        #expect(r.status == 0, "\(out)\n\(r.stderr)")
        #expect(out.contains("[boss] boss: escalation done, 0 failure(s)"), "\(out)")
        #expect(!out.contains("FAILED"), "\(out)")

        // Three faults, generations 1, 2, 3; the boss read each one's record
        // exactly as the kernel reported it (kind 4: VANITY_FAULT_TRAP).
        let kernel = Self.faults(all.filter { $0.hasPrefix("kernel: FAULT shard=worker ") })
        #expect(kernel.map(\.generation) == ["1", "2", "3"], "\(out)")
        for (i, f) in kernel.enumerated() {
            let n = i + 1
            #expect(out.contains("[boss] boss: worker fault \(n): kind 4 pc \(f.pc) addr \(f.addr) generation \(n) faults \(n)"),
                    "fault \(n): \(f)\n\(out)")
        }
        // The escalation, carried out on the worker's and sibling's cores.
        func count(_ s: String) -> Int { all.filter { $0 == s }.count }
        #expect(count("kernel: restarting worker (asked by boss)") == 2, "\(out)")
        #expect(count("[boss] boss: restart worker -> 0") == 2, "\(out)")
        #expect(count("kernel: holding worker (asked by boss)") == 1, "\(out)")
        #expect(out.contains("[boss] boss: hold worker -> 0"), "\(out)")
        #expect(count("kernel: restarting sibling (asked by boss)") == 1, "\(out)")
        #expect(out.contains("[boss] boss: release running sibling -> -5; restart sibling -> 0"), "\(out)") // VANITY_E_STATE
        #expect(out.contains("[boss] boss: sibling back with generation 2"), "\(out)")
        // The boss's order: two restarts, the hold, then the sibling. (The
        // kernel's lines for them come from the targets' own cores, so the
        // hold's may follow the sibling's restart.)
        let order = all.filter { $0.hasPrefix("[boss] boss: restart ") || $0.hasPrefix("[boss] boss: hold ") || $0.hasPrefix("[boss] boss: release ") }
        #expect(order == ["[boss] boss: restart worker -> 0", "[boss] boss: restart worker -> 0", "[boss] boss: hold worker -> 0",
                          "[boss] boss: release running sibling -> -5; restart sibling -> 0"], "\(order)")
        // Each restart of the worker is carried out before its next fault, the hold after its last.
        let events = all.filter { $0.hasPrefix("kernel: FAULT shard=worker ") || $0.hasSuffix(" worker (asked by boss)") }
            .map { $0.hasPrefix("kernel: FAULT") ? "fault" : $0.hasPrefix("kernel: restarting") ? "restart" : "hold" }
        #expect(events == ["fault", "restart", "fault", "restart", "fault", "hold"], "\(events)")

        #expect(out.contains("[boss] boss: fault record into its text -> -2"), "\(out)") // VANITY_E_INVALID

        // Outside the reach: denied, and counted in the shutdown report.
        #expect(out.contains("[outsider] outsider: restart worker -> -1, its fault record denied, own record: 0 fault(s)"), "\(out)")
        #expect(out.contains("[boss] boss: outsider reports restart -1, fault record -1"), "\(out)")
        func report(_ shard: String) -> String? { all.first { $0.hasPrefix("kernel:   \(shard): ") } }
        #expect(report("outsider")?.contains(" 2 denied,") == true, "\(report("outsider") ?? out)")
        #expect(report("boss")?.contains(" 0 denied,") == true, "\(report("boss") ?? out)")
        #expect(report("worker")?.hasPrefix("kernel:   worker: generation 3, 0 restart(s),") == true, "\(report("worker") ?? out)")
        #expect(report("sibling")?.hasPrefix("kernel:   sibling: generation 2, ") == true, "\(report("sibling") ?? out)")
        #expect(out.contains("kernel: system stopping with status 0"), "\(out)")
    }
}
