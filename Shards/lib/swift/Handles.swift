// The Embedded Swift user library: typed channel endpoints and devices over
// the C user library (<vanity/vanity.h>, imported through Bridging.h). A
// shard's generated Shard.swift creates these values from its layout, so a
// shard author never computes an address.

/// The C handle (<vanity/handles.h>) for one end of a channel.
func channelHandle(_ address: UInt, _ id: UInt16, _ direction: vanity_direction, _ peer: UInt16, _ msgSize: Int,
                   _ slots: UInt32, _ notify: Bool) -> vanity_channel {
    vanity_channel(ring: UnsafeMutablePointer<vanity_ring>(bitPattern: address)!, id: id,
                   direction: UInt16(direction.rawValue), peer: peer, notify: notify ? 1 : 0,
                   msg_size: UInt32(msgSize), slots: slots)
}

/// The writing end of a channel whose messages are values of type `Message`
/// (exactly `msgSize` bytes, plain data).
public struct Sender {
    public var raw: vanity_channel

    public init(address: UInt, id: UInt16, peer: UInt16, msgSize: Int, slots: UInt32, notify: Bool) {
        raw = channelHandle(address, id, VANITY_DIR_SEND, peer, msgSize, slots, notify)
    }

    public var msgSize: Int { Int(raw.msg_size) }
    public var slots: UInt32 { raw.slots }
    public var id: UInt16 { raw.id }
    public var ring: UnsafeMutablePointer<vanity_ring> { raw.ring }

    /// Sends one message, waiting while the ring is full. False if the
    /// receiver broke the ring's protocol (see `peerErrors`): nothing sent.
    @discardableResult
    public func send<Message>(_ message: Message) -> Bool {
        precondition(MemoryLayout<Message>.size == msgSize)
        var m = message
        var ch = raw
        return withUnsafePointer(to: &m) { vanity_send(&ch, UnsafeRawPointer($0)) } != 0
    }

    /// Sends `messages`, waiting for room as needed; returns how many were
    /// sent (fewer only if the receiver broke the ring's protocol).
    @discardableResult
    public func send<Message>(batch messages: UnsafeBufferPointer<Message>) -> Int {
        precondition(MemoryLayout<Message>.stride == msgSize)
        var ch = raw
        return Int(vanity_send_batch(&ch, UnsafeRawPointer(messages.baseAddress!), UInt32(messages.count)))
    }

    /// Protocol errors found in the receiver's indices so far: an index more
    /// than a ring away is never acted on (the call moves nothing).
    public var peerErrors: UInt32 { var ch = raw; return vanity_channel_peer_errors(&ch) }

    /// Zero-copy: up to `max` free slots to build messages in place (fewer
    /// at the ring's wrap point, empty when full). Publish them with `commit`.
    public func reserve<Message>(_ type: Message.Type, max: Int) -> UnsafeMutableBufferPointer<Message> {
        precondition(MemoryLayout<Message>.stride == msgSize)
        var ch = raw
        var first: UnsafeMutableRawPointer? = nil
        let n = vanity_send_reserve(&ch, &first, UInt32(max))
        return UnsafeMutableBufferPointer(start: first!.assumingMemoryBound(to: Message.self), count: Int(n))
    }

    /// Publishes the first `count` reserved slots.
    public func commit(_ count: Int) {
        var ch = raw
        vanity_send_commit(&ch, UInt32(count))
    }

    /// Sends one message if there is room; false if the ring is full.
    public func trySend<Message>(_ message: Message) -> Bool {
        precondition(MemoryLayout<Message>.size == msgSize)
        var m = message
        var ch = raw
        return withUnsafePointer(to: &m) { vanity_try_send(&ch, UnsafeRawPointer($0)) } != 0
    }
}

/// The reading end of a channel.
public struct Receiver {
    public var raw: vanity_channel

    public init(address: UInt, id: UInt16, peer: UInt16, msgSize: Int, slots: UInt32, notify: Bool) {
        raw = channelHandle(address, id, VANITY_DIR_RECEIVE, peer, msgSize, slots, notify)
    }

    public var msgSize: Int { Int(raw.msg_size) }
    public var slots: UInt32 { raw.slots }
    public var id: UInt16 { raw.id }
    public var ring: UnsafeMutablePointer<vanity_ring> { raw.ring }

    /// Receives into `buffer`, waiting until at least one message is there;
    /// returns how many arrived: 0 only if the sender broke the ring's
    /// protocol (see `peerErrors`).
    public func receive<Message>(batch buffer: UnsafeMutableBufferPointer<Message>) -> Int {
        precondition(MemoryLayout<Message>.stride == msgSize)
        var ch = raw
        return Int(vanity_recv_batch(&ch, UnsafeMutableRawPointer(buffer.baseAddress!), UInt32(buffer.count)))
    }

    /// Zero-copy: up to `max` waiting messages, read in place (fewer at the
    /// ring's wrap point, empty when none). Hand them back with `release`.
    public func peek<Message>(_ type: Message.Type, max: Int) -> UnsafeBufferPointer<Message> {
        precondition(MemoryLayout<Message>.stride == msgSize)
        var ch = raw
        var first: UnsafeRawPointer? = nil
        let n = vanity_recv_peek(&ch, &first, UInt32(max))
        return UnsafeBufferPointer(start: first!.assumingMemoryBound(to: Message.self), count: Int(n))
    }

    /// Releases the first `count` peeked messages to the sender.
    public func release(_ count: Int) {
        var ch = raw
        vanity_recv_release(&ch, UInt32(count))
    }

    /// Receives one message if there is one.
    public func tryReceive<Message>(into message: inout Message) -> Bool {
        precondition(MemoryLayout<Message>.size == msgSize)
        var ch = raw
        return withUnsafeMutablePointer(to: &message) { vanity_try_recv(&ch, UnsafeMutableRawPointer($0)) } != 0
    }

    /// Protocol errors found in the sender's indices so far: an index more
    /// than a ring away is never acted on (the call moves nothing, a
    /// blocking receive returns 0).
    public var peerErrors: UInt32 { var ch = raw; return vanity_channel_peer_errors(&ch) }

    /// The channel's generation (bumped when an endpoint restarts).
    public var generation: UInt32 { var ch = raw; return vanity_channel_generation(&ch) }
}

/// A granted device: its first MMIO range (mapped as device memory) and
/// interrupt line.
public struct Device {
    public let base: UInt
    public let size: Int
    /// The first interrupt line, or nil.
    public let irq: UInt32?

    public init(address: UInt, size: Int, irq: UInt32?) {
        self.base = address
        self.size = size
        self.irq = irq
    }

    /// Reads a 32-bit device register at `offset`.
    @inline(__always)
    public func read32(_ offset: Int) -> UInt32 { vanity_mmio_read32(base + UInt(offset)) }

    /// Writes a 32-bit device register at `offset`.
    @inline(__always)
    public func write32(_ offset: Int, _ value: UInt32) { vanity_mmio_write32(base + UInt(offset), value) }
}

/// System calls.
public enum Vanity {
    /// Nanoseconds since boot (needs the "time" cap).
    public static func timeNs() -> Int64 { vanity_time_ns() }

    /// Stops this shard with `status`.
    public static func exit(_ status: UInt32) -> Never {
        vanity_exit(status)
    }
}
