import VanityABI
import VanityDiagnostics
import VanityLayout

/// A hot-reload image (Kernel/include/vanity/reload.h): what `vanity-build
/// reload` sends and the kernel checks and loads. Pure: bytes in, bytes out.
public enum ReloadImage {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    static let headerSize = MemoryLayout<vanity_reload_header>.size
    static let segmentSize = MemoryLayout<vanity_reload_segment>.size

    /// One segment: its kind (enum vanity_reload_segment_kind), address and bytes.
    public struct Segment: Equatable, Sendable {
        public var kind: UInt32
        public var addr: UInt64
        public var bytes: [UInt8]

        public init(kind: UInt32, addr: UInt64, bytes: [UInt8]) {
            self.kind = kind
            self.addr = addr
            self.bytes = bytes
        }
    }

    /// A board shard's linked ELF → its text, rodata and data segments,
    /// each checked against the shard's layout region of the same kind.
    public static func segments(elf: ElfFile, bytes: [UInt8], shard: ShardLayout) -> Result<[Segment], Failure> {
        var out: [Segment] = []
        for seg in elf.segments where seg.isLoad && seg.memSize > 0 {
            let kind: RegionKind = seg.executable ? .text : seg.writable ? .data : .rodata
            guard let region = shard.region(kind) else {
                return .failure(Failure(description: "shard \(shard.shard.name) has no \(kind.rawValue) region"))
            }
            guard seg.vaddr >= region.virt, seg.vaddr + seg.memSize <= region.virtEnd else {
                return .failure(Failure(description: "the \(seg.perms) segment at \(hex(seg.vaddr)) (\(seg.memSize) bytes) does not fit the \(kind.rawValue) region \(hex(region.virt))..\(hex(region.virtEnd))"))
            }
            guard seg.offset + seg.fileSize <= UInt64(bytes.count) else {
                return .failure(Failure(description: "a segment runs past the end of the ELF file"))
            }
            let abi: vanity_reload_segment_kind = kind == .text ? VANITY_RELOAD_TEXT : kind == .data ? VANITY_RELOAD_DATA : VANITY_RELOAD_RODATA
            if out.contains(where: { $0.kind == abi.rawValue }) {
                return .failure(Failure(description: "two \(kind.rawValue) segments; the shard's linker script makes one of each"))
            }
            // Bytes past the file size (bss) are zero: the kernel zeroes the
            // region around what it copies, so they need not travel.
            out.append(Segment(kind: abi.rawValue, addr: seg.vaddr, bytes: Array(bytes[Int(seg.offset)..<Int(seg.offset + seg.fileSize)])))
        }
        guard out.contains(where: { $0.kind == VANITY_RELOAD_TEXT.rawValue }) else {
            return .failure(Failure(description: "the ELF file has no executable segment"))
        }
        return .success(out)
    }

    /// The simulator: the whole host executable.
    public static func hostExecutable(_ bytes: [UInt8]) -> [Segment] {
        [Segment(kind: VANITY_RELOAD_HOST_EXECUTABLE.rawValue, addr: 0, bytes: bytes)]
    }

    /// Header, segment table, then each segment's bytes (8-byte aligned).
    public static func pack(_ segments: [Segment]) -> [UInt8] {
        var out: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        put(VANITY_RELOAD_MAGIC)
        put(UInt16(VANITY_RELOAD_VERSION))
        put(UInt16(segments.count))
        var offset = headerSize + segments.count * segmentSize
        var offsets: [Int] = []
        for s in segments {
            offset = (offset + 7) & ~7
            offsets.append(offset)
            offset += s.bytes.count
        }
        for (s, o) in zip(segments, offsets) {
            put(s.kind)
            put(UInt32(o))
            put(s.addr)
            put(UInt64(s.bytes.count))
        }
        for (s, o) in zip(segments, offsets) {
            out += [UInt8](repeating: 0, count: o - out.count)
            out += s.bytes
        }
        return out
    }
}
