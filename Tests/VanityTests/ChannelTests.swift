import Foundation
import Testing

/// The shards' channel library under stress between two host threads
/// (Tests/Channels/ring_stress.c): 10^7 messages in the suite, 10^8 with
/// VANITY_LONG=1.
@Suite struct ChannelTests {
    @Test func tenMillionMessagesWithoutLossDuplicationOrReordering() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exe = dir + "/ring_stress"
        let cc = try Tool.run("clang", ["-std=c17", "-O2", "-Wall", "-Wextra", "-Werror", "-pthread",
                                        "-I", repoRoot + "/Tests/Channels/include", "-I", repoRoot + "/Shards/lib/c/include",
                                        "-I", repoRoot + "/Kernel/include", repoRoot + "/Tests/Channels/ring_stress.c", "-o", exe])
        try #require(cc.status == 0, "\(cc.text)")
        let count = ProcessInfo.processInfo.environment["VANITY_LONG"] != nil ? "100000000" : "10000000"
        let r = try Tool.run(exe, [count])
        #expect(r.status == 0, "\(r.text)")
        #expect(r.text.contains("ring_stress: \(count) messages in all"), "\(r.text)")
        #expect(r.text.contains("0 failure(s)"))
        #expect(r.text.contains("full/empty/partial-batch edges across the index wrap, escapes, marks: ok"), "\(r.text)")
        #expect(r.text.contains("slots handed back in groups of 16, at once when empty or when the sender waits: ok"), "\(r.text)")
        #expect(r.text.contains("copied, found by marks): ok") && r.text.contains("copied and built in place): ok"), "\(r.text)")
    }
}
