// Grows an array until its 16 KiB heap is gone: the allocation fails and
// Swift traps; the kernel names the shard.
@_cdecl("main")
public func main() -> Int32 {
    Vanity.log("swift-exhaust: growing")
    var a: [UInt64] = []
    while true { a.append(UInt64(a.count)) }
}
