import ArgumentParser
import Foundation
import VanityABI
import VanityDebug
import VanityDriver
import VanityImage

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a running shard's memory and fault record to an ELF core file (debug link; docs/debugging.md).")
    @OptionGroup var link: LinkOptions
    @Option(name: .long, help: "The shard.") var shard: String
    @Option(name: .long, help: "The core file (default: <shard>.core in the platform's build folder).") var output: String?
    @Option(name: .long, help: "Seconds to wait for each reply.") var timeout: Double = 10

    func run() throws {
        let c = try link.connect()
        let id = try c.shard(shard)
        // The shard's linked file says which machine it is (the simulator's: the host's).
        guard let layout = c.checked.layouts.first,
              let elfPath = Driver.shardELFs(layout: layout, checked: c.checked, configPath: c.config, directory: c.paths.directory)[shard],
              let bytes = FileManager.default.contents(atPath: elfPath),
              case .success(let elf) = ElfFile.parse([UInt8](bytes)) else {
            throw Console.error("no linked file of shard \"\(shard)\" in \(c.paths.directory) (build the system first)", status: 66)
        }
        let (regions, fault) = try Console.link {
            (try c.client.regions(shard: id, timeout: timeout), try c.client.faultRecord(shard: id, timeout: timeout))
        }
        let loads = regions.filter { $0.info.readable && !$0.bytes.isEmpty }.map { r in
            CoreFile.Region(virt: r.info.virt, bytes: r.bytes,
                            flags: (r.info.perms & UInt32(VANITY_PERM_R.rawValue) != 0 ? 4 : 0)
                                | (r.info.perms & UInt32(VANITY_PERM_W.rawValue) != 0 ? 2 : 0)
                                | (r.info.perms & UInt32(VANITY_PERM_X.rawValue) != 0 ? 1 : 0))
        }
        var notes: [CoreFile.Note] = []
        if let status = CoreFile.prstatus(machine: elf.machine, signal: Self.signal(fault.kind), pid: UInt32(id + 1),
                                          pc: fault.faulted ? fault.pc : 0) {
            notes.append(status)
        }
        notes.append(CoreFile.Note(name: CoreFile.faultNoteName, type: CoreFile.faultNoteType, desc: fault.raw))
        let path = output ?? "\(c.paths.directory)/\(shard).core"
        do {
            try CoreFile(machine: elf.machine, regions: loads, notes: notes).write(to: path)
        } catch {
            throw Console.error("\(error)", status: 73)
        }
        let total = loads.reduce(0) { $0 + $1.bytes.count }
        let last = fault.faulted
            ? "last fault: \(Self.faultName(fault.kind)) at pc=0x\(String(fault.pc, radix: 16)) addr=0x\(String(fault.address, radix: 16)) (generation \(fault.generation), \(fault.faults) since boot)"
            : "no fault since boot"
        print("vanity-build: wrote \(path): \(shard), \(loads.count) regions, \(total) bytes; \(last)")
        print("open it with: gdb \(elfPath) \(path)")
    }

    /// The signal a Linux core would carry for the fault kind (what GDB prints).
    static func signal(_ kind: UInt32) -> UInt16 {
        switch kind {
        case VANITY_FAULT_DATA.rawValue, VANITY_FAULT_INSTRUCTION.rawValue, VANITY_FAULT_STACK.rawValue: 11 // SIGSEGV
        case VANITY_FAULT_UNDEFINED.rawValue: 4 // SIGILL
        case VANITY_FAULT_TRAP.rawValue: 5 // SIGTRAP
        case VANITY_FAULT_ALIGNMENT.rawValue: 7 // SIGBUS
        case 0: 0
        default: 6 // SIGABRT
        }
    }

    /// The kernel's name for a fault kind (its FAULT lines' kind=).
    static func faultName(_ kind: UInt32) -> String {
        let name = String(cString: vanity_fault_name(kind))
        return name == "fault" ? "fault \(kind)" : name
    }
}
