import CVanityDebug

/// The reload exchange on a debug link: begin (signed), the image in chunks,
/// commit; every request is answered. One definition for `vanity-build
/// reload` and the tests.
public enum ReloadTransfer {
    /// What the kernel says when the new code runs.
    public struct Verdict: Sendable {
        public var generation: Int
        public var verifyMicros: Int
        public var quiesceMicros: Int
        public var swapMicros: Int
    }

    /// An error reply: its code (enum vanity_debug_error) and text.
    public struct Rejection: Error, Sendable, CustomStringConvertible {
        public var code: Int
        public var text: String
        public var description: String { "error from the system (\(code)): \(text)" }
    }

    /// Requests in flight at once: enough to keep the line busy, few enough
    /// that the kernel's replies never fill a buffer nobody reads.
    public static let window = 8

    /// Payload bytes per chunk (the frame limit less the offset).
    public static let chunkSize = DebugFrame.maxPayload - 4

    public static func rejection(_ reply: DebugFrame) -> Rejection? {
        guard reply.type == UInt8(VANITY_DEBUG_ERROR.rawValue) else { return nil }
        let code = reply.payload.count >= 2 ? Int(reply.payload[0]) | Int(reply.payload[1]) << 8 : 0
        return Rejection(code: code, text: String(decoding: reply.payload.dropFirst(2), as: UTF8.self))
    }

    static func expect(_ reply: DebugFrame) throws {
        if let r = rejection(reply) { throw r }
    }

    public static func chunkPayload(_ image: [UInt8], offset: Int, count: Int) -> [UInt8] {
        var payload: [UInt8] = []
        withUnsafeBytes(of: UInt32(offset).littleEndian) { payload += $0 }
        return payload + image[offset..<(offset + count)]
    }

    /// Sends `image` (with its signed begin payload) and returns the verdict
    /// once the new code runs; throws a Rejection with the kernel's reason.
    public static func send(_ client: DebugClient, image: [UInt8], begin: [UInt8], force: Bool = false,
                            timeout: Double = 10) throws -> Verdict {
        // Pipelined: up to `window` requests in flight, each reply checked
        // in order (the first refusal is the one reported).
        var pending: [UInt16] = [try client.post(UInt8(VANITY_DEBUG_RELOAD_BEGIN.rawValue), payload: begin)]
        var offset = 0
        while offset < image.count || !pending.isEmpty {
            if offset < image.count && pending.count < window {
                let n = min(chunkSize, image.count - offset)
                pending.append(try client.post(UInt8(VANITY_DEBUG_RELOAD_CHUNK.rawValue), payload: chunkPayload(image, offset: offset, count: n)))
                offset += n
                continue
            }
            try expect(try client.reply(to: pending.removeFirst()))
        }
        var flags: [UInt8] = []
        withUnsafeBytes(of: UInt32(force ? 1 : 0).littleEndian) { flags += $0 }
        let verdict = try client.request(UInt8(VANITY_DEBUG_RELOAD_COMMIT.rawValue), payload: flags, timeout: timeout)
        try expect(verdict)
        let p = verdict.payload
        let u32 = { (o: Int) -> Int in p.count >= o + 4 ? Int(p[o]) | Int(p[o + 1]) << 8 | Int(p[o + 2]) << 16 | Int(p[o + 3]) << 24 : 0 }
        return Verdict(generation: u32(0), verifyMicros: u32(4), quiesceMicros: u32(8), swapMicros: u32(12))
    }
}
