/// The kernel's fault report (Kernel/src/shard.c, shard_fault):
/// `kernel: FAULT shard=NAME kind=KIND pc=0x... addr=0x... generation=N policy=POLICY`,
/// and the same line with where the shard was (docs/debugging.md):
/// `... policy=hold -- in main+0x1c (Shards/poke/main.c:12)`. Pure.
public struct FaultLine: Equatable, Sendable {
    public var shard: String
    public var kind: String
    public var pc: UInt64
    public var address: UInt64?
    public var generation: UInt32?

    public init(shard: String, kind: String, pc: UInt64, address: UInt64? = nil, generation: UInt32? = nil) {
        self.shard = shard
        self.kind = kind
        self.pc = pc
        self.address = address
        self.generation = generation
    }

    public static let prefix = "kernel: FAULT "
    /// What separates the kernel's line from the annotation.
    public static let separator = " -- "

    /// The fields of a fault line (without its line ending); nil for any other line.
    public static func parse(_ line: Substring) -> FaultLine? {
        guard line.hasPrefix(prefix) else { return nil }
        var fields: [Substring: Substring] = [:]
        for word in line.dropFirst(prefix.count).split(separator: " ") {
            guard let eq = word.firstIndex(of: "=") else { break } // the annotation, if any
            fields[word[..<eq]] = word[word.index(after: eq)...]
        }
        guard let shard = fields["shard"], let kind = fields["kind"], let pc = fields["pc"].flatMap(hexValue) else { return nil }
        return FaultLine(shard: String(shard), kind: String(kind), pc: pc, address: fields["addr"].flatMap(hexValue),
                         generation: fields["generation"].flatMap { UInt32($0) })
    }

    public static func parse(_ line: String) -> FaultLine? { parse(line[...]) }

    static func hexValue(_ s: Substring) -> UInt64? {
        guard s.hasPrefix("0x") else { return nil }
        return UInt64(s.dropFirst(2), radix: 16)
    }

    /// `line` with where its pc is appended, when it is a fault line and
    /// `locate` knows the pc; otherwise `line` unchanged.
    /// `directory`: file names under it are shown relative to it (the current folder).
    public static func annotate(_ line: String, directory: String? = nil, locate: (FaultLine) -> CodeLocation?) -> String {
        guard let fault = parse(line), !line.contains(separator), let where_ = locate(fault),
              let text = describe(where_, directory: directory) else { return line }
        return line + separator + text
    }

    /// "in main+0x1c (Shards/poke/main.c:12)";
    /// "in helper (a.c:5), inlined into main+0x1c (a.c:20)";
    /// "in main+0x18 (main.swift:6): Swift runtime failure: arithmetic overflow".
    /// Frames without a source line (code the compiler made up) are left
    /// out; the Swift runtime failure such a frame names becomes the reason.
    public static func describe(_ location: CodeLocation, directory: String? = nil) -> String? {
        var frames = location.frames
        var reason: String?
        while frames.count > 1, frames[0].file == nil || frames[0].line == 0 {
            if frames[0].function.hasPrefix(swiftFailure) { reason = frames[0].function }
            frames.removeFirst()
        }
        guard let outer = frames.last, let inner = frames.first else { return nil }
        func place(_ f: CodeLocation.Frame) -> String {
            guard let file = f.file else { return "" }
            return " (" + display(file, directory: directory) + (f.line > 0 ? ":\(f.line)" : "") + ")"
        }
        let function = "\(outer.function)+0x\(String(location.offset, radix: 16))" + place(outer)
        var text = frames.count == 1 ? "in " + function : "in \(inner.function)\(place(inner)), inlined into " + function
        if let reason { text += ": " + reason }
        return text
    }

    static let swiftFailure = "Swift runtime failure: "

    /// `file` relative to `directory` when inside it.
    static func display(_ file: String, directory: String?) -> String {
        guard var dir = directory, !dir.isEmpty else { return file }
        if !dir.hasSuffix("/") { dir += "/" }
        return file.hasPrefix(dir) ? String(file.dropFirst(dir.count)) : file
    }
}
