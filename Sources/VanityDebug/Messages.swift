import CVanityDebug
import Foundation
import VanityABI

// The debug link's messages as typed values. Every request number, payload
// layout and shard state comes from <vanity/debug.h> and <vanity/reload.h>
// (docs/debug-protocol.md); this file is their one Swift reader: the C
// structs are read and written whole, never by hand-counted offsets.

#if _endian(big)
#error("the debug link's payloads are little endian; the host tools read them as native C structs")
#endif

/// Payload bytes to and from the protocol's C structs.
enum Wire {
    static func bytes<T>(of value: T) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }

    /// A struct at `offset`, or nil when the payload is too short.
    static func read<T>(_ type: T.Type, from payload: [UInt8], at offset: Int = 0) -> T? {
        guard offset >= 0, payload.count >= offset + MemoryLayout<T>.size else { return nil }
        return payload.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
    }

    /// A zero-padded text field (a C char array).
    static func text<Field>(_ field: Field) -> String {
        withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// Bytes as lowercase hex digits, two per byte.
    static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}

/// What a shard's own core is asked to do (restart, hold, release).
public enum ShardControl: Sendable, CaseIterable {
    case restart, hold, release

    var type: vanity_debug_type {
        switch self {
        case .restart: VANITY_DEBUG_RESTART
        case .hold: VANITY_DEBUG_HOLD
        case .release: VANITY_DEBUG_RELEASE
        }
    }
}

/// One request: its type and payload.
public enum DebugRequest: Sendable {
    case hello
    case ps(first: Int)
    case stats(first: Int)
    case logs(since: UInt32)
    case control(ShardControl, shard: Int)
    case reloadBegin([UInt8])
    case reloadChunk(offset: Int, bytes: ArraySlice<UInt8>)
    case reloadCommit(force: Bool)
    case read(shard: Int, region: Int, offset: UInt64, length: Int)
    case fault(shard: Int)

    public var type: UInt8 {
        let t: vanity_debug_type = switch self {
        case .hello: VANITY_DEBUG_HELLO
        case .ps: VANITY_DEBUG_PS
        case .stats: VANITY_DEBUG_STATS
        case .logs: VANITY_DEBUG_LOGS
        case .control(let c, _): c.type
        case .reloadBegin: VANITY_DEBUG_RELOAD_BEGIN
        case .reloadChunk: VANITY_DEBUG_RELOAD_CHUNK
        case .reloadCommit: VANITY_DEBUG_RELOAD_COMMIT
        case .read: VANITY_DEBUG_READ
        case .fault: VANITY_DEBUG_FAULT
        }
        return UInt8(t.rawValue)
    }

    public var payload: [UInt8] {
        switch self {
        case .hello: []
        case .ps(let first): Wire.bytes(of: vanity_debug_ps_request(first: UInt16(first)))
        case .stats(let first): Wire.bytes(of: vanity_debug_stats_request(first: UInt16(first)))
        case .logs(let since): Wire.bytes(of: vanity_debug_logs_request(since: since))
        case .control(_, let shard): Wire.bytes(of: vanity_debug_shard_request(shard: UInt16(shard)))
        case .reloadBegin(let begin): begin
        case .reloadChunk(let offset, let bytes): Wire.bytes(of: vanity_debug_chunk_header(offset: UInt32(offset))) + bytes
        case .reloadCommit(let force): Wire.bytes(of: vanity_debug_commit_request(flags: force ? UInt32(VANITY_RELOAD_FORCE.rawValue) : 0))
        case .read(let shard, let region, let offset, let length):
            Wire.bytes(of: vanity_debug_read_request(shard: UInt16(shard), region: UInt16(region), length: UInt32(length), offset: offset))
        case .fault(let shard): Wire.bytes(of: vanity_debug_shard_request(shard: UInt16(shard)))
        }
    }

    /// The reply type that answers it.
    var replyType: UInt8 { type | UInt8(VANITY_DEBUG_REPLY.rawValue) }

    /// Image bytes per chunk (the frame's payload less the chunk header).
    public static let maxChunk = Int(VANITY_DEBUG_MAX_PAYLOAD) - MemoryLayout<vanity_debug_chunk_header>.size
}

/// A reply that does not have the shape its request's reply has.
public struct MalformedReply: Error, Sendable, CustomStringConvertible {
    public var what: String
    public var description: String { "a malformed reply from the system: \(what)" }
}

/// An error reply: the system refused the request (enum vanity_debug_error).
public struct SystemRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var text: String
    public var description: String { "error from the system (\(code)): \(text)" }

    public init(code: Int, text: String) {
        self.code = code
        self.text = text
    }

    /// The refusal an error frame carries, or nil for any other frame.
    public init?(_ reply: DebugFrame) {
        guard reply.type == UInt8(VANITY_DEBUG_ERROR.rawValue) else { return nil }
        let header = MemoryLayout<vanity_debug_error_reply>.size
        code = Wire.read(vanity_debug_error_reply.self, from: reply.payload).map { Int($0.code) } ?? 0
        text = String(decoding: reply.payload.dropFirst(header), as: UTF8.self)
    }
}

/// HELLO's reply: which build runs.
public struct BuildInfo: Equatable, Sendable {
    public var buildID: [UInt8]
    public var system: String
    public var platform: String
    public var shardCount: Int
    /// Differs on every boot; a reload is signed for one.
    public var bootID: UInt64

    public static func decode(_ payload: [UInt8]) throws -> BuildInfo {
        guard payload.count == MemoryLayout<vanity_debug_hello_reply>.size,
              let h = Wire.read(vanity_debug_hello_reply.self, from: payload) else {
            throw MalformedReply(what: "hello carries \(payload.count) bytes, not \(MemoryLayout<vanity_debug_hello_reply>.size)")
        }
        return BuildInfo(buildID: withUnsafeBytes(of: h.build_id) { Array($0) }, system: Wire.text(h.system),
                         platform: Wire.text(h.platform), shardCount: Int(h.shard_count), bootID: h.boot_id)
    }

    /// The start of the build id, as `ps` and `reload` print it.
    public static func short(_ id: [UInt8]) -> String { Wire.hex(id.prefix(6)) }
}

/// A shard's run state (enum vanity_shard_state).
public enum ShardState: Sendable, CaseIterable, Equatable {
    case stopped, running, waiting, held, restarting

    var raw: vanity_shard_state {
        switch self {
        case .stopped: VANITY_SHARD_STOPPED
        case .running: VANITY_SHARD_RUNNING
        case .waiting: VANITY_SHARD_WAITING
        case .held: VANITY_SHARD_HELD
        case .restarting: VANITY_SHARD_RESTARTING
        }
    }

    init?(raw: UInt8) {
        guard let s = Self.allCases.first(where: { $0.raw.rawValue == UInt32(raw) }) else { return nil }
        self = s
    }

    public var name: String { "\(self)" }
}

/// One shard as `ps` reports it.
public struct ShardStatus: Equatable, Sendable {
    public var id: Int
    public var name: String
    /// nil: a state this tool does not know (a newer kernel).
    public var state: ShardState?
    public var core: Int
    public var restarts: Int
    public var generation: Int
    /// The start of the SHA-256 of the last reload image; all zero while it
    /// runs the image it booted with.
    public var code: [UInt8]

    public var reloaded: Bool { code.contains { $0 != 0 } }
    public var codeText: String { reloaded ? "reloaded " + Wire.hex(code) : "as booted" }

    public init(id: Int, name: String, state: ShardState?, core: Int, restarts: Int, generation: Int, code: [UInt8]) {
        (self.id, self.name, self.state, self.core) = (id, name, state, core)
        (self.restarts, self.generation, self.code) = (restarts, generation, code)
    }

    init(_ r: vanity_debug_ps_record) {
        id = Int(r.id)
        name = Wire.text(r.name)
        state = ShardState(raw: r.state)
        core = Int(r.core)
        restarts = Int(r.restarts)
        generation = Int(r.generation)
        code = withUnsafeBytes(of: r.code) { Array($0) }
    }
}

/// One PS reply: the records from `first`, and how many shards there are.
public struct PsPage: Equatable, Sendable {
    public var first: Int
    public var total: Int
    public var shards: [ShardStatus]

    public init(first: Int, total: Int, shards: [ShardStatus]) {
        (self.first, self.total, self.shards) = (first, total, shards)
    }

    /// Records per reply (VANITY_DEBUG_PS_PER_REPLY).
    public static let perReply = (Int(VANITY_DEBUG_MAX_PAYLOAD) - MemoryLayout<vanity_debug_ps_reply>.size) / MemoryLayout<vanity_debug_ps_record>.size

    public static func decode(_ payload: [UInt8]) throws -> PsPage {
        let header = MemoryLayout<vanity_debug_ps_reply>.size, record = MemoryLayout<vanity_debug_ps_record>.size
        guard let h = Wire.read(vanity_debug_ps_reply.self, from: payload) else {
            throw MalformedReply(what: "ps carries \(payload.count) bytes, less than its \(header)-byte header")
        }
        guard payload.count == header + Int(h.count) * record else {
            throw MalformedReply(what: "ps announces \(h.count) records of \(record) bytes but carries \(payload.count - header) bytes")
        }
        let shards = (0..<Int(h.count)).map { ShardStatus(Wire.read(vanity_debug_ps_record.self, from: payload, at: header + $0 * record)!) }
        return PsPage(first: Int(h.first), total: Int(h.total), shards: shards)
    }
}

/// One core as STATS reports it: counters since boot.
public struct CoreStats: Equatable, Sendable {
    public var core: Int
    /// The shard it runs; nil for the kernel's core (or an unused one).
    public var shard: Int?
    public var entries: UInt64
    public var idleNs: UInt64
    public var syscalls: UInt64
    /// The shard's denied system calls.
    public var denied: UInt32

    public init(core: Int, shard: Int?, entries: UInt64, idleNs: UInt64, syscalls: UInt64, denied: UInt32 = 0) {
        (self.core, self.shard, self.entries, self.idleNs, self.syscalls, self.denied) = (core, shard, entries, idleNs, syscalls, denied)
    }

    init(_ r: vanity_debug_core_record) {
        core = Int(r.core)
        shard = r.shard == UInt16(VANITY_DEBUG_NO_SHARD) ? nil : Int(r.shard)
        (entries, idleNs, syscalls, denied) = (r.entries, r.idle_ns, r.syscalls, r.denied)
    }

    /// Percent of `elapsedNs` this core was not idle, from two samples (or since boot: `earlier` nil).
    public func busyPercent(since earlier: CoreStats? = nil, elapsedNs: UInt64) -> Double {
        let idle = idleNs &- (earlier?.idleNs ?? 0)
        guard elapsedNs > 0 else { return 0 }
        return max(0, min(100, 100 * (1 - Double(idle) / Double(elapsedNs))))
    }
}

/// One STATS reply: the cores from `first`, the kernel's clock, how many cores there are.
public struct StatsPage: Equatable, Sendable {
    public var first: Int
    public var total: Int
    public var nowNs: UInt64
    public var cores: [CoreStats]

    /// Records per reply (VANITY_DEBUG_STATS_PER_REPLY).
    public static let perReply = (Int(VANITY_DEBUG_MAX_PAYLOAD) - MemoryLayout<vanity_debug_stats_reply>.size) / MemoryLayout<vanity_debug_core_record>.size

    public static func decode(_ payload: [UInt8]) throws -> StatsPage {
        let header = MemoryLayout<vanity_debug_stats_reply>.size, record = MemoryLayout<vanity_debug_core_record>.size
        guard let h = Wire.read(vanity_debug_stats_reply.self, from: payload) else {
            throw MalformedReply(what: "stats carries \(payload.count) bytes, less than its \(header)-byte header")
        }
        guard payload.count == header + Int(h.count) * record else {
            throw MalformedReply(what: "stats announces \(h.count) records of \(record) bytes but carries \(payload.count - header) bytes")
        }
        let cores = (0..<Int(h.count)).map { CoreStats(Wire.read(vanity_debug_core_record.self, from: payload, at: header + $0 * record)!) }
        return StatsPage(first: Int(h.first), total: Int(h.total), nowNs: h.now_ns, cores: cores)
    }
}

/// One LOGS reply: text from byte `first` (counted from boot) of `total`.
public struct LogChunk: Equatable, Sendable {
    public var first: UInt32
    public var total: UInt32
    /// Shard lines the kernel's log rate limit dropped since boot.
    public var dropped: UInt32
    public var text: [UInt8]

    public static func decode(_ payload: [UInt8]) throws -> LogChunk {
        guard let h = Wire.read(vanity_debug_logs_reply.self, from: payload) else {
            throw MalformedReply(what: "logs carries \(payload.count) bytes, less than its header")
        }
        return LogChunk(first: h.first, total: h.total, dropped: h.dropped, text: Array(payload.dropFirst(MemoryLayout<vanity_debug_logs_reply>.size)))
    }
}

/// RELOAD_COMMIT's reply: the new code runs.
public struct ReloadVerdict: Equatable, Sendable {
    public var generation: Int
    public var verifyMicros: Int
    public var quiesceMicros: Int
    public var swapMicros: Int
    /// The operator holds the shard: the new code starts on release.
    public var held: Bool

    public static func decode(_ payload: [UInt8]) throws -> ReloadVerdict {
        guard payload.count == MemoryLayout<vanity_reload_verdict>.size, let v = Wire.read(vanity_reload_verdict.self, from: payload) else {
            throw MalformedReply(what: "the reload verdict carries \(payload.count) bytes")
        }
        return ReloadVerdict(generation: Int(v.generation), verifyMicros: Int(v.verify_us),
                             quiesceMicros: Int(v.quiesce_us), swapMicros: Int(v.swap_us), held: v.held != 0)
    }
}

/// READ's reply: one of a shard's regions and, when asked, bytes of it.
public struct RegionBytes: Equatable, Sendable {
    public var region: Int
    /// How many regions the shard has.
    public var regions: Int
    /// enum vanity_region_kind.
    public var kind: UInt32
    /// enum vanity_perm bits.
    public var perms: UInt32
    public var virt: UInt64
    public var size: UInt64
    /// Whether the link reads its bytes (data, stack, heap, channel and shared regions).
    public var readable: Bool
    /// Where `bytes` start, from `virt`.
    public var offset: UInt64
    public var bytes: [UInt8]

    /// Bytes per READ reply (VANITY_DEBUG_MAX_READ).
    public static let maxRead = Int(VANITY_DEBUG_MAX_PAYLOAD) - MemoryLayout<vanity_debug_read_reply>.size

    public static func decode(_ payload: [UInt8]) throws -> RegionBytes {
        let header = MemoryLayout<vanity_debug_read_reply>.size
        guard let h = Wire.read(vanity_debug_read_reply.self, from: payload) else {
            throw MalformedReply(what: "read carries \(payload.count) bytes, less than its \(header)-byte header")
        }
        guard payload.count == header + Int(h.count) else {
            throw MalformedReply(what: "read announces \(h.count) bytes but carries \(payload.count - header)")
        }
        return RegionBytes(region: Int(h.region), regions: Int(h.regions), kind: UInt32(h.kind), perms: UInt32(h.perms), virt: h.virt,
                           size: h.size, readable: h.readable != 0, offset: h.offset, bytes: Array(payload.dropFirst(header)))
    }

    /// The region kind's name, as layout.json spells it.
    public var kindName: String {
        switch kind {
        case UInt32(VANITY_REGION_TEXT.rawValue): "text"
        case UInt32(VANITY_REGION_RODATA.rawValue): "rodata"
        case UInt32(VANITY_REGION_DATA.rawValue): "data"
        case UInt32(VANITY_REGION_STACK.rawValue): "stack"
        case UInt32(VANITY_REGION_GUARD.rawValue): "guard"
        case UInt32(VANITY_REGION_HEAP.rawValue): "heap"
        case UInt32(VANITY_REGION_CHANNEL.rawValue): "channel"
        case UInt32(VANITY_REGION_DEVICE.rawValue): "device"
        case UInt32(VANITY_REGION_MAILBOX.rawValue): "mailbox"
        case UInt32(VANITY_REGION_SHARED.rawValue): "shared"
        default: "kind \(kind)"
        }
    }
}

/// FAULT's reply: a shard's fault record (struct vanity_fault_record of <vanity/syscall.h>).
public struct FaultReport: Equatable, Sendable {
    /// enum vanity_fault of the last fault; 0: none yet.
    public var kind: UInt32
    public var generation: UInt32
    public var pc: UInt64
    public var address: UInt64
    public var timeNs: UInt64
    /// Faults since boot.
    public var faults: UInt32
    /// The record as it came (what a core file's note carries).
    public var raw: [UInt8]

    public var faulted: Bool { kind != 0 }

    public static func decode(_ payload: [UInt8]) throws -> FaultReport {
        guard payload.count == MemoryLayout<vanity_fault_record>.size, let r = Wire.read(vanity_fault_record.self, from: payload) else {
            throw MalformedReply(what: "the fault record carries \(payload.count) bytes, not \(MemoryLayout<vanity_fault_record>.size)")
        }
        return FaultReport(kind: r.kind, generation: r.generation, pc: r.pc, address: r.address, timeNs: r.time_ns, faults: r.faults, raw: payload)
    }
}
