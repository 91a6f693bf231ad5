/// Separates debug frames from console text on a shared serial line: a
/// frame is recognised by its magic, version, length and CRC; every other
/// byte is console output, passed through in order.
import CVanityDebug

public struct ConsoleDemux {
    var pending: [UInt8] = []

    static let magic0 = UInt8(VANITY_DEBUG_MAGIC0), magic1 = UInt8(VANITY_DEBUG_MAGIC1), version = UInt8(VANITY_DEBUG_VERSION)
    static let header = Int(VANITY_DEBUG_HEADER_SIZE), crc = Int(VANITY_DEBUG_CRC_SIZE)

    public init() {}

    public enum Piece: Equatable {
        case console([UInt8])
        case frame(DebugFrame)
    }

    public mutating func feed(_ bytes: [UInt8]) -> [Piece] {
        pending += bytes
        var out: [Piece] = []
        var text: [UInt8] = []
        var i = 0
        scan: while i < pending.count {
            guard pending[i] == Self.magic0 else {
                text.append(pending[i])
                i += 1
                continue
            }
            let rest = pending.count - i
            // Not enough bytes to decide yet: keep them for the next feed.
            if rest < 2 || (pending[i + 1] == Self.magic1 && rest < Self.header) { break scan }
            if pending[i + 1] != Self.magic1 || pending[i + 2] != Self.version {
                text.append(pending[i])
                i += 1
                continue
            }
            let length = Int(pending[i + 6]) | Int(pending[i + 7]) << 8
            if length > DebugFrame.maxPayload {
                text.append(pending[i])
                i += 1
                continue
            }
            let total = Self.header + length + Self.crc
            if rest < total { break scan }
            let body = Array(pending[i..<(i + Self.header + length)])
            let crc = UInt32(pending[i + total - 4]) | UInt32(pending[i + total - 3]) << 8
                | UInt32(pending[i + total - 2]) << 16 | UInt32(pending[i + total - 1]) << 24
            if crc != DebugFrame.crc32(body) {
                text.append(pending[i])
                i += 1
                continue
            }
            if !text.isEmpty { out.append(.console(text)); text = [] }
            out.append(.frame(DebugFrame(type: body[3], id: UInt16(body[4]) | UInt16(body[5]) << 8, payload: Array(body[Self.header...]))))
            i += total
        }
        if !text.isEmpty { out.append(.console(text)) }
        pending.removeFirst(i)
        return out
    }

    /// What is held back waiting for a possible frame, released as text (call
    /// when the line has been quiet for a while).
    public mutating func flush() -> [UInt8] {
        defer { pending = [] }
        return pending
    }
}
