import Foundation
import Testing

/// The manifest's build keys end to end: Tests/Fixtures/systems/toolkit
/// (sources in subfolders chosen by globs, include folders, defines,
/// c-flags, warnings-as-errors = false, a Swift shard with a C helper and
/// its own bridging header, a library two shards link) builds and boots.
@Suite(.serialized) struct BuildKeysTests {
    @Test(arguments: ["sim", "aarch64-virt"])
    func theToolkitSystemBuildsWithItsKeysAndBoots(_ platform: String) throws {
        let r = try FaultTests.boot("toolkit", on: platform)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        // FNV-1a of 95 (little-endian) seeded with CHECKSUM_SEED = 7.
        #expect(FaultTests.lines(r, "[counter] ") == ["[counter] counter: counter 95 (40 + 55), checksum c4ac1a6d"], "\(r.stdout)")
        #expect(FaultTests.lines(r, "[swifty] ") == ["[swifty] swifty: 95 arrived, checksum c4ac1a6d matches from Swift and from C, magic 7"],
                "\(r.stdout)")
        #expect(r.stdout.contains("kernel: system stopping with status 0"))
    }
}
