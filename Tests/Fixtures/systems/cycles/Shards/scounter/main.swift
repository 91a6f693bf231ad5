// The same from Embedded Swift: Vanity.cycles() moves forward over work.
@_cdecl("main")
public func main() -> Int32 {
    let first = Vanity.cycles()
    var previous = first, backwards = 0
    for _ in 0..<10_000 {
        let now = Vanity.cycles()
        if now < previous { backwards += 1 }
        previous = now
    }
    Vanity.log("scounter: 10000 reads, \(backwards) backwards; advanced \(previous > first)")
    Shard.Channels.done.send(UInt64(1))
    while true { Vanity.wait() }
}
