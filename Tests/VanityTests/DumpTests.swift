import CVanityDebug
import Foundation
import Testing
import VanityDebug
import VanityImage
import VanityPlatform
#if canImport(Glibc)
import Glibc
#endif

/// `vanity-build dump`: a running shard's memory and fault record, read over
/// the debug link while the system runs, written as an ELF core file
/// (fixture Tests/Fixtures/systems/dump).
@Suite(.serialized) struct DumpTests {
    static let config = "Tests/Fixtures/systems/dump/system.toml"

    /// PATTERN(tag, i) of the keeper's main.c.
    static func pattern(_ tag: Character, _ i: UInt64) -> UInt64 { 0x5641_4e49_5459_0000 | UInt64(tag.asciiValue!) << 8 | i }
    static func patternBytes(_ tag: Character) -> [UInt8] {
        (0..<4).flatMap { i in withUnsafeBytes(of: pattern(tag, UInt64(i)).littleEndian) { Array($0) } }
    }

    struct Core {
        var bytes: [UInt8]
        var elf: ElfFile

        var loads: [ElfFile.Segment] { elf.segments.filter(\.isLoad) }

        /// `count` bytes at virtual address `addr`, from the PT_LOAD holding them.
        func at(_ addr: UInt64, _ count: Int) -> [UInt8]? {
            guard let s = loads.first(where: { addr >= $0.vaddr && addr + UInt64(count) <= $0.vaddr + $0.fileSize }) else { return nil }
            let o = Int(s.offset + (addr - s.vaddr))
            return Array(bytes[o..<o + count])
        }

        /// Whether some PT_LOAD holds `needle`.
        func contains(_ needle: [UInt8]) -> Bool {
            loads.contains { s in
                let seg = bytes[Int(s.offset)..<Int(s.offset + s.fileSize)]
                return seg.indices.contains { i in i + needle.count <= seg.endIndex && seg[i..<i + needle.count].elementsEqual(needle) }
            }
        }

        var notes: [CoreFile.Note] {
            elf.segments.filter { $0.type == 4 }.flatMap { CoreFile.decodeNotes(Array(bytes[Int($0.offset)..<Int($0.offset + $0.fileSize)])) }
        }

        func word(_ b: [UInt8], _ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(b[at + $1]) << (8 * $1) } }
    }

    /// Dumps one shard; returns the core and the shard's linked file.
    func dump(_ shard: String, _ link: [String], to path: String) throws -> (Core, ElfFile, elfPath: String, stdout: String) {
        let r = try CLI.run(["dump", "--shard", shard, "--output", path] + link)
        try #require(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("vanity-build: wrote \(path): \(shard), "), "\(r.stdout)")
        let elfPath = try #require(r.stdout.firstMatch(of: #/open it with: gdb (\S+) /#).map { String($0.1) }, "\(r.stdout)")
        let bytes = [UInt8](try #require(FileManager.default.contents(atPath: path)))
        let core = try ElfFile.parse(bytes).get()
        let elf = try ElfFile.parse([UInt8](try #require(FileManager.default.contents(atPath: elfPath)))).get()
        return (Core(bytes: bytes, elf: core), elf, elfPath, r.stdout)
    }

    @Test func malformedReadAndFaultRepliesAreErrors() throws {
        #expect(throws: MalformedReply.self) { try RegionBytes.decode([1, 2, 3]) }
        var header = [UInt8](repeating: 0, count: 40)
        header[32] = 8 // announces 8 bytes, carries none
        #expect(throws: MalformedReply.self) { try RegionBytes.decode(header) }
        #expect(throws: MalformedReply.self) { try FaultReport.decode([UInt8](repeating: 0, count: 39)) }
        #expect(try FaultReport.decode([UInt8](repeating: 0, count: 40)).faulted == false)
        // NT_PRSTATUS's pc sits where GDB reads it on each machine.
        for (machine, size, pcAt) in [(UInt16(62), 336, 112 + 8 * 16), (183, 392, 112 + 8 * 32), (243, 376, 112)] {
            let note = try #require(CoreFile.prstatus(machine: machine, signal: 11, pid: 1, pc: 0x1122_3344_5566_7788))
            #expect(note.desc.count == size && note.desc[pcAt] == 0x88 && note.desc[pcAt + 7] == 0x11)
        }
    }

    /// A link that never answers (a socket nobody serves) ends the dump with an error, not a hang.
    @Test func aSilentLinkTimesOut() throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let link = ["--config", Self.config, "--platform", "sim", "--out", out]
        let built = try CLI.run(["build"] + link)
        try #require(built.status == 0, "\(built.stderr)")
        let path = BuildPaths(system: "", platform: "sim", out: out, manifest: Self.config).debugSocket
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0 && listen(fd, 4) == 0)
        let r = try CLI.run(["dump", "--shard", "keeper", "--timeout", "1"] + link)
        #expect(r.status == 69 && r.stderr.contains("no reply within 1.0 s"), "\(r.stderr)")
    }

    @Test(arguments: testPlatforms)
    func aRunningShardIsDumpedAsACoreFile(_ platform: String) throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let link = ["--config", Self.config, "--platform", platform, "--out", out]

        // Not running yet: a clear error, not a hang.
        let none = try CLI.run(["dump", "--shard", "keeper"] + link)
        #expect(none.status != 0 && none.stderr.contains("no running system"), "\(none.stderr)")

        let run = try RunningSystem(config: Self.config, platform: platform, out: out, timeout: 300)
        defer {
            run.process.end()
            _ = run.finish()
        }
        let ready = try #require(run.waitFor("keeper: ready"), "\(run.console)")
        let fault = try #require(run.waitFor("kernel: FAULT shard=crasher"), "\(run.console)")
        let m = try #require(ready.firstMatch(of: /global=0x([0-9a-f]+) stack=0x([0-9a-f]+) heap=0x([0-9a-f]+) board=0x([0-9a-f]+)/), "\(ready)")
        let (global, stack, heap, board) = (UInt64(m.1, radix: 16)!, UInt64(m.2, radix: 16)!, UInt64(m.3, radix: 16)!, UInt64(m.4, radix: 16)!)

        // The keeper: its stack, heap, channel ring (and data) at their addresses, while it runs.
        let keeperCore = out + "/keeper.core"
        let (core, elf, elfPath, said) = try dump("keeper", link, to: keeperCore)
        #expect(said.contains("no fault since boot"), "\(said)")
        #expect(core.bytes[16] == 4 && core.bytes[17] == 0, "ET_CORE")
        #expect(core.elf.machine == elf.machine)
        #expect(core.at(stack, 32) == Self.patternBytes("S"), "stack at 0x\(String(stack, radix: 16)): \(core.loads)")
        #expect(core.at(heap, 32) == Self.patternBytes("H"), "heap at 0x\(String(heap, radix: 16)): \(core.loads)")
        #expect(core.at(board, 32) == Self.patternBytes("R"), "shared region at 0x\(String(board, radix: 16)): \(core.loads)")
        let ringHoldsIt = core.contains(Self.patternBytes("C"))
        #expect(ringHoldsIt, "the channel ring holds the unread message: \(core.loads)")
        if platform == "sim" {
            // The simulator's shard code and globals live in its host executable, not in the layout's
            // data region (which holds the status block the kernel shares): not in the dump.
            #expect(core.at(global, 32) == nil)
        } else {
            #expect(core.at(global, 32) == Self.patternBytes("G"), "global at 0x\(String(global, radix: 16)): \(core.loads)")
        }
        let keeperNote = try #require(core.notes.first { $0.name == CoreFile.faultNoteName })
        #expect(keeperNote.desc == [UInt8](repeating: 0, count: 40), "no fault: an all-zero record")

        // The crasher: its fault record, and the pc in NT_PRSTATUS.
        let crasherCore = out + "/crasher.core"
        let (crash, crashELF, crashELFPath, crashSaid) = try dump("crasher", link, to: crasherCore)
        let pcText = try #require(fault.firstMatch(of: /pc=0x([0-9a-f]+)/).map { String($0.1) }, "\(fault)")
        let pc = UInt64(pcText, radix: 16)!
        #expect(crashSaid.contains("last fault: data-abort at pc=0x\(pcText) "), "\(crashSaid)")
        let record = try #require(crash.notes.first { $0.name == CoreFile.faultNoteName }).desc
        try #require(record.count == 40)
        #expect(record[0] == 1 && crash.word(record, 8) == pc, "kind data-abort, pc: \(record)")
        let function = try #require(crashELF.symbol("crash_here"))
        #expect(pc >= function.value && pc < function.value + max(function.size, 1), "pc 0x\(pcText) is in crash_here")
        let status = try #require(crash.notes.first { $0.name == "CORE" && $0.type == 1 }).desc
        let pcIndex = crash.elf.machine == 62 ? 16 : crash.elf.machine == 183 ? 32 : 0
        #expect(crash.word(status, 112 + 8 * pcIndex) == pc, "NT_PRSTATUS pc")

        // The link refuses what it must not read, with clear errors.
        let client = try DebugClient(socketPath: run.socket)
        let regions = try client.regions(shard: 0)
        #expect(regions.contains { $0.info.kindName == "stack" && $0.info.readable })
        for r in regions where ["text", "rodata", "guard", "device", "mailbox"].contains(r.info.kindName) { #expect(!r.info.readable) }
        if let text = regions.first(where: { !$0.info.readable }) {
            #expect(throws: SystemRefusal(code: Int(VANITY_DEBUG_E_NOT_READABLE.rawValue), text: "the link reads only data, stack, heap, channel and shared regions")) {
                _ = try client.read(shard: 0, region: text.info.region, length: 8)
            }
        }
        let stackRegion = try #require(regions.first { $0.info.kindName == "stack" })
        #expect(throws: SystemRefusal(code: Int(VANITY_DEBUG_E_OUT_OF_RANGE.rawValue), text: "the offset lies past the region's end")) {
            _ = try client.read(shard: 0, region: stackRegion.info.region, offset: stackRegion.info.size + 1, length: 8)
        }
        #expect(throws: SystemRefusal(code: Int(VANITY_DEBUG_E_NO_SUCH_REGION.rawValue), text: "the shard has no region of that index")) {
            _ = try client.read(shard: 0, region: 999, length: 8)
        }
        #expect(throws: SystemRefusal(code: Int(VANITY_DEBUG_E_NO_SUCH_SHARD.rawValue), text: "no such shard")) {
            _ = try client.faultRecord(shard: 63)
        }
        let nobody = try CLI.run(["dump", "--shard", "nobody"] + link)
        #expect(nobody.status == 64 && nobody.stderr.contains("no shard \"nobody\""), "\(nobody.stderr)")

        // GDB (this machine's is x86_64 only) opens the core with the shard's file.
        if ["x86_64-pc", "sim"].contains(platform), FileManager.default.isExecutableFile(atPath: "/usr/bin/gdb") {
            let g = try spawn("/usr/bin/gdb", ["-nx", "-batch", "-ex", "x/4gx 0x\(String(stack, radix: 16))", elfPath, keeperCore],
                              cwd: repoRoot, mergeStderr: true, timeout: 120)
            let shown: String = g.stdout
            #expect(shown.contains("0x56414e4954595300") && shown.contains("0x56414e4954595303"), "\(shown)")
            let p = try spawn("/usr/bin/gdb", ["-nx", "-batch", "-ex", "p/x $pc", crashELFPath, crasherCore], cwd: repoRoot, mergeStderr: true, timeout: 120)
            #expect(p.stdout.contains("= 0x\(pcText)"), "\(p.stdout)")
        }
    }
}
