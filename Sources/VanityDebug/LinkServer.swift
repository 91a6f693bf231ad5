import Foundation
import VanityProcess
#if canImport(Glibc)
import Glibc
#endif

/// Runs an emulator whose serial line carries both the console and the debug
/// link: console text goes to our stdout, debug frames to the client of a
/// Unix-domain socket (one at a time), and the client's bytes to the
/// emulator's serial input. Returns how the emulator ended (nil if it
/// cannot start); a timeout or a signal to this process ends it.
/// `console`: rewrites console lines on their way to stdout (fault lines
/// get where the shard was). `started`: called with the emulator's process
/// id once it runs.
public enum LinkServer {
    public static func run(executable: String, arguments: [String], socketPath: String, timeout: Double?,
                           console: ConsoleLines? = nil, started: (pid_t) -> Void = { _ in }) -> ChildProcess.Ending? {
        let p: ChildProcess
        do { p = try ChildProcess(executable, arguments, stdin: .pipe, stdout: .pipe, newGroup: true) } catch {
            FileHandle.standardError.write(Data("vanity-build: \(error)\n".utf8))
            return nil
        }
        started(p.pid)
        let input = p.input!, output = p.output!
        let client = Connected()
        let listener = listen(at: socketPath)
        let madeSocket = listener >= 0 ? identity(of: socketPath) : nil

        // Emulator output: console to stdout, frames to the client.
        let reader = Thread {
            var demux = ConsoleDemux()
            var lines = console
            func show(_ text: [UInt8]) {
                var out = text
                if lines != nil { out = lines!.feed(text) }
                if !out.isEmpty { FileHandle.standardOutput.write(Data(out)) }
            }
            while true {
                let data = output.availableData
                if data.isEmpty { break }
                for piece in demux.feed([UInt8](data)) {
                    switch piece {
                    case .console(let t): show(t)
                    case .frame(let f): client.deliver(f)
                    }
                }
            }
            show(demux.flush())
            if lines != nil { FileHandle.standardOutput.write(Data(lines!.flush())) }
        }
        reader.start()

        // Clients: their bytes go to the emulator's serial input, one client
        // at a time; one idle for `idleLimit` gives way to the next waiting.
        if listener >= 0 {
            let acceptor = Thread {
                while true {
                    let c = accept(listener, nil, nil)
                    if c < 0 { return }
                    // What may queue for a client that does not read: then it is dropped.
                    var limit: Int32 = 64 << 10
                    setsockopt(c, SOL_SOCKET, SO_SNDBUF, &limit, socklen_t(MemoryLayout<Int32>.size))
                    client.set(c)
                    var buf = [UInt8](repeating: 0, count: 2048)
                    var decoder = DebugDecoder()
                    reading: while client.isConnected(c) {
                        var pfd = pollfd(fd: c, events: Int16(POLLIN), revents: 0)
                        if poll(&pfd, 1, 100) == 0 {
                            if client.idle > Self.idleLimit && Self.someoneWaits(listener) { break }
                            continue
                        }
                        let n = buf.withUnsafeMutableBytes { recv(c, $0.baseAddress, $0.count, 0) }
                        if n <= 0 { break }
                        client.touch()
                        // Whole frames only (a client that leaves one half-sent
                        // leaves nothing on the line), and at most `window`
                        // unanswered: a client that floods waits here, not the kernel.
                        for var frame in decoder.feed(buf[0..<n]) {
                            guard let id = client.forward(frame.id, from: c) else { break reading }
                            frame.id = id
                            if let wire = frame.encoded() { try? input.write(contentsOf: wire) }
                        }
                    }
                    client.set(-1)
                    close(c)
                }
            }
            acceptor.start()
        }

        let ending = p.run(timeout: timeout, endOnSignals: true)
        while !reader.isFinished { usleep(10_000) }
        if listener >= 0 {
            close(listener)
            // Only the socket this run made: a newer run of the same system may have replaced it.
            if let made = madeSocket, identity(of: socketPath) == made { unlink(socketPath) }
        }
        return ending
    }

    /// A file's device and inode, to tell it from a newer file of the same name.
    static func identity(of path: String) -> [UInt64]? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return [UInt64(st.st_dev), UInt64(st.st_ino)]
    }

    static func listen(at path: String) -> Int32 {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { close(fd); return -1 }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard ok == 0, Glibc.listen(fd, 64) == 0 else { close(fd); return -1 }
        return fd
    }

    /// How long a client may stay silent while another waits.
    static let idleLimit: TimeInterval = 2

    static func someoneWaits(_ listener: Int32) -> Bool {
        var pfd = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, 0) > 0
    }

    /// Requests of one client in the kernel's hands at once (reload keeps 8 in flight).
    static let window = 16

    /// The client the frames go to (one at a time), shared by the reader
    /// and acceptor threads. Each request goes to the kernel under an id of
    /// the server's own, so a reply reaches the client that asked (with its
    /// id) or nobody: never the next client. A client whose reply cannot go
    /// out at once (it does not read) is disconnected: nothing waits for it.
    final class Connected: @unchecked Sendable {
        private let cond = NSCondition()
        private var fd: Int32 = -1
        private var active = Date()
        /// The server's id of each request in the kernel's hands → who asked, with which id.
        private var routes: [UInt16: (client: Int, id: UInt16)] = [:]
        /// Which connection this is (a descriptor number is reused; this is not).
        private var serial = 0
        private var nextID: UInt16 = 0

        private func locked<T>(_ body: () -> T) -> T {
            cond.lock()
            defer { cond.unlock() }
            return body()
        }

        func set(_ fd: Int32) {
            locked { (self.fd, active, serial) = (fd, Date(), serial + 1) }
            cond.broadcast()
        }

        func isConnected(_ c: Int32) -> Bool { locked { fd == c } }
        func touch() { locked { active = Date() } }
        var idle: TimeInterval { locked { Date().timeIntervalSince(active) } }

        /// Waits until client `c` may have one more request in flight and
        /// returns the id to send it under; nil once the client is gone. A
        /// request never answered frees its place after 10 s.
        func forward(_ id: UInt16, from c: Int32) -> UInt16? {
            cond.lock()
            defer { cond.unlock() }
            let deadline = Date().addingTimeInterval(10)
            while fd == c && routes.values.filter({ $0.client == serial }).count >= LinkServer.window && cond.wait(until: deadline) {}
            guard fd == c else { return nil }
            if routes.count >= 4 * LinkServer.window { routes = routes.filter { $0.value.client == serial } } // earlier clients' lost answers
            nextID &+= 1
            routes[nextID] = (serial, id)
            return nextID
        }

        /// A frame from the kernel: to the client that asked, if still connected.
        func deliver(_ frame: DebugFrame) {
            locked {
                guard let route = routes.removeValue(forKey: frame.id), route.client == serial, fd >= 0,
                      let wire = DebugFrame(type: frame.type, id: route.id, payload: frame.payload).encoded() else { return }
                let n = wire.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                if n == wire.count {
                    active = Date()
                } else {
                    shutdown(fd, Int32(SHUT_RDWR))
                    fd = -1
                }
            }
            cond.broadcast()
        }
    }
}
