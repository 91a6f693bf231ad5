import VanityDiagnostics
import VanityLayout
import VanityManifest
import VanityModel

extension Codegen {
    /// The message of the ASSERT that stops a link when `key`'s sections
    /// outgrow their `region`: "shard big: .text is larger than its 4 KiB
    /// region (max-sizes.text)". The driver recognises a budget overflow by
    /// this exact text in the linker's output.
    public static func budgetAssertion(_ who: String, _ key: BudgetKey, _ region: Region) -> String {
        let (verb, its) = key.outputSections.count == 1 ? ("is", "its") : ("are", "their")
        return "\(who): \(key.outputSections.joined(separator: " and ")) \(verb) larger than \(its) \(formatBytes(region.size)) region (\(key.setting))"
    }

    /// The ASSERT message of `key` in the linker script of shard `sl`.
    public static func budgetAssertion(_ sl: ShardLayout, _ key: BudgetKey) -> String? {
        sl.region(key.regionKind).map { budgetAssertion(LinkerScript.who(sl.shard), key, $0) }
    }
}

/// Linker scripts for ld.lld: one per shard and one for the kernel. Each
/// output section starts at its layout region and an ASSERT stops the link if
/// it outgrows the region, so a linked ELF can never overlap a neighbour.
/// Segments are explicit (PHDRS) so no segment is both writable and
/// executable.
enum LinkerScript {
    static let phdrs = """
        PHDRS
        {
          text PT_LOAD FLAGS(5);   /* r-x */
          rodata PT_LOAD FLAGS(4); /* r-- */
          data PT_LOAD FLAGS(6);   /* rw- */
          note PT_NOTE FLAGS(4);
        }

        """

    /// Sections Embedded Swift and clang emit that no image needs.
    static let discard = """
          /DISCARD/ : {
            *(.swift_modhash) *(.eh_frame) *(.eh_frame_hdr) *(.comment)
            *(.note.GNU-stack) *(.gnu.warning*) *(.riscv.attributes)
          }

        """

    static func sections(_ who: String, text: Region, rodata: Region, data: Region, textHead: String) -> String {
        """
          . = \(hex(text.virt));
          __vanity_text_start = .;
          .text : { KEEP(*(\(textHead))) *(.text .text.*) } :text
          __vanity_text_end = .;
          ASSERT(__vanity_text_end <= \(hex(text.virtEnd)), "\(Codegen.budgetAssertion(who, .text, text))")

          . = \(hex(rodata.virt));
          __vanity_rodata_start = .;
          .rodata : {
            *(.rodata .rodata.* .srodata .srodata.* .data.rel.ro .data.rel.ro.*)
            . = ALIGN(8);
            __init_array_start = .;
            KEEP(*(SORT(.init_array.*) .init_array))
            __init_array_end = .;
          } :rodata
          .note : { KEEP(*(.note .note.*)) } :rodata :note
          __vanity_rodata_end = .;
          ASSERT(__vanity_rodata_end <= \(hex(rodata.virtEnd)), "\(Codegen.budgetAssertion(who, .rodata, rodata))")

          . = \(hex(data.virt));
          __vanity_data_start = .;
          .data : { KEEP(*(.data.vanity_status)) *(.data .data.* .sdata .sdata.* .got .got.*) } :data
          .bss : {
            __vanity_bss_start = .;
            *(.bss .bss.* .sbss .sbss.* COMMON)
            . = ALIGN(16);
            __vanity_bss_end = .;
          } :data
          __vanity_data_end = .;
          ASSERT(__vanity_data_end <= \(hex(data.virtEnd)), "\(Codegen.budgetAssertion(who, .data, data))")

        """
    }

    /// How a shard's linker script names it in ASSERT messages.
    static func who(_ s: ShardModel) -> String { "shard \(s.name)" }

    static func shard(_ sl: ShardLayout, in layout: Layout) -> String {
        let s = sl.shard
        let who = who(s)
        var o = "/* \(Codegen.banner(layout, "linker script of shard \"\(s.name)\"")) */\n"
        o += "ENTRY(_start)\n\n" + phdrs + "SECTIONS\n{\n"
        o += sections(who, text: sl.region(.text)!, rodata: sl.region(.rodata)!, data: sl.region(.data)!,
                      textHead: ".text.start")
        let stack = sl.region(.stack)!
        o += "  __vanity_stack_bottom = \(hex(stack.virt));\n"
        o += "  __vanity_stack_top = \(hex(stack.virtEnd));\n"
        // No heap: an empty one at the stack top, so the symbols stay within
        // pc-relative reach (riscv64's medany model).
        let heap = sl.region(.heap)
        o += "  __vanity_heap_start = \(hex(heap?.virt ?? stack.virtEnd));\n"
        o += "  __vanity_heap_end = \(hex(heap?.virtEnd ?? stack.virtEnd));\n\n"
        o += discard + "}\n"
        return o
    }

    static func kernel(_ layout: Layout) -> String {
        let k = layout.kernel
        func region(_ kind: RegionKind) -> Region { k.first { $0.kind == kind }! }
        var o = "/* \(Codegen.banner(layout, "kernel linker script")) */\n"
        o += "ENTRY(_start)\n\n" + phdrs + "SECTIONS\n{\n"
        o += sections("kernel", text: region(.text), rodata: region(.rodata), data: region(.data), textHead: ".text.boot")
        let tables = region(.tables)
        o += "  /* Translation tables: \(formatBytes(tables.size)), built at boot. */\n"
        o += "  __vanity_tables_start = \(hex(tables.virt));\n"
        o += "  __vanity_tables_end = \(hex(tables.virtEnd));\n\n"
        let stacks = k.filter { $0.kind == .stack }
        o += "  /* One stack per core, each above an unmapped guard page. */\n"
        if let first = stacks.first {
            let stride = stacks.count > 1 ? stacks[1].virt - first.virt : first.size + layout.pageSize
            o += "  __vanity_stack_top_core0 = \(hex(first.virtEnd));\n"
            o += "  __vanity_stack_stride = \(hex(stride));\n"
            o += "  __vanity_stack_size = \(hex(first.size));\n"
        }
        o += "  __vanity_cpu_count = \(layout.system.cpuCount);\n"
        o += "  __vanity_ram_end = \(hex(layout.platform.ram.end));\n\n"
        o += discard + "}\n"
        return o
    }
}
