#if canImport(Glibc)
import Glibc
#endif

/// A connection to a running system's debug link (a Unix-domain socket: the
/// simulator's, today). Sends one request and waits for its reply.
public final class DebugClient {
    let fd: Int32
    var decoder = DebugDecoder()
    var nextID: UInt16 = 1

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public init(socketPath: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "cannot create a socket") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            close(fd)
            throw Failure(description: "socket path too long: \(socketPath)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if ok != 0 {
            close(fd)
            throw Failure(description: "no running system at \(socketPath) (start it with `vanity-build run`)")
        }
    }

    deinit { close(fd) }

    /// Replies that arrived while waiting for another one.
    var early: [UInt16: DebugFrame] = [:]

    /// Sends a request and returns its reply (or error frame), waiting up to
    /// `timeout` seconds.
    public func request(_ type: UInt8, payload: [UInt8] = [], timeout: Double = 30) throws -> DebugFrame {
        try reply(to: post(type, payload: payload), timeout: timeout)
    }

    /// Sends a request without waiting; returns its id for `reply(to:)`.
    public func post(_ type: UInt8, payload: [UInt8] = []) throws -> UInt16 {
        let id = nextID
        nextID &+= 1
        guard let wire = DebugFrame(type: type, id: id, payload: payload).encoded() else {
            throw Failure(description: "request too large")
        }
        try sendRaw(wire)
        return id
    }

    /// Writes bytes as they are (the tests send garbage with it).
    public func sendRaw(_ wire: [UInt8]) throws {
        var sent = 0
        while sent < wire.count {
            let n = wire[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw Failure(description: "the system closed the debug link") }
            sent += n
        }
    }

    /// Waits for the reply to request `id`.
    public func reply(to id: UInt16, timeout: Double = 30) throws -> DebugFrame {
        if let f = early.removeValue(forKey: id) { return f }
        var buf = [UInt8](repeating: 0, count: 4096)
        var waited = 0.0
        while waited < timeout {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 100) > 0 {
                let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { throw Failure(description: "the system closed the debug link") }
                for f in decoder.feed(buf[0..<n]) { early[f.id] = f }
                if let f = early.removeValue(forKey: id) { return f }
            } else {
                waited += 0.1
            }
        }
        throw Failure(description: "no reply within \(timeout) s")
    }
}

// MARK: - Typed requests

extension DebugClient {
    /// Sends `request` and returns its reply's payload; throws the system's
    /// refusal, or MalformedReply when the reply answers something else.
    public func call(_ request: DebugRequest, timeout: Double = 30) throws -> [UInt8] {
        try check(reply(to: post(request), timeout: timeout), answering: request)
    }

    /// Sends `request` without waiting (see `reply(to:)` and `check`).
    public func post(_ request: DebugRequest) throws -> UInt16 {
        try post(request.type, payload: request.payload)
    }

    /// The payload of a reply to `request`, or the error it carries.
    public func check(_ reply: DebugFrame, answering request: DebugRequest) throws -> [UInt8] {
        if let refusal = SystemRefusal(reply) { throw refusal }
        guard reply.type == request.replyType else {
            throw MalformedReply(what: "reply type \(reply.type) to a request of type \(request.type)")
        }
        return reply.payload
    }

    /// Which build runs.
    public func hello(timeout: Double = 30) throws -> BuildInfo { try BuildInfo.decode(call(.hello, timeout: timeout)) }

    /// Every shard's status, in id order (as many requests as it takes).
    public func ps(timeout: Double = 30) throws -> [ShardStatus] {
        var shards: [ShardStatus] = []
        while true {
            let page = try PsPage.decode(call(.ps(first: shards.count), timeout: timeout))
            guard page.first == shards.count else {
                throw MalformedReply(what: "ps answered from shard \(page.first), asked from \(shards.count)")
            }
            shards += page.shards
            if page.shards.isEmpty || shards.count >= page.total { return shards }
        }
    }

    /// Every core's counters since boot, and the kernel's clock when it answered.
    public func stats(timeout: Double = 30) throws -> (nowNs: UInt64, cores: [CoreStats]) {
        var cores: [CoreStats] = []
        var now: UInt64 = 0
        while true {
            let page = try StatsPage.decode(call(.stats(first: cores.count), timeout: timeout))
            guard page.first == cores.count else {
                throw MalformedReply(what: "stats answered from core \(page.first), asked from \(cores.count)")
            }
            if cores.isEmpty { now = page.nowNs }
            cores += page.cores
            if page.cores.isEmpty || cores.count >= page.total { return (now, cores) }
        }
    }

    /// The kernel's recent log text, and how many earlier bytes it no longer keeps.
    /// The kernel's log history: its text, the bytes logged before it that
    /// it no longer holds, and the shard lines the rate limit dropped.
    public func logs() throws -> (text: [UInt8], lost: UInt32, dropped: UInt32) {
        var since: UInt32 = 0
        var text: [UInt8] = []
        var lost: UInt32 = 0
        while true {
            let chunk = try LogChunk.decode(call(.logs(since: since)))
            if text.isEmpty { lost = chunk.first }
            text += chunk.text
            since = chunk.first &+ UInt32(chunk.text.count)
            if chunk.text.isEmpty || since == chunk.total { return (text, lost, chunk.dropped) }
        }
    }

    /// Restarts, holds or releases one shard (carried out by its own core).
    public func control(_ action: ShardControl, shard: Int) throws {
        _ = try call(.control(action, shard: shard))
    }

    /// Bytes of one of a shard's regions (at most `RegionBytes.maxRead`);
    /// with `length` 0, only what the region is.
    public func read(shard: Int, region: Int, offset: UInt64 = 0, length: Int = 0, timeout: Double = 30) throws -> RegionBytes {
        try RegionBytes.decode(call(.read(shard: shard, region: region, offset: offset, length: length), timeout: timeout))
    }

    /// A shard's fault record.
    public func faultRecord(shard: Int, timeout: Double = 30) throws -> FaultReport {
        try FaultReport.decode(call(.fault(shard: shard), timeout: timeout))
    }

    /// A readable region's bytes, whole.
    public struct RegionImage: Sendable {
        public var info: RegionBytes
        public var bytes: [UInt8]
    }

    /// Every region of a shard, and the bytes of each readable one, read in
    /// chunks with up to `window` requests in flight while the shard runs.
    public func regions(shard: Int, window: Int = 8, timeout: Double = 30) throws -> [RegionImage] {
        let first = try read(shard: shard, region: 0, timeout: timeout)
        var out: [RegionImage] = []
        for index in 0..<first.regions {
            let info = index == 0 ? first : try read(shard: shard, region: index, timeout: timeout)
            guard info.readable, info.size > 0 else {
                out.append(RegionImage(info: info, bytes: []))
                continue
            }
            var bytes = [UInt8](repeating: 0, count: Int(info.size))
            let chunk = UInt64(RegionBytes.maxRead)
            var pending: [(id: UInt16, request: DebugRequest)] = []
            var next: UInt64 = 0
            while next < info.size || !pending.isEmpty {
                while next < info.size && pending.count < window {
                    let r = DebugRequest.read(shard: shard, region: index, offset: next, length: Int(min(chunk, info.size - next)))
                    pending.append((try post(r), r))
                    next += chunk
                }
                let (id, r) = pending.removeFirst()
                let got = try RegionBytes.decode(check(reply(to: id, timeout: timeout), answering: r))
                guard case .read(_, _, let offset, let length) = r, got.offset == offset, got.bytes.count == length else {
                    throw MalformedReply(what: "read answered \(got.bytes.count) bytes at offset \(got.offset)")
                }
                bytes.replaceSubrange(Int(offset)..<Int(offset) + length, with: got.bytes)
            }
            out.append(RegionImage(info: info, bytes: bytes))
        }
        return out
    }
}
