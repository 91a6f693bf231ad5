/// Rewrites whole console lines that start with a prefix (the kernel's
/// fault lines, to name where the shard was) while every other byte passes
/// through at once: only a line that may still turn out to start with the
/// prefix is held back, until its end. Every complete line is shown to the
/// rewriter in order (it may follow other lines, e.g. reloads); only what
/// it returns for a held line is printed.
public struct ConsoleLines: Sendable {
    let prefix: [UInt8]
    let rewrite: @Sendable (String) -> String
    /// The line so far (its first `limit` bytes).
    var line: [UInt8] = []
    /// Whether the line so far is held back (still matches the prefix).
    var holding = true
    /// A held line longer than this is given up on and passed through.
    static let limit = 4096

    public init(prefix: String, rewrite: @escaping @Sendable (String) -> String) {
        self.prefix = Array(prefix.utf8)
        self.rewrite = rewrite
    }

    /// The bytes to print now for `bytes` received.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        for b in bytes {
            if line.count < Self.limit { line.append(b) }
            if b == UInt8(ascii: "\n") {
                // "\r\n" (the boards' serial console) or "\n".
                let body = line.dropLast(line.count >= 2 && line[line.count - 2] == UInt8(ascii: "\r") ? 2 : 1)
                let ending = line[body.endIndex...]
                let rewritten = rewrite(String(decoding: body, as: UTF8.self))
                if holding { out += Array(rewritten.utf8) + ending }
                else { out.append(b) }
                line = []
                holding = true
                continue
            }
            if holding {
                let n = line.count
                if (n <= prefix.count && line[n - 1] != prefix[n - 1]) || n >= Self.limit {
                    out += line
                    holding = false
                }
            } else {
                out.append(b)
            }
        }
        return out
    }

    /// What is held back (a line cut off before its end), to print as it is.
    public mutating func flush() -> [UInt8] {
        defer { line = []; holding = true }
        return holding ? line : []
    }
}
