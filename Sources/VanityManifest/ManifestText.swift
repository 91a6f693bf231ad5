import VanityDiagnostics

/// Checks on the manifest's raw text, before toml++ sees it: the text must be
/// UTF-8 and must not nest deeper than toml++ (which recurses once per
/// level) can take.
public enum ManifestText {
    /// The deepest nesting a manifest may have. Every part of a dotted key or
    /// table header, every inline table and every array is one level.
    public static let maxNesting = 64

    /// Text that is not UTF-8, at its first bad byte.
    public struct NotUTF8: Error, Sendable { public var diagnostic: Diagnostic }

    /// `bytes` as text, or an error at the line and column (in characters)
    /// of the first byte that is not part of a valid UTF-8 character.
    public static func decode(_ bytes: [UInt8], file: String) -> Result<String, NotUTF8> {
        var parser = Unicode.UTF8.ForwardParser()
        var input = bytes.makeIterator()
        var offset = 0, line = 1, column = 1
        while true {
            switch parser.parseScalar(from: &input) {
            case .valid(let scalar):
                if scalar.count == 1 && scalar.first == 0x0A { (line, column) = (line + 1, 1) } else { column += 1 }
                offset += scalar.count
            case .emptyInput:
                return .success(String(decoding: bytes, as: UTF8.self))
            case .error:
                return .failure(NotUTF8(diagnostic: .error(SourceLocation(file: file, line: line, column: column),
                    "the manifest is not valid UTF-8 text: byte \(hex(bytes[offset])) (offset \(offset)) is not part of a valid character")))
            }
        }
    }

    /// An error at the first place `text` nests more than `maxNesting`
    /// levels deep, or nil. A cheap scan that knows TOML's strings,
    /// comments, headers, keys and brackets; toml++ checks everything else.
    public static func nestingError(_ text: String, file: String) -> Diagnostic? {
        let b = Array(text.utf8)
        // Open inline tables and arrays of values: their depth.
        var frames: [(depth: Int, isArray: Bool)] = []
        var headerDepth = 0, dots = 0, valueDepth = 0
        var readingKey = true, inHeader = false
        var line = 1, lineStart = 0, i = 0

        func error(at pos: Int) -> Diagnostic {
            let column = b[lineStart..<pos].reduce(1) { $1 & 0xC0 == 0x80 ? $0 : $0 + 1 }
            return .error(SourceLocation(file: file, line: line, column: column),
                          "the manifest nests more than \(maxNesting) levels deep here (each dotted-key part, table and array is a level)")
        }
        func newline(at pos: Int) { (line, lineStart) = (line + 1, pos + 1) }
        func at(_ pos: Int, _ s: String) -> Bool { pos + s.utf8.count <= b.count && b[pos..<pos + s.utf8.count].elementsEqual(s.utf8) }

        while i < b.count {
            let c = b[i]
            switch c {
            case UInt8(ascii: "\n"):
                newline(at: i)
                if frames.isEmpty { (dots, readingKey, inHeader) = (0, true, false) }
            case UInt8(ascii: "#"):
                while i + 1 < b.count && b[i + 1] != UInt8(ascii: "\n") { i += 1 }
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                // Skip the string; a one-line string also ends at a newline
                // (toml++ reports that), so a scan never swallows more than it.
                let quote = c, basic = c == UInt8(ascii: "\"")
                let triple = String(repeating: basic ? "\"" : "'", count: 3)
                let multi = at(i, triple)
                i += multi ? 3 : 1
                while i < b.count {
                    if basic && b[i] == UInt8(ascii: "\\") {
                        if i + 1 < b.count && b[i + 1] == UInt8(ascii: "\n") { newline(at: i + 1) }
                        i += 2
                        continue
                    }
                    if b[i] == UInt8(ascii: "\n") {
                        if !multi { i -= 1; break }
                        newline(at: i)
                    } else if multi ? at(i, triple) : b[i] == quote {
                        i += multi ? 2 : 0
                        // Up to two more quotes may end a multi-line string.
                        while multi && i + 1 < b.count && b[i + 1] == quote { i += 1 }
                        break
                    }
                    i += 1
                }
                if i >= b.count { return nil }
            case UInt8(ascii: "."):
                if inHeader {
                    dots += 1
                    if dots + 1 > maxNesting { return error(at: i) }
                } else if readingKey {
                    dots += 1
                    if (frames.last?.depth ?? headerDepth) + 1 + dots > maxNesting { return error(at: i) }
                }
            case UInt8(ascii: "="):
                valueDepth = (frames.last?.depth ?? headerDepth) + 1 + dots
                (dots, readingKey) = (0, false)
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                if c == UInt8(ascii: "[") && frames.isEmpty && readingKey {
                    // A table header, [a.b] or [[a.b]].
                    if i + 1 < b.count && b[i + 1] == c { i += 1 }
                    (inHeader, dots) = (true, 0)
                    break
                }
                let depth = frames.last.map { $0.isArray ? $0.depth + 1 : valueDepth } ?? valueDepth
                if depth > maxNesting { return error(at: i) }
                frames.append((depth, c == UInt8(ascii: "[")))
                (dots, readingKey) = (0, c == UInt8(ascii: "{"))
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if inHeader {
                    (headerDepth, inHeader, dots, readingKey) = (dots + 1, false, 0, false)
                } else if !frames.isEmpty {
                    frames.removeLast()
                    (dots, readingKey) = (0, false)
                }
            case UInt8(ascii: ","):
                dots = 0
                readingKey = !(frames.last?.isArray ?? true)
            default:
                break
            }
            i += 1
        }
        return nil
    }
}
