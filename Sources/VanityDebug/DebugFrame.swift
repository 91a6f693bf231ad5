import CVanityDebug

/// One frame of the debug link (docs/debug-protocol.md). Encoding and
/// decoding are the kernel's own C (Kernel/src/debug.c), so host and kernel
/// cannot disagree about the wire format.
public struct DebugFrame: Equatable, Sendable {
    public var type: UInt8
    public var id: UInt16
    public var payload: [UInt8]

    public init(type: UInt8, id: UInt16, payload: [UInt8] = []) {
        self.type = type
        self.id = id
        self.payload = payload
    }

    public static let maxPayload = Int(VANITY_DEBUG_MAX_PAYLOAD)

    /// The protocol's CRC-32 (IEEE 802.3).
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { vanity_debug_crc32($0.baseAddress, $0.count) }
    }

    /// The bytes on the wire, or nil when the payload is too long.
    public func encoded() -> [UInt8]? {
        guard payload.count <= Self.maxPayload else { return nil }
        var wire = [UInt8](repeating: 0, count: Int(VANITY_DEBUG_HEADER_SIZE + VANITY_DEBUG_MAX_PAYLOAD + VANITY_DEBUG_CRC_SIZE))
        let n = payload.withUnsafeBufferPointer { p in
            vanity_debug_encode(type, id, p.baseAddress, UInt16(payload.count), &wire)
        }
        return n == 0 ? nil : Array(wire.prefix(n))
    }
}

/// Reassembles frames from a byte stream, skipping garbage and rejecting
/// corrupt frames (then resynchronising on the next magic).
public struct DebugDecoder {
    var state = vanity_debug_decoder()
    var frame = vanity_debug_frame()

    public init() { vanity_debug_decoder_init(&state) }

    /// Bytes skipped while resynchronising; frames rejected (version, length, CRC).
    public var dropped: Int { Int(state.dropped) }
    public var rejected: Int { Int(state.rejected) }

    public mutating func feed<S: Sequence>(_ bytes: S) -> [DebugFrame] where S.Element == UInt8 {
        var out: [DebugFrame] = []
        for b in bytes where vanity_debug_feed(&state, b, &frame) == 1 {
            let payload = withUnsafeBytes(of: frame.payload) { Array($0.prefix(Int(frame.length))) }
            out.append(DebugFrame(type: frame.type, id: frame.id, payload: payload))
        }
        return out
    }
}
