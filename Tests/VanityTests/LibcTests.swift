import Foundation
import Testing

/// The shards' C library (picolibc) and heap (Tests/Fixtures/systems/libc),
/// on every platform: C's stdio, string, stdlib and ctype; a heap that frees
/// (10,000 C rounds of malloc/realloc/calloc/free in 64 KiB, a million Swift
/// objects); a failed allocation said in the log; Swift's interpolated log
/// and print a line at a time.
@Suite(.serialized) struct LibcTests {
    @Test(arguments: testPlatforms)
    func theCLibraryAndTheHeapWorkInEveryShard(_ platform: String) throws {
        let r = try FaultTests.boot("libc", on: platform)
        let out = r.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        #expect(r.status == 0, "\(out)\n\(r.stderr)")
        #expect(out.contains("[c] c: 10000 heap rounds, 0 failure(s)"), "\(out)")
        #expect(!out.contains("FAILED"), "\(out)")
        #expect(out.contains("[swift] swift: 1000000 objects, checksum 50004000000, 0000beef, ok true\n"), "\(out)")
        #expect(out.contains("[swift] swift: print works, one line at a time\n"), "\(out)")
        #expect(out.contains("[exhaust] heap: no heap (heap-size is 0 in system.toml): an allocation of"), "\(out)")
        #expect(out.contains("[exhaust] exhaust: malloc(16) without a heap -> NULL"), "\(out)")
        // A Swift shard out of heap: the log says so, and the trap names it.
        #expect(out.contains("[swift-exhaust] heap: exhausted: "), "\(out)")
        // The first trap, seen by `c` as the restart; the second (then held) may come after the stop.
        let faults = FaultTests.lines(r, "kernel: FAULT shard=swift-exhaust kind=trap ")
        #expect((1...2).contains(faults.count), "\(faults)")
        #expect(out.contains("[c] c: done"), "\(out)")
    }
}
