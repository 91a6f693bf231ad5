// Receives until a call reports that the writer broke the protocol.
@_cdecl("main")
public func main() -> Int32 {
    let input = Shard.Channels.swiftstall
    withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 4) { buffer in
        while input.receive(batch: buffer) != 0 {}
    }
    if input.peerErrors > 0 {
        Vanity.log("swift-victim: a protocol error reported; still running\n")
    }
    while true { _ = vanity_wait(0) }
}
