import Foundation
import Testing
import VanityImage

/// The kernel's files call each other without a cycle: each file of
/// Kernel/src is compiled on its own and read with libelf, and a call from
/// one file to a function another defines is an edge.
@Suite struct KernelStructureTests {
    /// file → the files whose functions it calls.
    static func callGraph() throws -> [String: Set<String>] {
        let src = repoRoot + "/Kernel/src"
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let files = try FileManager.default.contentsOfDirectory(atPath: src).filter { $0.hasSuffix(".c") }.sorted()
        var defines: [String: String] = [:], calls: [String: [String]] = [:]
        for f in files {
            let obj = "\(out)/\(f).o"
            let cc = try spawn("/usr/bin/env", ["clang", "--target=x86_64-unknown-elf", "-std=c17", "-ffreestanding", "-nostdlib", "-fno-pic",
                                                "-mgeneral-regs-only", "-I", repoRoot + "/Kernel/include", "-c", "\(src)/\(f)", "-o", obj])
            try #require(cc.status == 0, "\(f): \(cc.stdout)")
            let elf = try ElfFile.parse([UInt8](try #require(FileManager.default.contents(atPath: obj)))).get()
            for s in elf.symbols where s.isDefined && s.isFunction { defines[s.name] = f }
            calls[f] = elf.symbols.filter { !$0.isDefined }.map(\.name)
        }
        return calls.mapValues { Set($0.compactMap { defines[$0] }) }
    }

    /// A cycle through `graph`, if there is one.
    static func cycle(_ graph: [String: Set<String>]) -> [String]? {
        var state: [String: Int] = [:] // 1 visiting, 2 done
        var path: [String] = []
        func visit(_ n: String) -> [String]? {
            if state[n] == 2 { return nil }
            if state[n] == 1 { return Array(path[path.firstIndex(of: n)!...]) + [n] }
            state[n] = 1
            path.append(n)
            for m in (graph[n] ?? []).sorted() { if let c = visit(m) { return c } }
            path.removeLast()
            state[n] = 2
            return nil
        }
        for n in graph.keys.sorted() { if let c = visit(n) { return c } }
        return nil
    }

    @Test func theKernelFilesCallEachOtherWithoutACycle() throws {
        let graph = try Self.callGraph()
        #expect(graph.count >= 10 && graph["init.c"]?.contains("shard.c") == true, "\(graph)")
        #expect(Self.cycle(graph) == nil, "cycle: \(Self.cycle(graph)?.joined(separator: " → ") ?? "")")
        #expect(graph["reload.c"]?.contains("debug_server.c") == false, "reload.c calls into debug_server.c")
        // The detector finds a cycle when there is one.
        #expect(Self.cycle(["a": ["b"], "b": ["c"], "c": ["a"]]) == ["a", "b", "c", "a"])
    }
}
