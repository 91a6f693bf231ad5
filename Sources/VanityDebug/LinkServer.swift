import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs an emulator whose serial line carries both the console and the debug
/// link: console text goes to our stdout, debug frames to the client of a
/// Unix-domain socket (one at a time), and the client's bytes to the
/// emulator's serial input. Returns the emulator's exit status passed
/// through `exitStatus` (124 on timeout, 69 if it cannot start).
public enum LinkServer {
    public static func run(executable: String, arguments: [String], socketPath: String, timeout: Double?,
                           exitStatus: (Int32) -> Int32 = { $0 }) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        do { try p.run() } catch {
            FileHandle.standardError.write(Data("vanity-build: cannot start \(executable): \(error.localizedDescription)\n".utf8))
            return 69
        }
        let client = Connected()
        let listener = listen(at: socketPath)

        // Emulator output: console to stdout, frames to the client.
        let reader = Thread {
            var demux = ConsoleDemux()
            let fh = output.fileHandleForReading
            while true {
                let data = fh.availableData
                if data.isEmpty { break }
                for piece in demux.feed([UInt8](data)) {
                    switch piece {
                    case .console(let t): FileHandle.standardOutput.write(Data(t))
                    case .frame(let f):
                        if let wire = f.encoded() { client.send(wire) }
                    }
                }
            }
            FileHandle.standardOutput.write(Data(demux.flush()))
        }
        reader.start()

        // Clients: their bytes go to the emulator's serial input.
        if listener >= 0 {
            let acceptor = Thread {
                while true {
                    let c = accept(listener, nil, nil)
                    if c < 0 { return }
                    client.set(c)
                    var buf = [UInt8](repeating: 0, count: 2048)
                    while true {
                        let n = buf.withUnsafeMutableBytes { recv(c, $0.baseAddress, $0.count, 0) }
                        if n <= 0 { break }
                        input.fileHandleForWriting.write(Data(buf[0..<n]))
                    }
                    client.set(-1)
                    close(c)
                }
            }
            acceptor.start()
        }

        var timedOut = false
        if let timeout {
            let deadline = Date().addingTimeInterval(timeout)
            while p.isRunning && Date() < deadline { usleep(20_000) }
            if p.isRunning { timedOut = true; p.terminate() }
        }
        p.waitUntilExit()
        while !reader.isFinished { usleep(10_000) }
        if listener >= 0 { close(listener); unlink(socketPath) }
        if timedOut {
            FileHandle.standardError.write(Data("vanity-build: stopped after \(timeout ?? 0) s (timeout)\n".utf8))
            return 124
        }
        return exitStatus(p.terminationStatus)
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
        guard ok == 0, Glibc.listen(fd, 4) == 0 else { close(fd); return -1 }
        return fd
    }

    /// The client the frames go to (one at a time), shared by the reader
    /// and acceptor threads.
    final class Connected: @unchecked Sendable {
        private let lock = NSLock()
        private var fd: Int32 = -1

        func set(_ fd: Int32) { lock.withLock { self.fd = fd } }

        func send(_ wire: [UInt8]) {
            lock.withLock {
                if fd >= 0 { _ = wire.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
            }
        }
    }
}
