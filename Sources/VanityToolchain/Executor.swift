import Crypto
import Foundation
import VanityProcess

/// Runs jobs, skipping those whose inputs did not change: each output gets a
/// `.stamp` beside it holding the SHA-256 of the tool, its arguments and the
/// contents of every input (and, for clang, of every header its dependency
/// file lists).
public struct Executor {
    public struct Outcome: Sendable {
        public var ran: [String] = []
        public var upToDate: [String] = []
    }

    public struct Failure: Error, Sendable {
        public var job: Job
        public var output: String
        public var status: Int32
    }

    /// Tool name → absolute path (found on PATH once).
    var tools: [String: String] = [:]

    public init() {}

    /// A tool's path: as given when absolute, else the first match on PATH.
    public static func find(_ tool: String) -> String { ChildProcess.find(tool) }

    static func digest(_ job: Job, extra: [String]) -> String? {
        var h = SHA256()
        h.update(data: Data((job.tool + "\u{0}" + job.arguments.joined(separator: "\u{0}")).utf8))
        for path in job.inputs + extra {
            guard let d = FileManager.default.contents(atPath: path) else { return nil }
            h.update(data: Data(path.utf8))
            h.update(data: d)
        }
        return h.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Headers from a make-style dependency file (clang -MD).
    static func dependencies(_ depfile: String) -> [String] {
        guard let text = try? String(contentsOfFile: depfile, encoding: .utf8) else { return [] }
        let joined = text.replacingOccurrences(of: "\\\n", with: " ")
        guard let colon = joined.firstIndex(of: ":") else { return [] }
        return joined[joined.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }

    /// Runs every job in order; stops at the first failure.
    public mutating func run(_ jobs: [Job]) -> Result<Outcome, Failure> {
        var outcome = Outcome()
        let fm = FileManager.default
        for job in jobs {
            let stampPath = job.output + ".stamp"
            let deps = job.depfile.map(Self.dependencies) ?? []
            if fm.fileExists(atPath: job.output), let old = try? String(contentsOfFile: stampPath, encoding: .utf8),
               let now = Self.digest(job, extra: deps), old == now + "\n" + deps.joined(separator: "\n") {
                outcome.upToDate.append(job.label)
                continue
            }
            try? fm.createDirectory(atPath: (job.output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try? fm.removeItem(atPath: stampPath)
            // An archive is written afresh: llvm-ar would keep members of sources gone since.
            if job.kind == .archive { try? fm.removeItem(atPath: job.output) }
            let tool = tools[job.tool] ?? Self.find(job.tool)
            tools[job.tool] = tool
            let (status, text) = Self.spawn(tool, job.arguments)
            if status != 0 { return .failure(Failure(job: job, output: text, status: status)) }
            let newDeps = job.depfile.map(Self.dependencies) ?? []
            if let d = Self.digest(job, extra: newDeps) {
                try? (d + "\n" + newDeps.joined(separator: "\n")).write(toFile: stampPath, atomically: true, encoding: .utf8)
            }
            outcome.ran.append(job.label)
        }
        return .success(outcome)
    }

    /// Runs a tool and returns its status and combined output.
    public static func spawn(_ tool: String, _ args: [String]) -> (Int32, String) {
        do {
            let p = try ChildProcess(tool, args, stdin: .null, stdout: .pipe, stderr: .output)
            let data = ChildProcess.readAll(p.output!)
            return (p.wait() ?? 1, String(decoding: data, as: UTF8.self))
        } catch {
            return (127, "cannot run \(tool): \(error)")
        }
    }
}
