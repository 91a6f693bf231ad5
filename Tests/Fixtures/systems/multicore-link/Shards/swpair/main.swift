// Each core says who it is (Vanity.coreIndex), then waits for good.
@_cdecl("main")
public func main() -> Int32 {
    let generation = Vanity.generation(of: Int(Shard.id))
    Vanity.log("swpair: core index \(Vanity.coreIndex) of \(Shard.coreCount), generation \(generation)")
    while true { Vanity.wait() }
}
