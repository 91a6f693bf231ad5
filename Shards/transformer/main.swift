// Demo transformer (Embedded Swift): reads numbered messages from "samples",
// transforms each (check ^= seq, as Shards/demo.h describes) and writes them
// to "results" for the sink. Zero-copy: it reads the messages in the input
// ring and builds its output in the output ring.

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
    Vanity.log("transformer: ready (Embedded Swift, zero-copy)\n")
    withUnsafeTemporaryAllocation(of: Message.self, capacity: 16) { (buffer) -> Never in
        while true {
            let incoming = input.peek(Message.self, max: 16)
            if incoming.isEmpty {
                // Nothing waiting: the blocking receive sleeps until there is.
                let n = input.receive(batch: buffer)
                for i in 0..<n { buffer[i].check ^= buffer[i].seq }
                output.send(batch: UnsafeBufferPointer(rebasing: buffer[0..<n]))
                continue
            }
            var done = 0
            while done < incoming.count {
                let slots = output.reserve(Message.self, max: incoming.count - done)
                if slots.isEmpty {
                    // The output ring is full: send one the blocking way, which waits for room.
                    buffer[0] = incoming[done]
                    buffer[0].check ^= buffer[0].seq
                    output.send(batch: UnsafeBufferPointer(rebasing: buffer[0..<1]))
                    done += 1
                    continue
                }
                for i in 0..<slots.count {
                    var m = incoming[done + i]
                    m.check ^= m.seq
                    slots[i] = m
                }
                output.commit(slots.count)
                done += slots.count
            }
            input.release(incoming.count)
        }
    }
}
