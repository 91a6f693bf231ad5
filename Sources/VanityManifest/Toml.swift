import CTomlShim
import VanityDiagnostics

/// A TOML value with the exact source position of its key and its value,
/// read through toml++ (never a hand-written parser).
public final class TomlNode: @unchecked Sendable {
    public enum Value {
        case table([(key: String, node: TomlNode)])
        case array([TomlNode])
        case string(String)
        case integer(Int64)
        case float(Double)
        case boolean(Bool)
        case datetime(String)
    }

    public internal(set) var value: Value
    /// Where the value starts.
    public let location: SourceLocation
    /// Where its key is written (the value's location for array elements).
    public let keyLocation: SourceLocation
    public internal(set) var key: String?
    public let isInline: Bool

    init(value: Value, location: SourceLocation, keyLocation: SourceLocation, key: String?, isInline: Bool) {
        self.value = value
        self.location = location
        self.keyLocation = keyLocation
        self.key = key
        self.isInline = isInline
    }

    /// The TOML type name used in messages.
    public var typeName: String {
        switch value {
        case .table: return "table"
        case .array: return "array"
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .boolean: return "boolean"
        case .datetime: return "date-time"
        }
    }

    /// "a table", "an integer": the type name with its article.
    public var typeDescription: String {
        let n = typeName
        return ("aeiou".contains(n.first!) ? "an " : "a ") + n
    }

    /// Table entries in document order.
    public var entries: [(key: String, node: TomlNode)] {
        if case .table(let e) = value { return e }
        return []
    }

    public subscript(key: String) -> TomlNode? {
        entries.first { $0.key == key }?.node
    }
}

public enum TomlError: Error, Sendable {
    case syntax(Diagnostic)
}

public enum Toml {
    /// Parses `text` (named `file` in diagnostics). Entries of every table are
    /// in document order. A syntax error is returned as a diagnostic.
    public static func parse(_ text: String, file: String) -> Result<TomlNode, TomlError> {
        // toml++ recurses once per nesting level: deep input must not reach it.
        if let deep = ManifestText.nestingError(text, file: file) { return .failure(.syntax(deep)) }
        var bytes = Array(text.utf8)
        bytes.append(0)
        let docPtr: UnsafeMutablePointer<vt_document>? = bytes.withUnsafeBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                vt_parse($0, buf.count - 1)
            }
        }
        guard let doc = docPtr else {
            return .failure(.syntax(.error(.unknown(file), "out of memory while reading TOML")))
        }
        defer { vt_free(doc) }
        if let err = doc.pointee.error {
            let loc = SourceLocation(file: file, line: Int(doc.pointee.error_line), column: Int(doc.pointee.error_col))
            return .failure(.syntax(.error(loc, "TOML syntax: " + String(cString: err))))
        }
        let count = doc.pointee.count
        var nodes: [TomlNode] = []
        nodes.reserveCapacity(count)
        var children: [[Int]] = Array(repeating: [], count: count)
        for i in 0..<count {
            let n = doc.pointee.nodes[i]
            let loc = SourceLocation(file: file, line: Int(n.line), column: Int(n.col))
            let keyLoc = n.key != nil && n.key_line > 0
                ? SourceLocation(file: file, line: Int(n.key_line), column: Int(n.key_col)) : loc
            let key = n.key.map { Self.string($0, n.key_len) }
            let text = n.text.map { Self.string($0, n.text_len) } ?? ""
            let value: TomlNode.Value
            switch vt_kind(rawValue: UInt32(bitPattern: n.kind)) {
            case VT_TABLE: value = .table([])
            case VT_ARRAY: value = .array([])
            case VT_STRING: value = .string(text)
            case VT_INTEGER: value = .integer(n.integer)
            case VT_FLOAT: value = .float(n.real)
            case VT_BOOLEAN: value = .boolean(n.boolean != 0)
            default: value = .datetime(text)
            }
            nodes.append(TomlNode(value: value, location: loc, keyLocation: keyLoc, key: key,
                                  isInline: n.inline_table != 0))
            if n.parent >= 0 { children[Int(n.parent)].append(i) }
        }
        // Children were emitted after their parents, so fill bottom-up order is
        // not needed: class references make late filling visible.
        for i in 0..<count {
            switch nodes[i].value {
            case .table:
                let kids = children[i].map { (key: nodes[$0].key ?? "", node: nodes[$0]) }
                    .sorted { $0.node.keyLocation < $1.node.keyLocation }
                nodes[i].value = .table(kids)
            case .array:
                nodes[i].value = .array(children[i].map { nodes[$0] })
            default:
                break
            }
        }
        return .success(nodes[0])
    }

    /// `len` bytes at `p` (keys and strings may hold U+0000, which a C string would cut).
    static func string(_ p: UnsafePointer<CChar>, _ len: Int) -> String {
        p.withMemoryRebound(to: UInt8.self, capacity: len) { String(decoding: UnsafeBufferPointer(start: $0, count: len), as: UTF8.self) }
    }
}
