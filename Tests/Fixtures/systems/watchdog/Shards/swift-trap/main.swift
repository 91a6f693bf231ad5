// Traps on an arithmetic overflow (Embedded Swift emits `brk #1`).
@_cdecl("main")
public func main() -> Int32 {
    Vanity.log("swift-trap: about to overflow\n")
    var x = UInt8(truncatingIfNeeded: Shard.id) &+ 250
    x += 10
    Vanity.log("swift-trap: STILL RUNNING\n")
    return Int32(x)
}
