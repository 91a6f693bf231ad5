import CVanityProcess
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process that starts clean and can always be ended.
///
/// Foundation's `Process` passes on the caller's signal mask: started from a
/// thread that blocks signals (Swift Testing's workers block almost all of
/// them), the child ignores SIGTERM forever, and so does everything it
/// starts. A `ChildProcess` starts with an empty signal mask and default
/// signal handling, and `end` escalates from SIGTERM to SIGKILL.
public final class ChildProcess: @unchecked Sendable {
    /// Where one of the child's standard streams goes.
    public enum Stream: Sendable {
        /// This process's own.
        case inherit
        /// A pipe this process reads or writes (`input`, `output`, `error`).
        case pipe
        /// /dev/null.
        case null
        /// A file, created or truncated.
        case file(String)
        /// Standard error only: wherever standard output goes.
        case output
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let pid: pid_t
    public let executable: String
    /// The write end of the child's standard input, with `stdin: .pipe`.
    public let input: FileHandle?
    /// The read end of its standard output, with `stdout: .pipe`.
    public let output: FileHandle?
    /// The read end of its standard error, with `stderr: .pipe`.
    public let error: FileHandle?
    /// Whether the child leads a process group of its own (`end` then ends the group).
    public let ownGroup: Bool

    private let lock = NSLock()
    private var status: Int32?

    /// Starts `executable` (a path, or a name looked up in PATH).
    /// `newGroup`: the child leads a new process group, so `end` reaches
    /// everything it starts too. Leave it off for a child that reads the
    /// terminal.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil,
                stdin: Stream = .inherit, stdout: Stream = .inherit, stderr: Stream = .inherit, newGroup: Bool = false) throws {
        self.executable = executable
        ownGroup = newGroup
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var ours: [Int32] = [], theirs: [Int32] = []
        defer { theirs.forEach { _ = close($0) } }
        func pipeEnds() throws -> (read: Int32, write: Int32) {
            var fds: [Int32] = [-1, -1]
            guard vanity_pipe_cloexec(&fds) == 0 else { throw Failure(description: "cannot make a pipe: \(String(cString: strerror(errno)))") }
            return (fds[0], fds[1])
        }
        func route(_ s: Stream, to fd: Int32, reading: Bool) throws -> FileHandle? {
            switch s {
            case .inherit: return nil
            case .null: posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", reading ? O_RDONLY : O_WRONLY, 0)
            case .file(let path): posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            case .output: posix_spawn_file_actions_adddup2(&actions, 1, fd)
            case .pipe:
                let p = try pipeEnds()
                let (child, parent) = reading ? (p.read, p.write) : (p.write, p.read)
                posix_spawn_file_actions_adddup2(&actions, child, fd)
                theirs.append(child)
                ours.append(parent)
                return FileHandle(fileDescriptor: parent, closeOnDealloc: true)
            }
            return nil
        }
        do {
            input = try route(stdin, to: 0, reading: true)
            output = try route(stdout, to: 1, reading: false)
            error = try route(stderr, to: 2, reading: false)
        } catch {
            ours.forEach { _ = close($0) }
            throw error
        }
        if let directory { vanity_spawn_chdir(&actions, directory) }

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attr, 0)
        }
        posix_spawnattr_setflags(&attr, Int16(flags))

        let path = executable.contains("/") ? executable : Self.find(executable)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { env.forEach { free($0) } }
        var child: pid_t = 0
        let err = posix_spawn(&child, path, &actions, &attr, argv, env)
        guard err == 0 else {
            ours.forEach { _ = close($0) }
            throw Failure(description: "cannot start \(executable): \(String(cString: strerror(err)))")
        }
        pid = child
    }

    /// `tool` found in PATH, or `tool` itself.
    public static func find(_ tool: String) -> String {
        if tool.contains("/") { return tool }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(tool)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return tool
    }

    /// The exit status once it has ended (128 + n for a signal n), else nil.
    public func poll() -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let status { return status }
        var raw: Int32 = 0
        let r = waitpid(pid, &raw, WNOHANG)
        guard r == pid else { return nil }
        let signal = raw & 0x7f
        status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
        return status
    }

    public var isRunning: Bool { poll() == nil }

    /// Waits until it ends or `timeout` seconds pass (nil: no bound);
    /// returns its status, or nil on timeout.
    @discardableResult
    public func wait(timeout: Double? = nil) -> Int32? {
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        var pause: useconds_t = 1000
        while true {
            if let s = poll() { return s }
            if let deadline, Date() >= deadline { return nil }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
    }

    /// Sends `signal` to the child (to its whole group when it leads one).
    public func signal(_ signal: Int32) {
        guard poll() == nil else { return }
        _ = kill(ownGroup ? -pid : pid, signal)
    }

    /// Ends it: SIGTERM, then SIGKILL after `grace` seconds. Returns its status.
    @discardableResult
    public func end(grace: Double = 2) -> Int32 {
        signal(SIGTERM)
        var status = wait(timeout: grace)
        if status == nil {
            signal(SIGKILL)
            status = wait()
        }
        // What the group's leader left behind (a pgid is not reused while
        // the group has members).
        if ownGroup { _ = kill(-pid, SIGKILL) }
        return status ?? 137
    }

    /// Reads `handle` to its end (a pipe the child writes).
    public static func readAll(_ handle: FileHandle) -> Data {
        (try? handle.readToEnd()) ?? Data()
    }
}

// MARK: - Running to the end

extension ChildProcess {
    /// How a run ended.
    public enum Ending: Equatable, Sendable {
        /// It exited by itself with this status (128 + n after signal n).
        case exited(Int32)
        /// The timeout passed; it was ended.
        case timedOut
        /// This process got SIGINT, SIGTERM or SIGHUP (the signal); the child was ended.
        case interrupted(Int32)
    }

    /// Waits for the child to end by itself, at most `timeout` seconds; a
    /// timeout ends it (SIGTERM, then SIGKILL after `grace` seconds).
    /// `endOnSignals`: SIGINT / SIGTERM / SIGHUP to this process end it too
    /// (a command's one child; a test runner leaves its own signals alone).
    public func run(timeout: Double?, grace: Double = 2, endOnSignals: Bool = false) -> Ending {
        if endOnSignals { Interruption.watch(self) }
        defer { if endOnSignals { Interruption.watch(nil) } }
        let signal = { endOnSignals ? Interruption.received : nil }
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        while true {
            if let s = wait(timeout: 0.05) { return signal().map { .interrupted($0) } ?? .exited(s) }
            if let sig = signal() {
                end(grace: grace)
                return .interrupted(sig)
            }
            if let deadline, Date() >= deadline {
                end(grace: grace)
                return .timedOut
            }
        }
    }
}

/// SIGINT, SIGTERM and SIGHUP to this process while a child runs: the
/// child (its group, when it leads one) gets SIGTERM at once and `run`
/// ends it; the signal is remembered.
public enum Interruption {
    nonisolated(unsafe) private static var target: pid_t = 0
    nonisolated(unsafe) private static var signal: Int32 = 0
    nonisolated(unsafe) private static var installed = false

    /// The signal that arrived while a child ran, if any.
    public static var received: Int32? { signal == 0 ? nil : signal }

    static func watch(_ child: ChildProcess?) {
        target = child.map { $0.ownGroup ? -$0.pid : $0.pid } ?? 0
        guard !installed else { return }
        installed = true
        for s in [SIGINT, SIGTERM, SIGHUP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in
                Interruption.signal = sig
                if Interruption.target != 0 { _ = kill(Interruption.target, SIGTERM) }
            }
            sigemptyset(&action.sa_mask)
            sigaction(s, &action, nil)
        }
        // This thread may have been started with these blocked (a test runner's).
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, s) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }
}
