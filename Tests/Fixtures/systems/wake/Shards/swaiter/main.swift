// Waits with Vanity.wait and reports what woke it by its endpoints' names.
@_cdecl("main")
public func main() -> Int32 {
    let tock = Shard.Channels.tock, done = Shard.Channels.swdone
    let woke = Vanity.wait()
    var m: UInt64 = 0
    _ = tock.tryReceive(into: &m)
    Vanity.log("swaiter: woken by tock \(woke.contains(tock)), by swdone \(woke.contains(done)), a channel \(woke.contains(.channel)), an irq \(woke.contains(.irq)): 0x\(hex: woke.rawValue) (message \(m))")
    done.send(UInt64(1))
    while true { Vanity.wait() }
}
