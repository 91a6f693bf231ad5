// Demo transformer (Embedded Swift): reads numbered messages from "samples",
// transforms each (check ^= seq, as Shards/demo.h describes) and writes them
// to "results" for the sink.

/// The 64-byte message of Shards/demo.h.
struct Message {
    var seq: UInt32 = 0
    var check: UInt32 = 0
    var payload: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0)
}

@_cdecl("main")
public func main() -> Int32 {
    let input = Shard.Channels.samples
    let output = Shard.Channels.results
    Vanity.log("transformer: ready (Embedded Swift)\n")
    withUnsafeTemporaryAllocation(of: Message.self, capacity: 16) { (buffer) -> Never in
        while true {
            let n = input.receive(batch: buffer)
            for i in 0..<n {
                buffer[i].check ^= buffer[i].seq
            }
            output.send(batch: UnsafeBufferPointer(rebasing: buffer[0..<n]))
        }
    }
}
