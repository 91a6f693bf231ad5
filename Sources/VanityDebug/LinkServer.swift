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
public enum LinkServer {
    public static func run(executable: String, arguments: [String], socketPath: String, timeout: Double?) -> ChildProcess.Ending? {
        let p: ChildProcess
        do { p = try ChildProcess(executable, arguments, stdin: .pipe, stdout: .pipe, newGroup: true) } catch {
            FileHandle.standardError.write(Data("vanity-build: \(error)\n".utf8))
            return nil
        }
        let input = p.input!, output = p.output!
        let client = Connected()
        let listener = listen(at: socketPath)
        let madeSocket = listener >= 0 ? identity(of: socketPath) : nil

        // Emulator output: console to stdout, frames to the client.
        let reader = Thread {
            var demux = ConsoleDemux()
            while true {
                let data = output.availableData
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
                        try? input.write(contentsOf: buf[0..<n])
                    }
                    client.set(-1)
                    close(c)
                }
            }
            acceptor.start()
        }

        let ending = p.run(timeout: timeout)
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
