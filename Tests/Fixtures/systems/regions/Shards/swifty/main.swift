// Checks the shelf through its read-only mapping, from Embedded Swift.
@_extern(c, "swifty_wait_ready")
func waitReady(_ shelf: UnsafeRawPointer)

@_cdecl("main")
public func main() -> Int32 {
    let shelf = Shard.Regions.shelf          // UnsafeRawBufferPointer: mapped "r"
    waitReady(shelf.baseAddress!)
    var wrong = 0
    for i in 8..<(shelf.count / 8) {
        let word = UInt64(i)
        let expected = (word &+ 1) &* 0x9e37_79b9_7f4a_7c15 ^ (word << 32)
        if shelf.load(fromByteOffset: i * 8, as: UInt64.self) != expected { wrong += 1 }
    }
    let base = UInt(bitPattern: shelf.baseAddress)
    let physical = Shard.Regions.Physical.shelf
    Vanity.log("swifty: the shelf at 0x\(hex: UInt64(base)): \(shelf.count) bytes, \(wrong) wrong, physical address \(physical == UInt64(base) ? "equal" as StaticString : "DIFFERENT")\n")
    if wrong == 0 && physical == UInt64(base) {
        Shard.Regions.board.storeBytes(of: UInt64(0x4f4b), toByteOffset: 2 * 8, as: UInt64.self)  // BOARD_SWIFTY
    }
    return 0
}
