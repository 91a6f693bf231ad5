// Run by two shards, fpa and fpb, on the shared core: each sums a series in
// Double for ever, the running sum and term in FP/SIMD registers across
// the switches its budget and its twin of equal priority bring. A switch
// that lost those registers shows as a wrong sum (board, common.h).
// Shards on aarch64-virt and riscv64-virt have no FP registers (soft float:
// platform.toml), so there the same sums run in integers.
#if arch(x86_64)
typealias Number = Double
#else
typealias Number = Int
#endif

@_cdecl("main")
public func main() -> Int32 {
    let board = Shard.Regions.board
    let k = Int(Shard.id) - 4                      // fpa 0, fpb 1 (common.h: ID_FPA)
    let step: Number = k == 0 ? 3 : 5
    var rounds: UInt64 = 0
    var wrong: UInt64 = 0
    while true {
        let n = 1000 + Int(rounds % 7)             // not a constant the compiler could fold
        var sum: Number = 0
        var term = step
        for _ in 0..<n {
            sum += term
            term += step
        }
        // step * n(n+1)/2: exact in a Double for these n and steps.
        if sum != step * Number(n * (n + 1) / 2) {
            wrong += 1
            board.storeBytes(of: wrong, toByteOffset: 48 + 8 * k, as: UInt64.self)
        }
        rounds += 1
        board.storeBytes(of: rounds, toByteOffset: 32 + 8 * k, as: UInt64.self)
    }
}
