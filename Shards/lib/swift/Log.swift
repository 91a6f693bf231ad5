// Formatted logging for Embedded Swift shards without a heap: a log message
// is built in a fixed 256-byte buffer on the stack from a string literal with
// interpolations (integers, hex, Bool, StaticString, String) and sent as one
// log record, so `Vanity.log("got \(n) of \(total)")` is one line and works
// with `heap-size = 0`. A longer message is cut at 256 bytes.

/// One log record, written by string interpolation into a fixed buffer.
public struct LogMessage: ExpressibleByStringInterpolation {
    public typealias StringLiteralType = StaticString
    static let capacity = 256
    var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                  UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                  UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                  UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var count = 0

    init() {}

    public init(stringLiteral value: StaticString) { append(value) }

    public init(stringInterpolation: Interpolation) { self = stringInterpolation.message }

    mutating func append(byte: UInt8) {
        guard count < Self.capacity else { return }
        withUnsafeMutableBytes(of: &storage) { $0[count] = byte }
        count += 1
    }

    mutating func append(_ text: StaticString) {
        let p = text.utf8Start
        for i in 0..<text.utf8CodeUnitCount { append(byte: p[i]) }
    }

    mutating func append<T: FixedWidthInteger>(_ value: T, radix: Int, width: Int = 0) {
        var digits: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        var magnitude = value.magnitude
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                let digit = UInt8(truncatingIfNeeded: magnitude % T.Magnitude(radix))
                d[n] = digit < 10 ? 48 + digit : 87 + digit
                n += 1
                magnitude /= T.Magnitude(radix)
            } while magnitude != 0 && n < d.count
        }
        if value < 0 { append(byte: 45) }
        if width > n { for _ in 0..<(width - n) { append(byte: 48) } }
        withUnsafeBytes(of: &digits) { d in
            for i in stride(from: n - 1, through: 0, by: -1) { append(byte: d[i]) }
        }
    }

    public struct Interpolation: StringInterpolationProtocol {
        public typealias StringLiteralType = StaticString
        var message = LogMessage()

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: StaticString) { message.append(literal) }

        /// An integer in decimal.
        public mutating func appendInterpolation<T: FixedWidthInteger>(_ value: T) { message.append(value, radix: 10) }

        /// An integer in hexadecimal (lower case, no prefix), at least `width` digits.
        public mutating func appendInterpolation<T: FixedWidthInteger>(hex value: T, width: Int = 0) {
            message.append(value, radix: 16, width: width)
        }

        public mutating func appendInterpolation(_ value: Bool) { message.append(value ? "true" : "false") }

        public mutating func appendInterpolation(_ value: StaticString) { message.append(value) }

        public mutating func appendInterpolation(_ value: String) {
            for byte in value.utf8 { message.append(byte: byte) }
        }
    }
}

extension Vanity {
    /// Writes one log record as this shard (needs the "log" cap):
    /// `Vanity.log("sent \(n) messages")`. Without a final newline the
    /// kernel ends the line.
    public static func log(_ message: LogMessage) {
        var m = message
        let n = m.count
        withUnsafeBytes(of: &m.storage) { bytes in
            _ = vanity_log(bytes.baseAddress!.assumingMemoryBound(to: CChar.self), n)
        }
    }
}
