import CElf

/// What vanity-build needs to know about an ELF file, read with libelf.
public struct ElfFile: Sendable {
    public struct Segment: Hashable, Sendable {
        public var type: UInt32
        /// PF_R = 4, PF_W = 2, PF_X = 1.
        public var flags: UInt32
        public var vaddr: UInt64
        public var paddr: UInt64
        public var offset: UInt64
        public var fileSize: UInt64
        public var memSize: UInt64

        public init(type: UInt32, flags: UInt32, vaddr: UInt64, paddr: UInt64, offset: UInt64, fileSize: UInt64, memSize: UInt64) {
            self.type = type
            self.flags = flags
            self.vaddr = vaddr
            self.paddr = paddr
            self.offset = offset
            self.fileSize = fileSize
            self.memSize = memSize
        }

        public var isLoad: Bool { type == 1 }
        public var readable: Bool { flags & 4 != 0 }
        public var writable: Bool { flags & 2 != 0 }
        public var executable: Bool { flags & 1 != 0 }
        /// "r-x" style.
        public var perms: String { (readable ? "r" : "-") + (writable ? "w" : "-") + (executable ? "x" : "-") }
    }

    public struct Section: Hashable, Sendable {
        public var name: String
        public var type: UInt32
        public var flags: UInt64
        public var addr: UInt64
        public var size: UInt64
        /// SHF_ALLOC: occupies memory at run time.
        public var isAllocated: Bool { flags & 2 != 0 }
    }

    public struct Symbol: Hashable, Sendable {
        public var name: String
        public var value: UInt64
        public var size: UInt64
        /// Defined in this file (not an undefined reference to another).
        public var isDefined: Bool = true
        /// A function (STT_FUNC).
        public var isFunction: Bool = false
    }

    /// EM_AARCH64 = 183, EM_RISCV = 243, EM_X86_64 = 62.
    public var machine: UInt16
    public var entry: UInt64
    public var segments: [Segment]
    public var sections: [Section]
    public var symbols: [Symbol]

    public init(machine: UInt16, entry: UInt64, segments: [Segment], sections: [Section], symbols: [Symbol]) {
        self.machine = machine
        self.entry = entry
        self.segments = segments
        self.sections = sections
        self.symbols = symbols
    }

    public func symbol(_ name: String) -> Symbol? { symbols.first { $0.name == name } }
    public func section(_ name: String) -> Section? { sections.first { $0.name == name } }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Parses an ELF image held in memory.
    public static func parse(_ bytes: [UInt8]) -> Result<ElfFile, Failure> {
        guard elf_version(UInt32(EV_CURRENT)) != UInt32(EV_NONE) else {
            return .failure(Failure(message: "libelf is out of date"))
        }
        var copy = bytes
        return copy.withUnsafeMutableBytes { raw -> Result<ElfFile, Failure> in
            guard let base = raw.baseAddress, raw.count > 0,
                  let elf = elf_memory(base.assumingMemoryBound(to: CChar.self), raw.count) else {
                return .failure(Failure(message: "not an ELF file"))
            }
            defer { elf_end(elf) }
            return read(elf)
        }
    }

    static func lastError() -> String {
        elf_errmsg(-1).map { String(cString: $0) } ?? "unknown libelf error"
    }

    static func read(_ elf: OpaquePointer) -> Result<ElfFile, Failure> {
        guard elf_kind(elf) == ELF_K_ELF else { return .failure(Failure(message: "not an ELF file")) }
        var ehdr = GElf_Ehdr()
        guard gelf_getehdr(elf, &ehdr) != nil else { return .failure(Failure(message: "bad ELF header: \(lastError())")) }

        var phnum = 0
        guard elf_getphdrnum(elf, &phnum) == 0 else { return .failure(Failure(message: "bad program headers: \(lastError())")) }
        var segments: [Segment] = []
        for i in 0..<phnum {
            var ph = GElf_Phdr()
            guard gelf_getphdr(elf, Int32(i), &ph) != nil else { return .failure(Failure(message: "bad program header \(i): \(lastError())")) }
            segments.append(Segment(type: ph.p_type, flags: ph.p_flags, vaddr: ph.p_vaddr, paddr: ph.p_paddr,
                                    offset: ph.p_offset, fileSize: ph.p_filesz, memSize: ph.p_memsz))
        }

        var shstrndx = 0
        guard elf_getshdrstrndx(elf, &shstrndx) == 0 else { return .failure(Failure(message: "bad section names: \(lastError())")) }
        var sections: [Section] = []
        var symbols: [Symbol] = []
        var scn = elf_nextscn(elf, nil)
        while let s = scn {
            var sh = GElf_Shdr()
            if gelf_getshdr(s, &sh) != nil {
                let name = elf_strptr(elf, shstrndx, Int(sh.sh_name)).map { String(cString: $0) } ?? ""
                sections.append(Section(name: name, type: sh.sh_type, flags: sh.sh_flags, addr: sh.sh_addr, size: sh.sh_size))
                if sh.sh_type == UInt32(SHT_SYMTAB), sh.sh_entsize > 0, let data = elf_getdata(s, nil) {
                    let count = Int(sh.sh_size / sh.sh_entsize)
                    for k in 0..<count {
                        var sym = GElf_Sym()
                        guard gelf_getsym(data, Int32(k), &sym) != nil else { continue }
                        guard let n = elf_strptr(elf, Int(sh.sh_link), Int(sym.st_name)) else { continue }
                        let nm = String(cString: n)
                        if !nm.isEmpty {
                            symbols.append(Symbol(name: nm, value: sym.st_value, size: sym.st_size, isDefined: sym.st_shndx != UInt16(SHN_UNDEF),
                                                  isFunction: Int32(sym.st_info & 0xf) == STT_FUNC))
                        }
                    }
                }
            }
            scn = elf_nextscn(elf, s)
        }
        return .success(ElfFile(machine: ehdr.e_machine, entry: ehdr.e_entry, segments: segments,
                                sections: sections, symbols: symbols))
    }
}
