import Foundation
import Testing

/// The kernel's console lock (Kernel/src/log.c) on host threads standing in
/// for cores (Tests/Kernel/log_lock.c): lines from four cores come out whole;
/// a core's panic while it prints is not stopped by its own lock; a core
/// that stops holding the lock is named and passed over, and the others'
/// lines still come out (before, every core that logged stopped behind it).
@Suite struct ConsoleLockTests {
    /// One build of the program, then each scenario in a process of its own.
    @Test func theConsoleLock() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exe = dir + "/log_lock"
        let cc = try Tool.run("clang", ["-std=c17", "-O2", "-Wall", "-Wextra", "-Werror", "-pthread",
                                        "-I", repoRoot + "/Kernel/include", "-I", repoRoot + "/Kernel/src",
                                        repoRoot + "/Tests/Kernel/log_lock.c", repoRoot + "/Kernel/src/log.c", "-o", exe])
        try #require(cc.status == 0, "\(cc.text)")
        for scenario in ["lines", "nested", "stuck"] {
            let r = try spawn(exe, [scenario], timeout: 120)
            #expect(r.status == 0 && r.stdout.hasSuffix("log_lock: ok\n"), "\(scenario): \(r.stdout)")
        }
    }
}
