// Receives the counter's value, checks it with the shared library from
// Swift and through its C helper, reports and stops the system.

struct ValueMessage {
    var value: UInt32 = 0
    var check: UInt32 = 0
    var reserved: UInt64 = 0
}

@_cdecl("main")
public func main() -> Int32 {
    var m = ValueMessage()
    withUnsafeMutablePointer(to: &m) { p in
        _ = UnsafeMutableBufferPointer(start: p, count: 1).withMemoryRebound(to: ValueMessage.self) { buffer in
            Shard.Channels.value.receive(batch: buffer)
        }
    }
    var value = m.value
    let fromSwift = checksum(&value, 4)
    swifty_report(m.value, m.check, fromSwift, swifty_check(m.value), swifty_magic())
    vanity_shutdown(fromSwift == m.check ? 0 : 1)
    return 0
}
