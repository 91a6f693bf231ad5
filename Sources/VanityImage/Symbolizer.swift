import CDw
import CElf
import Foundation

/// Where a pc is in a program: the function (and the functions inlined into
/// it at that pc) and the source line, from a linked ELF file's symbols and
/// DWARF (`-g`).
public struct CodeLocation: Equatable, Sendable {
    public struct Frame: Equatable, Sendable {
        public var function: String
        /// The source file as the compiler recorded it (absolute), nil when
        /// unknown or compiler-generated.
        public var file: String?
        /// 0 when unknown.
        public var line: Int

        public init(function: String, file: String?, line: Int) {
            self.function = function
            self.file = file
            self.line = line
        }
    }

    /// Innermost first. The last is the function the pc is in (a symbol of
    /// the file); the others were inlined into it, each into the next.
    public var frames: [Frame]
    /// The pc's offset from the entry of the last frame's function.
    public var offset: UInt64

    public init(frames: [Frame], offset: UInt64) {
        self.frames = frames
        self.offset = offset
    }
}

/// Looks pcs up in one linked ELF file with elfutils (libelf for the symbol
/// table, libdw for DWARF line tables and inlined scopes). The file must be
/// linked at the addresses it runs at: true of every board shard, and of the
/// simulator's shards, which are linked `-no-pie` (an ELF of type ET_DYN is
/// refused: its run-time addresses are unknown here).
public final class Symbolizer: @unchecked Sendable {
    private let bytes: UnsafeMutableRawBufferPointer
    private let elf: OpaquePointer
    private let dwarf: OpaquePointer?
    /// Allocated executable sections: a pc outside them is not in this file
    /// (in the simulator, a host library's code).
    private let code: [Range<UInt64>]
    /// Defined functions with a size, by address.
    private let functions: [ElfFile.Symbol]
    /// libdw is not safe for concurrent use of one handle.
    private let lock = NSLock()

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public convenience init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure(description: "cannot read \(path)") }
        try self.init(bytes: [UInt8](data))
    }

    public init(bytes source: [UInt8]) throws {
        guard elf_version(UInt32(EV_CURRENT)) != UInt32(EV_NONE) else { throw Failure(description: "libelf is out of date") }
        guard !source.isEmpty else { throw Failure(description: "not an ELF file") }
        bytes = .allocate(byteCount: source.count, alignment: 16)
        bytes.copyBytes(from: source)
        guard let e = elf_memory(bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count) else {
            bytes.deallocate()
            throw Failure(description: "not an ELF file")
        }
        var ehdr = GElf_Ehdr()
        guard elf_kind(e) == ELF_K_ELF, gelf_getehdr(e, &ehdr) != nil, case .success(let file) = ElfFile.read(e) else {
            elf_end(e)
            bytes.deallocate()
            throw Failure(description: "not an ELF file")
        }
        guard ehdr.e_type == UInt16(ET_EXEC) else {
            elf_end(e)
            bytes.deallocate()
            throw Failure(description: "not linked at fixed addresses (ELF type \(ehdr.e_type), not ET_EXEC)")
        }
        elf = e
        dwarf = dwarf_begin_elf(e, DWARF_C_READ, nil) // nil without debug information: symbols only
        code = file.sections.filter { $0.isAllocated && $0.flags & UInt64(SHF_EXECINSTR) != 0 && $0.size > 0 }
            .map { $0.addr..<($0.addr + $0.size) }
        functions = file.symbols.filter { $0.isFunction && $0.isDefined && $0.size > 0 }.sorted { $0.value < $1.value }
    }

    deinit {
        if let dwarf { dwarf_end(dwarf) }
        elf_end(elf)
        bytes.deallocate()
    }

    /// Whether the file has DWARF (source lines).
    public var hasDebugInfo: Bool { dwarf != nil }

    /// The location of `pc`, or nil when it is not in this file's code.
    public func locate(_ pc: UInt64) -> CodeLocation? {
        guard code.contains(where: { $0.contains(pc) }) else { return nil }
        let symbol = functions.last { $0.value <= pc && pc < $0.value + $0.size }
        let found: (frames: [CodeLocation.Frame], entry: UInt64?)? = lock.withLock { dwarfFrames(pc) }
        if let found, let outer = found.frames.last {
            var frames = found.frames
            // A function DWARF cannot name takes the symbol's name.
            if outer.function.isEmpty { frames[frames.count - 1].function = symbol?.name ?? "??" }
            // (A function split in parts may have its entry above this part.)
            let entry = found.entry.flatMap { $0 <= pc ? $0 : nil } ?? symbol?.value ?? pc
            return CodeLocation(frames: frames, offset: pc &- entry)
        }
        guard let symbol else { return nil }
        return CodeLocation(frames: [.init(function: symbol.name, file: nil, line: 0)], offset: pc - symbol.value)
    }

    // MARK: - DWARF

    /// The function DIEs around `pc`, innermost first, with the source
    /// location of each (the line table's for the innermost, the call site
    /// for each caller) and the outermost function's entry.
    private func dwarfFrames(_ pc: UInt64) -> (frames: [CodeLocation.Frame], entry: UInt64?)? {
        guard let dwarf, var cu = compileUnit(dwarf, pc) else { return nil }
        var chain: [Dwarf_Die] = []
        walk(&cu, pc, into: &chain)
        let compDir = string(&cu, DW_AT_comp_dir)
        var loc: (file: String?, line: Int) = (nil, 0)
        if let line = dwarf_getsrc_die(&cu, pc) {
            var n: Int32 = 0
            dwarf_lineno(line, &n)
            loc = (dwarf_linesrc(line, nil, nil).map { Self.path(String(cString: $0), compDir: compDir) } ?? nil, Int(n))
        }
        guard !chain.isEmpty else {
            // Code with line information but no function DIE (assembly).
            return loc.file == nil ? nil : ([.init(function: "", file: loc.file, line: loc.line)], nil)
        }
        var files: OpaquePointer?
        var nfiles = 0
        if dwarf_getsrcfiles(&cu, &files, &nfiles) != 0 { files = nil }
        var frames: [CodeLocation.Frame] = []
        for k in stride(from: chain.count - 1, through: 0, by: -1) {
            var die = chain[k]
            frames.append(.init(function: dwarf_diename(&die).map { String(cString: $0) } ?? "", file: loc.file, line: loc.line))
            // This DIE was inlined: its caller is at the call site.
            let callFile = unsigned(&die, DW_AT_call_file), callLine = unsigned(&die, DW_AT_call_line)
            var name: UnsafePointer<CChar>?
            if let files, let f = callFile, f < UInt64(nfiles) { name = dwarf_filesrc(files, Int(f), nil, nil) }
            loc = (name.map { Self.path(String(cString: $0), compDir: compDir) } ?? nil, Int(callLine ?? 0))
        }
        var outer = chain[0]
        var entry: Dwarf_Addr = 0
        return (frames, dwarf_entrypc(&outer, &entry) == 0 ? entry : nil)
    }

    /// The compile unit whose code holds `pc` (without .debug_aranges, which
    /// clang does not emit, each unit's ranges are asked).
    private func compileUnit(_ dwarf: OpaquePointer, _ pc: UInt64) -> Dwarf_Die? {
        var cu = Dwarf_Die()
        if dwarf_addrdie(dwarf, pc, &cu) != nil { return cu }
        var offset: Dwarf_Off = 0, next: Dwarf_Off = 0
        var header = 0
        while dwarf_nextcu(dwarf, offset, &next, &header, nil, nil, nil) == 0 {
            if dwarf_offdie(dwarf, offset + Dwarf_Off(header), &cu) != nil, dwarf_haspc(&cu, pc) == 1 { return cu }
            offset = next
        }
        return nil
    }

    static let functionTags: Set<Int32> = Set([DW_TAG_subprogram, DW_TAG_inlined_subroutine].map { Int32($0) })
    /// Scopes that hold definitions without covering addresses themselves
    /// (Swift puts its functions in a DW_TAG_module).
    static let containerTags: Set<Int32> = Set([DW_TAG_module, DW_TAG_namespace, DW_TAG_structure_type, DW_TAG_class_type,
                                                DW_TAG_union_type, DW_TAG_enumeration_type].map { Int32($0) })

    /// Collects the function DIEs (subprogram, inlined subroutine) whose
    /// ranges hold `pc`, outermost first. dwarf_getscopes stops at Swift's
    /// module DIEs; this walk enters them.
    private func walk(_ parent: inout Dwarf_Die, _ pc: UInt64, into chain: inout [Dwarf_Die]) {
        var child = Dwarf_Die()
        guard dwarf_child(&parent, &child) == 0 else { return }
        repeat {
            let tag = dwarf_tag(&child)
            if dwarf_haspc(&child, pc) == 1 {
                if Self.functionTags.contains(tag) { chain.append(child) }
                walk(&child, pc, into: &chain)
                return // scopes nest: no sibling also holds pc
            }
            if Self.containerTags.contains(tag) {
                let before = chain.count
                walk(&child, pc, into: &chain)
                if chain.count > before { return }
            }
            var current = child
            guard dwarf_siblingof(&current, &child) == 0 else { return }
        } while true
    }

    private func string(_ die: inout Dwarf_Die, _ name: Int) -> String? {
        var attr = Dwarf_Attribute()
        guard dwarf_attr(&die, UInt32(name), &attr) != nil, let s = dwarf_formstring(&attr) else { return nil }
        return String(cString: s)
    }

    private func unsigned(_ die: inout Dwarf_Die, _ name: Int) -> UInt64? {
        var attr = Dwarf_Attribute()
        var value: Dwarf_Word = 0
        guard dwarf_attr(&die, UInt32(name), &attr) != nil, dwarf_formudata(&attr, &value) == 0 else { return nil }
        return value
    }

    /// A file name from the line table: absolute (clang records include
    /// folders relative to the compile folder), nil for code the compiler
    /// made up (Swift's "<compiler-generated>").
    static func path(_ name: String, compDir: String?) -> String? {
        if name.isEmpty || name.hasSuffix("<compiler-generated>") { return nil }
        let full = name.hasPrefix("/") || compDir == nil ? name : compDir! + "/" + name
        return URL(fileURLWithPath: full).standardizedFileURL.path
    }
}
