import Crypto
import Foundation
import VanityABI

/// Hot reload of one shard over a debug link (docs/debug-protocol.md,
/// "Reload"): prepare (the build-id check and the signed begin), transfer
/// (begin and chunks), commit, verdict; the history keeps what runs and
/// what ran before, for rollback.
public struct ReloadSession {
    public let client: DebugClient
    public let shard: Int
    public let shardName: String

    public init(client: DebugClient, shard: Int, shardName: String) {
        self.client = client
        self.shard = shard
        self.shardName = shardName
    }

    /// Requests in flight at once: enough to keep the line busy, few enough
    /// that the kernel's replies never fill a buffer nobody reads.
    public static let window = 8

    /// Why a reload did not happen.
    public enum Failure: Error, CustomStringConvertible {
        /// The manifest or layout on disk is not the running build's.
        case buildChanged(running: [UInt8], onDisk: [UInt8], config: String)
        /// It changed while the shard was being rebuilt.
        case changedWhileBuilding(shard: String)
        /// --rollback with no earlier image.
        case noEarlierImage(shard: String)
        /// The system refused (the running shard is unchanged).
        case refused(SystemRefusal, shard: String)

        public var description: String {
            switch self {
            case .buildChanged(let running, let onDisk, let config):
                "the manifest or the layout changed since the running system was built (running build \(BuildInfo.short(running)), "
                    + "\(config) now gives \(BuildInfo.short(onDisk))); a reload cannot change them: rebuild and reboot with `vanity-build run`"
            case .changedWhileBuilding(let shard): "the manifest changed while \(shard) was being rebuilt; nothing was sent"
            case .noEarlierImage(let shard): "no earlier image of \(shard) to roll back to (it has not been reloaded since the system booted)"
            case .refused(let r, let shard): "reload of \(shard) refused: \(r.text) (code \(r.code)); the running shard is unchanged"
            }
        }

        /// Whether the manifest is to blame (exit status 65) rather than the run.
        public var isDataError: Bool {
            switch self {
            case .buildChanged, .changedWhileBuilding: true
            case .noEarlierImage, .refused: false
            }
        }
    }

    /// An image and what signs it.
    public struct Signed: Sendable {
        public var image: [UInt8]
        /// RELOAD_BEGIN's payload: struct vanity_reload_begin.
        public var begin: [UInt8]

        public init(image: [UInt8], begin: [UInt8]) {
            self.image = image
            self.begin = begin
        }
    }

    /// Prepare: signs `image` for this shard, build and boot, with
    /// `version` (struct vanity_reload_signed and its HMAC-SHA256 under the
    /// build's key). Pure.
    public static func sign(image: [UInt8], shard: Int, buildID: [UInt8], key: [UInt8], bootID: UInt64, version: UInt64) -> Signed {
        var signed = vanity_reload_signed()
        withUnsafeMutableBytes(of: &signed.build_id) { raw in for (i, b) in buildID.prefix(raw.count).enumerated() { raw[i] = b } }
        signed.shard = UInt16(shard)
        signed.reserved = 0
        signed.size = UInt32(image.count)
        let digest = Array(SHA256.hash(data: image))
        withUnsafeMutableBytes(of: &signed.digest) { raw in for (i, b) in digest.enumerated() { raw[i] = b } }
        signed.boot_id = bootID
        signed.version = version
        let signedBytes = Wire.bytes(of: signed)
        let mac = HMAC<SHA256>.authenticationCode(for: signedBytes, using: SymmetricKey(data: key))
        return Signed(image: image, begin: signedBytes + Array(mac))
    }

    /// A version above every earlier one from this host: the clock in
    /// milliseconds, and one more than the last when that has not moved.
    public static func nextVersion() -> UInt64 {
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        return versionLock.withLock {
            lastVersion = max(now, lastVersion + 1)
            return lastVersion
        }
    }

    private static let versionLock = NSLock()
    nonisolated(unsafe) private static var lastVersion: UInt64 = 0

    /// Prepare: the running build must be the one on disk.
    public func prepare(localBuildID: [UInt8], config: String) throws -> BuildInfo {
        let running = try client.hello()
        guard running.buildID == localBuildID else {
            throw Failure.buildChanged(running: running.buildID, onDisk: localBuildID, config: config)
        }
        return running
    }

    /// Transfer: begin, then the image in chunks, pipelined (up to `window`
    /// requests in flight), each reply checked in order; the first refusal
    /// is thrown.
    public func transfer(_ s: Signed) throws {
        let begin = DebugRequest.reloadBegin(s.begin)
        var pending: [(UInt16, DebugRequest)] = [(try client.post(begin), begin)]
        var offset = 0
        while offset < s.image.count || !pending.isEmpty {
            if offset < s.image.count && pending.count < Self.window {
                let n = min(DebugRequest.maxChunk, s.image.count - offset)
                let chunk = DebugRequest.reloadChunk(offset: offset, bytes: s.image[offset..<(offset + n)])
                pending.append((try client.post(chunk), chunk))
                offset += n
                continue
            }
            let (id, request) = pending.removeFirst()
            _ = try client.check(client.reply(to: id), answering: request)
        }
    }

    /// Commit, and wait for the verdict: the new code runs.
    public func commit(force: Bool = false, timeout: Double = 10) throws -> ReloadVerdict {
        try ReloadVerdict.decode(client.call(.reloadCommit(force: force), timeout: timeout))
    }

    /// Transfer and commit; a refusal becomes `Failure.refused`.
    public func send(_ s: Signed, force: Bool = false) throws -> ReloadVerdict {
        do {
            try transfer(s)
            return try commit(force: force)
        } catch let r as SystemRefusal {
            throw Failure.refused(r, shard: shardName)
        }
    }

    /// What a whole reload took.
    public struct Report: Sendable {
        public var bytes: Int
        public var verdict: ReloadVerdict
        /// Seconds: the whole reload; the build (nil for a rollback); transfer and swap.
        public var total: Double
        public var build: Double?
        public var transfer: Double
    }

    /// Where the image comes from: a fresh build of the shard (its image,
    /// the build id it was built for and the build's key), or the image that
    /// ran before the last reload.
    /// With each image, its linked ELF file when known (kept in the
    /// history, to name where the shard faults).
    public enum Source {
        case build(() throws -> (image: [UInt8], buildID: [UInt8], key: [UInt8], elf: [UInt8]?))
        case rollback(key: [UInt8]?)
    }

    /// The whole sequence: check the running build against the one on
    /// disk, get the image, check the build again, sign, send, and record
    /// it in `history`.
    public func reload(localBuildID: [UInt8], config: String, source: Source, history: ReloadHistory,
                       force: Bool = false) throws -> Report {
        let started = Date()
        let running = try prepare(localBuildID: localBuildID, config: config)
        let image: [UInt8], buildID: [UInt8], key: [UInt8], elf: [UInt8]?
        var buildSeconds: Double?
        switch source {
        case .rollback(let k):
            guard let previous = history.previous(shardName), let k else { throw Failure.noEarlierImage(shard: shardName) }
            (image, buildID, key, elf) = (previous, running.buildID, k, history.previousELF(shardName))
        case .build(let build):
            (image, buildID, key, elf) = try build()
            buildSeconds = Date().timeIntervalSince(started)
        }
        guard buildID == running.buildID else { throw Failure.changedWhileBuilding(shard: shardName) }
        // Staged before the new code can run (and fault) until the verdict is recorded.
        history.stage(elf: elf, shard: shardName)
        let sent = Date()
        let signed = Self.sign(image: image, shard: shard, buildID: buildID, key: key, bootID: running.bootID, version: Self.nextVersion())
        let verdict: ReloadVerdict
        do { verdict = try send(signed, force: force) } catch {
            history.unstage(shardName)
            throw error
        }
        let done = Date()
        // A held shard's new code starts with the next generation, on release.
        history.record(image, shard: shardName, elf: elf, generation: UInt32(truncatingIfNeeded: verdict.held ? verdict.generation + 1 : verdict.generation))
        return Report(bytes: image.count, verdict: verdict, total: done.timeIntervalSince(started), build: buildSeconds,
                      transfer: done.timeIntervalSince(sent))
    }
}

/// The images a shard ran: `<folder>/<shard>.running` (what runs now) and
/// `.previous` (what ran before the last reload: the rollback target).
public struct ReloadHistory: Sendable {
    public let folder: String

    public init(folder: String) { self.folder = folder }

    public func runningPath(_ shard: String) -> String { "\(folder)/\(shard).running" }
    public func previousPath(_ shard: String) -> String { "\(folder)/\(shard).previous" }

    public func running(_ shard: String) -> [UInt8]? { FileManager.default.contents(atPath: runningPath(shard)).map { [UInt8]($0) } }
    public func previous(_ shard: String) -> [UInt8]? { FileManager.default.contents(atPath: previousPath(shard)).map { [UInt8]($0) } }

    /// A boot starts a new history: an image from an earlier boot may belong
    /// to another layout, so it is no rollback target. `elf`: the linked
    /// file it came from (generation 1 on).
    public func booted(_ image: [UInt8], shard: String, elf: [UInt8]? = nil) {
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: previousPath(shard))
        try? Data(image).write(to: URL(fileURLWithPath: runningPath(shard)), options: .atomic)
        if let elf {
            write(Elves(starts: [.init(generation: 1, digest: store(elf))]), shard: shard)
        } else {
            try? FileManager.default.removeItem(atPath: elvesPath(shard))
        }
        prune()
    }

    /// A reload: what ran becomes the rollback target. `generation`: the
    /// first the new image runs (with `elf`, its linked file, if known).
    public func record(_ image: [UInt8], shard: String, elf: [UInt8]? = nil, generation: UInt32? = nil) {
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if let was = FileManager.default.contents(atPath: runningPath(shard)) {
            try? was.write(to: URL(fileURLWithPath: previousPath(shard)), options: .atomic)
        }
        try? Data(image).write(to: URL(fileURLWithPath: runningPath(shard)), options: .atomic)
        if let generation, var e = elves(shard) {
            e.starts.append(.init(generation: generation, digest: elf.flatMap(store)))
            e.starts = Array(e.starts.suffix(Self.keptStarts))
            e.staged = nil
            write(e, shard: shard)
            prune()
        }
    }
}

/// The linked ELF files of what ran, to name where a shard faulted
/// (docs/debugging.md): `<folder>/elf/<sha256>` holds each file once;
/// `<folder>/<shard>.elves` lists the generation from which each image ran
/// and its file, oldest first ("<generation> <sha256>", "-" for a file not
/// known), then "staged <sha256>" while a reload of that file is under way.
extension ReloadHistory {
    public struct Elves: Equatable, Sendable {
        public struct Start: Equatable, Sendable {
            public var generation: UInt32
            /// The file's SHA-256 (hex), nil when unknown.
            public var digest: String?
            public init(generation: UInt32, digest: String?) {
                self.generation = generation
                self.digest = digest
            }
        }
        public var starts: [Start]
        public var staged: String?

        public init(starts: [Start], staged: String? = nil) {
            self.starts = starts
            self.staged = staged
        }

        public var text: String {
            starts.map { "\($0.generation) \($0.digest ?? "-")\n" }.joined() + (staged.map { "staged \($0)\n" } ?? "")
        }

        public init?(text: String) {
            starts = []
            for line in text.split(separator: "\n") {
                let f = line.split(separator: " ")
                guard f.count == 2 else { return nil }
                if f[0] == "staged" { staged = String(f[1]); continue }
                guard let g = UInt32(f[0]) else { return nil }
                starts.append(Start(generation: g, digest: f[1] == "-" ? nil : String(f[1])))
            }
        }

        /// The start whose image ran generation `g`: the last to start at or before it.
        public func start(of g: UInt32) -> Start? { starts.last { $0.generation <= g } }
    }

    /// Entries kept per shard (older faults are no longer in the kernel's log history either).
    static let keptStarts = 8

    public func elvesPath(_ shard: String) -> String { "\(folder)/\(shard).elves" }
    public func elfPath(digest: String) -> String { "\(folder)/elf/\(digest)" }

    /// What the history knows of the shard's files; nil when nothing (a
    /// system not started by `vanity-build run`).
    public func elves(_ shard: String) -> Elves? {
        FileManager.default.contents(atPath: elvesPath(shard)).flatMap { Elves(text: String(decoding: $0, as: UTF8.self)) }
    }

    /// The linked file of the image that ran before the last reload (the rollback target).
    public func previousELF(_ shard: String) -> [UInt8]? {
        guard let starts = elves(shard)?.starts, starts.count >= 2, let d = starts[starts.count - 2].digest else { return nil }
        return FileManager.default.contents(atPath: elfPath(digest: d)).map { [UInt8]($0) }
    }

    /// A reload of `elf` is under way: from the moment it is committed its
    /// code may run (and fault) before `record` is called.
    public func stage(elf: [UInt8]?, shard: String) {
        guard var e = elves(shard) else { return }
        e.staged = elf.flatMap(store)
        write(e, shard: shard)
    }

    /// The reload did not happen.
    public func unstage(_ shard: String) {
        guard var e = elves(shard), e.staged != nil else { return }
        e.staged = nil
        write(e, shard: shard)
        prune()
    }

    func write(_ e: Elves, shard: String) {
        try? Data(e.text.utf8).write(to: URL(fileURLWithPath: elvesPath(shard)), options: .atomic)
    }

    /// Keeps `elf` in the store; its digest.
    func store(_ elf: [UInt8]) -> String? {
        let digest = SHA256.hash(data: elf).map { String(format: "%02x", $0) }.joined()
        let path = elfPath(digest: digest)
        if !FileManager.default.fileExists(atPath: path) {
            try? FileManager.default.createDirectory(atPath: folder + "/elf", withIntermediateDirectories: true)
            guard (try? Data(elf).write(to: URL(fileURLWithPath: path), options: .atomic)) != nil else { return nil }
        }
        return digest
    }

    /// Removes stored files no shard's list names.
    func prune() {
        let fm = FileManager.default
        let lists = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".elves") }
        var named = Set<String>()
        for list in lists {
            guard let e = fm.contents(atPath: folder + "/" + list).flatMap({ Elves(text: String(decoding: $0, as: UTF8.self)) }) else { continue }
            named.formUnion(e.starts.compactMap(\.digest))
            if let s = e.staged { named.insert(s) }
        }
        for file in (try? fm.contentsOfDirectory(atPath: folder + "/elf")) ?? [] where !named.contains(file) && !file.hasPrefix(".") {
            try? fm.removeItem(atPath: folder + "/elf/" + file)
        }
    }
}
