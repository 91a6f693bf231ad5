// Has cap "restart" but nothing in its reach: restarting the worker and
// reading its fault record are denied (and counted); its own record reads
// (it never faulted). Tells the boss the two results.
let worker = 1 // the worker's shard id: not in this shard's reach, so no Shard.Reach name

@_cdecl("main")
public func main() -> Int32 {
    let restart = Vanity.restart(worker)
    let theirs = Vanity.faultRecord(of: worker)
    let own = Vanity.faultRecord(of: Int(Shard.id))
    Vanity.log("outsider: restart worker -> \(restart), its fault record \(theirs == nil ? "denied" : "read"), own record: \(own?.faults ?? 99) fault(s)\n")
    let report: (Int64, Int64) = (restart, theirs == nil ? Int64(VANITY_E_DENIED.rawValue) : 0)
    _ = Shard.Channels.outside.send(report)
    while true { Vanity.wait() }
}
