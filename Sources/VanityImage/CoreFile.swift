import CElf
import Foundation

/// An ELF core file (ET_CORE) of one shard, written with libelf: one PT_LOAD
/// per memory region at its virtual address and a PT_NOTE holding an
/// NT_PRSTATUS (the registers known: the pc of the last fault) and the
/// shard's fault record (`vanity-build dump`, docs/debugging.md).
public struct CoreFile {
    public struct Region {
        public var virt: UInt64
        public var bytes: [UInt8]
        /// PF_R = 4, PF_W = 2, PF_X = 1.
        public var flags: UInt32

        public init(virt: UInt64, bytes: [UInt8], flags: UInt32) {
            (self.virt, self.bytes, self.flags) = (virt, bytes, flags)
        }
    }

    public struct Note: Equatable {
        public var name: String
        public var type: UInt32
        public var desc: [UInt8]

        public init(name: String, type: UInt32, desc: [UInt8]) {
            (self.name, self.type, self.desc) = (name, type, desc)
        }
    }

    /// The note that carries the fault record (struct vanity_fault_record): name "VANITY", this type.
    public static let faultNoteName = "VANITY"
    public static let faultNoteType: UInt32 = 0x5646_0001 // "VF" 1: no type GDB gives a meaning to
    static let ntPrstatus: UInt32 = 1

    /// EM_AARCH64, EM_RISCV or EM_X86_64 (the shard ELF's).
    public var machine: UInt16
    public var regions: [Region]
    public var notes: [Note]

    public init(machine: UInt16, regions: [Region], notes: [Note]) {
        (self.machine, self.regions, self.notes) = (machine, regions, notes)
    }

    /// Where the general registers sit in the machine's `struct elf_prstatus`
    /// (Linux's layout, which GDB reads): its size, the index of pc and of sp
    /// in pr_reg (8 bytes each, from byte 112).
    static func prstatusLayout(_ machine: UInt16) -> (size: Int, pc: Int, sp: Int)? {
        switch Int32(machine) {
        case EM_X86_64: (336, 16, 19)   // user_regs_struct: rip, rsp
        case EM_AARCH64: (392, 32, 31)  // x0..x30, sp, pc, pstate
        case EM_RISCV: (376, 0, 2)      // pc, ra, sp, ...
        default: nil
        }
    }

    /// An NT_PRSTATUS for the machine with `signal`, the shard's id as pid, and pc (sp when known); other registers zero.
    public static func prstatus(machine: UInt16, signal: UInt16, pid: UInt32, pc: UInt64, sp: UInt64 = 0) -> Note? {
        guard let l = prstatusLayout(machine) else { return nil }
        var d = [UInt8](repeating: 0, count: l.size)
        func put<T: FixedWidthInteger>(_ v: T, at offset: Int) {
            withUnsafeBytes(of: v.littleEndian) { for (i, b) in $0.enumerated() { d[offset + i] = b } }
        }
        put(UInt32(signal), at: 0)     // pr_info.si_signo
        put(signal, at: 12)            // pr_cursig
        put(pid, at: 32)               // pr_pid
        put(pc, at: 112 + 8 * l.pc)
        put(sp, at: 112 + 8 * l.sp)
        return Note(name: "CORE", type: ntPrstatus, desc: d)
    }

    /// Notes in the ELF note format (4-byte aligned name and descriptor).
    static func encode(_ notes: [Note]) -> [UInt8] {
        var out: [UInt8] = []
        func word(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func pad() { while out.count % 4 != 0 { out.append(0) } }
        for n in notes {
            let name = Array(n.name.utf8) + [0]
            word(UInt32(name.count)); word(UInt32(n.desc.count)); word(n.type)
            out += name; pad()
            out += n.desc; pad()
        }
        return out
    }

    /// The notes of a PT_NOTE segment's bytes.
    public static func decodeNotes(_ bytes: [UInt8]) -> [Note] {
        var notes: [Note] = []
        var at = 0
        func word(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 | Int(bytes[o + 2]) << 16 | Int(bytes[o + 3]) << 24 }
        func up(_ n: Int) -> Int { (n + 3) & ~3 }
        while at + 12 <= bytes.count {
            let namesz = word(at), descsz = word(at + 4), type = UInt32(word(at + 8))
            let nameAt = at + 12, descAt = nameAt + up(namesz)
            guard descAt + descsz <= bytes.count else { break }
            let name = String(decoding: bytes[nameAt..<nameAt + namesz].prefix { $0 != 0 }, as: UTF8.self)
            notes.append(Note(name: name, type: type, desc: Array(bytes[descAt..<descAt + descsz])))
            at = descAt + up(descsz)
        }
        return notes
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Writes the core file to `path`.
    public func write(to path: String) throws {
        guard elf_version(UInt32(EV_CURRENT)) != UInt32(EV_NONE) else { throw Failure(description: "libelf is out of date") }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard let elf = elf_begin(fd, ELF_C_WRITE, nil) else { throw Failure(description: "libelf: \(ElfFile.lastError())") }
        defer { elf_end(elf) }
        func fail(_ what: String) -> Failure { Failure(description: "\(what): \(ElfFile.lastError())") }

        guard gelf_newehdr(elf, Int32(ELFCLASS64)) != nil else { throw fail("ELF header") }
        var eh = GElf_Ehdr()
        guard gelf_getehdr(elf, &eh) != nil else { throw fail("ELF header") }
        eh.e_ident.5 = UInt8(ELFDATA2LSB)
        eh.e_ident.6 = UInt8(EV_CURRENT)
        eh.e_type = UInt16(ET_CORE)
        eh.e_machine = machine
        eh.e_version = UInt32(EV_CURRENT)
        guard gelf_update_ehdr(elf, &eh) != 0 else { throw fail("ELF header") }

        // One section per segment holds its bytes (a core file needs none,
        // but libelf writes data through sections); the program headers
        // point at them once libelf has laid the file out.
        let noteBytes = Self.encode(notes)
        let payloads: [(bytes: [UInt8], note: Bool)] = [(noteBytes, true)] + regions.map { ($0.bytes, false) }
        var buffers: [UnsafeMutableRawBufferPointer] = []
        defer { for b in buffers { b.deallocate() } }
        var sections: [OpaquePointer] = []
        for (i, p) in payloads.enumerated() {
            guard let scn = elf_newscn(elf), let data = elf_newdata(scn) else { throw fail("section") }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, p.bytes.count), alignment: 8)
            buffers.append(buffer)
            p.bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
            data.pointee.d_buf = buffer.baseAddress
            data.pointee.d_size = p.bytes.count
            data.pointee.d_align = p.note ? 4 : 8
            data.pointee.d_type = ELF_T_BYTE
            var sh = GElf_Shdr()
            guard gelf_getshdr(scn, &sh) != nil else { throw fail("section header") }
            sh.sh_type = UInt32(p.note ? SHT_NOTE : SHT_PROGBITS)
            sh.sh_flags = p.note ? 0 : UInt64(SHF_ALLOC | SHF_WRITE)
            sh.sh_addr = p.note ? 0 : regions[i - 1].virt
            sh.sh_addralign = p.note ? 4 : 8
            guard gelf_update_shdr(scn, &sh) != 0 else { throw fail("section header") }
            sections.append(scn)
        }
        guard gelf_newphdr(elf, payloads.count) != nil else { throw fail("program headers") }
        guard elf_update(elf, ELF_C_NULL) >= 0 else { throw fail("layout") }
        for (i, scn) in sections.enumerated() {
            var sh = GElf_Shdr()
            guard gelf_getshdr(scn, &sh) != nil else { throw fail("section header") }
            var ph = GElf_Phdr()
            if i == 0 {
                ph.p_type = UInt32(PT_NOTE)
                ph.p_align = 4
            } else {
                let r = regions[i - 1]
                ph.p_type = UInt32(PT_LOAD)
                ph.p_flags = r.flags
                ph.p_vaddr = r.virt
                ph.p_paddr = 0
                ph.p_memsz = UInt64(r.bytes.count)
                ph.p_align = 1
            }
            ph.p_offset = sh.sh_offset
            ph.p_filesz = UInt64(payloads[i].bytes.count)
            guard gelf_update_phdr(elf, Int32(i), &ph) != 0 else { throw fail("program header") }
        }
        guard elf_update(elf, ELF_C_WRITE) >= 0 else { throw fail("writing \(path)") }
    }
}
