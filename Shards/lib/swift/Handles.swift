// The Embedded Swift user library: typed channel endpoints and devices over
// the C user library (<vanity/vanity.h>, imported through Bridging.h). A
// shard's generated Shard.swift creates these values from its layout, so a
// shard author never computes an address.

/// The C handle (<vanity/handles.h>) for one end of a channel.
func channelHandle(_ address: UInt, _ id: UInt16, _ direction: vanity_direction, _ peer: UInt16, _ msgSize: Int,
                   _ slots: UInt32, _ notify: Bool, _ wakeIndex: Int) -> vanity_channel {
    vanity_channel(ring: UnsafeMutablePointer<vanity_ring>(bitPattern: address)!, id: id,
                   direction: UInt16(direction.rawValue), peer: peer, notify: notify ? 1 : 0,
                   msg_size: UInt32(msgSize), slots: slots, wake_index: UInt32(wakeIndex))
}

/// What woke a wait (`Vanity.wait`): the wake word of <vanity/syscall.h>
/// (docs/abi.md, "What woke a wait"). Test one endpoint or device with
/// `contains(Shard.Channels.x)` / `contains(Shard.Devices.y)`, a kind with
/// `contains(.channel)`; empty: the wait timed out.
public struct Wake: OptionSet, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// A peer notified one of this shard's channels (or restarted).
    public static let channel = Wake(rawValue: VANITY_WAKE_CHANNEL)
    /// One of this shard's interrupts fired.
    public static let irq = Wake(rawValue: VANITY_WAKE_IRQ)
    /// A shard with policy "propagate" naming this one faulted.
    public static let supervised = Wake(rawValue: VANITY_WAKE_SUPERVISED)
    /// Every channel bit, every interrupt bit.
    public static let channels = Wake(rawValue: VANITY_WAKE_CHANNELS)
    public static let irqs = Wake(rawValue: VANITY_WAKE_IRQS)

    /// The bit of this shard's channel `index` (its position in the shard's
    /// channel list; an index past the last bit shares it).
    public static func channel(index: Int) -> Wake { Wake(rawValue: vanity_wake_channel_bit(UInt32(index))) }
    /// The bits of this shard's interrupts `first..<first + count`.
    public static func irqs(first: Int, count: Int) -> Wake {
        Wake(rawValue: vanity_wake_irq_range(UInt32(first), UInt32(count)))
    }

    public func contains(_ endpoint: Sender) -> Bool { !intersection(endpoint.woke).isEmpty }
    public func contains(_ endpoint: Receiver) -> Bool { !intersection(endpoint.woke).isEmpty }
    public func contains(_ device: Device) -> Bool { !intersection(device.woke).isEmpty }
}

/// The writing end of a channel whose messages are values of type `Message`
/// (exactly `msgSize` bytes, plain data).
public struct Sender {
    public var raw: vanity_channel

    public init(address: UInt, id: UInt16, peer: UInt16, msgSize: Int, slots: UInt32, notify: Bool, wakeIndex: Int = 0) {
        raw = channelHandle(address, id, VANITY_DIR_SEND, peer, msgSize, slots, notify, wakeIndex)
    }

    /// This endpoint's bit in a wait's result.
    public var woke: Wake { .channel(index: Int(raw.wake_index)) }

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

    public init(address: UInt, id: UInt16, peer: UInt16, msgSize: Int, slots: UInt32, notify: Bool, wakeIndex: Int = 0) {
        raw = channelHandle(address, id, VANITY_DIR_RECEIVE, peer, msgSize, slots, notify, wakeIndex)
    }

    /// This endpoint's bit in a wait's result.
    public var woke: Wake { .channel(index: Int(raw.wake_index)) }

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

/// A granted device: its MMIO ranges (mapped as device memory, each at its
/// physical address) and interrupt lines.
public struct Device {
    /// The first range.
    public let base: UInt
    public let size: Int
    /// The first interrupt line, or nil.
    public let irq: UInt32?
    /// Lines granted with the device, and the shard's interrupt index of the
    /// first (the others follow).
    public let irqCount: Int
    public let irqIndex: Int
    /// The ranges `reg` gives: the device tree node's, at most 5 (the C
    /// header's VANITY_DEVICE_<NAME>_REG<k> has them all).
    public let regCount: Int
    private let more: ((UInt, Int), (UInt, Int), (UInt, Int), (UInt, Int))

    public init(address: UInt, size: Int, irq: UInt32?, irqCount: Int = 0, irqIndex: Int = 0, regCount: Int = 1,
                more: ((UInt, Int), (UInt, Int), (UInt, Int), (UInt, Int)) = ((0, 0), (0, 0), (0, 0), (0, 0))) {
        self.base = address
        self.size = size
        self.irq = irq
        self.irqCount = irqCount
        self.irqIndex = irqIndex
        self.regCount = regCount
        self.more = more
    }

    /// Range `k` (0: `base`, `size`; x86_64-pc's virtio-pci devices: 1 is
    /// the window for the BAR), or nil past the last.
    public func reg(_ k: Int) -> (base: UInt, size: Int)? {
        guard k >= 0 && k < regCount else { return nil }
        switch k {
        case 0: return (base, size)
        case 1: return (more.0.0, more.0.1)
        case 2: return (more.1.0, more.1.1)
        case 3: return (more.2.0, more.2.1)
        default: return (more.3.0, more.3.1)
        }
    }

    /// The bits of its lines in a wait's result (none without interrupts).
    public var woke: Wake { .irqs(first: irqIndex, count: irqCount) }

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

    /// The calling core's cycle counter, read without a system call (see
    /// vanity_cycles).
    @inline(__always)
    public static func cycles() -> UInt64 { vanity_cycles() }

    /// Which of the shard's cores runs the caller, 0 to `Shard.coreCount` - 1
    /// (its cores in ascending order; see vanity_core_index).
    @inline(__always)
    public static var coreIndex: Int { Int(vanity_core_index()) }

    /// Waits for a wake-up or `timeoutNs` (0: forever); returns what woke
    /// it, empty on timeout. Every wake since the last wait returned,
    /// including those a blocking send or receive took (see vanity_wait).
    @discardableResult
    public static func wait(timeoutNs: UInt64 = 0) -> Wake {
        let r = vanity_wait(timeoutNs)
        return Wake(rawValue: r > 0 ? UInt64(r) : 0)
    }

    /// `wait` that first acknowledges interrupt bits of an earlier wake (a
    /// device's `woke` it has served), as `ackIrq` does, in the same kernel
    /// entry (see vanity_wait_ack). nil, at once and without waiting or
    /// acknowledging anything, when `ack` names an interrupt the shard
    /// lacks (VANITY_E_INVALID); an empty Wake is a timeout.
    public static func wait(timeoutNs: UInt64 = 0, acknowledging ack: Wake) -> Wake? {
        let r = vanity_wait_ack(timeoutNs, ack.rawValue)
        return r < 0 ? nil : Wake(rawValue: UInt64(r))
    }

    /// Acknowledges interrupt `irq` (unmasks it).
    @discardableResult
    public static func ackIrq(_ irq: UInt32) -> Int64 { vanity_irq_ack(irq) }

    /// Stops this shard with `status`.
    public static func exit(_ status: UInt32) -> Never {
        vanity_exit(status)
    }

    /// How many times shard `shard` has been (re)started.
    public static func generation(of shard: Int) -> Int64 { vanity_generation(UInt32(truncatingIfNeeded: shard)) }

    /// A supervisor restarts, holds or releases shard `shard` of its reach
    /// (needs the "restart" cap): 0, or a negative VANITY_E_* (see vanity_control).
    @discardableResult
    public static func restart(_ shard: Int) -> Int64 { vanity_restart(UInt32(truncatingIfNeeded: shard)) }
    @discardableResult
    public static func hold(_ shard: Int) -> Int64 { vanity_hold(UInt32(truncatingIfNeeded: shard)) }
    @discardableResult
    public static func release(_ shard: Int) -> Int64 { vanity_release(UInt32(truncatingIfNeeded: shard)) }
    /// 0 once the last request for `shard` is carried out, VANITY_E_BUSY while it is pending.
    public static func controlPending(_ shard: Int) -> Int64 { vanity_control_pending(UInt32(truncatingIfNeeded: shard)) }

    /// The fault record of shard `shard` (this shard, or one in its reach),
    /// or nil when the kernel refuses (denied, or no such shard).
    public static func faultRecord(of shard: Int) -> FaultRecord? {
        var record = FaultRecord()
        return vanity_fault_record(UInt32(truncatingIfNeeded: shard), &record) < 0 ? nil : record
    }
}

/// A shard's fault record (struct vanity_fault_record of <vanity/syscall.h>).
public typealias FaultRecord = vanity_fault_record
