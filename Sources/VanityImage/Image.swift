import CElf
import Foundation
import VanityDiagnostics
import VanityLayout
import VanityManifest
import VanityModel

/// Checks of linked ELF files against the layout. Pure.
public enum ImageCheck {
    /// Every loadable segment of `elf` lies inside one of `regions` with the
    /// same permissions, and none is writable and executable.
    public static func segments(_ elf: ElfFile, within regions: [Region], who: String) -> [String] {
        var problems: [String] = []
        for seg in elf.segments where seg.isLoad && seg.memSize > 0 {
            let at = "\(hex(seg.vaddr))..\(hex(seg.vaddr + seg.memSize))"
            if seg.writable && seg.executable { problems.append("\(who): segment \(at) is both writable and executable") }
            guard let home = regions.first(where: { seg.vaddr >= $0.virt && seg.vaddr + seg.memSize <= $0.virtEnd }) else {
                problems.append("\(who): segment \(at) (\(seg.perms)) is outside every region of its layout")
                continue
            }
            if home.kind == .guard || home.kind == .channel || home.kind == .shared || home.kind == .device {
                problems.append("\(who): segment \(at) lies in \(home.kind.rawValue) region \"\(home.name)\"")
            } else if seg.perms != home.perms.description {
                problems.append("\(who): segment \(at) is \(seg.perms) but its region \"\(home.name)\" is \(home.perms)")
            }
        }
        return problems
    }

    /// Bytes a linked shard occupies in each budgeted region.
    public static func usage(_ elf: ElfFile, _ sl: ShardLayout) -> [(key: BudgetKey, used: UInt64, budget: UInt64)] {
        BudgetKey.allCases.compactMap { key in
            guard let r = sl.region(key.regionKind) else { return nil }
            let used = elf.segments.filter { $0.isLoad && $0.vaddr >= r.virt && $0.vaddr < r.virtEnd }
                .map { $0.vaddr + $0.memSize - r.virt }.max() ?? 0
            return (key, used, key.budget(of: sl.shard))
        }
    }

    /// max-sizes: "shard producer: .text is 20480 bytes, over its max-sizes.text budget of 16 KiB".
    public static func budgets(_ elf: ElfFile, _ sl: ShardLayout) -> [String] { overBudget(elf, sl).map(\.message) }

    /// Each `max-sizes` key the shard exceeds, with its message.
    public static func overBudget(_ elf: ElfFile, _ sl: ShardLayout) -> [(key: BudgetKey, message: String)] {
        usage(elf, sl).compactMap { u in
            u.used > u.budget
                ? (u.key, "shard \(sl.shard.name): .\(u.key.manifestKey) is \(u.used) bytes, \(u.key.over(budget: u.budget))")
                : nil
        }
    }

    /// The check of a linked shard against its layout: its segments (at the
    /// shard's name in the manifest) and its budgets (at each `max-sizes`
    /// value, or the shard's name when a default applies).
    public static func check(shard elf: ElfFile, _ sl: ShardLayout) -> [Diagnostic] {
        let source = sl.shard.source
        return segments(elf, within: sl.regions, who: "shard \(sl.shard.name)").map { .error(source.name, $0) }
            + overBudget(elf, sl).map { .error(source.budget($0.key), $0.message) }
    }
}

/// Packs the kernel and every shard into one ELF whose loadable segments are
/// all of theirs: the bootable image QEMU loads with -kernel. The kernel's
/// notes stay visible as PT_NOTE segments (x86_64-pc boots through its PVH
/// entry note); their bytes are already inside the kernel's loaded rodata.
public enum ImagePacker {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    struct Piece {
        var segment: ElfFile.Segment
        var bytes: [UInt8]
    }

    public static func pack(kernel: [UInt8], shards: [[UInt8]], to path: String) -> Result<Void, Failure> {
        var pieces: [Piece] = []
        var notes: [ElfFile.Segment] = []
        var machine: UInt16 = 0
        var entry: UInt64 = 0
        for (i, bytes) in ([kernel] + shards).enumerated() {
            let elf: ElfFile
            switch ElfFile.parse(bytes) {
            case .success(let e): elf = e
            case .failure(let f): return .failure(Failure(description: "input \(i): \(f.message)"))
            }
            if i == 0 {
                machine = elf.machine
                entry = elf.entry
                notes = elf.segments.filter { $0.type == UInt32(PT_NOTE) && $0.fileSize > 0 }
            } else if elf.machine != machine {
                return .failure(Failure(description: "input \(i) is for machine \(elf.machine), the kernel for \(machine)"))
            }
            for seg in elf.segments where seg.isLoad && seg.memSize > 0 {
                let start = Int(seg.offset), end = Int(seg.offset + seg.fileSize)
                guard end <= bytes.count, start <= end else { return .failure(Failure(description: "input \(i): a segment runs past the file")) }
                pieces.append(Piece(segment: seg, bytes: Array(bytes[start..<end])))
            }
        }
        pieces.sort { $0.segment.vaddr < $1.segment.vaddr }
        return write(pieces, notes: notes, machine: machine, entry: entry, to: path)
    }

    static func write(_ pieces: [Piece], notes: [ElfFile.Segment] = [], machine: UInt16, entry: UInt64, to path: String) -> Result<Void, Failure> {
        guard elf_version(UInt32(EV_CURRENT)) != UInt32(EV_NONE) else { return .failure(Failure(description: "libelf is out of date")) }
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return .failure(Failure(description: "cannot create \(path)")) }
        defer { close(fd) }
        guard let e = elf_begin(fd, ELF_C_WRITE, nil) else { return .failure(Failure(description: ElfFile.lastError())) }
        defer { elf_end(e) }
        guard let eh = elf64_newehdr(e) else { return .failure(Failure(description: ElfFile.lastError())) }
        eh.pointee.e_ident.5 = UInt8(ELFDATA2LSB)
        eh.pointee.e_machine = machine
        eh.pointee.e_type = UInt16(ET_EXEC)
        eh.pointee.e_version = UInt32(EV_CURRENT)
        eh.pointee.e_entry = entry

        // Section data must stay alive until the file is written.
        var buffers: [UnsafeMutableRawBufferPointer] = []
        defer { buffers.forEach { $0.deallocate() } }
        var sections: [OpaquePointer?] = []
        for p in pieces {
            guard p.segment.fileSize > 0 else { sections.append(nil); continue }
            guard let scn = elf_newscn(e), let data = elf_newdata(scn), let sh = elf64_getshdr(scn) else {
                return .failure(Failure(description: ElfFile.lastError()))
            }
            let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: p.bytes.count, alignment: 16)
            buf.copyBytes(from: p.bytes)
            buffers.append(buf)
            data.pointee.d_buf = buf.baseAddress
            data.pointee.d_size = p.bytes.count
            data.pointee.d_align = 16
            data.pointee.d_type = ELF_T_BYTE
            sh.pointee.sh_type = UInt32(SHT_PROGBITS)
            sh.pointee.sh_flags = UInt64(SHF_ALLOC) | (p.segment.writable ? UInt64(SHF_WRITE) : 0)
                | (p.segment.executable ? UInt64(SHF_EXECINSTR) : 0)
            sh.pointee.sh_addr = p.segment.vaddr
            sh.pointee.sh_addralign = 16
            sections.append(scn)
        }
        // A note is kept if it lies within a loaded piece's file bytes.
        let notesInFile: [(note: ElfFile.Segment, piece: Int)] = notes.compactMap { n in
            pieces.indices.first { i in
                let s = pieces[i].segment
                return sections[i] != nil && n.vaddr >= s.vaddr && n.vaddr + n.fileSize <= s.vaddr + s.fileSize
            }.map { (n, $0) }
        }
        guard let ph = elf64_newphdr(e, pieces.count + notesInFile.count) else { return .failure(Failure(description: ElfFile.lastError())) }
        guard elf_update(e, ELF_C_NULL) >= 0 else { return .failure(Failure(description: ElfFile.lastError())) }
        for (i, p) in pieces.enumerated() {
            let offset = sections[i].flatMap { elf64_getshdr($0)?.pointee.sh_offset } ?? 0
            ph[i] = Elf64_Phdr(p_type: UInt32(PT_LOAD), p_flags: p.segment.flags, p_offset: offset,
                               p_vaddr: p.segment.vaddr, p_paddr: p.segment.paddr, p_filesz: p.segment.fileSize,
                               p_memsz: p.segment.memSize, p_align: 16)
        }
        for (k, n) in notesInFile.enumerated() {
            let piece = pieces[n.piece].segment
            let offset = (elf64_getshdr(sections[n.piece]!)?.pointee.sh_offset ?? 0) + (n.note.vaddr - piece.vaddr)
            ph[pieces.count + k] = Elf64_Phdr(p_type: UInt32(PT_NOTE), p_flags: n.note.flags, p_offset: offset,
                                              p_vaddr: n.note.vaddr, p_paddr: n.note.paddr, p_filesz: n.note.fileSize,
                                              p_memsz: n.note.fileSize, p_align: 4)
        }
        elf_flagphdr(e, ELF_C_SET, UInt32(ELF_F_DIRTY))
        guard elf_update(e, ELF_C_WRITE) >= 0 else { return .failure(Failure(description: ElfFile.lastError())) }
        return .success(())
    }
}
