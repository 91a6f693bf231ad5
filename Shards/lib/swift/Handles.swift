// Typed handles for Embedded Swift shards. A shard's generated Shard.swift
// creates them from its layout; the ring format itself (`vanity_ring`) comes
// from Kernel/include/vanity/ring.h through the shard's bridging header
// (the generated vanity_shard.h), so C and Swift share one definition.

/// The writing end of a channel.
public struct Sender {
    public let ring: UnsafeMutablePointer<vanity_ring>
    /// The channel's index in the system table.
    public let id: UInt16
    /// The reading shard's id.
    public let peer: UInt16
    public let msgSize: Int
    public let slots: UInt32

    public init(address: UInt, id: UInt16, peer: UInt16, msgSize: Int, slots: UInt32) {
        self.ring = UnsafeMutablePointer<vanity_ring>(bitPattern: address)!
        self.id = id
        self.peer = peer
        self.msgSize = msgSize
        self.slots = slots
    }
}

/// The reading end of a channel.
public struct Receiver {
    public let ring: UnsafeMutablePointer<vanity_ring>
    /// The channel's index in the system table.
    public let id: UInt16
    /// The writing shard's id.
    public let peer: UInt16
    public let msgSize: Int
    public let slots: UInt32

    public init(address: UInt, id: UInt16, peer: UInt16, msgSize: Int, slots: UInt32) {
        self.ring = UnsafeMutablePointer<vanity_ring>(bitPattern: address)!
        self.id = id
        self.peer = peer
        self.msgSize = msgSize
        self.slots = slots
    }
}

/// A granted device: its first MMIO range (mapped as device memory) and
/// interrupt line.
public struct Device {
    public let base: UnsafeMutableRawPointer
    public let size: Int
    /// The first interrupt line, or nil.
    public let irq: UInt32?

    public init(address: UInt, size: Int, irq: UInt32?) {
        self.base = UnsafeMutableRawPointer(bitPattern: address)!
        self.size = size
        self.irq = irq
    }

    /// Reads a 32-bit device register at `offset`.
    @inline(__always)
    public func read32(_ offset: Int) -> UInt32 {
        vanity_mmio_read32(UInt(bitPattern: base + offset))
    }

    /// Writes a 32-bit device register at `offset`.
    @inline(__always)
    public func write32(_ offset: Int, _ value: UInt32) {
        vanity_mmio_write32(UInt(bitPattern: base + offset), value)
    }
}
