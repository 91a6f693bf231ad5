// A million objects allocated and freed (the heap frees), interpolated log
// lines, and print() a line at a time.
final class Node {
    var value: Int
    var next: Node?
    init(_ value: Int, _ next: Node?) {
        self.value = value
        self.next = next
    }
}

@_cdecl("main")
public func main() -> Int32 {
    var total = 0
    for round in 0..<100_000 {
        // Ten objects live at once, all freed by the end of the round.
        var list: Node? = nil
        for i in 0..<10 { list = Node(round &+ i, list) }
        while let n = list {
            total &+= n.value
            list = n.next
        }
    }
    Vanity.log("swift: 1000000 objects, checksum \(total), \(hex: 0xbeef as UInt32, width: 8), ok \(total == 50_004_000_000)")
    print("swift: print works, one line at a time")
    _ = Shard.Channels.swiftDone.send(UInt64(1))
    while true { _ = vanity_wait(0) }
}
