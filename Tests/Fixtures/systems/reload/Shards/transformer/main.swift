// The reload test's transformer (Embedded Swift): stamps each message with
// its version and generation. Tests/VanityTests/ReloadTests.swift rewrites
// the version below and reloads it into the running system. It waits only
// with nothing half done (input peeked but not yet released is delivered
// again to new code; output is committed before input is released), so a
// reload at its wait loses and duplicates nothing.
let version: UInt32 = 1

/// struct reload_msg of Shards/message.h.
struct Message {
    var seq: UInt32
    var version: UInt32
    var generation: UInt32
    var check: UInt32
}

@_cdecl("main")
public func main() -> Int32 {
    let input = Shard.Channels.raw
    let output = Shard.Channels.stamped
    let generation = UInt32(truncatingIfNeeded: vanity_generation(UInt32(Shard.id)))
    Vanity.log("transformer: running\n")
    while true {
        let incoming = input.peek(Message.self, max: 16)
        if incoming.isEmpty {
            _ = vanity_wait(200_000)
            continue
        }
        let slots = output.reserve(Message.self, max: incoming.count)
        if slots.isEmpty {
            _ = vanity_wait(200_000)
            continue
        }
        for i in 0..<slots.count {
            var m = incoming[i]
            m.version = version
            m.generation = generation
            slots[i] = m
        }
        output.commit(slots.count)
        input.release(slots.count)
    }
}
