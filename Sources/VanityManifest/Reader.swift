import VanityDiagnostics

/// A value with the position it was read from.
public struct Located<T> {
    public var value: T
    /// Where the value is written.
    public var location: SourceLocation
    /// Where its key is written.
    public var keyLocation: SourceLocation

    public init(_ value: T, at location: SourceLocation, key keyLocation: SourceLocation? = nil) {
        self.value = value
        self.location = location
        self.keyLocation = keyLocation ?? location
    }
}

extension Located: Equatable where T: Equatable {}
extension Located: Hashable where T: Hashable {}
extension Located: Sendable where T: Sendable {}

/// Parses "16 KiB", "1 MiB", "4096", "2 GiB" (and "B"). Integers are bytes.
public enum ByteSize {
    public static let units: [(String, UInt64)] = [("B", 1), ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40)]

    /// nil with a reason when `text` is not a size.
    public struct Failure: Error, Sendable { public var message: String }

    public static func parse(_ text: String) -> Result<UInt64, Failure> {
        let t = text.trimmingCharacters(in: " \t")
        var digits = ""
        var rest = Substring(t)
        while let c = rest.first, c.isASCII, c.isNumber || c == "_" {
            if c != "_" { digits.append(c) }
            rest = rest.dropFirst()
        }
        let unit = String(rest).trimmingCharacters(in: " \t")
        guard !digits.isEmpty else {
            return .failure(Failure(message: "malformed size \"\(text)\": expected a number of bytes such as 4096, \"16 KiB\" or \"1 MiB\""))
        }
        guard let n = UInt64(digits) else {
            return .failure(Failure(message: "size \"\(text)\" is too large"))
        }
        let mult: UInt64
        if unit.isEmpty {
            mult = 1
        } else if let u = units.first(where: { $0.0 == unit }) {
            mult = u.1
        } else {
            let names = units.map(\.0)
            let hint = didYouMean(unit, among: names).map { " (did you mean \"\($0)\"?)" } ?? ""
            return .failure(Failure(message: "malformed size \"\(text)\": unknown unit \"\(unit)\"\(hint); units are \(humanList(names))"))
        }
        let (v, overflow) = n.multipliedReportingOverflow(by: mult)
        if overflow { return .failure(Failure(message: "size \"\(text)\" is too large")) }
        return .success(v)
    }

    /// A size to write in a manifest: `format` when that reads back as
    /// exactly `bytes`, else the plain number of bytes.
    public static func exact(_ bytes: UInt64) -> String {
        let short = format(bytes)
        if case .success(bytes) = parse(short) { return short }
        return "\(bytes)"
    }

    /// "16 KiB", "1.5 MiB", "300 B": the shortest exact or one-decimal form.
    public static func format(_ bytes: UInt64) -> String {
        for (name, mult) in units.reversed() where mult > 1 && bytes >= mult {
            if bytes % mult == 0 { return "\(bytes / mult) \(name)" }
            // Never overflows: bytes / mult < 2^24 and bytes % mult < 2^40.
            let tenths = bytes / mult * 10 + (bytes % mult * 10 + mult / 2) / mult
            return "\(tenths / 10).\(tenths % 10) \(name)"
        }
        return "\(bytes) B"
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

/// Reads one TOML table against a fixed set of keys, reporting unknown keys
/// (with a did-you-mean), missing keys and wrong types into a diagnostic bag.
/// Every accessor returns nil after reporting when the value is unusable, so
/// callers just skip what failed and go on to report everything in one run.
public struct TableReader {
    public let node: TomlNode
    /// How this table is named in messages, e.g. "shard \"producer\"" or "[system]".
    public let context: String
    private var known: [String] = []

    /// nil (after reporting) when `node` is not a table.
    public init?(_ node: TomlNode, context: String, diagnostics: inout DiagnosticBag) {
        guard case .table = node.value else {
            diagnostics.error(node.location, "\(context) must be a table, not \(node.typeDescription)")
            return nil
        }
        self.node = node
        self.context = context
    }

    public func has(_ key: String) -> Bool { node[key] != nil }

    /// Marks keys as allowed and reports all others. Call once, with every
    /// key the table may hold.
    public func checkKeys(_ allowed: [String], diagnostics: inout DiagnosticBag) {
        for (key, child) in node.entries where !allowed.contains(key) {
            var msg = "unknown key \"\(key)\" in \(context)"
            if let near = didYouMean(key, among: allowed) {
                msg += "; did you mean \"\(near)\"?"
            } else {
                msg += "; valid keys are \(humanList(allowed))"
            }
            diagnostics.error(child.keyLocation, msg)
        }
    }

    public func required(_ key: String, diagnostics: inout DiagnosticBag) -> TomlNode? {
        if let n = node[key] { return n }
        diagnostics.error(node.keyLocation, "\(context) is missing the required key \"\(key)\"")
        return nil
    }

    private func typeError(_ n: TomlNode, _ key: String, _ expected: String, _ d: inout DiagnosticBag) {
        d.error(n.location, "\"\(key)\" in \(context) must be \(expected), not \(n.typeDescription)")
    }

    public func string(_ key: String, required: Bool = false, diagnostics d: inout DiagnosticBag) -> Located<String>? {
        guard let n = required ? self.required(key, diagnostics: &d) : node[key] else { return nil }
        guard case .string(let s) = n.value else { typeError(n, key, "a string", &d); return nil }
        return Located(s, at: n.location, key: n.keyLocation)
    }

    public func bool(_ key: String, diagnostics d: inout DiagnosticBag) -> Located<Bool>? {
        guard let n = node[key] else { return nil }
        guard case .boolean(let b) = n.value else { typeError(n, key, "true or false", &d); return nil }
        return Located(b, at: n.location, key: n.keyLocation)
    }

    /// An integer within `range` (inclusive), reported with the range when
    /// outside it.
    public func integer(_ key: String, in range: ClosedRange<Int64>, required: Bool = false,
                        diagnostics d: inout DiagnosticBag) -> Located<Int64>? {
        guard let n = required ? self.required(key, diagnostics: &d) : node[key] else { return nil }
        return Self.integer(n, name: "\"\(key)\" in \(context)", in: range, diagnostics: &d)
    }

    public static func integer(_ n: TomlNode, name: String, in range: ClosedRange<Int64>,
                               diagnostics d: inout DiagnosticBag) -> Located<Int64>? {
        guard case .integer(let v) = n.value else {
            d.error(n.location, "\(name) must be an integer, not \(n.typeDescription)")
            return nil
        }
        guard range.contains(v) else {
            if v < 0 && range.lowerBound >= 0 {
                d.error(n.location, "\(name) must not be negative (got \(v))")
            } else {
                d.error(n.location, "\(name) is out of range: \(v) is not in \(range.lowerBound)...\(range.upperBound)")
            }
            return nil
        }
        return Located(v, at: n.location, key: n.keyLocation)
    }

    /// A size: integer bytes or a string like "16 KiB".
    public func size(_ key: String, required: Bool = false, diagnostics d: inout DiagnosticBag) -> Located<UInt64>? {
        guard let n = required ? self.required(key, diagnostics: &d) : node[key] else { return nil }
        return Self.size(n, name: "\"\(key)\" in \(context)", diagnostics: &d)
    }

    public static func size(_ n: TomlNode, name: String, diagnostics d: inout DiagnosticBag) -> Located<UInt64>? {
        switch n.value {
        case .integer(let v):
            guard v >= 0 else {
                d.error(n.location, "\(name) must not be negative (got \(v))")
                return nil
            }
            return Located(UInt64(v), at: n.location, key: n.keyLocation)
        case .string(let s):
            switch ByteSize.parse(s) {
            case .success(let v): return Located(v, at: n.location, key: n.keyLocation)
            case .failure(let why):
                d.error(n.location, "\(name): \(why.message)")
                return nil
            }
        default:
            d.error(n.location, "\(name) must be a size (bytes, or a string like \"16 KiB\"), not \(n.typeDescription)")
            return nil
        }
    }

    /// An array whose elements are checked by `element`; nil elements are
    /// dropped (they were reported).
    public func array<T>(_ key: String, required: Bool = false, diagnostics d: inout DiagnosticBag,
                         element: (TomlNode, inout DiagnosticBag) -> T?) -> Located<[T]>? {
        guard let n = required ? self.required(key, diagnostics: &d) : node[key] else { return nil }
        guard case .array(let items) = n.value else { typeError(n, key, "an array", &d); return nil }
        var out: [T] = []
        for item in items {
            if let v = element(item, &d) { out.append(v) }
        }
        return Located(out, at: n.location, key: n.keyLocation)
    }

    /// An array of strings.
    public func strings(_ key: String, required: Bool = false, diagnostics d: inout DiagnosticBag) -> Located<[Located<String>]>? {
        let ctx = context
        return array(key, required: required, diagnostics: &d) { item, d in
            guard case .string(let s) = item.value else {
                d.error(item.location, "elements of \"\(key)\" in \(ctx) must be strings, not \(item.typeDescription)")
                return nil
            }
            return Located(s, at: item.location)
        }
    }

    /// A sub-table.
    public func table(_ key: String, context: String, required: Bool = false, diagnostics d: inout DiagnosticBag) -> TableReader? {
        guard let n = required ? self.required(key, diagnostics: &d) : node[key] else { return nil }
        return TableReader(n, context: context, diagnostics: &d)
    }

    /// One of a fixed set of strings, reported with the valid ones.
    public func choice(_ key: String, _ choices: [String], what: String, required: Bool = false,
                       diagnostics d: inout DiagnosticBag) -> Located<String>? {
        guard let s = string(key, required: required, diagnostics: &d) else { return nil }
        guard choices.contains(s.value) else {
            let hint = didYouMean(s.value, among: choices).map { "; did you mean \"\($0)\"?" } ?? ""
            d.error(s.location, "unknown \(what) \"\(s.value)\" in \(context)\(hint); valid \(what == "policy" ? "policies" : what + "s") are \(humanList(choices))")
            return nil
        }
        return s
    }
}
