// LZ4 from Embedded Swift: 64 KiB of generated log-like lines compressed and
// decompressed through the C library, compared byte for byte; then the C
// shard is told how it went.

/// FNV-1a, 32 bits.
func fnv1a(_ p: UnsafeMutablePointer<CChar>, _ n: Int) -> UInt32 {
    var h: UInt32 = 2_166_136_261
    for i in 0..<n { h = (h ^ UInt32(UInt8(bitPattern: p[i]))) &* 16_777_619 }
    return h
}

/// Fills a buffer with text, dropping what does not fit.
struct Writer {
    let to: UnsafeMutablePointer<CChar>
    let size: Int
    var at = 0
    var full: Bool { at == size }

    mutating func put(byte: UInt8) {
        if at < size {
            to[at] = CChar(bitPattern: byte)
            at += 1
        }
    }

    mutating func put(_ s: StaticString) {
        s.withUTF8Buffer { for b in $0 { put(byte: b) } }
    }

    mutating func put(number: Int) {
        if number >= 10 { put(number: number / 10) }
        put(byte: UInt8(48 + number % 10))
    }
}

@_cdecl("main")
public func main() -> Int32 {
    let size = 64 * 1024
    let bound = Int(LZ4_compressBound(Int32(size)))
    let original = UnsafeMutablePointer<CChar>.allocate(capacity: size)
    let packed = UnsafeMutablePointer<CChar>.allocate(capacity: bound)
    let unpacked = UnsafeMutablePointer<CChar>.allocate(capacity: size)
    // "swift line 1234: ok\n" over and over, counting.
    var w = Writer(to: original, size: size)
    var line = 0
    while !w.full {
        w.put("swift line ")
        w.put(number: line)
        w.put(": ok\n")
        line += 1
    }
    let n = LZ4_compress_default(original, packed, Int32(size), Int32(bound))
    let m = n > 0 ? LZ4_decompress_safe(packed, unpacked, n, Int32(size)) : -1
    var same = m == Int32(size)
    for i in 0..<size where original[i] != unpacked[i] { same = false }
    Vanity.log("swift: \(size) -> \(Int(n)) bytes, round trip \(same ? "ok" : "FAILED"), fnv1a \(hex: fnv1a(original, size), width: 8) -> \(hex: fnv1a(unpacked, size), width: 8)")
    original.deallocate()
    packed.deallocate()
    unpacked.deallocate()
    _ = Shard.Channels.swiftDone.send(UInt64(same ? 1 : 2))
    while true { _ = vanity_wait(0) }
}
