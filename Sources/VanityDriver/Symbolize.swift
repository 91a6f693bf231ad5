import Foundation
import VanityToolchain
import VanityDebug
import VanityImage
import VanityLayout

/// Names where a shard faulted, in console text (`vanity-build run`,
/// `vanity-build logs`): each fault line's pc is looked up in the linked
/// ELF file of the image that ran that generation of the shard
/// (docs/debugging.md). Which file that is, the build folder's reload
/// history says (ReloadHistory: the file booted, then each reload's);
/// a reload whose verdict is not recorded yet is the staged file, known
/// from the kernel's "reloaded; starting generation N" line seen before.
/// Without a history (a system not started by `vanity-build run`) the
/// linked files in the build folder are used. When the file is not known
/// the line stays as the kernel wrote it.
public final class FaultAnnotator: @unchecked Sendable {
    /// Shard name → its linked file in the build folder.
    let bootELFs: [String: String]
    let history: ReloadHistory
    /// Source files under it are shown relative to it.
    let directory: String?
    private let lock = NSLock()
    /// Per shard, the last generation a reload started, from the console.
    private var reloadStarts: [String: UInt32] = [:]
    private var symbolizers: [String: Symbolizer] = [:]

    public init(bootELFs: [String: String], history: ReloadHistory,
                directory: String? = FileManager.default.currentDirectoryPath) {
        self.bootELFs = bootELFs
        self.history = history
        self.directory = directory
    }

    /// One console line (without its line ending): a fault line with where
    /// the shard was appended, any other line as it is.
    public func line(_ text: String) -> String {
        lock.withLock {
            if let (shard, generation) = Self.reloadStart(text) {
                reloadStarts[shard] = generation
                return text
            }
            return FaultLine.annotate(text, directory: directory) { fault in symbolizer(for: fault)?.locate(fault.pc) }
        }
    }

    /// A console filter that annotates fault lines as they pass.
    public var console: ConsoleLines { ConsoleLines(prefix: FaultLine.prefix) { [self] in line($0) } }

    /// Annotates a whole text (the kernel's log history).
    public func text(_ bytes: [UInt8]) -> [UInt8] {
        var lines = console
        return lines.feed(bytes) + lines.flush()
    }

    /// "kernel: NAME reloaded; starting generation N" (Kernel/src/reload.c).
    static func reloadStart(_ line: String) -> (shard: String, generation: UInt32)? {
        let marker = " reloaded; starting generation "
        guard line.hasPrefix("kernel: "), let r = line.range(of: marker), let g = UInt32(line[r.upperBound...]) else { return nil }
        let shard = line[line.index(line.startIndex, offsetBy: 8)..<r.lowerBound]
        return shard.isEmpty || shard.contains(" ") ? nil : (String(shard), g)
    }

    /// The symbolizer of the file that ran the faulting generation.
    func symbolizer(for fault: FaultLine) -> Symbolizer? {
        guard let elves = history.elves(fault.shard) else {
            return bootELFs[fault.shard].flatMap(load(path:))
        }
        let g = fault.generation ?? UInt32.max
        let known = elves.start(of: g)
        if let reloaded = reloadStarts[fault.shard], reloaded <= g, (known?.generation ?? 0) < reloaded {
            // A reload the history has not recorded yet: the file being reloaded, if any.
            return elves.staged.flatMap(load(digest:))
        }
        return known?.digest.flatMap(load(digest:))
    }

    func load(digest: String) -> Symbolizer? {
        if let s = symbolizers[digest] { return s }
        let s = try? Symbolizer(path: history.elfPath(digest: digest))
        symbolizers[digest] = s
        return s
    }

    /// A file in the build folder: rebuilt files are read again.
    func load(path: String) -> Symbolizer? {
        guard let a = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        let key = "\(path)@\((a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)/\((a[.size] as? Int) ?? 0)"
        if let s = symbolizers[key] { return s }
        let s = try? Symbolizer(path: path)
        symbolizers[key] = s
        return s
    }
}

extension Driver {
    /// Shard name → its linked ELF file in the build folder `directory`.
    public static func shardELFs(layout: Layout, checked: CheckedSystem, configPath: String, directory: String) -> [String: String] {
        // Only the products' paths are wanted: they do not depend on the C library.
        let products = planBuild(layout, checked: checked, configPath: configPath, generated: directory,
                                 libc: CLibrary(folder: "<libc>", compilerInclude: "<clang>/include")).products
        return Dictionary(products.shardELFs.map { ($0.name, $0.path) }, uniquingKeysWith: { a, _ in a })
    }
}
