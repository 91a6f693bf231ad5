import Testing
import VanityLayout
import VanityModel

/// Invariants of every layout, over many generated valid manifests.
@Suite struct LayoutPropertyTests {
    static let cases = 1000

    @Test func invariantsHoldForGeneratedManifests() throws {
        var rng = SplitMix64(seed: 0x5EED_0001)
        var checked = 0
        for _ in 0..<Self.cases {
            let text = generateManifest(&rng)
            let (layouts, diags) = pipeline(text)
            let errors = diags.filter { $0.severity == .error }
            try #require(errors.isEmpty, "generated manifest rejected: \(errors)\n\(text)")
            #expect(layouts.count == TestPlatforms.all.count)
            for l in layouts {
                try checkInvariants(l, text)
                checked += 1
            }
        }
        #expect(checked == Self.cases * TestPlatforms.all.count)
    }

    @Test func layoutIsDeterministic() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<50 {
            let text = generateManifest(&rng)
            let a = pipeline(text).layouts.map(\.regions)
            let b = pipeline(text).layouts.map(\.regions)
            #expect(a == b)
        }
    }

    func checkInvariants(_ l: Layout, _ text: String) throws {
        let page = l.pageSize
        let ram = l.platform.ram
        let regions = l.regions
        for r in regions {
            #expect(r.phys % page == 0 && r.virt % page == 0 && r.size % page == 0 && r.size > 0, "unaligned \(r)")
            #expect(!(r.perms.write && r.perms.execute), "W+X: \(r)")
            if r.kind == .device {
                #expect(r.end <= ram.base || r.phys >= ram.end, "device inside RAM: \(r)")
            } else {
                #expect(r.phys >= ram.base && r.end <= ram.end, "outside RAM: \(r)")
                #expect(r.phys >= l.platform.kernelBase, "below the kernel base: \(r)")
            }
        }
        // No physical overlap, except the mappings of one channel or one
        // shared region by different shards.
        let sorted = regions.sorted { ($0.phys, $0.owner) < ($1.phys, $1.owner) }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.end > b.phys {
            let oneThing = a.kind == b.kind && [.channel, .shared].contains(a.kind) && a.name == b.name && a.phys == b.phys
                && a.size == b.size && a.owner != b.owner
            #expect(oneThing, "overlap: \(a) and \(b)\n\(text)")
        }
        // Each shared region is mapped exactly into the shards of its map,
        // at one address, with their rights, never executable; nowhere else.
        for sh in l.shared {
            let maps = regions.filter { $0.kind == .shared && $0.name == sh.region.name }
            #expect(maps.count == sh.region.maps.count, "\(sh.region.name)\n\(text)")
            for m in sh.region.maps {
                let owner = l.system.shards[m.shard].name
                let r = try #require(maps.first { $0.owner == owner }, "\(sh.region.name) is not mapped into \(owner)")
                #expect(r.phys == sh.phys && r.virt == sh.phys && r.size == sh.size, "\(r)")
                #expect(r.perms == (m.writable ? .rw : .r), "\(r)")
            }
            #expect(sh.size >= sh.region.size && sh.phys % page == 0)
        }
        #expect(regions.filter { $0.kind == .shared }.count == l.shared.reduce(0) { $0 + $1.region.maps.count })
        // Each channel is mapped exactly into its two endpoints.
        for c in l.channels {
            let maps = regions.filter { $0.kind == .channel && $0.name == c.channel.name }
            #expect(maps.count == 2)
            #expect(Set(maps.map(\.owner)) == [l.system.shards[c.channel.from].name, l.system.shards[c.channel.to].name])
            #expect(c.size >= c.channel.ringBytes)
        }
        // Per shard: its virtual space has no overlaps; the guard page sits
        // right below the stack and is not mapped; entry and stack top agree.
        for s in l.shards {
            let v = s.regions.sorted { $0.virt < $1.virt }
            for (a, b) in zip(v, v.dropFirst()) { #expect(a.virtEnd <= b.virt, "virtual overlap in \(s.shard.name)") }
            // One stack per core, each right above a guard page of its own,
            // `stackStride` apart; in the simulator a mailbox page per core.
            let stacks = s.regions.filter { $0.kind == .stack }, guards = s.regions.filter { $0.kind == .guard }
            #expect(stacks.count == s.shard.cores.count && guards.count == stacks.count, "\(s.shard.name): \(s.regions)")
            for (k, (stack, guardRegion)) in zip(stacks, guards).enumerated() {
                #expect(guardRegion.end == stack.phys && guardRegion.size == page && !guardRegion.isMapped)
                #expect(stack.size >= s.shard.stackSize && stack.virtEnd == s.stackTop + UInt64(k) * s.stackStride)
            }
            #expect(s.stackStride == stacks[0].size + page)
            if l.platform.kind == .simulator { #expect(s.region(.mailbox)?.size == UInt64(s.shard.cores.count) * page) }
            #expect(s.entry == s.region(.text)!.virt && s.stackTop == stacks[0].virtEnd)
            #expect(s.region(.text)!.size >= s.shard.budgets.text)
            #expect(s.region(.data)!.size >= s.shard.budgets.data)
            #expect((s.region(.heap)?.size ?? 0) >= s.shard.heapSize)
        }
        // Kernel regions belong to nobody else.
        #expect(l.kernel.allSatisfy { $0.owner == "kernel" })
        // One kernel stack per execution context, one stride apart; each
        // shard runs in as many contexts as it lists cores, on those cores.
        let contexts = l.system.contexts
        let stacks = l.kernel.filter { $0.kind == .stack }
        #expect(stacks.count == contexts.count, "\(stacks.count) kernel stacks for \(contexts.count) contexts\n\(text)")
        #expect(Set(zip(stacks.dropFirst(), stacks).map { $0.virtEnd - $1.virtEnd }).count <= 1)
        for s in l.system.shards {
            let mine = l.system.contextIds(of: s.id)
            #expect(mine.count == s.cores.count && Set(mine.map { contexts[$0].cpu }) == Set(s.cores), "\(s.name)\n\(text)")
        }
        #expect(contexts.prefix(l.system.cpuCount).enumerated().allSatisfy { $0.element.cpu == $0.offset })
    }
}
