/// A position in a source file (1-based line and column). `line == 0` means
/// the position is unknown (for example a value a platform supplied).
public struct SourceLocation: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public static func unknown(_ file: String) -> SourceLocation {
        SourceLocation(file: file, line: 0, column: 0)
    }

    public var description: String {
        line > 0 ? "\(file):\(line):\(column)" : file
    }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }
}

public enum Severity: String, Sendable, Comparable {
    case error, warning, note

    private var rank: Int { self == .error ? 0 : self == .warning ? 1 : 2 }
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// One message about a source position, with optional notes at other
/// positions (the other side of a conflict).
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public struct Note: Hashable, Sendable {
        public var location: SourceLocation
        public var message: String
        public init(_ location: SourceLocation, _ message: String) {
            self.location = location
            self.message = message
        }
    }

    public var severity: Severity
    public var location: SourceLocation
    public var message: String
    public var notes: [Note]

    public init(_ severity: Severity, _ location: SourceLocation, _ message: String, notes: [Note] = []) {
        self.severity = severity
        self.location = location
        self.message = message
        self.notes = notes
    }

    public static func error(_ location: SourceLocation, _ message: String, notes: [Note] = []) -> Diagnostic {
        Diagnostic(.error, location, message, notes: notes)
    }

    public static func warning(_ location: SourceLocation, _ message: String, notes: [Note] = []) -> Diagnostic {
        Diagnostic(.warning, location, message, notes: notes)
    }

    /// `path:line:col: error: message`, then one line per note.
    public var description: String {
        var lines = ["\(location): \(severity.rawValue): \(message)"]
        for note in notes {
            lines.append("\(note.location): note: \(note.message)")
        }
        return lines.joined(separator: "\n")
    }
}

/// Collects every diagnostic of a run; stages append, the shell prints.
public struct DiagnosticBag: Sendable {
    public private(set) var all: [Diagnostic] = []

    public init() {}

    public mutating func append(_ d: Diagnostic) { all.append(d) }
    public mutating func append(contentsOf ds: [Diagnostic]) { all.append(contentsOf: ds) }

    public mutating func error(_ location: SourceLocation, _ message: String, notes: [Diagnostic.Note] = []) {
        all.append(.error(location, message, notes: notes))
    }

    public mutating func warning(_ location: SourceLocation, _ message: String, notes: [Diagnostic.Note] = []) {
        all.append(.warning(location, message, notes: notes))
    }

    public var errorCount: Int { all.filter { $0.severity == .error }.count }
    public var warningCount: Int { all.filter { $0.severity == .warning }.count }
    public var hasErrors: Bool { all.contains { $0.severity == .error } }

    /// In source order, duplicates removed, so output is stable whatever
    /// order the checks ran in.
    public var sorted: [Diagnostic] {
        var seen = Set<Diagnostic>()
        return all.enumerated()
            .sorted { l, r in
                l.element.location != r.element.location
                    ? l.element.location < r.element.location : l.offset < r.offset
            }
            .map(\.element)
            .filter { seen.insert($0).inserted }
    }

    /// "2 errors and 1 warning in Config/system.toml": the counts in
    /// `file`, or, when the diagnostics are about other files, the counts of
    /// each file in the order they are printed ("1 error in Shards/a/main.c").
    public func summary(for file: String) -> String {
        let counted = all.filter { $0.severity != .note }
        var files: [String] = []
        for d in counted where !files.contains(d.location.file) { files.append(d.location.file) }
        if files.isEmpty || files == [file] { return Self.counts(counted, in: file) }
        return files.map { f in Self.counts(counted.filter { $0.location.file == f }, in: f) }.joined(separator: "; ")
    }

    static func counts(_ diagnostics: [Diagnostic], in file: String) -> String {
        func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        let e = diagnostics.filter { $0.severity == .error }.count
        let w = diagnostics.filter { $0.severity == .warning }.count
        switch (e, w) {
        case (0, 0): return "no problems in \(file)"
        case (_, 0): return "\(plural(e, "error")) in \(file)"
        case (0, _): return "\(plural(w, "warning")) in \(file)"
        default: return "\(plural(e, "error")) and \(plural(w, "warning")) in \(file)"
        }
    }
}

/// The closest candidate by edit distance, if it is close enough to be a
/// plausible typo.
public func didYouMean(_ word: String, among candidates: [String]) -> String? {
    let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) else { return nil }
    let limit = max(1, min(3, word.count / 3))
    return best.1 <= limit ? best.0 : nil
}

public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    var cur = Array(repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}

/// "a, b or c" for lists in messages.
public func humanList(_ items: [String], quoted: Bool = true, conjunction: String = "or") -> String {
    let q = quoted ? items.map { "\"\($0)\"" } : items
    switch q.count {
    case 0: return "(none)"
    case 1: return q[0]
    default: return q.dropLast().joined(separator: ", ") + " \(conjunction) " + q.last!
    }
}

/// Diagnostics as a `Result` failure.
public struct DiagnosticError: Error, Sendable {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
}
