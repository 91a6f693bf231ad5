import Foundation
import Testing

/// A real third-party C library in shards (Tests/Fixtures/systems/lz4): LZ4
/// from Debian's lz4 source package, fetched by Scripts/third-party.sh into
/// build/third-party/lz4/source (Scripts/setup.sh runs it; `make test` runs
/// that), compiled unmodified with the library's own defines and flags. A C
/// and an Embedded Swift shard compress, decompress and compare on every
/// platform, with the same compressed sizes everywhere.
@Suite(.serialized) struct LZ4Tests {
    /// Debian 13's lz4 source package, as Scripts/third-party.sh pins it
    /// (the hashes of apt's signed Sources index).
    static let version = "1.10.0-4"
    static let origSHA256 = "537512904744b35e232912055ccf8ec66d768639ff3abe5788d90d792ec5f48b"
    static let debianSHA256 = "8d276c3254182c2c9cf319b9a6504cf257c56b441f37d3db8ad97d33d46a0911"
    static let folder = repoRoot + "/build/third-party/lz4"
    static let missing = "no lz4 under build/third-party/lz4: run Scripts/setup.sh (or Scripts/third-party.sh)"

    @Test(arguments: testPlatforms)
    func lz4RoundTripsInCAndSwiftOnEveryPlatform(_ platform: String) throws {
        try #require(FileManager.default.fileExists(atPath: Self.folder + "/source/lib/lz4.c"), "\(Self.missing)")
        let r = try FaultTests.boot("lz4", on: platform)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        // The library's folder is outside the fixture's: said, not refused.
        #expect(r.stderr.contains("warning: the source folder of library \"lz4\" is outside the manifest's folder: "
                                  + "\"../../../../build/third-party/lz4/source/lib\" resolves to build/third-party/lz4/source/lib"),
                "\(r.stderr)")
        let c = FaultTests.lines(r, "[c] lz4: ").filter { !$0.contains(" round trips of ") }
        #expect(c == ["[c] lz4: LZ4 1.10.0, compress bound of 65536 is 65809",
                      "[c] lz4: text: 65536 -> 28766 bytes, round trip ok, fnv1a ea5c2006 -> ea5c2006",
                      "[c] lz4: text (hc): 65536 -> 14746 bytes, round trip ok, fnv1a ea5c2006 -> ea5c2006",
                      "[c] lz4: zeros: 65536 -> 267 bytes, round trip ok, fnv1a 5e509dc5 -> 5e509dc5",
                      "[c] lz4: random: 65536 -> 65794 bytes, round trip ok, fnv1a 2b573881 -> 2b573881",
                      "[c] lz4: damaged input refused: truncated yes, output too small yes, nothing written past the end yes",
                      "[c] lz4: 0 failure(s), swift says ok"], "\(r.stdout)")
        #expect(FaultTests.lines(r, "[c] lz4: 4 round trips of 65536 bytes in ").count == 1, "\(r.stdout)")
        #expect(FaultTests.lines(r, "[swift] ") == ["[swift] swift: 65536 -> 15656 bytes, round trip ok, fnv1a c4931410 -> c4931410"],
                "\(r.stdout)")
        #expect(r.stdout.contains("kernel: system stopping with status 0"), "\(r.stdout)")
    }

    /// The fetched tarballs are the pinned ones, and the unpacked library
    /// folder is upstream's: every file of the tarball's lib/ is there byte
    /// for byte, except those Debian's patches name (none of them C).
    @Test func theFetchedSourcesAreTheUnmodifiedPinnedPackage() throws {
        try #require(FileManager.default.fileExists(atPath: Self.folder + "/source/.unpacked"), "\(Self.missing)")
        let upstream = Self.version.split(separator: "-").dropLast().joined(separator: "-")
        let orig = Self.folder + "/src/lz4_\(upstream).orig.tar.gz"
        let debian = Self.folder + "/src/lz4_\(Self.version).debian.tar.xz"
        #expect(try Self.sha256(orig) == Self.origSHA256)
        #expect(try Self.sha256(debian) == Self.debianSHA256)
        #expect(try String(contentsOfFile: Self.folder + "/source/.unpacked", encoding: .utf8)
                == "lz4 \(Self.version) \(Self.origSHA256) \(Self.debianSHA256) patches=1\n")

        // What Debian's patches touch.
        let patches = Self.folder + "/source/debian/patches"
        var patched = Set<String>()
        for name in try FileManager.default.contentsOfDirectory(atPath: patches) where name != "series" {
            for line in try String(contentsOfFile: patches + "/" + name, encoding: .utf8).split(separator: "\n")
            where line.hasPrefix("+++ b/") {
                patched.insert(String(line.dropFirst(6).split(separator: "\t").first ?? ""))
            }
        }
        #expect(!patched.isEmpty && !patched.contains { $0.hasSuffix(".c") || $0.hasSuffix(".h") }, "\(patched)")

        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let untar = try spawn("/usr/bin/env", ["tar", "-xf", orig, "-C", dir, "--strip-components=1"])
        try #require(untar.status == 0, "\(untar.stdout)")
        let fm = FileManager.default
        let files = (fm.enumerator(atPath: dir + "/lib")?.allObjects as? [String] ?? []).filter {
            var isDir: ObjCBool = false
            return fm.fileExists(atPath: dir + "/lib/" + $0, isDirectory: &isDir) && !isDir.boolValue
        }
        for compiled in ["lz4.c", "lz4.h", "lz4hc.c", "lz4hc.h"] { #expect(files.contains(compiled)) }
        var same = 0
        for f in files.sorted() {
            let a = fm.contents(atPath: dir + "/lib/" + f), b = fm.contents(atPath: Self.folder + "/source/lib/" + f)
            if patched.contains("lib/" + f) { continue }
            #expect(a != nil && a == b, "build/third-party/lz4/source/lib/\(f) differs from the upstream tarball's")
            same += 1
        }
        #expect(same >= 15, "\(files)")
    }

    static func sha256(_ path: String) throws -> String {
        let r = try spawn("/usr/bin/env", ["sha256sum", path], mergeStderr: false)
        #expect(r.status == 0, "\(r.stderr)")
        return String(r.stdout.prefix(64))
    }
}
