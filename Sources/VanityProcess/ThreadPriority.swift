import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Scheduling priority of another process's threads (Linux: each thread has
/// a nice value of its own, set through its thread id).
public enum ThreadPriority {
    /// The ids and names (`/proc/<pid>/task/<tid>/comm`) of `pid`'s threads.
    public static func threads(of pid: pid_t) -> [(tid: pid_t, name: String)] {
        let dir = "/proc/\(pid)/task"
        guard let tids = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        return tids.compactMap { t in
            guard let tid = pid_t(t), let data = FileManager.default.contents(atPath: "\(dir)/\(t)/comm") else { return nil }
            return (tid, String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines))
        }
    }

    /// A thread's nice value (nil once it is gone).
    public static func nice(of tid: pid_t) -> Int32? {
        errno = 0
        let n = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(tid))
        return n == -1 && errno != 0 ? nil : n
    }

    /// Lowers thread `tid`'s priority by `steps` nice steps (to 19 at most);
    /// whether it could.
    @discardableResult
    public static func lower(_ tid: pid_t, by steps: Int32) -> Bool {
        guard let now = nice(of: tid) else { return false }
        return setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(tid), min(19, now + steps)) == 0
    }

    /// In the background: lowers by `steps` each thread of `pid` whose name
    /// `matching` accepts, as the threads appear, until `count` of them have
    /// been lowered, `pid` is gone or `seconds` have passed. A thread is
    /// lowered once, however often it is seen.
    public static func lower(threadsOf pid: pid_t, matching: @escaping @Sendable (String) -> Bool, count: Int, by steps: Int32,
                             within seconds: TimeInterval) {
        Thread {
            var done = Set<pid_t>()
            let deadline = Date().addingTimeInterval(seconds)
            while done.count < count && Date() < deadline && kill(pid, 0) == 0 {
                for t in threads(of: pid) where !done.contains(t.tid) && matching(t.name) {
                    if lower(t.tid, by: steps) { done.insert(t.tid) }
                }
                if done.count < count { usleep(20_000) }
            }
        }.start()
    }
}
