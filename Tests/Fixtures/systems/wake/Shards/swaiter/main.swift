// Waits with Vanity.wait and reports what woke it by its endpoints' names;
// then wait(acknowledging:) with an interrupt it lacks, and with none.
@_cdecl("main")
public func main() -> Int32 {
    let tock = Shard.Channels.tock, done = Shard.Channels.swdone
    let woke = Vanity.wait()
    var m: UInt64 = 0
    _ = tock.tryReceive(into: &m)
    Vanity.log("swaiter: woken by tock \(woke.contains(tock)), by swdone \(woke.contains(done)), a channel \(woke.contains(.channel)), an irq \(woke.contains(.irq)): 0x\(hex: woke.rawValue) (message \(m))")
    // It has no interrupts: acknowledging one is refused (nil) without
    // waiting; acknowledging none is a plain wait (a Wake, empty on timeout).
    let refused = Vanity.wait(timeoutNs: 1, acknowledging: .irqs(first: 0, count: 1)) == nil
    let waited = Vanity.wait(timeoutNs: 1_000, acknowledging: []) != nil
    Vanity.log("swaiter: acknowledging an interrupt it lacks refused \(refused), acknowledging none waited \(waited)")
    done.send(UInt64(1))
    while true { Vanity.wait() }
}
